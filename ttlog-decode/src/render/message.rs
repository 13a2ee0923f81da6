//! An event's message and fields, rendered from the callsite's parsed pieces.

use super::digits::{push_i64, push_str, push_u64};
use super::spec::render_value;
use crate::value::{Args, Slot, Text, Value};
use ttlog_core::callsite::{ArgRole, Count, FmtType, Sign};
use ttlog_core::wire::{CallsiteInfo, PieceInfo};

/// Appends the marker that shows a string was cut at the call.
pub fn write_cut_marker(out: &mut String, cut: u64) {
    if cut > 0 {
        out.push_str("…[");
        push_u64(out, cut);
        out.push_str(" bytes cut]");
    }
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
    let (Some(meta), Some(stored)) = (cs.args.get(arg), args.slot(arg)) else {
        out.push_str("{?}");
        return;
    };
    let Some(spec) = meta.specs.get(slot) else {
        out.push_str("{?}");
        return;
    };
    // `{}` and `{:?}` without width, precision or flags: most placeholders.
    if matches!((spec.width, spec.precision, spec.sign), (Count::Implied, Count::Implied, Sign::None))
        && !spec.alternate
        && write_plain(out, args, stored, spec.ty)
    {
        return;
    }
    let value = args.value(stored);
    match value {
        Value::Formatted(texts) => match texts.for_spec(slot, spec) {
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

/// Writes the stored values whose plain `{}` (or `{:?}`) needs no formatter,
/// as [`render_value`] would (and a cut string's marker); false for the others.
#[inline]
fn write_plain(out: &mut String, args: Args<'_>, stored: Slot, ty: FmtType) -> bool {
    let display = ty == FmtType::Display;
    if !display && ty != FmtType::Debug {
        return false;
    }
    match stored {
        Slot::U8(v) => push_u64(out, v as u64),
        Slot::U16(v) => push_u64(out, v as u64),
        Slot::U32(v) => push_u64(out, v as u64),
        Slot::U64(v) => push_u64(out, v),
        Slot::I8(v) => push_i64(out, v as i64),
        Slot::I16(v) => push_i64(out, v as i64),
        Slot::I32(v) => push_i64(out, v as i64),
        Slot::I64(v) => push_i64(out, v),
        Slot::Bool(v) => out.push_str(if v { "true" } else { "false" }),
        Slot::Char(c) if display => out.push(c),
        Slot::Str { .. } | Slot::StrSpan(_) if display => match args.text(stored) {
            Some(t) => write_text(out, &t),
            None => return false,
        },
        _ => return false,
    }
    true
}

fn write_text(out: &mut String, t: &Text<'_>) {
    push_str(out, t.text);
    write_cut_marker(out, t.truncated);
}

/// Appends the message: literal pieces and arguments, exactly as `format!` would
/// have produced it at the call (apart from the marker of a cut string).
pub fn write_message(out: &mut String, cs: &CallsiteInfo, args: Args<'_>) {
    for p in &cs.pieces {
        match p {
            PieceInfo::Lit(s) => push_str(out, s),
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
            push_str(out, &a.name);
            out.push('=');
            write_arg(out, cs, args, i, 0);
        }
    }
}
