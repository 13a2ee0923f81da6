//! The write path: what an enabled log call executes.
//!
//! The hot path, per event: a check of the thread's state (one byte in
//! thread-local storage), reserve space in the thread's ring (a compare; a new
//! block once per 4 KiB), read the clock, store the record's words with relaxed
//! stores, and publish with one release store. No allocation, lock, system call,
//! formatting of raw values, atomic read-modify-write, or per-callsite
//! initialisation. The first event of a thread takes the cold path, which claims
//! a buffer.

pub mod args;

use args::Args;

use crate::buffer::{self, Cursor, RingWriter};
use crate::wire::record::{self, INLINE_TAGS, RECORD_HEADER, TAGS_PER_WORD};
use crate::callsite::Callsite;
use crate::level::Level;
use crate::registry::{self, Slot};
use crate::sync::AtomicU64;
use core::cell::Cell;
use core::sync::atomic::Ordering;
use std::sync::atomic::AtomicU64 as StdAtomicU64;

/// The thread has not logged yet.
const UNINIT: u8 = 0;
/// The thread has a ring and is not inside an event; events are stamped with
/// the time-stamp counter. This and the next two take the fast path.
const READY: u8 = 1;
/// As READY, stamped with the coarse clock.
const READY_COARSE: u8 = 2;
/// As READY, with no clock.
const READY_NO_CLOCK: u8 = 3;
/// As READY, with a clock read through a call: the slower path.
const READY_SLOW_CLOCK: u8 = 4;
/// The thread is formatting an argument of an event; an event logged from inside
/// that formatting (a `Display` impl that logs) is dropped and counted.
const BUSY: u8 = 5;
/// The thread got a slot but no ring (the memory budget was spent).
const NO_RING: u8 = 6;
/// The thread's local storage is being destroyed.
const GONE: u8 = 7;

/// The calling thread's writer state. Only this thread touches it.
struct Writer {
    state: Cell<u8>,
    clock: Cell<u8>,
    /// The cursor: where the next record goes, and the events written so far.
    pos: Cell<u64>,
    seq: Cell<u64>,
    /// Points to this thread's ring in state READY (and only then).
    ring: Cell<RingWriter>,
    slot: Cell<*const Slot>,
    /// Unique per thread that ever logged (0 before the first event).
    owner: Cell<u64>,
    /// Calls of instrumented functions on this thread, for their ids.
    calls: Cell<u32>,
}

impl Writer {
    const fn new() -> Writer {
        Writer {
            state: Cell::new(UNINIT),
            clock: Cell::new(0),
            pos: Cell::new(0),
            seq: Cell::new(0),
            ring: Cell::new(RingWriter::DETACHED),
            slot: Cell::new(core::ptr::null()),
            owner: Cell::new(0),
            calls: Cell::new(0),
        }
    }

    fn cursor(&self) -> Cursor {
        Cursor { pos: self.pos.get(), seq: self.seq.get() }
    }

    fn set_cursor(&self, c: Cursor) {
        self.pos.set(c.pos);
        self.seq.set(c.seq);
    }

    /// Where a record of `len` bytes goes: at `pos` if it fits in the open
    /// block, else at the start of a new one (cold). Then the release fence
    /// that must precede the record's stores.
    #[inline(always)]
    fn reserve(&self, ring: RingWriter, len: u64) -> u64 {
        let mut pos = self.pos.get();
        if !buffer::fits(pos, len) {
            pos = self.next_block(ring);
        }
        ring.begin_record();
        pos
    }

    #[cold]
    #[inline(never)]
    fn next_block(&self, ring: RingWriter) -> u64 {
        let c = ring.next_block(self.cursor());
        self.set_cursor(c);
        c.pos
    }

    /// Publishes a record that ends at `end`.
    #[inline(always)]
    fn commit(&self, ring: RingWriter, end: u64) {
        self.pos.set(end);
        self.seq.set(self.seq.get() + 1);
        ring.publish(end);
    }

