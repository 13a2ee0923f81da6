//! The snapshot writer's hot loop: walks the records of a copied ring and
//! re-encodes them into EVENTS frames (the compact encoding of [`crate::wire`]).
//!
//! Per event: one probe of an open-addressing map from the record's header
//! word (callsite id and inline type tags) to an entry that packs what the
//! event needs; then the signature index, the time delta and the arguments go
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

use crate::buffer::{self, RingCopy};
use crate::callsite::{ArgType, Callsite};
use crate::wire::{self, record};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, TryLockError};

/// Words of a ring block.
const BLOCK_WORDS: usize = (buffer::BLOCK / 8) as usize;

/// The bits of a record's header word that name its signature when it has at
/// most five arguments: the callsite id (bits 0..32) and the inline type tags
/// (bits 42..62). The length and the two unused top bits are masked out.
const KEY_MASK: u64 = 0x3FFF_FC00_FFFF_FFFF;

/// A key no header word can have once masked with [`KEY_MASK`] (its top bits
/// are set): marks an empty slot of [`SigMap`].
const EMPTY: u64 = u64::MAX;

/// Bit of a [`SigMap`] entry: not for [`fast_run`]. The low 32 bits are a
/// signature index, or with [`EXT`] an index into `Encoder::ext_groups`.
const SLOW: u64 = 1 << 63;

/// Bit of a [`SLOW`] entry: the callsite has more than five arguments, and its
/// signatures depend on extension words.
const EXT: u64 = 1 << 62;

/// Bytes of room an event needs: its signature index (at most 5 bytes), its
/// time delta (at most 10), at most twice its `n` argument bytes, and room
/// for the 8-byte stores that may reach 7 bytes past the last byte written
/// (see [`encode_event`]).
const fn event_bound(n: usize) -> usize {
    5 + 10 + 2 * n + 8
}

// ---------------------------------------------------------------------------
// Callsite table
// ---------------------------------------------------------------------------

/// Callsite ids to the statics registered through `inventory`.
pub(crate) type CallsiteTable = HashMap<u32, &'static Callsite, Fx>;

/// The table, built on the first snapshot and rebuilt when a snapshot meets an
/// id that is not in it (a callsite registered since, by a library loaded
/// later).
static TABLE: Mutex<Option<Arc<CallsiteTable>>> = Mutex::new(None);

fn build_table() -> CallsiteTable {
    inventory::iter::<crate::__private::Registration>
        .into_iter()
        .map(|r| (crate::write::callsite_id(r.0), r.0))
        .collect()
}

/// The cached table. Never waits: if another snapshot holds the lock (or this
/// thread does, in a panic hook), it builds a table of its own.
fn cached_table() -> Arc<CallsiteTable> {
    let mut guard = match TABLE.try_lock() {
        Ok(g) => g,
        Err(TryLockError::Poisoned(p)) => p.into_inner(),
        Err(TryLockError::WouldBlock) => return Arc::new(build_table()),
    };
    guard.get_or_insert_with(|| Arc::new(build_table())).clone()
}

/// A table built now, which replaces the cached one.
fn rebuilt_table() -> Arc<CallsiteTable> {
    let table = Arc::new(build_table());
    match TABLE.try_lock() {
        Ok(mut g) => *g = Some(table.clone()),
        Err(TryLockError::Poisoned(p)) => *p.into_inner() = Some(table.clone()),
        Err(TryLockError::WouldBlock) => {}
    }
    table
}

/// A fast hash for the encoder's small integer keys (multiply and rotate, as
/// in rustc's FxHash): SipHash's resistance to chosen keys buys nothing for
/// callsite ids.
pub(crate) type Fx = std::hash::BuildHasherDefault<FxHasher>;

#[derive(Default, Clone, Copy)]
pub(crate) struct FxHasher(u64);

impl FxHasher {
    #[inline]
    fn add(&mut self, v: u64) {
        self.0 = (self.0.rotate_left(5) ^ v).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

impl std::hash::Hasher for FxHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut a = [0u8; 8];
            a[..chunk.len()].copy_from_slice(chunk);
            self.add(u64::from_le_bytes(a));
        }
    }
    #[inline]
    fn write_u32(&mut self, v: u32) {
        self.add(v as u64);
    }
    #[inline]
    fn write_u64(&mut self, v: u64) {
        self.add(v);
    }
    #[inline]
    fn write_usize(&mut self, v: usize) {
        self.add(v as u64);
    }
    #[inline]
    fn finish(&self) -> u64 {
        self.0
    }
}

// ---------------------------------------------------------------------------
// Signatures
// ---------------------------------------------------------------------------

/// Arguments a signature of fixed-width arguments may have for its events to
/// take the fixed path of [`encode_event`].
const FIXED_MAX: usize = 12;

/// An interned (callsite, concrete argument types) pair, with what encoding
/// its events needs.
#[derive(Debug)]
pub(crate) struct Sig {
    /// The signature's index as a varint, in the low bytes (little-endian).
    code: u64,
    /// Bytes of `code`.
    code_len: usize,
    /// The record length in words when there are at most [`FIXED_MAX`]
    /// arguments, all of fixed width; 0 otherwise.
    fixed_words: usize,
    /// Extension words of type tags after the timestamp.
    ext_words: usize,
    /// The argument types, when `fixed_words` is not 0 (the first `types.len()`).
    fixed: [ArgType; FIXED_MAX],
    pub(crate) cs: &'static Callsite,
    pub(crate) types: Vec<ArgType>,
}

impl Sig {
    fn new(index: u32, cs: &'static Callsite, types: Vec<ArgType>) -> Sig {
        let mut code_bytes = Vec::with_capacity(5);
        wire::put_varint(&mut code_bytes, index as u64);
        let mut code = [0u8; 8];
        code[..code_bytes.len()].copy_from_slice(&code_bytes);
        let ext_words = (record::ext_tag_bytes(types.len()) / 8) as usize;
        let mut fixed = [ArgType::U8; FIXED_MAX];
        let fixed_words = match types.iter().map(|&t| fixed_width(t)).sum::<Option<usize>>() {
            Some(bytes) if types.len() <= FIXED_MAX => {
                fixed[..types.len()].copy_from_slice(&types);
                2 + ext_words + bytes.div_ceil(8)
            }
            _ => 0,
        };
        Sig { code: u64::from_le_bytes(code), code_len: code_bytes.len(), fixed_words, ext_words, fixed, cs, types }
    }
}

