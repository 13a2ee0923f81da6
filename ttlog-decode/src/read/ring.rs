//! RING frames (crash snapshots): a thread's ring blocks as they were in
//! memory (see [`ttlog_core::wire::record`]), each record typed by its own type
//! tags and decoded against the callsite of a CALLSITE_STATIC frame.
//!
//! Records carry their length, so a record that cannot be decoded costs only
//! itself, and a length that does not fit costs the rest of its block.

use super::args::{self, Shape};
use super::meta::Statics;
use crate::snapshot::{ArgRange, CallsiteInfo, Event, Problem, Snapshot};
use std::collections::HashMap;
use ttlog_core::callsite::ArgType;
use ttlog_core::wire::{self, Reader, WireError, record};

/// The least and the most bytes a ring block may have.
const BLOCK_SIZES: core::ops::RangeInclusive<u64> = 64..=1 << 20;

/// The callsites made for the (callsite id, argument types) pairs of ring
/// records, which RING frames share.
pub(super) struct Typed {
    /// Index into [`Snapshot::callsites`], and shape, by pair.
    signatures: HashMap<(u32, Vec<ArgType>), (u32, Box<Shape>)>,
    /// Bytes of static callsite frames that the typed copies still made may
    /// copy. Each new pair of a record copies its callsite's metadata, so
    /// without a bound a hostile ring, with a new combination of types in
    /// every record, would make as many copies of a large callsite as it has
    /// records: the square of the input's size. The bound is twice the
    /// input's size and a MiB: a file holds each static callsite once and, for
    /// a generic callsite, at least a record for each of its type
    /// combinations, so real files stay far below it.
    budget: usize,
}

impl Typed {
    /// For an input of `len` bytes.
    pub(super) fn new(len: usize) -> Typed {
        Typed { signatures: HashMap::new(), budget: len.saturating_mul(2).saturating_add(1 << 20) }
    }
}

/// Decodes a RING frame, whose payload starts at file offset `base`, appending
/// its events to `snap` and their times to `times`.
pub(super) fn read_frame(
    snap: &mut Snapshot,
    times: &mut Vec<u64>,
    statics: &Statics,
    typed: &mut Typed,
    base: u64,
    payload: &[u8],
) {
    let mut r = Reader::new(payload, base);
    let head = (|| -> Result<(u32, u64), WireError> { Ok((r.varint_u32()?, r.varint()?)) })();
    let (thread, block) = match head {
        Ok(h) => h,
        Err(e) => {
            snap.problems.push(Problem { offset: e.offset(), message: format!("ring frame: {e}"), lost_events: 0 });
            return;
        }
    };
    if !block.is_power_of_two() || !BLOCK_SIZES.contains(&block) {
        snap.problems.push(Problem {
            offset: base,
            message: format!("ring frame with block size {block} and {} bytes of words: skipped", r.remaining()),
            lost_events: 0,
        });
        return;
    }
    if snap.threads.get(thread as usize).is_none_or(|t| t.is_none()) {
        snap.problems.push(Problem {
            offset: base,
            message: format!(
                "ring frame of thread {thread}, whose thread frame is missing: events kept without thread name"
            ),
            lost_events: 0,
        });
    }
    let words_at = r.offset();
    let bytes = r.bytes(r.remaining()).unwrap_or_default();
    let whole = bytes.chunks_exact(8);
    if !whole.remainder().is_empty() {
        snap.problems.push(Problem {
            offset: words_at + (bytes.len() - whole.remainder().len()) as u64,
            message: format!("ring frame ends with {} bytes of a word: ignored", whole.remainder().len()),
            lost_events: 0,
        });
    }
    let words: Vec<u64> = whole.map(|c| u64::from_le_bytes(c.try_into().unwrap_or([0; 8]))).collect();
    let block_words = (block / 8) as usize;
    let mut records = Records { scratch: Vec::new(), compact: Vec::new() };
    for (b, blk) in record::blocks(&words, block_words).enumerate() {
        let block_at = words_at + (b * block_words * 8) as u64;
        // The index of the word after the last record read.
        let mut next = 1;
        for rec in blk.records() {
            let Ok(rec) = rec else {
                // The record at `next` claims a length below two words or
                // past the block.
                let len = words.get(b * block_words + next).map_or(0, |w| record::split_header(*w).1);
                let words = words.len().saturating_sub(b * block_words).min(block_words);
                snap.problems.push(Problem {
                    offset: block_at + (next * 8) as u64,
                    message: format!(
                        "ring record of {len} words at word {next} of a block of {words}: the rest of the block skipped"
                    ),
                    lost_events: 0,
                });
                break;
            };
            next = rec.index + rec.words.len();
            let at = block_at + (rec.index * 8) as u64;
            if let Err(message) = records.read(snap, times, statics, typed, thread, rec, at) {
                snap.problems.push(Problem { offset: at, message, lost_events: 1 });
            }
        }
    }
}