    fn slot(&self) -> Option<&'static Slot> {
        // SAFETY: `slot` is null or points to a leaked, never-freed `Slot`.
        unsafe { self.slot.get().as_ref() }
    }

    /// Counts an event this thread could not record.
    fn count_dropped(&self) {
        match self.slot() {
            // Only this thread writes its slot's counter: load and store, no RMW.
            Some(slot) => {
                let d = slot.dropped.load(Ordering::Relaxed);
                slot.dropped.store(d + 1, Ordering::Relaxed);
            }
            None => {
                LATE_DROPPED.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
}

thread_local! {
    /// No destructor, const-initialised: accessing it is one TLS-relative load.
    static WRITER: Writer = const { Writer::new() };
    /// Has a destructor: marks the thread's slot as exited when the thread ends.
    static EXIT: ExitGuard = const { ExitGuard };
}

/// The calling thread's writer, without a closure around the code that uses
/// it: the write path is long, and the compiler would not always inline it
/// into `LocalKey::with`'s closure.
#[inline(always)]
fn writer() -> &'static Writer {
    // SAFETY: `WRITER` is const-initialised and has no destructor, so its
    // storage is valid for as long as the thread runs; `Writer` holds `Cell`s
    // and is neither `Send` nor `Sync`, so the reference cannot leave this
    // thread, and every use of it ends before the thread does.
    WRITER.with(|w| unsafe { &*(w as *const Writer) })
}

struct ExitGuard;

impl Drop for ExitGuard {
    fn drop(&mut self) {
        let _ = WRITER.try_with(|w| {
            if let Some(slot) = w.slot() {
                registry::retire(slot);
            }
            w.state.set(GONE);
            w.ring.set(RingWriter::DETACHED);
        });
    }
}

/// Owners handed out so far (cold path only).
static OWNERS: StdAtomicU64 = StdAtomicU64::new(0);

/// A process-unique id for a call of an instrumented function: the thread's
/// owner number and a per-thread counter, with no atomic read-modify-write.
/// 0 when the thread cannot record (`level` disabled, no buffer).
#[inline]
pub fn call_id(level: Level) -> u64 {
    let w = writer();
    {
        if w.state.get() == UNINIT {
            // Sets up the buffer; the entry event that follows needs it anyway.
            let _ = cold_prepare(w, level);
        }
        let owner = w.owner.get();
        if owner == 0 {
            return 0;
        }
        let c = w.calls.get().wrapping_add(1);
        w.calls.set(c);
        (owner << 32) | c as u64
    }
}

/// The callsite of [`raw_reserve_commit`]'s records.
static RAW_CALLSITE: Callsite = Callsite {
    level: Level::Trace,
    kind: crate::callsite::CallsiteKind::Event,
    name: "ttlog::raw",
    target: "ttlog::raw",
    file: file!(),
    line: line!(),
    pieces: &[crate::callsite::Piece::Lit("raw record")],
    args: &[],
};

inventory::submit! { crate::__private::Registration(&RAW_CALLSITE) }

/// One reserve and commit of an empty record (header and a zero timestamp) in
/// the calling thread's ring: the buffer's own cost, without the clock, the
/// level check or arguments. For the benchmarks; returns whether it wrote.
pub fn raw_reserve_commit() -> bool {
    let id = callsite_id(&RAW_CALLSITE);
    let w = writer();
    {
        if !is_ready(w.state.get()) && !cold_prepare(w, Level::Error) {
            return false;
        }
        let ring = w.ring.get();
        let at = w.reserve(ring, RECORD_HEADER);
        let base = ring.word_ptr(at);
        // SAFETY: `reserve` made room for the 16-byte record at `at`.
        unsafe {
            (*base).store(record::header_word(id, RECORD_HEADER / 8, 0), Ordering::Relaxed);
            (*base.add(1)).store(0, Ordering::Relaxed);
        }
        w.commit(ring, at + RECORD_HEADER);
        true
    }
}

/// Events dropped by threads that had no slot (logging while their thread-local
/// storage was being destroyed).
static LATE_DROPPED: StdAtomicU64 = StdAtomicU64::new(0);

/// Events dropped by threads without a slot.
pub(crate) fn late_dropped() -> u64 {
    LATE_DROPPED.load(Ordering::Relaxed)
}

/// The callsite's numeric id: the low 32 bits of its address in words (the
/// callsite is word-aligned). Distinct for callsites less than 32 GiB apart,
/// that is for all of one binary's statics, and computed without any
/// initialisation: an address and a shift. (Any value is valid: a ring's pad
/// word is told apart by its zero length, not by its id.)
#[inline(always)]
pub fn callsite_id(cs: &'static Callsite) -> u32 {
    ((cs as *const Callsite as usize) >> 3) as u32
}

/// Packs argument type tags: the first five into header bits, the rest into
/// extension words.
#[inline(always)]
const fn inline_tags(tags: &[u8]) -> u64 {
    let mut t = 0u64;
    let mut i = 0;
    while i < tags.len() && i < INLINE_TAGS {
        t |= ((tags[i] & 0xf) as u64) << (4 * i);
        i += 1;
    }
    t
}

#[inline(always)]
const fn ext_tag_word(tags: &[u8], word: usize) -> u64 {
    let mut t = 0u64;
    let mut k = 0;
    while k < TAGS_PER_WORD {
        let i = INLINE_TAGS + word * TAGS_PER_WORD + k;
        if i < tags.len() {
            t |= ((tags[i] & 0xf) as u64) << (4 * k);
        }
        k += 1;
    }
    t
}

/// Records one event whose arguments are a tuple (up to 12): not inlined, and
/// generic over the tuple's type only, so that every callsite with the same
/// argument types calls the same code. The event macros use it; events with
/// more arguments inline [`write`] instead.
#[inline(never)]
pub fn write_event<A: Args>(cs: &'static Callsite, args: A) {
    write_args(cs, args);
}

/// Records one event. Called by the event macros after the level check.
///
/// `tags` are the arguments' [`ArgType`](crate::callsite::ArgType)s, `size(bound)`
/// the bytes their encodings take when strings keep at most `bound` bytes,
/// `has_fmt` whether any is formatted at the call, and `encode` writes them.
#[inline(always)]
pub fn write<S, E>(cs: &'static Callsite, tags: &[u8], size: S, has_fmt: bool, encode: E)
where
    S: Fn(usize) -> usize,
    E: Fn(&mut RecordWriter, usize),
{
    write_args(cs, args::Dyn { tags, size, has_fmt, encode });
}

#[inline(always)]
fn write_args<A: Args>(cs: &'static Callsite, args: A) {
    let tags = args.tags();
    let tags = tags.as_ref();
    let bound = args::str_bound(tags.len());
    let ext = record::ext_tag_bytes(tags.len());
    let len = (RECORD_HEADER + ext + args.size(bound) as u64).next_multiple_of(8);
    let w = writer();
    let pos = w.pos.get();
    // The fast path calls nothing, so that it saves no registers: raw
    // arguments recorded whole (no string to cut), a thread that is set up
    // and stamps events with a clock read inline (one state byte says both),
    // and room in the open block. Everything else takes the slower path
    // below, which gets the arguments by value: small tuples stay in
    // registers.
    let state = w.state.get();
    if args.all_whole_raw(bound) && state.wrapping_sub(READY) <= READY_NO_CLOCK - READY && buffer::fits(pos, len) {
        let ring = w.ring.get();
        ring.begin_record();
        let ts = match state {
            READY => crate::clock::rdtsc(),
            READY_COARSE => crate::clock::coarse(),
            _ => 0,
        };
        // At most `len` bytes: a cut string may take a few bytes less.
        let written = put_record(ring, pos, callsite_id(cs), ts, tags, |rw| {
            args.encode(rw, bound);
            rw.finish();
        });
        w.commit(ring, pos + written);
        return;
    }
    write_slow(cs, args, len);
}

/// Writes a record's header, timestamp and type-extension words at `at`, and
/// its arguments with `args`; returns the record's length, which its header
/// gives.
#[inline(always)]
fn put_record(ring: RingWriter, at: u64, id: u32, ts: u64, tags: &[u8], args: impl FnOnce(&mut RecordWriter)) -> u64 {
    let ext = record::ext_tag_bytes(tags.len());
    let base = ring.word_ptr(at);
    let block_end = (at | (buffer::BLOCK - 1)) + 1;
    let mut rw = RecordWriter {
        // SAFETY: the caller reserved the record's space from `at` inside one
        // block, and blocks are contiguous in the ring's words; the argument
        // area starts after the header and extension words.
        ptr: unsafe { base.add(((RECORD_HEADER + ext) / 8) as usize) },
        // SAFETY: the block ends at `block_end`, within the same allocation (a
        // block never straddles the ring's end).
        end: unsafe { base.add(((block_end - at) / 8) as usize) },
        acc: 0,
        bits: 0,
        overflow: false,
    };
    args(&mut rw);
    let len = rw.offset_from(base);
    // SAFETY: the header and extension words are inside the reserved space.
    unsafe {
        (*base).store(record::header_word(id, len / 8, inline_tags(tags)), Ordering::Relaxed);
        (*base.add(1)).store(ts, Ordering::Relaxed);
        let mut k = 0;
        while (k as u64) < ext / 8 {
            (*base.add(2 + k)).store(ext_tag_word(tags, k), Ordering::Relaxed);
            k += 1;
        }
    }
    len
}

/// Every case the fast path of [`write`] leaves out: the thread's first event,
/// a new block, a clock read through a system call, arguments formatted at the
/// call, and events that cannot be recorded.
#[inline(never)]
fn write_slow<A: Args>(cs: &'static Callsite, args: A, min_len: u64) {
    let tags = args.tags();
    let tags = tags.as_ref();
    let bound = args::str_bound(tags.len());
    let has_fmt = args.has_fmt();
    let id = callsite_id(cs);
    let w = writer();
    loop {
        if !is_ready(w.state.get()) {
            if cold_prepare(w, cs.level) {
                continue;
            }
            return;
        }
        let ring = w.ring.get();
        let at = w.reserve(ring, min_len);
        let ts = crate::clock::read(w.clock.get());
        let block_end = (at | (buffer::BLOCK - 1)) + 1;
        let mut overflow = false;
        let len = put_record(ring, at, id, ts, tags, |rw| {
            let guard = has_fmt.then(|| Busy::enter(w));
            args.encode(rw, bound);
            drop(guard);
            overflow = rw.overflow;
            rw.finish();
        });
        if overflow {
            if at == block_end - buffer::BLOCK + 8 {
                // Cannot happen: argument bounds make every record fit in an
                // empty block. Drop rather than loop.
                w.count_dropped();
                return;
            }
            // A formatted value did not fit in the rest of this block: end the
            // block (the pad word goes where the record began) and redo the
            // record in the next one.
            w.next_block(ring);
            continue;
        }
        w.commit(ring, at + len);
        return;
    }
}

/// Whether the thread can record (with whichever clock).
#[inline(always)]
fn is_ready(state: u8) -> bool {
    state.wrapping_sub(READY) <= READY_SLOW_CLOCK - READY
}

/// Marks the thread as inside an event while arguments are formatted, and
/// restores its state even if a `Display` impl panics.
struct Busy<'a>(&'a Writer, u8);

impl<'a> Busy<'a> {
    #[inline(always)]
    fn enter(w: &'a Writer) -> Self {
        let state = w.state.replace(BUSY);
        Busy(w, state)
    }
}

impl Drop for Busy<'_> {
    #[inline(always)]
    fn drop(&mut self) {
        self.0.state.set(self.1);
    }
}

