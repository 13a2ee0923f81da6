//! The snapshot writer's hot loop: walks the records of a copied ring and
//! re-encodes them into EVENTS frames (the compact encoding of [`crate::wire`]).
//!
//! Per event: one probe of an open-addressing map from the record's header
//! word (callsite id and inline type tags) to an entry that packs what the
//! event needs (more, out of line, for a key that collided with another); then the signature index, the time delta and the arguments go
//! through an unchecked cursor into room made once per ring block (16 bytes
//! per word of the block, more than any event takes per word of its record).
//! Records of signatures of at most five fixed-width arguments (no `str`, no
//! formatted value) are read with one length check, their types taken from
//! the header word; the others are read with a check per argument. Anything
//! unusual (a new signature, extension words, damage, a full frame) leaves the
//! fast loop for the general one.
//!
//! The output is byte for byte what [`wire::transcode_args`] and
//! [`wire::put_varint`] make: the tests compare this module with an encoder
//! built on them, on random and damaged rings.

mod frame;
pub(crate) mod signatures;
mod sink;
mod table;
#[cfg(test)]
mod tests;
mod transcode;

use crate::buffer::{self, RingCopy};
use crate::callsite::{ArgType, Callsite};
use crate::wire::record;
use frame::Run;
use signatures::{EXT, ExtGroup, KEY_MASK, SLOW, Sig, SigMap, entry, entry_sig};
use sink::Sink;
use std::sync::Arc;
use table::{CallsiteTable, cached_table, rebuilt_table};
use transcode::{encode_event, encode_fixed};

/// Words of a ring block.
const BLOCK_WORDS: usize = (buffer::BLOCK / 8) as usize;

/// Re-encodes records: interns (callsite, types) pairs and writes EVENTS frames.
#[derive(Debug)]
pub(crate) struct Encoder {
    table: Arc<CallsiteTable>,
    /// Whether `table` was rebuilt for an id it lacked (once per snapshot).
    rebuilt: bool,
    /// Signatures, in index order.
    pub(crate) sigs: Vec<Sig>,
    map: SigMap,
    ext_groups: Vec<ExtGroup>,
}

impl Encoder {
    /// An encoder that knows the callsites registered through `inventory`.
    pub(crate) fn new() -> Encoder {
        Encoder::with_table(cached_table(), false)
    }

    /// An encoder that knows the callsites of `table` (and, with `rebuild`,
    /// looks the registered ones up when an id is missing from it).
    fn with_table(table: Arc<CallsiteTable>, rebuilt: bool) -> Encoder {
        Encoder { table, rebuilt, sigs: Vec::new(), map: SigMap::new(), ext_groups: Vec::new() }
    }

