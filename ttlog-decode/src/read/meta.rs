//! The frames that describe the events: the header, the callsites (with the
//! static ones of crash snapshots), the threads, and the END frame.

use crate::snapshot::{Calibration, CallsiteInfo, End, Header, Problem, Snapshot, ThreadInfo, Trigger};
use std::collections::HashMap;
use ttlog_core::wire::{self, Reader, WireError};

/// The callsites of CALLSITE_STATIC frames (crash snapshots), by runtime
/// callsite id: their arguments' types come with each ring record.
pub(super) type Statics = HashMap<u32, Static>;

/// A callsite of a CALLSITE_STATIC frame.
pub(super) struct Static {
    /// The callsite, each argument typed [`ArgType::Formatted`](ttlog_core::callsite::ArgType::Formatted).
    pub(super) info: CallsiteInfo,
    /// The bytes of its frame's payload.
    pub(super) wire_len: usize,
}

/// Reads a frame of metadata of kind `kind`, whose payload starts at file
/// offset `base`, into `snap` (or `statics`). A frame of a kind this decoder
/// does not know, from a newer writer, is skipped.
///
/// `max_items` bounds the callsite and thread tables: indices are dense, one
/// frame an item, so an index is below the number of frames the input could
/// hold, and a frame of a few bytes cannot make a table of a million entries.
pub(super) fn read_frame(
    snap: &mut Snapshot,
    statics: &mut Statics,
    max_items: usize,
    kind: u8,
    base: u64,
    payload: &[u8],
) -> Result<(), WireError> {
    let mut r = Reader::new(payload, base);
    match kind {
        wire::kind::HEADER => Header::decode(&mut r).and_then(|h| match &snap.header {
            None => {
                snap.header = Some(h);
                Ok(())
            }
            Some(first) if *first == h => Ok(()),
            Some(_) => Err(WireError::malformed(base, "second header differs from the first")),
        }),
        wire::kind::CALLSITE => {
            CallsiteInfo::decode(&mut r).and_then(|c| place(&mut snap.callsites, c.index, c, max_items, base))
        }
        wire::kind::THREAD => ThreadInfo::decode(&mut r).and_then(|t| {
            let first = snap.threads.get(t.index as usize).is_none_or(Option::is_none);
            let lost = (!t.copied && first).then(|| (t.index, t.name.clone()));
            place(&mut snap.threads, t.index, t, max_items, base)?;
            if let Some((index, name)) = lost {
                snap.problems.push(Problem {
                    offset: base,
                    message: format!(
                        "thread {index} ({name:?}): its ring could not be copied (its writer kept overwriting it \
                         during every attempt), so its events are not in the snapshot"
                    ),
                    lost_events: 0,
                });
            }
            Ok(())
        }),
        wire::kind::CALLSITE_STATIC => CallsiteInfo::decode_untyped(&mut r).and_then(|c| match statics.get(&c.index) {
            Some(first) if first.info != c => {
                Err(WireError::malformed(base, format!("two different callsites with id {}", c.index)))
            }
            _ => {
                statics.insert(c.index, Static { info: c, wire_len: payload.len() });
                Ok(())
            }
        }),
        wire::kind::TRIGGER => {
            Trigger::decode(&mut r).and_then(|t| same_or_first(&mut snap.trigger, t, base, "trigger"))
        }
        wire::kind::CLOCK => {
            Calibration::decode(&mut r).and_then(|c| same_or_first(&mut snap.calibration, c, base, "clock calibration"))
        }
        wire::kind::END => End::decode(&mut r).map(|e| snap.end = Some(e)),
        wire::kind::TYPE => ttlog_core::wire::types::TypeInfo::decode(&mut r).map(|t| {
            // The first intact copy wins, as for callsites; the count of
            // types is bounded by the frames the input holds.
            if snap.values.types.len() < max_items {
                snap.values.types.entry(t.id).or_insert(t);
            }
        }),
        _ => Ok(()),
    }
}

/// Keeps the first copy of a frame that the metadata has once (each copy
/// must be the same).
fn same_or_first<T: PartialEq>(slot: &mut Option<T>, item: T, offset: u64, what: &str) -> Result<(), WireError> {
    match slot {
        None => {
            *slot = Some(item);
            Ok(())
        }
        Some(first) if *first == item => Ok(()),
        Some(_) => Err(WireError::malformed(offset, format!("second {what} differs from the first"))),
    }
}

/// Puts an item at its index, growing the table up to `max_items` entries.
/// The metadata is written twice: a second copy must equal the first.
fn place<T: PartialEq>(
    table: &mut Vec<Option<T>>,
    index: u32,
    item: T,
    max_items: usize,
    offset: u64,
) -> Result<(), WireError> {
    let i = index as usize;
    // Indices are dense: one far beyond the table's size, or beyond what the
    // input could hold, is damage, not data.
    if i > table.len() + (1 << 16) || i >= max_items {
        return Err(WireError::malformed(offset, format!("index {index} out of range")));
    }
    if table.len() <= i {
        table.resize_with(i + 1, || None);
    }
    match &table[i] {
        None => {
            table[i] = Some(item);
            Ok(())
        }
        Some(first) if *first == item => Ok(()),
        Some(_) => Err(WireError::malformed(offset, format!("two different items with index {index}"))),
    }
}