/// Bytes a value of type `t` takes in a record, if that does not depend on the
/// value.
const fn fixed_width(t: ArgType) -> Option<usize> {
    Some(match t {
        ArgType::U8 | ArgType::I8 | ArgType::Bool => 1,
        ArgType::U16 | ArgType::I16 => 2,
        ArgType::U32 | ArgType::I32 | ArgType::F32 | ArgType::Char => 4,
        ArgType::U64 | ArgType::I64 | ArgType::F64 => 8,
        ArgType::U128 | ArgType::I128 => 16,
        ArgType::Str | ArgType::Formatted => return None,
    })
}

/// Open addressing from masked header words to signatures (or, with [`EXT`],
/// to a group of signatures of one callsite with more than five arguments).
/// Linear probing, at most half full: unlike a direct-mapped cache, callsites
/// whose keys collide do not evict each other.
#[derive(Debug)]
struct SigMap {
    slots: Vec<(u64, u64)>,
    len: usize,
    shift: u32,
}

impl SigMap {
    fn new() -> SigMap {
        SigMap { slots: vec![(EMPTY, 0); 64], len: 0, shift: 64 - 6 }
    }

    #[inline(always)]
    fn home(&self, key: u64) -> usize {
        SigMap::home_of(key, self.shift)
    }

    /// The first slot to probe for `key` in a map of `1 << (64 - shift)` slots.
    #[inline(always)]
    fn home_of(key: u64, shift: u32) -> usize {
        (key.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> shift) as usize
    }

    #[inline(always)]
    fn get(&self, key: u64) -> Option<u64> {
        let mask = self.slots.len() - 1;
        let mut i = self.home(key);
        loop {
            let (k, v) = self.slots[i];
            if k == key {
                return Some(v);
            }
            if k == EMPTY {
                return None;
            }
            i = (i + 1) & mask;
        }
    }

    /// Adds a key that is not in the map.
    fn insert(&mut self, key: u64, value: u64) {
        debug_assert!(key != EMPTY && self.get(key).is_none());
        if 2 * (self.len + 1) > self.slots.len() {
            let bigger = vec![(EMPTY, 0); 2 * self.slots.len()];
            let old = std::mem::replace(&mut self.slots, bigger);
            self.shift -= 1;
            self.len = 0;
            for (k, v) in old {
                if k != EMPTY {
                    self.insert(k, v);
                }
            }
        }
        let mask = self.slots.len() - 1;
        let mut i = self.home(key);
        while self.slots[i].0 != EMPTY {
            i = (i + 1) & mask;
        }
        self.slots[i] = (key, value);
        self.len += 1;
    }
}

/// The [`SigMap`] entry of signature `index`. For [`fast_run`] it packs what
/// the events of signatures of at most five arguments need, so that it reads
/// no [`Sig`] for those of fixed-width arguments:
///
/// ```text
///  bits  0..24  the index as a varint (at most 3 bytes: indexes below 1 << 21)
///  bits 24..26  its length in bytes
///  bits 26..36  `fixed_words` (0: some argument has no fixed width)
///  bits 36..39  the number of arguments (their types are the record's inline tags)
///  bits 39..61  the index
/// ```
///
/// Other signatures get [`SLOW`] and the index.
fn entry(index: u32, s: &Sig) -> u64 {
    if index < 1 << 21 && s.types.len() <= record::INLINE_TAGS {
        debug_assert!(s.code_len <= 3 && s.code < 1 << 24 && s.fixed_words < 1 << 10 && s.ext_words == 0);
        s.code | (s.code_len as u64) << 24 | (s.fixed_words as u64) << 26 | (s.types.len() as u64) << 36 | (index as u64) << 39
    } else {
        SLOW | index as u64
    }
}

/// The signature index of an [`entry`] (not an [`EXT`] one).
#[inline(always)]
fn entry_sig(e: u64) -> u32 {
    debug_assert!(e & EXT == 0);
    if e & SLOW == 0 { (e >> 39 & 0x3F_FFFF) as u32 } else { e as u32 }
}

/// The signatures of one callsite with more than five arguments, told apart by
/// their extension words.
#[derive(Debug)]
struct ExtGroup {
    cs: &'static Callsite,
    ext_words: usize,
    sigs: Vec<(Box<[u64]>, u32)>,
}

