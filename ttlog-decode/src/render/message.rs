//! An event's message and fields, rendered from the callsite's parsed pieces.

use super::spec::render_value;
use crate::value::{Args, Text, Value};
use ttlog::callsite::{ArgRole, Count};
use ttlog::wire::{CallsiteInfo, PieceInfo};

/// Appends the marker that shows a string was cut at the call.
pub fn write_cut_marker(out: &mut String, cut: u64) {
    if cut > 0 {
        out.push_str("…[");
        push_u64(out, cut);
        out.push_str(" bytes cut]");
    }
}

/// Appends `v` in decimal, without the formatting machinery: the decoder
/// writes a few numbers on every line.
pub(crate) fn push_u64(out: &mut String, mut v: u64) {
    let mut b = [0u8; 20];
    let mut i = b.len();
    // Two digits at a time.
    while v >= 100 {
        let d = (v % 100) as usize * 2;
        v /= 100;
        i -= 2;
        b[i..i + 2].copy_from_slice(&DIGIT_PAIRS[d..d + 2]);
    }
    if v >= 10 {
        let d = v as usize * 2;
        i -= 2;
        b[i..i + 2].copy_from_slice(&DIGIT_PAIRS[d..d + 2]);
    } else {
        i -= 1;
        b[i] = b'0' + v as u8;
    }
    push_ascii(out, &b[i..]);
}

/// "00", "01", .. "99".
pub(crate) const DIGIT_PAIRS: [u8; 200] = {
    let mut t = [0u8; 200];
    let mut i = 0;
    while i < 100 {
        t[2 * i] = b'0' + (i / 10) as u8;
        t[2 * i + 1] = b'0' + (i % 10) as u8;
        i += 1;
    }
    t
};

/// Appends bytes that are ASCII digits and punctuation by construction: every
/// caller writes them from `b'0' + digit`, [`DIGIT_PAIRS`] and literals.
#[inline]
pub(crate) fn push_ascii(out: &mut String, bytes: &[u8]) {
    debug_assert!(bytes.is_ascii());
    // SAFETY: the callers only pass ASCII (see above), and ASCII is UTF-8.
    out.push_str(unsafe { core::str::from_utf8_unchecked(bytes) });
}

/// Appends `v` in decimal.
pub(crate) fn push_i64(out: &mut String, v: i64) {
    if v < 0 {
        out.push('-');
    }
    push_u64(out, v.unsigned_abs());
}

fn count_value(c: Count, args: Args<'_>) -> Option<usize> {
    match c {
        Count::Implied => None,
        Count::Is(n) => Some(n as usize),
        Count::Arg(i) => args.get(i as usize).and_then(|v| v.as_usize()),
    }
}

/// Appends argument `arg` rendered with its `slot`-th spec.
pub fn write_arg(out: &mut String, cs: &CallsiteInfo, args: Args<'_>, arg: usize, slot: usize) {
    let (Some(meta), Some(value)) = (cs.args.get(arg), args.get(arg)) else {
        out.push_str("{?}");
        return;
    };
    let Some(spec) = meta.specs.get(slot) else {
        out.push_str("{?}");
        return;
    };
    match value {
        Value::Formatted(texts) => match texts.get(slot) {
            Some(t) => write_text(out, &t),
            None => out.push_str("{?}"),
        },
        Value::Str(t) => {
            render_value(out, &value, spec, count_value(spec.width, args), count_value(spec.precision, args));
            write_cut_marker(out, t.truncated);
        }
        _ => render_value(out, &value, spec, count_value(spec.width, args), count_value(spec.precision, args)),
    }
}

fn write_text(out: &mut String, t: &Text<'_>) {
    out.push_str(t.text);
    write_cut_marker(out, t.truncated);
}

/// Appends the message: literal pieces and arguments, exactly as `format!` would
/// have produced it at the call (apart from the marker of a cut string).
pub fn write_message(out: &mut String, cs: &CallsiteInfo, args: Args<'_>) {
    for p in &cs.pieces {
        match p {
            PieceInfo::Lit(s) => out.push_str(s),
            PieceInfo::Arg { arg, slot } => write_arg(out, cs, args, *arg as usize, *slot as usize),
        }
    }
}

/// The message as a new string.
pub fn message(cs: &CallsiteInfo, args: Args<'_>) -> String {
    let mut s = String::new();
    write_message(&mut s, cs, args);
    s
}

/// Appends the fields, each as ` name=value`.
pub fn write_fields(out: &mut String, cs: &CallsiteInfo, args: Args<'_>) {
    for (i, a) in cs.args.iter().enumerate() {
        if a.role == ArgRole::Field {
            out.push(' ');
            out.push_str(&a.name);
            out.push('=');
            write_arg(out, cs, args, i, 0);
        }
    }
}