/// The cold path: sets up the thread's buffer on its first event, or counts an
/// event that cannot be recorded. Returns whether the caller should try again.
#[cold]
#[inline(never)]
fn cold_prepare(w: &Writer, level: Level) -> bool {
    match w.state.get() {
        UNINIT => {
            // The runtime filter may not have been initialised when the caller
            // checked it.
            if level as u8 > crate::level::init_max_level() {
                return false;
            }
            if EXIT.try_with(|_| ()).is_err() {
                // The thread is ending: its storage cannot be set up any more.
                w.state.set(GONE);
                w.count_dropped();
                return false;
            }
            let clock = crate::clock::init();
            let cfg = crate::config::current();
            let (tid, name) = thread_identity();
            let (slot, cur) = registry::claim(cfg.buffer_size, cfg.memory_budget, tid, &name);
            w.slot.set(slot);
            w.owner.set(OWNERS.fetch_add(1, Ordering::Relaxed) + 1);
            w.clock.set(clock);
            match &slot.ring {
                Some(ring) => {
                    w.ring.set(ring.writer());
                    w.set_cursor(cur);
                    w.state.set(match crate::clock::Clock::from_u8(clock) {
                        Some(crate::clock::Clock::Tsc) => READY,
                        Some(crate::clock::Clock::Coarse) => READY_COARSE,
                        Some(crate::clock::Clock::None) => READY_NO_CLOCK,
                        _ => READY_SLOW_CLOCK,
                    });
                    true
                }
                None => {
                    w.state.set(NO_RING);
                    w.count_dropped();
                    false
                }
            }
        }
        _ => {
            w.count_dropped();
            false
        }
    }
}