// ---------------------------------------------------------------------------
// The encoder
// ---------------------------------------------------------------------------

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
        Encoder {
            table,
            rebuilt,
            sigs: Vec::new(),
            map: SigMap::new(),
            ext_groups: Vec::new(),
        }
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

    fn thread_words(&mut self, thread: u32, words: &[u64], out: &mut Vec<u8>) -> (u64, u64, u64) {
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
        let Some(&(k, e)) = slots.get(SigMap::home_of(key, shift)) else { break };
        if k != key || e & SLOW != 0 {
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

/// The state of [`Encoder::thread_words`].
#[derive(Debug)]
struct Run {
    thread: u32,
    /// The open frame.
    frame: Option<Frame>,
    /// Events in the open frame.
    count: u32,
    /// Time of the last event.
    prev: u64,
    written: u64,
    frames: u64,
    skipped: u64,
}

impl Run {
    /// Opens a frame whose base time is `ts`.
    #[cold]
    #[inline(never)]
    fn open(&mut self, w: &mut Sink<'_>, ts: u64) {
        let f = w.with_vec(|out| Frame::open(out, self.thread, ts));
        self.frame = Some(f);
        self.count = 0;
        self.prev = ts;
        w.set_limit(f.start + wire::EVENTS_FRAME_TARGET);
    }

    /// Closes the open frame, if any.
    #[cold]
    #[inline(never)]
    fn close(&mut self, w: &mut Sink<'_>) {
        let count = self.count;
        self.frames += w.with_vec(|out| Frame::close(out, self.frame.take(), count));
        self.written += count as u64;
        self.count = 0;
        w.set_limit(usize::MAX);
    }
}

/// An EVENTS frame being written in place.
#[derive(Clone, Copy, Debug)]
struct Frame {
    /// Offset of its header in the output.
    start: usize,
    /// Offset of its event count.
    count_at: usize,
}

impl Frame {
    /// Writes the header (filled in by `close`), the thread, a room for the
    /// count and the base timestamp.
    fn open(out: &mut Vec<u8>, thread: u32, ts: u64) -> Frame {
        let start = out.len();
        out.extend_from_slice(&[0; wire::FRAME_HEADER_LEN]);
        wire::put_varint(out, thread as u64);
        let count_at = out.len();
        out.extend_from_slice(&[0; 4]);
        wire::put_varint(out, ts);
        Frame { start, count_at }
    }

    /// Fills in the header and event count of a frame; removes it if it holds
    /// no event. Returns the number of frames closed.
    fn close(out: &mut Vec<u8>, frame: Option<Frame>, count: u32) -> u64 {
        let Some(Frame { start, count_at }) = frame else { return 0 };
        if count == 0 {
            out.truncate(start);
            return 0;
        }
        out[count_at..count_at + 4].copy_from_slice(&count.to_le_bytes());
        let payload = &out[start + wire::FRAME_HEADER_LEN..];
        let crc = wire::frame_crc(wire::kind::EVENTS, payload);
        let header = wire::frame_header(wire::kind::EVENTS, payload.len() as u32, crc);
        out[start..start + wire::FRAME_HEADER_LEN].copy_from_slice(&header);
        1
    }
}

/// Appends to a vector through a pointer into its spare capacity: the vector's
/// length catches up when the vector itself is needed ([`Sink::with_vec`]) and
/// at the end.
struct Sink<'a> {
    out: &'a mut Vec<u8>,
    /// `out`'s buffer plus its length.
    base: *mut u8,
    /// Where the next byte goes: between `base` and `end`. The bytes before
    /// it are initialised.
    p: *mut u8,
    /// `out`'s buffer plus its capacity.
    end: *mut u8,
    /// The address at which the open frame is full (`usize::MAX` if none is).
    limit: usize,
    /// The offset of `limit` in `out` (`usize::MAX` if no frame is open).
    limit_at: usize,
}

impl<'a> Sink<'a> {
    fn new(out: &'a mut Vec<u8>) -> Sink<'a> {
        let mut s = Sink {
            base: core::ptr::null_mut(),
            p: core::ptr::null_mut(),
            end: core::ptr::null_mut(),
            limit: usize::MAX,
            limit_at: usize::MAX,
            out,
        };
        s.refresh();
        s
    }

    /// Points `p` and `end` at the vector's length and capacity.
    fn refresh(&mut self) {
        let spare = self.out.spare_capacity_mut().as_mut_ptr_range();
        self.base = spare.start.cast();
        self.p = self.base;
        self.end = spare.end.cast();
        self.set_limit(self.limit_at);
    }

    /// Sets `limit` to the address of offset `at` of `out`'s buffer
    /// (`usize::MAX` for `usize::MAX`).
    fn set_limit(&mut self, at: usize) {
        self.limit_at = at;
        self.limit = if at == usize::MAX { at } else { (self.out.as_ptr() as usize).saturating_add(at) };
    }

    /// Bytes that can be written at `p`.
    #[inline(always)]
    fn room(&self) -> usize {
        // SAFETY: `p` and `end` point into the same buffer, `p <= end`.
        unsafe { self.end.offset_from_unsigned(self.p) }
    }

    /// Bytes written through `p` since the vector's length was last set.
    #[inline(always)]
    fn written(&self) -> usize {
        // SAFETY: `base` and `p` point into the buffer of `out`, `base <= p`.
        unsafe { self.p.offset_from_unsigned(self.base) }
    }

    /// Sets the vector's length to the bytes written, lets `f` use it, and
    /// points the sink at its end again.
    fn with_vec<T>(&mut self, f: impl FnOnce(&mut Vec<u8>) -> T) -> T {
        let n = self.written();
        // SAFETY: the `n` bytes after the vector's length are initialised
        // (see `p`), and within its capacity.
        unsafe { self.out.set_len(self.out.len() + n) };
        let r = f(self.out);
        self.refresh();
        r
    }

    /// Makes sure that `n` bytes can be written at `p`.
    #[inline(always)]
    fn make_room(&mut self, n: usize) {
        if self.room() < n {
            self.grow(n);
        }
    }

    #[cold]
    #[inline(never)]
    fn grow(&mut self, n: usize) {
        self.with_vec(|out| out.reserve(n));
    }

    /// Moves `p` to `end`, after the bytes written there.
    ///
    /// # Safety
    ///
    /// `end` is `p` or after it, within the room made, and the bytes in between
    /// are initialised.
    #[inline(always)]
    unsafe fn advance_to(&mut self, end: *mut u8) {
        debug_assert!(end >= self.p && end <= self.end);
        self.p = end;
    }
}

impl Drop for Sink<'_> {
    fn drop(&mut self) {
        self.with_vec(|_| ());
    }
}

// ---------------------------------------------------------------------------
// Events
// ---------------------------------------------------------------------------

/// Encodes one event of signature `s` whose record is `rec`: its index,
/// `delta` and its arguments, at `p`. Returns the end of the bytes written, or
/// `None` if the record's bytes do not match the types (the event is then not
/// written: what lies after `p` is garbage).
///
/// # Safety
///
/// `p` is writable for `16 * rec.len()` bytes, and `rec` holds at least the
/// two header words and the signature's extension words.
///
/// # Why that is enough
///
/// The arguments take at most `n = 8 * (rec.len() - 2)` bytes of the record,
/// and the event at most `event_bound(n) = 16 * rec.len() - 9` bytes:
/// the index takes at most 5 bytes and the delta at most 10. Each argument
/// writes at most twice the bytes it reads: a fixed-width value of `w` bytes at
/// most `2w` (a `u16` 3 bytes, a `u32` 5, a `u64` 10, a `u128` 19); a string's
/// 2-byte length at most 3, its 4-byte cut count at most 5, its `n` bytes `n`
/// (its padding nothing); a formatted text of `n` bytes and its one-byte end
/// marker at most `n + 2` (the length `2n + 1` takes at most `n + 1` bytes),
/// and its 4-byte cut count at most 5. Reads never go past the record. Stores
/// of 8 bytes (or a string copied a word at a time) reach at most 7 bytes past
/// the position they advance to. So the event advances at most
/// `16 * rec.len() - 17` bytes and stores below `16 * rec.len() - 9`. Debug
/// builds check every store.
#[inline(always)]
unsafe fn encode_event(s: &Sig, rec: &[u64], delta: u64, p: *mut u8) -> Option<*mut u8> {
    debug_assert!(rec.len() >= 2 + s.ext_words);
    // SAFETY: the caller's contract (the record holds the extension words).
    let words = unsafe { rec.get_unchecked(2 + s.ext_words..) };
    #[cfg(not(target_endian = "little"))]
    let scratch = le_bytes(words);
    #[cfg(not(target_endian = "little"))]
    let args = &scratch[..];
    #[cfg(target_endian = "little")]
    let args = le_bytes(words);
    // SAFETY: `p` has room for `16 * rec.len() >= event_bound(args.len())`
    // bytes (the caller's contract). Every store below through `w` stays
    // within `event_bound(args.len())` (see above).
    let mut w = unsafe { Raw::new(p, event_bound(args.len())) };
    // SAFETY: as above.
    unsafe {
        w.word(s.code, s.code_len);
        w.varint(delta);
    }
    if rec.len() == s.fixed_words {
        // The record has the length that holds every argument of this
        // signature of fixed-width arguments.
        let types = &s.fixed[..s.types.len().min(FIXED_MAX)];
        debug_assert!(types.iter().map(|&t| fixed_width(t).unwrap_or(usize::MAX)).sum::<usize>() <= args.len());
        let mut at = 0;
        for &ty in types {
            // SAFETY: `args` holds the fixed widths of all the arguments: `at`
            // plus the width of `ty` is at most their sum. Stores: as above.
            at += unsafe { fixed_arg(&mut w, ty, args.as_ptr().add(at)) };
        }
        Some(w.p)
    } else {
        // SAFETY: `w` has room for `event_bound(args.len())` bytes, of which
        // the index and delta took at most 15: twice `args.len()` plus 8 are
        // left.
        unsafe { encode_args(&s.types, s.cs, args, w) }
    }
}

/// [`encode_event`] for a record whose [`SigMap`] entry `e` (not [`SLOW`]) says
/// that it has the fixed length of a signature of at most five fixed-width
/// arguments: their types are the header word `head`'s inline tags.
///
/// # Safety
///
/// `p` is writable for `16 * rec.len()` bytes; `rec` has the entry's fixed
/// length, and its header word is `head`.
#[inline(always)]
unsafe fn encode_fixed(e: u64, head: u64, rec: &[u64], delta: u64, p: *mut u8) -> *mut u8 {
    debug_assert!(e & SLOW == 0 && rec.len() == (e >> 26 & 0x3ff) as usize && rec.first() == Some(&head));
    // SAFETY: `p` has room for `16 * rec.len()` bytes (the caller's
    // contract), more than the event can take (see `encode_event`).
    let mut w = unsafe { Raw::new(p, 16 * rec.len()) };
    let args = le_bytes(rec.get(2..).unwrap_or_default());
    // SAFETY: as above.
    unsafe {
        w.word(e & 0xFF_FFFF, (e >> 24 & 3) as usize);
        w.varint(delta);
    }
    let mut tags = head >> 42;
    let mut at = 0;
    for _ in 0..e >> 36 & 7 {
        let ty = ArgType::from_tag((tags & 0xf) as u8).unwrap_or(ArgType::U8);
        tags >>= 4;
        // SAFETY: the record's fixed length holds the fixed widths of all the
        // arguments (the tags are those the entry's signature was made from,
        // none `Str` or `Formatted`): `at` plus the width of `ty` is at most
        // their sum. Stores: as above.
        at += unsafe { fixed_arg(&mut w, ty, args.as_ptr().add(at)) };
    }
    w.p
}

/// Encodes the value of fixed-width type `ty` (not `Str` nor `Formatted`) whose
/// bytes start at `src`; returns its width.
///
/// # Safety
///
/// `src` is readable for the type's width, and `w` has room for twice that
/// width plus 8 bytes.
#[inline(always)]
unsafe fn fixed_arg(w: &mut Raw, ty: ArgType, src: *const u8) -> usize {
    // SAFETY: the caller's contract: reads of the type's width at `src` (as
    // unaligned integers), writes within twice that width plus 8 bytes.
    unsafe {
        let rd16 = || u16::from_le(src.cast::<u16>().read_unaligned());
        let rd32 = || u32::from_le(src.cast::<u32>().read_unaligned());
        let rd64 = || u64::from_le(src.cast::<u64>().read_unaligned());
        let rd128 = || u128::from_le(src.cast::<u128>().read_unaligned());
        match ty {
            ArgType::U8 | ArgType::Bool => {
                w.byte(*src);
                1
            }
            ArgType::U16 => {
                w.varint(rd16() as u64);
                2
            }
            ArgType::U32 | ArgType::Char => {
                w.varint(rd32() as u64);
                4
            }
            ArgType::U64 => {
                w.varint(rd64());
                8
            }
            ArgType::U128 => {
                w.varint128(rd128());
                16
            }
            ArgType::I8 => {
                w.varint(wire::zigzag(*src as i8 as i64));
                1
            }
            ArgType::I16 => {
                w.varint(wire::zigzag(rd16() as i16 as i64));
                2
            }
            ArgType::I32 => {
                w.varint(wire::zigzag(rd32() as i32 as i64));
                4
            }
            ArgType::I64 => {
                w.varint(wire::zigzag(rd64() as i64));
                8
            }
            ArgType::I128 => {
                w.varint128(wire::zigzag128(rd128() as i128));
                16
            }
            ArgType::F32 => {
                w.word(rd32() as u64, 4);
                4
            }
            ArgType::F64 => {
                w.word(rd64(), 8);
                8
            }
            ArgType::Str | ArgType::Formatted => unreachable!("no fixed width"),
        }
    }
}

/// [`wire::transcode_args`] with reads checked per argument and stores into
/// `w` unchecked; returns the end of the bytes written, or `None` where
/// `transcode_args` returns `None`.
///
/// # Safety
///
/// `w` has room for twice `b.len()` plus 8 bytes (see [`encode_event`]).
#[inline(never)]
unsafe fn encode_args(types: &[ArgType], cs: &Callsite, b: &[u8], mut w: Raw) -> Option<*mut u8> {
    /// The `N` bytes at `*at`, advancing it.
    #[inline(always)]
    fn take<const N: usize>(b: &[u8], at: &mut usize) -> Option<[u8; N]> {
        let v = b.get(*at..*at + N)?.try_into().ok()?;
        *at += N;
        Some(v)
    }
    let mut at = 0;
    for (i, &ty) in types.iter().enumerate() {
        match ty {
            ArgType::Str => {
                let head = u16::from_le_bytes(take(b, &mut at)?) as usize;
                let cut = if head & 0x8000 != 0 { u32::from_le_bytes(take(b, &mut at)?) as u64 } else { 0 };
                let n = head & 0x7fff;
                // The bytes start at the next word boundary.
                at = at.next_multiple_of(8);
                let s = b.get(at..at + n)?;
                // SAFETY: room as `encode_event` documents: 3 bytes for the 2
                // read, 5 for the 4 of the cut count, `n` (plus at most 7 past
                // the end, for the copy by words) for the `n` bytes.
                unsafe {
                    w.varint((n as u64) << 1 | (cut != 0) as u64);
                    if cut != 0 {
                        w.varint(cut);
                    }
                    match b.get(at..at + n.next_multiple_of(8)) {
                        Some(words) => w.words(words, n),
                        None => w.bytes(s),
                    }
                }
                at += n;
            }
            ArgType::Formatted => {
                for _ in 0..cs.args.get(i).map(|a| a.specs.len())? {
                    let end = b.get(at..)?.iter().position(|&c| c >= 0xFE)?;
                    let s = &b[at..at + end];
                    at += end;
                    let marker = take::<1>(b, &mut at)?[0];
                    let cut = if marker == 0xFE { u32::from_le_bytes(take(b, &mut at)?) as u64 } else { 0 };
                    // SAFETY: room as `encode_event` documents: `n + 2` for
                    // the `n + 1` bytes of text and marker, 5 for the 4 of the
                    // cut count.
                    unsafe {
                        w.varint((s.len() as u64) << 1 | (cut != 0) as u64);
                        if cut != 0 {
                            w.varint(cut);
                        }
                        w.bytes(s);
                    }
                }
            }
            _ => {
                let width = fixed_width(ty).unwrap_or(0);
                let src = b.get(at..at + width)?;
                // SAFETY: `src` holds the type's width; room as
                // `encode_event` documents.
                at += unsafe { fixed_arg(&mut w, ty, src.as_ptr()) };
            }
        }
    }
    Some(w.p)
}

/// A write position in memory that the caller made room in: stores are not
/// checked, except in debug builds.
struct Raw {
    p: *mut u8,
    /// The end of the room (debug builds check every store against it).
    #[cfg(debug_assertions)]
    end: *mut u8,
}

impl Raw {
    /// Writes at `p`.
    ///
    /// # Safety
    ///
    /// `p` is writable for `room` bytes.
    #[inline(always)]
    unsafe fn new(p: *mut u8, room: usize) -> Raw {
        #[cfg(not(debug_assertions))]
        let _ = room;
        Raw {
            p,
            // SAFETY: the caller's contract: `p + room` is in (or one past) the
            // same allocation.
            #[cfg(debug_assertions)]
            end: unsafe { p.add(room) },
        }
    }

    #[inline(always)]
    fn check(&self, n: usize) {
        #[cfg(debug_assertions)]
        // SAFETY: `p` and `end` point into the same room, `p <= end`.
        assert!(unsafe { self.end.offset_from_unsigned(self.p) } >= n, "a store past the room made for an event");
        #[cfg(not(debug_assertions))]
        let _ = n;
    }

    /// Appends one byte.
    ///
    /// # Safety
    ///
    /// Room for 1 byte.
    #[inline(always)]
    unsafe fn byte(&mut self, b: u8) {
        self.check(1);
        // SAFETY: room for 1 byte (the caller's contract).
        unsafe {
            self.p.write(b);
            self.p = self.p.add(1);
        }
    }

    /// Stores `v`'s 8 bytes (little-endian) and keeps its first `n`.
    ///
    /// # Safety
    ///
    /// Room for 8 bytes; `n <= 8`.
    #[inline(always)]
    unsafe fn word(&mut self, v: u64, n: usize) {
        self.check(8);
        debug_assert!(n <= 8);
        // SAFETY: room for 8 bytes (the caller's contract); an unaligned store.
        unsafe {
            self.p.cast::<u64>().write_unaligned(v.to_le());
            self.p = self.p.add(n);
        }
    }

    /// Appends `bytes`.
    ///
    /// # Safety
    ///
    /// Room for `bytes.len()` bytes, which do not overlap it.
    #[inline(always)]
    unsafe fn bytes(&mut self, bytes: &[u8]) {
        self.check(bytes.len());
        // SAFETY: room for the bytes (the caller's contract).
        unsafe {
            core::ptr::copy_nonoverlapping(bytes.as_ptr(), self.p, bytes.len());
            self.p = self.p.add(bytes.len());
        }
    }

    /// Appends the first `n` bytes of `words` (whose length is `n` rounded up
    /// to a multiple of 8), copying whole words.
    ///
    /// # Safety
    ///
    /// Room for `words.len()` bytes, which do not overlap it.
    #[inline(always)]
    unsafe fn words(&mut self, words: &[u8], n: usize) {
        self.check(words.len());
        debug_assert!(words.len() == n.next_multiple_of(8));
        let n = n.min(words.len());
        for (k, chunk) in words.chunks_exact(8).enumerate() {
            let v = u64::from_ne_bytes(chunk.try_into().unwrap_or([0; 8]));
            // SAFETY: room for `words.len()` bytes (the caller's contract),
            // of which this store writes bytes `8k..8k + 8`.
            unsafe { self.p.add(8 * k).cast::<u64>().write_unaligned(v) };
        }
        // SAFETY: `n <= words.len()`, within the room.
        self.p = unsafe { self.p.add(n) };
    }

    /// Appends `v` as unsigned LEB128: one branch for up to two bytes, one for
    /// three or four, a branch-free spreading of 7-bit groups beyond.
    ///
    /// # Safety
    ///
    /// Room for 10 bytes, or for 8 if `v < 1 << 56`.
    #[inline(always)]
    unsafe fn varint(&mut self, v: u64) {
        // SAFETY: the caller's contract.
        unsafe {
            if v < 1 << 14 {
                // One or two bytes, without a branch between them: time deltas
                // and small values mix both.
                let two = (v >= 0x80) as u64;
                self.word(v & 0x7f | two << 7 | (v >> 7) << 8, 1 + two as usize);
            } else if v < 1 << 28 {
                // Three or four bytes: two steps of spreading suffice.
                let x = (v & 0x3FFF) | (v & 0x0FFF_C000) << 2;
                let x = (x & 0x007F_007F) | (x & 0x3F80_3F80) << 1;
                if v < 1 << 21 {
                    self.word(x | 0x8080, 3);
                } else {
                    self.word(x | 0x80_8080, 4);
                }
            } else {
                self.varint_long(v);
            }
        }
    }

    /// [`Raw::varint`] of `v >= 1 << 28`.
    ///
    /// # Safety
    ///
    /// As [`Raw::varint`].
    #[inline]
    unsafe fn varint_long(&mut self, v: u64) {
        const CONTINUE: u64 = 0x8080_8080_8080_8080;
        let x = spread7(v & ((1 << 56) - 1));
        // SAFETY: the caller's contract: 8 bytes, then at most 2 more.
        unsafe {
            if v < 1 << 56 {
                // Bytes: ceil(significant bits / 7), 5 to 8 here.
                let n = (70 - v.leading_zeros() as usize) / 7;
                self.word(x | (CONTINUE & ((1 << (8 * (n - 1))) - 1)), n);
            } else {
                self.word(x | CONTINUE, 8);
                let hi = v >> 56;
                if hi < 0x80 {
                    self.byte(hi as u8);
                } else {
                    self.byte(hi as u8 | 0x80);
                    self.byte((hi >> 7) as u8);
                }
            }
        }
    }

    /// Appends a `u128` as unsigned LEB128.
    ///
    /// # Safety
    ///
    /// Room for 19 bytes.
    #[inline(always)]
    unsafe fn varint128(&mut self, v: u128) {
        // SAFETY: the caller's contract: at most 10 bytes for the low 64 bits
        // (or 9 and the rest), then at most 9 more.
        unsafe {
            if v >> 64 == 0 {
                self.varint(v as u64);
            } else {
                self.varint128_long(v);
            }
        }
    }

    #[inline(never)]
    #[cold]
    unsafe fn varint128_long(&mut self, mut v: u128) {
        // SAFETY: the caller's contract: at most 19 bytes.
        unsafe {
            while v >= 0x80 {
                self.byte(v as u8 | 0x80);
                v >>= 7;
            }
            self.byte(v as u8);
        }
    }
}

/// Moves the 7-bit groups of `v < 1 << 56` into the low 7 bits of successive
/// bytes.
#[inline(always)]
const fn spread7(v: u64) -> u64 {
    let v = (v & 0x0000_0000_0FFF_FFFF) | (v & 0x00FF_FFFF_F000_0000) << 4;
    let v = (v & 0x0000_3FFF_0000_3FFF) | (v & 0x0FFF_C000_0FFF_C000) << 2;
    (v & 0x007F_007F_007F_007F) | (v & 0x3F80_3F80_3F80_3F80) << 1
}

/// The bytes of ring words, in the ring's (little-endian) byte order.
#[cfg(target_endian = "little")]
#[inline(always)]
fn le_bytes(words: &[u64]) -> &[u8] {
    // SAFETY: `u64` has no padding and `u8` no alignment requirement; on a
    // little-endian target the in-memory bytes are the record's bytes.
    unsafe { core::slice::from_raw_parts(words.as_ptr().cast::<u8>(), words.len() * 8) }
}

/// The bytes of ring words, in the ring's (little-endian) byte order.
#[cfg(not(target_endian = "little"))]
fn le_bytes(words: &[u64]) -> Vec<u8> {
    words.iter().flat_map(|w| w.to_le_bytes()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::callsite::{ArgMeta, ArgRole, CallsiteKind, Spec};
    use crate::level::Level;
    use crate::wire::record::header_word;

    /// splitmix64: deterministic test data without a dependency.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        }

        fn below(&mut self, n: u64) -> u64 {
            self.next() % n
        }

        /// A value with a random number of significant bits (so that every
        /// varint length comes up).
        fn bits(&mut self) -> u64 {
            let b = self.below(65) as u32;
            if b == 0 { 0 } else { self.next() >> (64 - b) }
        }
    }

    fn callsite(nargs: usize, slots: &[usize]) -> &'static Callsite {
        let args: Vec<ArgMeta> = (0..nargs)
            .map(|i| ArgMeta {
                name: "a",
                role: ArgRole::Positional,
                specs: Box::leak(vec![Spec::DISPLAY; slots.get(i).copied().unwrap_or(1)].into_boxed_slice()),
            })
            .collect();
        Box::leak(Box::new(Callsite {
            level: Level::Info,
            kind: CallsiteKind::Event,
            name: "test",
            target: "test",
            file: "encode.rs",
            line: 1,
            pieces: &[],
            args: Box::leak(args.into_boxed_slice()),
        }))
    }

    /// The argument bytes of a record as the macros write them.
    fn arg_bytes(rng: &mut Rng, types: &[ArgType], slots: &[usize]) -> Vec<u8> {
        let mut b = Vec::new();
        for (i, &t) in types.iter().enumerate() {
            let v = rng.bits();
            match t {
                ArgType::Str => {
                    let max = if rng.below(4) == 0 { 300 } else { 40 };
                    let n = rng.below(max) as usize;
                    let cut = if rng.below(3) == 0 { rng.bits() as u32 } else { 0 };
                    b.extend_from_slice(&((n as u16) | if cut != 0 { 0x8000 } else { 0 }).to_le_bytes());
                    if cut != 0 {
                        b.extend_from_slice(&cut.to_le_bytes());
                    }
                    b.resize(b.len().next_multiple_of(8), 0);
                    b.extend((0..n).map(|_| b'a' + rng.below(26) as u8));
                }
                ArgType::Formatted => {
                    for _ in 0..slots[i] {
                        let n = rng.below(30) as usize;
                        b.extend((0..n).map(|_| b' ' + rng.below(90) as u8));
                        if rng.below(3) == 0 {
                            b.push(0xFE);
                            b.extend_from_slice(&(rng.bits() as u32).to_le_bytes());
                        } else {
                            b.push(0xFF);
                        }
                    }
                }
                _ => b.extend_from_slice(&v.to_le_bytes()[..fixed_width(t).unwrap_or(0).min(8)]),
            }
            if matches!(t, ArgType::U128 | ArgType::I128) {
                b.extend_from_slice(&rng.next().to_le_bytes());
            }
        }
        b
    }

    /// A record of callsite `id` with these types, timestamp `ts`.
    fn record(rng: &mut Rng, id: u32, types: &[ArgType], slots: &[usize], ts: u64) -> Vec<u64> {
        let tags: Vec<u64> = types.iter().map(|&t| t as u64).collect();
        let inline = tags.iter().take(record::INLINE_TAGS).enumerate().fold(0, |a, (i, t)| a | t << (4 * i));
        let mut ext = vec![0u64; (record::ext_tag_bytes(types.len()) / 8) as usize];
        for (k, t) in tags.iter().skip(record::INLINE_TAGS).enumerate() {
            ext[k / record::TAGS_PER_WORD] |= t << (4 * (k % record::TAGS_PER_WORD));
        }
        let mut bytes = arg_bytes(rng, types, slots);
        bytes.resize(bytes.len().next_multiple_of(8), 0);
        let mut words = vec![0, ts];
        words.extend_from_slice(&ext);
        words.extend(bytes.chunks(8).map(|c| u64::from_le_bytes(c.try_into().unwrap())));
        words[0] = header_word(id, words.len() as u64, inline);
        words
    }

    /// Records packed into blocks as a ring holds them.
    fn ring(records: &[Vec<u64>]) -> Vec<u64> {
        let mut words = Vec::new();
        for (seq, r) in records.iter().enumerate() {
            let used = words.len() % BLOCK_WORDS;
            if used == 0 || used + r.len() > BLOCK_WORDS {
                if used != 0 {
                    words.push(0);
                    words.resize(words.len().next_multiple_of(BLOCK_WORDS), 0xDEAD);
                }
                words.push(seq as u64);
            }
            words.extend_from_slice(r);
        }
        words
    }

    /// The encoder this module replaces, kept as the reference: the generic
    /// `wire` functions, a `Vec`, a hash map per lookup.
    struct Reference {
        table: Arc<CallsiteTable>,
        signatures: Vec<(&'static Callsite, Vec<ArgType>)>,
        index: HashMap<(u32, Vec<u64>), u32>,
    }

    impl Reference {
        fn signature(&mut self, id: u32, type_words: &[u64]) -> Option<u32> {
            if let Some(&i) = self.index.get(&(id, type_words.to_vec())) {
                return Some(i);
            }
            let cs = *self.table.get(&id)?;
            let types = (0..cs.args.len())
                .map(|i| {
                    let (word, shift) = if i < record::INLINE_TAGS {
                        (type_words[0], 4 * i)
                    } else {
                        let k = i - record::INLINE_TAGS;
                        (type_words[1 + k / record::TAGS_PER_WORD], 4 * (k % record::TAGS_PER_WORD))
                    };
                    ArgType::from_tag(((word >> shift) & 0xf) as u8).unwrap()
                })
                .collect();
            let idx = self.signatures.len() as u32;
            self.signatures.push((cs, types));
            self.index.insert((id, type_words.to_vec()), idx);
            Some(idx)
        }

        fn thread_events(&mut self, thread: u32, words: &[u64], out: &mut Vec<u8>) -> (u64, u64, u64) {
            let (mut written, mut frames, mut skipped) = (0, 0, 0);
            let mut frame: Option<(usize, usize, u32)> = None;
            let mut prev = 0u64;
            for block in record::blocks(words, BLOCK_WORDS) {
                for rec in block.records().map_while(Result::ok) {
                    let words = rec.words;
                    let (id, _, inline) = record::split_header(words[0]);
                    let ts = words[1];
                    let nargs = self.table.get(&id).map_or(0, |c| c.args.len());
                    let ext_words = (record::ext_tag_bytes(nargs) / 8) as usize;
                    let sig = if 2 + ext_words > words.len() {
                        None
                    } else {
                        let mut tw = vec![inline];
                        tw.extend_from_slice(&words[2..2 + ext_words]);
                        self.signature(id, &tw)
                    };
                    let Some(sig) = sig else {
                        skipped += 1;
                        continue;
                    };
                    let (start, count_at, count) = *frame.get_or_insert_with(|| {
                        prev = ts;
                        let f = Frame::open(out, thread, ts);
                        (f.start, f.count_at, 0)
                    });
                    let (cs, types) = &self.signatures[sig as usize];
                    let args: Vec<u8> = words[2 + ext_words..].iter().flat_map(|w| w.to_le_bytes()).collect();
                    let mark = out.len();
                    wire::put_varint(out, sig as u64);
                    wire::put_varint(out, ts.wrapping_sub(prev));
                    let slots = |i: usize| cs.args.get(i).map(|a| a.specs.len());
                    if wire::transcode_args(types, slots, &args, out).is_none() {
                        out.truncate(mark);
                        skipped += 1;
                        continue;
                    }
                    prev = ts;
                    written += 1;
                    frame = Some((start, count_at, count + 1));
                    if out.len() - start >= wire::EVENTS_FRAME_TARGET {
                        let (start, count_at, count) = frame.take().unwrap();
                        frames += Frame::close(out, Some(Frame { start, count_at }), count);
                    }
                }
            }
            if let Some((start, count_at, count)) = frame {
                frames += Frame::close(out, Some(Frame { start, count_at }), count);
            }
            (written, frames, skipped)
        }
    }

    const ALL_TYPES: [ArgType; 16] = ArgType::ALL;

    /// Callsites with random argument counts (up to 30: extension words) and
    /// slot counts, each with a few random type combinations (generic
    /// callsites have several); some all of fixed width, some not.
    /// A test callsite: its static, its slot counts, its type combinations.
    type Site = (&'static Callsite, Vec<usize>, Vec<Vec<ArgType>>);

    fn random_callsites(rng: &mut Rng) -> Vec<Site> {
        (0..12)
            .map(|c| {
                let nargs = match c {
                    0 => 0,
                    1..=7 => rng.below(6) as usize,
                    8..=9 => 1 + rng.below(12) as usize,
                    _ => 6 + rng.below(25) as usize,
                };
                let slots: Vec<usize> = (0..nargs).map(|_| 1 + rng.below(3) as usize).collect();
                let fixed_only = c % 2 == 0;
                let combos = (0..1 + rng.below(3))
                    .map(|_| {
                        (0..nargs)
                            .map(|_| ALL_TYPES[rng.below(if fixed_only { 14 } else { 16 }) as usize])
                            .collect()
                    })
                    .collect();
                (callsite(nargs, &slots), slots, combos)
            })
            .collect()
    }

    /// Encodes `words` with both encoders, and checks that they agree.
    fn check_same(table: &Arc<CallsiteTable>, words: &[u64], what: &str) {
        let mut new = Encoder::with_table(table.clone(), true);
        let mut reference = Reference { table: table.clone(), signatures: Vec::new(), index: HashMap::new() };
        // Output that already holds something, as for a second thread.
        let (mut a, mut b) = (vec![7u8; 5], vec![7u8; 5]);
        for thread in 0..2 {
            let got = new.thread_words(thread, words, &mut a);
            let want = reference.thread_events(thread, words, &mut b);
            assert_eq!(got, want, "{what}: (events, frames, skipped)");
        }
        assert!(a == b, "{what}: the bytes differ");
        let sigs: Vec<_> = new.sigs.iter().map(|s| (s.cs as *const Callsite, s.types.clone())).collect();
        let want: Vec<_> = reference.signatures.iter().map(|(cs, t)| (*cs as *const Callsite, t.clone())).collect();
        assert_eq!(sigs, want, "{what}: signatures");
    }

    #[test]
    fn matches_the_reference_on_random_rings() {
        let mut rng = Rng(1);
        for round in 0..60 {
            let sites = random_callsites(&mut rng);
            let table: Arc<CallsiteTable> =
                Arc::new(sites.iter().map(|(cs, _, _)| (crate::write::callsite_id(cs), *cs)).collect());
            let mut ts = rng.next();
            let records: Vec<Vec<u64>> = (0..1 + rng.below(3000))
                .map(|_| {
                    let (cs, slots, combos) = &sites[rng.below(sites.len() as u64) as usize];
                    let types = &combos[rng.below(combos.len() as u64) as usize];
                    // Deltas of every size, now and then backwards.
                    ts = ts.wrapping_add(if rng.below(50) == 0 { rng.next() } else { rng.bits() >> rng.below(60) });
                    record(&mut rng, crate::write::callsite_id(cs), types, slots, ts)
                })
                .collect();
            let words = ring(&records);
            check_same(&table, &words, &format!("round {round}"));

            // The same ring damaged: random words, lengths, ids and types.
            for d in 0..6 {
                let mut bad = words.clone();
                for _ in 0..1 + rng.below(8) {
                    let i = rng.below(bad.len() as u64) as usize;
                    bad[i] = match rng.below(5) {
                        0 => rng.next(),
                        1 => bad[i] ^ (1 << rng.below(64)),
                        2 => bad[i] & !(0x3ff << 32) | rng.below(1024) << 32,
                        3 => bad[i] ^ rng.bits(),
                        _ => 0,
                    };
                }
                check_same(&table, &bad, &format!("round {round}, damage {d}"));
            }
        }
    }

    #[test]
    fn callsite_id_zero_is_not_an_empty_slot() {
        // Ids are addresses in words: 0 is possible in principle. An empty
        // entry of the signature map must never match it.
        let a = callsite(0, &[]);
        let zero = callsite(1, &[1]);
        let table: Arc<CallsiteTable> = Arc::new([(5, a), (0, zero)].into_iter().collect());
        let mut rng = Rng(2);
        let words = ring(&[
            record(&mut rng, 0, &[ArgType::U8], &[1], 100),
            record(&mut rng, 5, &[], &[], 101),
            record(&mut rng, 0, &[ArgType::U8], &[1], 102),
        ]);
        let mut enc = Encoder::with_table(table.clone(), true);
        let mut out = Vec::new();
        assert_eq!(enc.thread_words(0, &words, &mut out), (3, 1, 0));
        assert_eq!(enc.sigs.len(), 2);
        assert!(core::ptr::eq(enc.sigs[0].cs, zero) && enc.sigs[0].types == [ArgType::U8]);
        assert!(core::ptr::eq(enc.sigs[1].cs, a));
        check_same(&table, &words, "id 0");
    }

    #[test]
    fn colliding_keys_keep_their_signatures() {
        // Many callsites in a small map: probing, growth, and no eviction.
        let mut rng = Rng(3);
        let sites: Vec<_> = (0..200).map(|_| callsite(1, &[1])).collect();
        let table: Arc<CallsiteTable> =
            Arc::new(sites.iter().map(|cs| (crate::write::callsite_id(cs), *cs)).collect());
        let records: Vec<_> = (0..5000)
            .map(|i| {
                let cs = sites[rng.below(200) as usize];
                record(&mut rng, crate::write::callsite_id(cs), &[ALL_TYPES[i % 14]], &[1], i as u64)
            })
            .collect();
        check_same(&table, &ring(&records), "200 callsites");
    }

    #[test]
    fn varints_match_the_wire_encoding() {
        let mut rng = Rng(4);
        let mut values: Vec<u64> = (0..64).flat_map(|b| [(1u64 << b) - 1, 1 << b, (1 << b) + 1]).collect();
        values.extend((0..20_000).map(|_| rng.bits()));
        values.push(u64::MAX);
        for v in values {
            let mut want = Vec::new();
            wire::put_varint(&mut want, v);
            let mut buf = [0u8; 32];
            // SAFETY: 32 bytes of room, more than a varint and its 8-byte stores need.
            let n = unsafe {
                let mut w = Raw::new(buf.as_mut_ptr(), buf.len());
                w.varint(v);
                w.p.offset_from_unsigned(buf.as_ptr())
            };
            assert_eq!(&buf[..n], &want[..], "{v:#x}");
        }
        for v in [0u128, 1, u64::MAX as u128, u64::MAX as u128 + 1, 1 << 100, u128::MAX] {
            let mut want = Vec::new();
            wire::put_varint128(&mut want, v);
            let mut buf = [0u8; 32];
            // SAFETY: 32 bytes of room, more than 19.
            let n = unsafe {
                let mut w = Raw::new(buf.as_mut_ptr(), buf.len());
                w.varint128(v);
                w.p.offset_from_unsigned(buf.as_ptr())
            };
            assert_eq!(&buf[..n], &want[..], "{v:#x}");
        }
    }

    #[test]
    fn events_stay_inside_their_bound() {
        // The largest events: every value at its longest encoding.
        for t in ALL_TYPES.into_iter().filter(|t| fixed_width(*t).is_some()) {
            let cs = callsite(12, &[]);
            let s = Sig::new(u32::MAX, cs, vec![t; 12]);
            // Header, timestamp, one word of extension tags, the values.
            let mut rec = vec![header_word(1, 0, 0), 0, 0];
            rec.extend(std::iter::repeat_n(u64::MAX, (12 * fixed_width(t).unwrap()).div_ceil(8)));
            rec[0] = header_word(1, rec.len() as u64, 0);
            assert_eq!(rec.len(), s.fixed_words);
            let mut buf = vec![0u8; 16 * rec.len()];
            // SAFETY: 16 bytes per word of the record, as `encode_event` needs.
            let end = unsafe { encode_event(&s, &rec, u64::MAX, buf.as_mut_ptr()) }.unwrap();
            // SAFETY: `end` is inside `buf`.
            let n = unsafe { end.offset_from_unsigned(buf.as_ptr()) };
            assert!(n + 7 <= event_bound(8 * (rec.len() - 2)), "{t:?}: {n} bytes");
        }
    }
}