/// Reads records, with room for their arguments on the way.
struct Records {
    /// A record's argument bytes.
    scratch: Vec<u8>,
    /// The same in the encoding of EVENTS frames.
    compact: Vec<u8>,
}

impl Records {
    /// Decodes one record, found at file offset `at`, into an event; what is
    /// wrong with it, if it cannot be.
    #[allow(clippy::too_many_arguments)]
    fn read(
        &mut self,
        snap: &mut Snapshot,
        times: &mut Vec<u64>,
        statics: &Statics,
        typed: &mut Typed,
        thread: u32,
        rec: record::Record<'_>,
        at: u64,
    ) -> Result<(), String> {
        let Some(callsite) = statics.get(&rec.id) else {
            return Err(format!("record of unknown callsite id {}: skipped", rec.id));
        };
        let cs = &callsite.info;
        let types: Option<Vec<ArgType>> =
            (0..cs.args.len()).map(|i| record::type_tag(rec.words, i).and_then(ArgType::from_tag)).collect();
        let (Some(types), Some(arg_words)) = (types, rec.arg_words(cs.args.len())) else {
            return Err("record too short for its types: skipped".into());
        };
        self.scratch.clear();
        for w in arg_words {
            self.scratch.extend_from_slice(&w.to_le_bytes());
        }
        self.compact.clear();
        let slots = |i: usize| cs.args.get(i).map(|a| a.specs.len());
        if wire::transcode_args(&types, slots, &self.scratch, &mut self.compact).is_none() {
            return Err("record arguments do not match their types: skipped".into());
        }
        let key = (rec.id, types);
        let (index, shape) = match typed.signatures.get(&key) {
            Some((i, shape)) => (*i, &**shape),
            None => {
                let cost = callsite.wire_len;
                if cost > typed.budget {
                    return Err(format!(
                        "record of callsite id {} with argument types not seen before, after more typed copies of \
                         callsites than a file of this size can hold: skipped",
                        rec.id
                    ));
                }
                typed.budget -= cost;
                let i = snap.callsites.len() as u32;
                let copy = typed_copy(cs, i, &key.1);
                let shape: Box<Shape> = copy.args.iter().map(|a| (a.ty, a.specs.len())).collect();
                snap.callsites.push(Some(copy));
                let (i, shape) = typed.signatures.entry(key).or_insert((i, shape));
                (*i, &**shape)
            }
        };
        let store = &mut snap.values;
        let mark = store.mark();
        let start = store.slots.len();
        let mut pos = 0;
        let decoded = args::decode(&self.compact, &mut pos, shape, store)
            .and_then(|()| Some(ArgRange::new(u32::try_from(start).ok()?, shape.len() as u32)));
        match decoded {
            Some(args) => {
                snap.events.push(Event { ticks: rec.ticks(), thread, callsite: index, args, depth: 0, call: None });
                times.push(rec.ticks());
                Ok(())
            }
            None => {
                store.undo(mark);
                let e = match args::explain(&mut Reader::new(&self.compact, at), shape) {
                    Err(e) => e,
                    Ok(()) => WireError::malformed(at, "the snapshot holds more arguments than this decoder can index"),
                };
                Err(format!("record: {e}"))
            }
        }
    }
}

/// The callsite `cs` with the argument types of a record, at index `index`.
fn typed_copy(cs: &CallsiteInfo, index: u32, types: &[ArgType]) -> CallsiteInfo {
    let mut copy = cs.clone();
    copy.index = index;
    for (a, t) in copy.args.iter_mut().zip(types) {
        a.ty = *t;
    }
    copy
}
