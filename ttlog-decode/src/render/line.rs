//! One event as a line of text, or as one JSON object.
//!
//! ```text
//! 2026-11-26T12:00:00.123456789Z  INFO [worker-1 4711] app::server: request 42 took 250 us on db-1 attempt=3
//! ```
//!
//! The entry and exit events of a `#[ttlog]` function show its name after an
//! arrow, the exit with the elapsed time and how the call ended; the events of
//! a thread are indented by two spaces per call open on it:
//!
//! ```text
//! ..Z  INFO [worker-1 4711] app::server: → app::server::handle #1.7 id=42
//! ..Z DEBUG [worker-1 4711]   app::db: query took 250 us
//! ..Z  INFO [worker-1 4711] app::server: ← app::server::handle #1.7 elapsed=1.250ms ret=5
//! ```
//!
//! The call id after the name (`#1.7`) matches an exit with its entry. An
//! `async fn`'s call is open on a thread only while its future is polled
//! there: a poll that returned `Pending` shows as `← name #id pending`, and the
//! next poll, on whatever thread, as `→ name #id resumed`.

use super::digits::{Digits, push_ascii, push_str};
use super::message::{write_arg, write_fields, write_message};
use super::spec::render_value;
use super::time::{rfc3339, write_rfc3339};
use crate::snapshot::{Call, CallsiteInfo, Event, Snapshot};
use crate::value::Value;
use std::fmt::Write;
use ttlog_core::callsite::{ArgRole, CallsiteKind, Outcome, Spec};

/// Appends the event's text line (without a newline).
pub fn write_text_line(out: &mut String, snap: &Snapshot, e: &Event) {
    write_text_line_at(out, snap, e, snap.unix_nanos(e));
}

/// Appends the event's text line (without a newline), with `nanos` (since
/// the Unix epoch) as its time: the time [`merge`](crate::merge) gives the
/// events of several snapshots of one process, from one calibration.
pub fn write_text_line_at(out: &mut String, snap: &Snapshot, e: &Event, nanos: Option<i128>) {
    let cs = snap.callsite(e);
    let level: &[u8; 8] = match cs.map(|cs| cs.level) {
        Some(ttlog_core::Level::Error) => b" ERROR [",
        Some(ttlog_core::Level::Warn) => b"  WARN [",
        Some(ttlog_core::Level::Info) => b"  INFO [",
        Some(ttlog_core::Level::Debug) => b" DEBUG [",
        Some(ttlog_core::Level::Trace) => b" TRACE [",
        None => b" ????? [",
    };
    // The timestamp and the level, written at once.
    match nanos.and_then(rfc3339) {
        Some(time) => {
            let mut head = [0u8; 38];
            head[..30].copy_from_slice(&time);
            head[30..].copy_from_slice(level);
            // SAFETY: `rfc3339` gives ASCII bytes only, whatever the time, and
            // the level is one of the ASCII literals above.
            unsafe { push_ascii(out, &head) };
        }
        None => {
            match nanos {
                Some(ns) => write_rfc3339(out, ns),
                None => out.push('-'),
            }
            // SAFETY: one of the ASCII literals above.
            unsafe { push_ascii(out, level) };
        }
    }
    let Some(cs) = cs else {
        let _ = write!(out, "callsite {} missing]", e.callsite);
        return;
    };
    // `worker-1 4711] `, `4711] ` for a thread without a name, or
    // `thread #3] ` when the thread's frame was lost.
    let (name, id, space) = match snap.thread(e) {
        Some(t) => (t.name.as_str(), t.tid, !t.name.is_empty()),
        None => ("thread #", e.thread as u64, false),
    };
    push_str(out, name);
    let digits = Digits::new(id);
    let digits = digits.as_bytes();
    let n = digits.len();
    let mut tail = [b' '; Digits::CAP + 3];
    tail[1..=n].copy_from_slice(digits);
    tail[n + 1] = b']';
    // SAFETY: spaces, the digits of `Digits` (ASCII digits only) and `]`.
    unsafe { push_ascii(out, &tail[usize::from(!space)..n + 3]) };
    for _ in 0..e.depth.min(MAX_INDENT) {
        out.push_str("  ");
    }
    push_str(out, &cs.target);
    out.push_str(": ");
    match cs.kind {
        CallsiteKind::Enter | CallsiteKind::Resume => out.push_str("→ "),
        CallsiteKind::Exit | CallsiteKind::Suspend => out.push_str("← "),
        CallsiteKind::Event => {}
    }
    let before = out.len();
    write_message(out, cs, snap.args(e));
    let no_message = out.len() == before;
    if let Some(call) = &e.call {
        if call.id != 0 {
            out.push(' ');
            write_call_id(out, call.id);
        }
        match cs.kind {
            CallsiteKind::Exit => write_exit(out, cs, call),
            CallsiteKind::Suspend => out.push_str(" pending"),
            CallsiteKind::Resume => out.push_str(" resumed"),
            CallsiteKind::Enter | CallsiteKind::Event => {}
        }
    }
    let at = out.len();
    write_fields(out, cs, snap.args(e));
    if no_message && out.len() > at {
        // Fields alone (`info!(code = 7)`): no space before the first.
        out.remove(at);
    }
}