/// The OS thread id and the thread's name.
fn thread_identity() -> (u64, String) {
    let name = std::thread::current().name().unwrap_or("").to_owned();
    (os_thread_id(), name)
}

#[cfg(any(target_os = "linux", target_os = "android"))]
fn os_thread_id() -> u64 {
    // SAFETY: `gettid` has no preconditions and cannot fail.
    (unsafe { libc::gettid() }) as u64
}

#[cfg(not(any(target_os = "linux", target_os = "android")))]
fn os_thread_id() -> u64 {
    static NEXT: StdAtomicU64 = StdAtomicU64::new(1);
    thread_local!(static ID: u64 = NEXT.fetch_add(1, Ordering::Relaxed));
    ID.with(|id| *id)
}

/// Writes argument bytes into a reserved record, a word at a time, with relaxed
/// atomic stores (the ring module's docs say why: a snapshot may copy the
/// words while they are written).
pub struct RecordWriter {
    ptr: *const AtomicU64,
    end: *const AtomicU64,
    acc: u64,
    bits: u32,
    overflow: bool,
}

/// The bytes of a slice of 1 to 7 bytes as a little-endian integer, with two
/// overlapping loads rather than a copy loop (the overlap ORs equal bytes).
#[inline(always)]
fn load_short(b: &[u8]) -> u64 {
    let n = b.len();
    if n >= 4 {
        let lo = u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as u64;
        let hi = u32::from_le_bytes([b[n - 4], b[n - 3], b[n - 2], b[n - 1]]) as u64;
        lo | hi << ((n - 4) * 8)
    } else if n >= 2 {
        let lo = u16::from_le_bytes([b[0], b[1]]) as u64;
        let hi = u16::from_le_bytes([b[n - 2], b[n - 1]]) as u64;
        lo | hi << ((n - 2) * 8)
    } else {
        b[0] as u64
    }
}