    fn callsite(&mut self, id: u32) -> Option<&'static Callsite> {
        if let Some(&cs) = self.table.get(&id) {
            return Some(cs);
        }
        if self.rebuilt {
            return None;
        }
        self.rebuilt = true;
        self.table = rebuilt_table();
        self.table.get(&id).copied()
    }

    fn intern(&mut self, cs: &'static Callsite, type_words: &[u64]) -> u32 {
        let types = (0..cs.args.len())
            .map(|i| {
                let (word, shift) = if i < record::INLINE_TAGS {
                    (type_words[0], 4 * i)
                } else {
                    let k = i - record::INLINE_TAGS;
                    (type_words[1 + k / record::TAGS_PER_WORD], 4 * (k % record::TAGS_PER_WORD))
                };
                ArgType::from_tag(((word >> shift) & 0xf) as u8).unwrap_or(ArgType::Formatted)
            })
            .collect();
        let index = self.sigs.len() as u32;
        self.sigs.push(Sig::new(index, cs, types));
        index
    }

    /// The signature of the record `rec` (whose header word is `head`) that
    /// the first probe of `map` did not give: a callsite with more than five
    /// arguments, or a new one, interned now. `None` if its callsite is unknown
    /// or the record too short for its type words.
    #[cold]
    #[inline(never)]
    fn signature_slow(&mut self, head: u64, rec: &[u64]) -> Option<u32> {
        let key = head & KEY_MASK;
        match self.map.get(key) {
            Some(e) if e & EXT == 0 => Some(entry_sig(e)),
            Some(e) => self.ext_signature(e as u32 as usize, head, rec),
            None => self.new_key(key, head, rec),
        }
    }

    fn new_key(&mut self, key: u64, head: u64, rec: &[u64]) -> Option<u32> {
        let (id, _, inline) = record::split_header(head);
        let cs = self.callsite(id)?;
        let ext_words = (record::ext_tag_bytes(cs.args.len()) / 8) as usize;
        if ext_words == 0 {
            let sig = self.intern(cs, &[inline]);
            self.map.insert(key, entry(sig, &self.sigs[sig as usize]));
            return Some(sig);
        }
        let group = self.ext_groups.len();
        self.ext_groups.push(ExtGroup { cs, ext_words, sigs: Vec::new() });
        self.map.insert(key, SLOW | EXT | group as u64);
        self.ext_signature(group, head, rec)
    }

    fn ext_signature(&mut self, group: usize, head: u64, rec: &[u64]) -> Option<u32> {
        let g = &self.ext_groups[group];
        let ext = rec.get(2..2 + g.ext_words)?;
        if let Some(&(_, sig)) = g.sigs.iter().find(|(w, _)| **w == *ext) {
            return Some(sig);
        }
        let cs = g.cs;
        let mut type_words = Vec::with_capacity(1 + ext.len());
        type_words.push(record::split_header(head).2);
        type_words.extend_from_slice(ext);
        let sig = self.intern(cs, &type_words);
        self.ext_groups[group].sigs.push((ext.into(), sig));
        Some(sig)
    }

    /// Writes the EVENTS frames of one thread straight into `out` (each frame's
    /// header and event count are filled in when it closes); returns (events
    /// written, frames, records skipped as malformed).
    pub(crate) fn thread_events(&mut self, thread: u32, copy: &RingCopy, out: &mut Vec<u8>) -> (u64, u64, u64) {
        self.thread_words(thread, &copy.words, out)
    }

    pub(crate) fn thread_words(&mut self, thread: u32, words: &[u64], out: &mut Vec<u8>) -> (u64, u64, u64) {
        let mut run = Run { thread, frame: None, count: 0, prev: 0, written: 0, frames: 0, skipped: 0 };
        let mut w = Sink::new(out);
        for block in words.chunks(BLOCK_WORDS) {
            // Room for 16 bytes per word of the block: each event takes less
            // than 16 per word of its record (see `encode_event`), so no record
            // of the block needs a check. Frames opened or closed in between
            // make the room again.
            w.make_room(16 * block.len());
            // Word 0 is the block's sequence number; records follow until a
            // pad word (length 0), the end of the block, or a record whose
            // length does not fit (the rest of the block is unreadable).
            let mut rest = block.get(1..).unwrap_or_default();
            loop {
                if run.frame.is_some() {
                    // The common case, in a loop of its own.
                    // SAFETY: the sink has room for 16 bytes per word of `rest`
                    // (made at the start of the block or after a frame was
                    // opened or closed, and each event before used less than
                    // 16 bytes per word of its record).
                    let p = unsafe {
                        fast_run(&self.sigs, &self.map, &mut rest, w.p, &mut run.prev, &mut run.count, w.limit)
                    };
                    // SAFETY: `fast_run` wrote the events up to `p`, inside the room.
                    unsafe { w.advance_to(p) };
                    if w.p as usize >= w.limit {
                        run.close(&mut w);
                        w.make_room(16 * rest.len());
                    }
                }
                // Whatever `fast_run` stopped at: the end of the block, a record
                // whose length does not fit, a signature not interned yet or
                // with extension words, bytes that do not match the types, or
                // no open frame.
                let Some(&head) = rest.first() else { break };
                let len = ((head >> 32) & 0x3ff) as usize;
                if len < 2 || len > rest.len() {
                    break;
                }
                let (rec, after) = rest.split_at(len);
                let room = 16 * rest.len();
                rest = after;
                let sig = match self.map.get(head & KEY_MASK) {
                    Some(e) if e & EXT == 0 => entry_sig(e),
                    _ => match self.signature_slow(head, rec) {
                        Some(sig) => sig,
                        None => {
                            run.skipped += 1;
                            continue;
                        }
                    },
                };
                let ts = rec[1];
                if run.frame.is_none() {
                    run.open(&mut w, ts);
                }
                // Already there unless a frame was just opened (see above):
                // one compare.
                w.make_room(room);
                let s = &self.sigs[sig as usize];
                // SAFETY: the sink has room for 16 bytes per word from this
                // record to the end of the block (just made), and `rec` holds
                // the signature's extension words: a signature with some came
                // from `ext_signature`, which found them in this record (a
                // record with the same header word and fewer words has no
                // signature there), and the others have none.
                let end = unsafe { encode_event(s, rec, ts.wrapping_sub(run.prev), w.p) };
                let Some(end) = end else {
                    run.skipped += 1;
                    continue;
                };
                // SAFETY: `encode_event` wrote the bytes up to `end`, inside
                // the room.
                unsafe { w.advance_to(end) };
                run.prev = ts;
                run.count += 1;
                if w.p as usize >= w.limit {
                    run.close(&mut w);
                    w.make_room(16 * rest.len());
                }
            }
        }
        run.close(&mut w);
        (run.written, run.frames, run.skipped)
    }
}