/// Appends a call id as text lines show it, `#3.17`: the number of the
/// thread that made the call (in the order threads first logged) and the
/// call's number on that thread, the two halves of the id that JSON gives
/// whole.
pub fn write_call_id(out: &mut String, id: u64) {
    let _ = write!(out, "#{}.{}", id >> 32, id & 0xFFFF_FFFF);
}

/// Indentation stops growing here: a thread with this many calls open is
/// deep in recursion, or its exits were lost.
pub const MAX_INDENT: u32 = 32;

/// Appends an exit's ` elapsed=...` (`?` without its entry) and how the call
/// ended, unless it returned normally or its value field says it.
fn write_exit(out: &mut String, cs: &CallsiteInfo, call: &Call) {
    out.push_str(" elapsed=");
    match call.elapsed_ns {
        Some(ns) => write_duration(out, ns),
        None => out.push('?'),
    }
    let has_value = cs.args.iter().any(|a| a.role == ArgRole::Field);
    match (call.outcome, call.unknown_outcome) {
        (Some(Outcome::Returned), _) | (None, None) => {}
        (Some(Outcome::Err), _) if has_value => {}
        (Some(Outcome::Err), _) => out.push_str(" returned Err"),
        (Some(Outcome::Panicked), _) => out.push_str(" panicked"),
        (Some(Outcome::Cancelled), _) => out.push_str(" cancelled"),
        (None, Some(b)) => {
            let _ = write!(out, " outcome={b}");
        }
    }
}

/// Appends a duration with three decimals in the largest unit it reaches:
/// `850ns`, `12.345µs`, `1.250ms`, `2.000s`.
pub fn write_duration(out: &mut String, ns: u64) {
    let _ = match ns {
        0..1_000 => write!(out, "{ns}ns"),
        1_000..1_000_000 => write!(out, "{}.{:03}µs", ns / 1_000, ns % 1_000),
        1_000_000..1_000_000_000 => write!(out, "{}.{:03}ms", ns / 1_000_000, ns / 1_000 % 1_000),
        _ => write!(out, "{}.{:03}s", ns / 1_000_000_000, ns / 1_000_000 % 1_000),
    };
}

/// The event's text line.
pub fn text_line(snap: &Snapshot, e: &Event) -> String {
    let mut s = String::with_capacity(128);
    write_text_line(&mut s, snap, e);
    s
}

