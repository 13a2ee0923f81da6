//! DROPS frames of continuous logs: events of a thread lost at one point of
//! the log. Each becomes an event of a callsite the reader adds (a WARN
//! "N events dropped" line, at the place of the loss), so that the text, JSON
//! and every other view show it without knowing about it.

use crate::snapshot::{ArgInfo, CallsiteInfo, PieceInfo, Problem, Snapshot};
use crate::value::Value;
use ttlog_core::callsite::{ArgRole, ArgType, CallsiteKind, Spec};
use ttlog_core::level::Level;
use ttlog_core::wire::{Drops, Reader};

/// The name of the callsite of the marker events.
pub const MARKER_NAME: &str = "ttlog::dropped";

/// The marker callsite: `{dropped} events dropped`, at WARN, target `ttlog`.
pub(super) fn marker(index: u32) -> CallsiteInfo {
    CallsiteInfo {
        index,
        level: Level::Warn,
        kind: CallsiteKind::Event,
        name: MARKER_NAME.to_owned(),
        target: "ttlog".to_owned(),
        file: String::new(),
        line: 0,
        args: vec![ArgInfo {
            name: "dropped".to_owned(),
            role: ArgRole::Named,
            ty: ArgType::U64,
            specs: vec![Spec::DISPLAY],
        }],
        pieces: vec![PieceInfo::Arg { arg: 0, slot: 0 }, PieceInfo::Lit(" events dropped".to_owned())],
    }
}

/// Decodes one DROPS frame (payload at file offset `base`) into a marker
/// event, adding the marker callsite the first time (`marker_index`), and
/// adds the count to the thread's `dropped`. Returns whether it added an
/// event.
pub(super) fn read_frame(
    snap: &mut Snapshot,
    times: &mut Vec<u64>,
    marker_index: &mut Option<u32>,
    base: u64,
    payload: &[u8],
) -> bool {
    let d = match Drops::decode(&mut Reader::new(payload, base)) {
        Ok(d) => d,
        Err(e) => {
            snap.problems.push(Problem { offset: e.offset(), message: format!("drops frame: {e}"), lost_events: 0 });
            return false;
        }
    };
    let index = *marker_index.get_or_insert_with(|| {
        let i = snap.callsites.len() as u32;
        snap.callsites.push(Some(marker(i)));
        i
    });
    if let Some(Some(t)) = snap.threads.get_mut(d.thread as usize) {
        t.dropped = t.dropped.saturating_add(d.count);
    }
    snap.push_event(d.ticks, d.thread, index, [Value::U64(d.count)]);
    times.push(d.ticks);
    true
}
