//! RING frames (crash snapshots): a thread's ring blocks as they were in
//! memory (see [`ttlog::wire::record`]), each record typed by its own type
//! tags and decoded against the callsite of a CALLSITE_STATIC frame.

use super::args::{self, Shape};
use super::meta::Statics;
use crate::snapshot::{ArgRange, Event, Problem, Snapshot};
use std::collections::HashMap;
use ttlog::callsite::ArgType;
use ttlog::wire::{self, record, Reader, WireError};

/// The callsites made for (callsite id, argument types) pairs of ring
/// records: index into [`Snapshot::callsites`], and shape.
pub(super) type Signatures = HashMap<(u32, Vec<ArgType>), (u32, Box<Shape>)>;

/// Decodes a RING frame, whose payload starts at file offset `base`, appending
/// its events to `snap` and their times to `times`. Records carry their
/// length, so a record that cannot be decoded costs only itself.
pub(super) fn read_frame(
    snap: &mut Snapshot,
    times: &mut Vec<u64>,
    statics: &Statics,
    signatures: &mut Signatures,
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
    if !block.is_power_of_two() || !(64..=1 << 20).contains(&block) || !r.remaining().is_multiple_of(8) {
        snap.problems.push(Problem {
            offset: base,
            message: format!("ring frame with block size {block} and {} bytes of words: skipped", r.remaining()),
            lost_events: 0,
        });
        return;
    }
    let words_at = r.offset();
    let Ok(bytes) = r.bytes(r.remaining()) else { return };
    let words: Vec<u64> = bytes.chunks_exact(8).map(|c| u64::from_le_bytes(c.try_into().unwrap_or([0; 8]))).collect();
    let block_words = (block / 8) as usize;
    let mut scratch = Vec::new();
    let mut compact = Vec::new();
    for (b, blk) in record::blocks(&words, block_words).enumerate() {
        for rec in blk.records() {
            let Ok(rec) = rec else {
                snap.problems.push(Problem {
                    offset: words_at + (b * block_words * 8) as u64,
                    message: "ring block with a record that overruns it: the rest of the block skipped".to_owned(),
                    lost_events: 0,
                });
                break;
            };
            let at = words_at + ((b * block_words + rec.index) * 8) as u64;
            let Some(cs) = statics.get(&rec.id) else {
                snap.problems.push(Problem {
                    offset: at,
                    message: format!("record of unknown callsite id {}: skipped", rec.id),
                    lost_events: 1,
                });
                continue;
            };
            let types: Option<Vec<ArgType>> =
                (0..cs.args.len()).map(|i| record::type_tag(rec.words, i).and_then(ArgType::from_tag)).collect();
            let (Some(types), Some(arg_words)) = (types, rec.arg_words(cs.args.len())) else {
                snap.problems.push(Problem { offset: at, message: "record too short for its types: skipped".into(), lost_events: 1 });
                continue;
            };
            scratch.clear();
            for w in arg_words {
                scratch.extend_from_slice(&w.to_le_bytes());
            }
            compact.clear();
            let slots = |i: usize| cs.args.get(i).map(|a| a.specs.len());
            if wire::transcode_args(&types, slots, &scratch, &mut compact).is_none() {
                snap.problems.push(Problem { offset: at, message: "record arguments do not match their types: skipped".into(), lost_events: 1 });
                continue;
            }
            let key = (rec.id, types);
            let (index, shape) = match signatures.get(&key) {
                Some((i, shape)) => (*i, shape),
                None => {
                    let i = snap.callsites.len() as u32;
                    let mut typed = cs.clone();
                    typed.index = i;
                    for (a, t) in typed.args.iter_mut().zip(&key.1) {
                        a.ty = *t;
                    }
                    let shape: Box<Shape> = typed.args.iter().map(|a| (a.ty, a.specs.len())).collect();
                    snap.callsites.push(Some(typed));
                    let (i, shape) = signatures.entry(key).or_insert((i, shape));
                    (*i, &*shape)
                }
            };
            let store = &mut snap.values;
            let mark = store.mark();
            let start = store.slots.len();
            let mut pos = 0;
            let decoded = args::decode(&compact, &mut pos, shape, store)
                .and_then(|()| Some(ArgRange::new(u32::try_from(start).ok()?, shape.len() as u32)));
            match decoded {
                Some(args) => {
                    snap.events.push(Event { ticks: rec.ticks(), thread, callsite: index, args, depth: 0, call: None });
                    times.push(rec.ticks());
                }
                None => {
                    store.undo(mark);
                    let e = match args::explain(&mut Reader::new(&compact, at), shape) {
                        Err(e) => e,
                        Ok(()) => WireError::malformed(at, "the snapshot holds more arguments than this decoder can index"),
                    };
                    snap.problems.push(Problem { offset: at, message: format!("record: {e}"), lost_events: 1 });
                }
            }
        }
    }
}