/// Appends `s` as a JSON string, quoted and escaped.
pub fn push_json_str(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Appends a field's value as JSON: numbers and booleans as themselves, floats
/// that JSON cannot hold (NaN, infinities), characters and text as strings
/// (`rendered`: the text).
fn push_json_value(out: &mut String, value: &Value<'_>, rendered: impl FnOnce() -> String) {
    match value {
        Value::U8(v) => push_display(out, v),
        Value::U16(v) => push_display(out, v),
        Value::U32(v) => push_display(out, v),
        Value::U64(v) => push_display(out, v),
        Value::U128(v) => push_display(out, v),
        Value::I8(v) => push_display(out, v),
        Value::I16(v) => push_display(out, v),
        Value::I32(v) => push_display(out, v),
        Value::I64(v) => push_display(out, v),
        Value::I128(v) => push_display(out, v),
        // `Display` of a finite float is a valid JSON number: no exponent, and the
        // shortest digits that read back to the same value.
        Value::F32(v) if v.is_finite() => push_display(out, v),
        Value::F64(v) if v.is_finite() => push_display(out, v),
        Value::Bool(v) => push_display(out, v),
        _ => push_json_str(out, &rendered()),
    }
}

fn push_display(out: &mut String, v: &impl std::fmt::Display) {
    let _ = write!(out, "{v}");
}

/// Appends the event as one JSON object (without a newline).
pub fn write_json_line(out: &mut String, snap: &Snapshot, e: &Event) {
    write_json_line_at(out, snap, e, snap.unix_nanos(e));
}

/// Appends the event as one JSON object (without a newline), with `nanos`
/// as its time (see [`write_text_line_at`]).
pub fn write_json_line_at(out: &mut String, snap: &Snapshot, e: &Event, nanos: Option<i128>) {
    out.push_str("{\"timestamp\":");
    match nanos {
        Some(ns) => {
            out.push('"');
            write_rfc3339(out, ns);
            out.push('"');
        }
        None => out.push_str("null"),
    }
    let cs = snap.callsite(e);
    out.push_str(",\"level\":");
    match cs {
        Some(cs) => push_json_str(out, cs.level.as_str()),
        None => out.push_str("null"),
    }
    let thread = snap.thread(e);
    out.push_str(",\"thread_id\":");
    match thread {
        Some(t) => push_display(out, &t.tid),
        None => out.push_str("null"),
    }
    out.push_str(",\"thread_name\":");
    match thread {
        Some(t) if !t.name.is_empty() => push_json_str(out, &t.name),
        _ => out.push_str("null"),
    }
    let Some(cs) = cs else {
        out.push_str(",\"target\":null,\"file\":null,\"line\":null,\"message\":null,\"fields\":{},\"kind\":null");
        let _ = write!(out, ",\"depth\":{}}}", e.depth);
        return;
    };
    out.push_str(",\"target\":");
    push_json_str(out, &cs.target);
    out.push_str(",\"file\":");
    push_json_str(out, &cs.file);
    out.push_str(",\"line\":");
    push_display(out, &cs.line);
    out.push_str(",\"message\":");
    let mut msg = String::new();
    write_message(&mut msg, cs, snap.args(e));
    push_json_str(out, &msg);
    out.push_str(",\"fields\":{");
    let mut first = true;
    for (i, a) in cs.args.iter().enumerate() {
        if a.role != ArgRole::Field {
            continue;
        }
        if !first {
            out.push(',');
        }
        first = false;
        push_json_str(out, &a.name);
        out.push(':');
        let Some(v) = snap.args(e).get(i) else {
            out.push_str("null");
            continue;
        };
        // A derived record's value keeps its structure.
        if let Value::Formatted(f) = &v
            && let Some(json) = f.json()
        {
            out.push_str(json);
            continue;
        }
        // A value recorded raw keeps its type, whatever spec the message or
        // the field renders it with: numbers and booleans as themselves,
        // strings and characters as their text. A value formatted at the
        // call is the text it was formatted to.
        push_json_value(out, &v, || {
            let mut s = String::new();
            match v {
                Value::Formatted(_) => write_arg(&mut s, cs, snap.args(e), i, 0),
                _ => render_value(&mut s, &v, &Spec::DISPLAY, None, None),
            }
            s
        });
    }
    out.push('}');
    out.push_str(match cs.kind {
        CallsiteKind::Event => ",\"kind\":\"event\"",
        CallsiteKind::Enter => ",\"kind\":\"enter\"",
        CallsiteKind::Exit => ",\"kind\":\"exit\"",
        CallsiteKind::Suspend => ",\"kind\":\"suspend\"",
        CallsiteKind::Resume => ",\"kind\":\"resume\"",
    });
    let _ = write!(out, ",\"depth\":{}", e.depth);
    if let Some(call) = &e.call {
        let _ = write!(out, ",\"call_id\":{}", call.id);
        if call.kind == CallsiteKind::Exit {
            out.push_str(",\"elapsed_ns\":");
            match call.elapsed_ns {
                Some(ns) => push_display(out, &ns),
                None => out.push_str("null"),
            }
            out.push_str(",\"outcome\":");
            match (call.outcome, call.unknown_outcome) {
                (Some(o), _) => push_json_str(out, Outcome::name(o)),
                (None, Some(b)) => push_display(out, &b),
                (None, None) => out.push_str("null"),
            }
        }
    }
    out.push('}');
}

/// The event as one JSON object.
pub fn json_line(snap: &Snapshot, e: &Event) -> String {
    let mut s = String::with_capacity(256);
    write_json_line(&mut s, snap, e);
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::Text;
    use ttlog_core::callsite::{ArgRole, ArgType, Spec};
    use ttlog_core::clock::{Clock, ClockPoint};
    use ttlog_core::wire::{ArgInfo, Header, PieceInfo, ThreadInfo};

    fn thread(index: u32, tid: u64, name: &str) -> Option<ThreadInfo> {
        Some(ThreadInfo {
            index,
            tid,
            name: name.into(),
            exited: false,
            recorded: 0,
            overwritten: 0,
            dropped: 0,
            copied: true,
            evicted: 0,
        })
    }

    /// The parts of a line that have fallbacks: no clock, a time outside
    /// years 0000 to 9999, threads with and without a name or a frame, a
    /// missing callsite.
    #[test]
    fn text_lines_with_and_without_their_metadata() {
        let mut snap = Snapshot::default();
        snap.callsites.push(Some(CallsiteInfo {
            index: 0,
            level: ttlog_core::Level::Warn,
            kind: CallsiteKind::Event,
            name: "n".into(),
            target: "app::db".into(),
            file: "src/db.rs".into(),
            line: 1,
            args: vec![
                ArgInfo { name: "n".into(), role: ArgRole::Positional, ty: ArgType::U32, specs: vec![Spec::DISPLAY] },
                ArgInfo { name: "host".into(), role: ArgRole::Field, ty: ArgType::Str, specs: vec![Spec::DISPLAY] },
            ],
            pieces: vec![
                PieceInfo::Lit("took ".into()),
                PieceInfo::Arg { arg: 0, slot: 0 },
                PieceInfo::Lit(" us".into()),
            ],
        }));
        snap.threads = vec![thread(0, 4711, "worker-1"), thread(1, 9, ""), None];
        let args = || [Value::U32(250), Value::Str(Text { text: "db-1", truncated: 3 })];
        for thread in 0..4 {
            snap.push_event(0, thread, 0, args());
        }
        snap.push_event(0, 0, 7, []);
        let lines: Vec<String> = snap.events.iter().map(|e| text_line(&snap, e)).collect();
        assert_eq!(
            lines,
            [
                "-  WARN [worker-1 4711] app::db: took 250 us host=db-1…[3 bytes cut]",
                "-  WARN [9] app::db: took 250 us host=db-1…[3 bytes cut]",
                "-  WARN [thread #2] app::db: took 250 us host=db-1…[3 bytes cut]",
                "-  WARN [thread #3] app::db: took 250 us host=db-1…[3 bytes cut]",
                "- ????? [callsite 7 missing]",
            ]
        );
        let point = |ticks, real_ns| ClockPoint { ticks, mono_ns: ticks, real_ns };
        snap.header = Some(Header {
            program: "p".into(),
            pid: 1,
            host: "h".into(),
            reason: "r".into(),
            ttlog_version: "0".into(),
            clock: Clock::Monotonic,
            anchor: point(0, 1_795_694_400_123_456_789),
            taken: point(1_000, 1_795_694_400_123_457_789),
            evicted: 0,
            late_dropped: 0,
        });
        snap.clear_events();
        snap.push_event(0, 0, 0, args());
        snap.push_event(1_000, 1, 7, []);
        let lines: Vec<String> = snap.events.iter().map(|e| text_line(&snap, e)).collect();
        assert_eq!(
            lines[0],
            "2026-11-26T12:00:00.123456789Z  WARN [worker-1 4711] app::db: took 250 us host=db-1…[3 bytes cut]"
        );
        assert_eq!(lines[1], "2026-11-26T12:00:00.123457789Z ????? [callsite 7 missing]");
    }
}