impl core::fmt::Debug for RecordWriter {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("RecordWriter").field("bits", &self.bits).finish_non_exhaustive()
    }
}

impl RecordWriter {
    /// Appends the low `n` bytes (1..=16) of `v`, little-endian. The caller has
    /// reserved room for them.
    #[inline(always)]
    pub fn put_le(&mut self, v: u128, n: usize) {
        if n > 8 {
            self.put_le(v as u64 as u128, 8);
            self.put_le(v >> 64, n - 8);
            return;
        }
        let v = v as u64;
        let v = if n == 8 { v } else { v & ((1u64 << (8 * n)) - 1) };
        let wide = ((v as u128) << self.bits) | self.acc as u128;
        let bits = self.bits + 8 * n as u32;
        if bits >= 64 {
            self.store(wide as u64);
            self.acc = (wide >> 64) as u64;
            self.bits = bits - 64;
        } else {
            self.acc = wide as u64;
            self.bits = bits;
        }
    }

    /// Pads with zero bytes to the next word boundary.
    #[inline(always)]
    pub fn align_word(&mut self) {
        if self.bits > 0 {
            let acc = self.acc;
            self.store(acc);
            self.acc = 0;
            self.bits = 0;
        }
    }

    /// Appends bytes at a word boundary (after [`Self::align_word`]): whole
    /// words are stored as they are loaded, without shifting. The caller has
    /// reserved room for them.
    #[inline(always)]
    pub fn put_aligned_bytes(&mut self, bytes: &[u8]) {
        debug_assert_eq!(self.bits, 0);
        let mut rest = bytes;
        while let Some((chunk, tail)) = rest.split_first_chunk::<8>() {
            self.store(u64::from_le_bytes(*chunk));
            rest = tail;
        }
        if !rest.is_empty() {
            // The last partial word: with at least 8 bytes, the last 8 loaded
            // at once and shifted down to the `rest.len()` that are left.
            self.acc = match bytes.last_chunk::<8>() {
                Some(last) => u64::from_le_bytes(*last) >> (64 - 8 * rest.len()),
                None => load_short(rest),
            };
            self.bits = 8 * rest.len() as u32;
        }
    }