/// Encodes the records at the front of `rest` while they are the common case
/// (a length that fits, a signature that the first probe of `map` finds
/// without extension words, bytes that match the types), and the frame is
/// not full (the write position has not reached `limit`). Advances `rest`
/// past them, updates the time of the last event and the frame's event count,
/// and returns the new write position.
///
/// A frame must be open.
///
/// # Safety
///
/// `p` has room for 16 bytes per word of `rest`.
#[inline(never)]
unsafe fn fast_run(
    sigs: &[Sig],
    map: &SigMap,
    rest: &mut &[u64],
    mut p: *mut u8,
    prev: &mut u64,
    count: &mut u32,
    limit: usize,
) -> *mut u8 {
    let (slots, shift) = (&map.slots[..], map.shift);
    let (mut r, mut last, mut n) = (*rest, *prev, *count);
    while let Some(&head) = r.first() {
        let len = ((head >> 32) & 0x3ff) as usize;
        if len < 2 || len > r.len() {
            break;
        }
        let key = head & KEY_MASK;
        // The key's slot; the next ones (linear probing) only when keys
        // collided, which depends on where the linker put the callsites.
        let Some(&(k, e)) = slots.get(SigMap::home_of(key, shift)) else { break };
        let e = if k == key {
            e
        } else {
            match map.get_cold(key) {
                Some(e) => e,
                None => break,
            }
        };
        if e & SLOW != 0 {
            break;
        }
        let (rec, after) = r.split_at(len);
        let ts = rec[1];
        p = if len == (e >> 26 & 0x3ff) as usize {
            // SAFETY: room for 16 bytes per word of `r` (the caller's
            // contract, and each event before used less than 16 per word of
            // its record); the record has the entry's fixed length.
            unsafe { encode_fixed(e, head, rec, ts.wrapping_sub(last), p) }
        } else {
            let Some(s) = sigs.get(entry_sig(e) as usize) else { break };
            // SAFETY: room as above.
            let Some(end) = (unsafe { encode_event(s, rec, ts.wrapping_sub(last), p) }) else { break };
            end
        };
        last = ts;
        n += 1;
        r = after;
        if p as usize >= limit {
            break;
        }
    }
    (*rest, *prev, *count) = (r, last, n);
    p
}