    /// Appends bytes. The caller has reserved room for them.
    #[inline(always)]
    pub fn put_bytes(&mut self, bytes: &[u8]) {
        let mut rest = bytes;
        while let Some((chunk, tail)) = rest.split_first_chunk::<8>() {
            self.put_le(u64::from_le_bytes(*chunk) as u128, 8);
            rest = tail;
        }
        if !rest.is_empty() {
            self.put_le(load_short(rest) as u128, rest.len());
        }
    }

    /// Appends bytes if they fit before the end of the block; otherwise marks the
    /// record as overflowed (the caller redoes it in a fresh block).
    #[inline]
    fn put_bounded(&mut self, bytes: &[u8]) {
        // SAFETY: `ptr` and `end` point into the same block of the same slice.
        let room_words = unsafe { self.end.offset_from(self.ptr) };
        let room = room_words.max(0) as usize * 8 - (self.bits / 8) as usize;
        if self.overflow || bytes.len() > room {
            self.overflow = true;
            return;
        }
        self.put_bytes(bytes);
    }

    #[inline(always)]
    fn store(&mut self, word: u64) {
        // SAFETY: every caller stays within the space reserved for the record
        // (checked by `put_bounded` for formatted values, by the size computed
        // before reserving for raw ones), so `ptr` is inside the ring.
        unsafe {
            (*self.ptr).store(word, Ordering::Relaxed);
            self.ptr = self.ptr.add(1);
        }
    }

    /// Stores the last partial word.
    #[inline(always)]
    fn finish(&mut self) {
        if self.bits > 0 {
            let acc = self.acc;
            self.store(acc);
            self.bits = 0;
        }
    }

    /// Bytes from `base` to the end of what was written (after [`Self::finish`]).
    fn offset_from(&self, base: *const AtomicU64) -> u64 {
        // SAFETY: `base` and `ptr` point into the same block of the ring slice.
        let words = unsafe { self.ptr.offset_from(base) };
        words as u64 * 8
    }
}
