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
mod fork;
pub mod record_writer;

use args::Args;
pub use record_writer::RecordWriter;
use record_writer::put_record;

use crate::buffer::{Cursor, MAX_RECORD, RingWriter};
use crate::callsite::{Callsite, callsite_id};
use crate::clock::Clock;
use crate::level::Level;
use crate::registry::{self, Slot};
use crate::wire::record::{self, RECORD_HEADER};
use core::cell::Cell;

/// The thread has not logged yet.
const UNINIT: u8 = 0;
/// The thread has a ring (and `Writer::ring` holds it unless the thread is
/// inside an event).
const ACTIVE: u8 = 1;
/// The thread is writing an event (formatting its arguments, perhaps): an
/// event logged meanwhile (a `Display` impl that logs) is dropped and counted.
const BUSY: u8 = 2;
/// The thread got a slot but no ring (the memory budget was spent).
const NO_RING: u8 = 3;
/// The thread's local storage is being destroyed.
const GONE: u8 = 4;

/// How a thread stamps its events: the process's [`Clock`], as the write path
/// reads it. One bit each, so that [`fast_ring`] tests them one by one (a
/// test of each bit, where a compare of each value would become a jump
/// through a table).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
enum Stamp {
    /// `CLOCK_MONOTONIC`, a call: the slower path.
    Call = 0,
    /// [`Clock::Tsc`]: `rdtsc`.
    Tsc = 1,
    /// [`Clock::Coarse`]: one load.
    Coarse = 2,
    /// [`Clock::None`]: a timestamp of 0.
    Zero = 4,
}

/// The calling thread's writer state. Only this thread touches it.
struct Writer {
    /// Where the thread is in its life: [`UNINIT`], [`ACTIVE`], ...
    state: Cell<u8>,
    /// How events are stamped.
    stamp: Cell<Stamp>,
    /// Where the next record goes, and the events written so far.
    cursor: Cursor,
    /// The thread's ring, while the thread may write an event into it: `Some`
    /// in state [`ACTIVE`] only. Set with [`Writer::set_ring`] only.
    ring: Cell<Option<RingWriter>>,
    /// `ring` while the clock is the counter, else `None`: the hot path of the
    /// default clock checks this and nothing else (not the clock too).
    tsc_ring: Cell<Option<RingWriter>>,
    slot: Cell<Option<&'static Slot>>,
    /// Unique per thread that ever logged (0 before the first event).
    owner: Cell<u64>,
    /// Calls of instrumented functions on this thread, for their ids.
    calls: Cell<u32>,
}

impl Writer {
    const fn new() -> Writer {
        Writer {
            state: Cell::new(UNINIT),
            stamp: Cell::new(Stamp::Call),
            cursor: Cursor::new(),
            ring: Cell::new(None),
            tsc_ring: Cell::new(None),
            slot: Cell::new(None),
            owner: Cell::new(0),
            calls: Cell::new(0),
        }
    }

    /// Gives the thread its ring (or takes it away), for the paths of every
    /// clock: `tsc_ring` follows `ring` and the clock.
    #[inline(always)]
    fn set_ring(&self, ring: Option<RingWriter>) {
        self.ring.set(ring);
        self.tsc_ring.set(if self.stamp.get() == Stamp::Tsc { ring } else { None });
    }

    /// Counts an event this thread could not record.
    fn count_dropped(&self) {
        match self.slot.get() {
            Some(slot) => slot.count_dropped(),
            None => registry::count_late_drop(),
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
    // storage is valid from the thread's start until the thread's memory is
    // freed, after every destructor of the thread has run. `Writer` holds
    // `Cell`s and is neither `Send` nor `Sync`, so the reference cannot
    // reach another thread, and this private function's callers use it only
    // while they run on the thread.
    WRITER.with(|w| unsafe { &*(w as *const Writer) })
}

struct ExitGuard;

impl Drop for ExitGuard {
    fn drop(&mut self) {
        let _ = WRITER.try_with(|w| {
            w.set_ring(None);
            w.state.set(GONE);
            if let Some(slot) = w.slot.get() {
                registry::retire(slot, w.cursor.seq.get());
            }
        });
    }
}

/// A process-unique id for a call of an instrumented function: the thread's
/// owner number and a per-thread counter, with no atomic read-modify-write.
/// 0 when the thread cannot record (`level` disabled, no buffer).
#[inline]
pub fn call_id(level: Level) -> u64 {
    let w = writer();
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
    path: None,
};

crate::callsite::register!(RAW_CALLSITE);

/// One reserve and commit of an empty record (header and a zero timestamp) in
/// the calling thread's ring: the buffer's own cost, without the clock, the
/// level check or arguments. For the benchmarks; returns whether it wrote.
pub fn raw_reserve_commit() -> bool {
    let id = callsite_id(&RAW_CALLSITE);
    let w = writer();
    let ring = match w.ring.get() {
        Some(ring) => ring,
        None => {
            if !cold_prepare(w, Level::Error) {
                return false;
            }
            match w.ring.get() {
                Some(ring) => ring,
                None => return false,
            }
        }
    };
    let cur = &w.cursor;
    let (ring, res) = ring.reserve(cur, RECORD_HEADER, &mut |_| grow(w));
    w.set_ring(Some(ring));
    let Some(res) = res else { return false };
    let written = put_record(&res, id, 0, &[], |_| {});
    if let Some(len) = written {
        ring.commit(cur, res, len);
    }
    written.is_some()
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
/// Whatever these say, nothing is written outside the space reserved for the
/// record: a record that turns out longer goes to the next block, or is
/// counted as dropped.
#[inline(always)]
pub fn write<S, E>(cs: &'static Callsite, tags: &[u8], size: S, has_fmt: bool, encode: E)
where
    S: Fn(usize) -> usize,
    E: Fn(&mut RecordWriter, usize),
{
    write_args(cs, args::Dyn { tags, size, has_fmt, encode });
}

/// Calls [`write_slow`] from a fast path, with the arguments as the fast path
/// holds them: a tuple of up to two words by value (in registers, spilled
/// only on this path), a larger one by reference (the caller's copy, so that
/// the fast path does not rebuild it). A macro, not a function: the arguments
/// are not moved once more on the way.
macro_rules! slow {
    ($cs:expr, $args:expr) => {
        if size_of::<A>() <= 16 { write_slow_by_value($cs, $args) } else { write_slow($cs, &$args) }
    };
}

/// Picks the fast path: events of fixed-width arguments take the short path
/// inline; events with strings jump to a copy of it for their strings'
/// lengths (up to [`args::SHORT_BYTES`], up to [`args::MEDIUM_BYTES`]), or
/// to the path for long strings, so that none pays for another's registers.
#[inline(always)]
fn write_args<A: Args>(cs: &'static Callsite, args: A) {
    if A::FIXED {
        write_short::<A, { args::SHORT_BYTES }>(cs, args)
    } else if args.all_short::<{ args::SHORT_BYTES }>() {
        write_short_out::<A, { args::SHORT_BYTES }>(cs, args)
    } else if args.all_short::<{ args::MEDIUM_BYTES }>() {
        write_short_out::<A, { args::MEDIUM_BYTES }>(cs, args)
    } else {
        write_long(cs, args)
    }
}

/// [`write_short`] out of line, for events with strings.
#[inline(never)]
fn write_short_out<A: Args, const MAX: usize>(cs: &'static Callsite, args: A) {
    write_short::<A, MAX>(cs, args)
}

/// The fast path of an event whose strings are short, at most `MAX` bytes
/// (every event without a string): it calls nothing, so that it saves no
/// registers. Raw arguments, a thread that may write (its ring is there),
/// room in the open block, and a clock read inline. Everything else takes
/// [`write_slow`], which gets the arguments by value: small tuples stay in
/// registers.
///
/// The reservation is the most the arguments can take, a constant: its check
/// is one compare, and the writer's checks against it fold away. The record
/// itself takes what it writes; the rest of the reservation stays
/// unpublished, for the next record.
#[inline(always)]
fn write_short<A: Args, const MAX: usize>(cs: &'static Callsite, args: A) {
    let tags = args.tags();
    let tags = tags.as_ref();
    let ext = record::ext_tag_bytes(tags.len());
    let w = writer();
    if let Some((ring, ts)) = fast_ring(w) {
        let reserve = (RECORD_HEADER + ext + args.short_size::<MAX>() as u64).next_multiple_of(8);
        if let Some(res) = ring.try_reserve(w.cursor.pos.get(), reserve)
            && let Some(written) = put_record(&res, callsite_id(cs), ts, tags, |rw| args.encode_short::<MAX>(rw))
        {
            ring.commit(&w.cursor, res, written);
            return;
        }
    }
    slow!(cs, args);
}

/// The exact length of the record of `args`, whose strings keep at most
/// `bound` bytes.
#[inline(always)]
fn record_len<A: Args>(args: &A, tags: &[u8], bound: usize) -> u64 {
    (RECORD_HEADER + record::ext_tag_bytes(tags.len())).saturating_add(args.size(bound) as u64).next_multiple_of(8)
}

/// The fast path for events with a string longer than
/// [`args::MEDIUM_BYTES`] (or more than 12 arguments): the record's exact
/// length is reserved.
#[inline(never)]
fn write_long<A: Args>(cs: &'static Callsite, args: A) {
    let tags = args.tags();
    let tags = tags.as_ref();
    let bound = args::str_bound(tags.len());
    let len = record_len(&args, tags, bound);
    let w = writer();
    if args.all_whole_raw(bound)
        && let Some((ring, ts)) = fast_ring(w)
        && let Some(res) = ring.try_reserve(w.cursor.pos.get(), len)
        && let Some(written) = put_record(&res, callsite_id(cs), ts, tags, |rw| args.encode(rw, bound))
    {
        ring.commit(&w.cursor, res, written);
        return;
    }
    slow!(cs, args);
}

/// [`write_slow`] for small tuples.
#[inline(never)]
fn write_slow_by_value<A: Args>(cs: &'static Callsite, args: A) {
    write_slow(cs, &args)
}

/// Every case the fast path of [`write`] leaves out: the thread's first event,
/// a new block, a clock read through a system call, arguments formatted at the
/// call, and events that cannot be recorded.
#[inline(never)]
fn write_slow<A: Args>(cs: &'static Callsite, args: &A) {
    let tags = args.tags();
    let tags = tags.as_ref();
    let bound = args::str_bound(tags.len());
    let len = record_len(args, tags, bound);
    let id = callsite_id(cs);
    let w = writer();
    let ring = loop {
        match w.ring.get() {
            Some(ring) => break ring,
            // The first event of the thread (then try again), or one that
            // cannot be recorded (counted).
            None if cold_prepare(w, cs.level) => {}
            None => return,
        }
    };
    let cur = &w.cursor;
    if !args.has_fmt() {
        // Raw arguments only (a new block, a clock read through a call, or
        // strings to cut): `len` bounds the record, so it is reserved
        // exactly, in this block or the next, and no user code runs.
        let (ring, res) = ring.reserve(cur, len, &mut |_| grow(w));
        w.set_ring(Some(ring));
        let written = res.and_then(|res| {
            let n = put_record(&res, id, stamp(w), tags, |rw| args.encode(rw, bound))?;
            ring.commit(cur, res, n);
            Some(n)
        });
        if written.is_none() {
            // Only sizes misjudged by a caller of `write` get here.
            w.count_dropped();
        }
        return;
    }
    write_formatted(w, ring, id, args, tags, bound, len);
}

/// [`write_slow`] for arguments formatted at the call: the record's length is
/// known only once they are written, so it goes in the rest of the open block,
/// and in the next one if it does not fit there.
fn write_formatted<A: Args>(w: &Writer, ring: RingWriter, id: u32, args: &A, tags: &[u8], bound: usize, len: u64) {
    let cur = &w.cursor;
    // While the arguments are formatted, the thread has no ring to write to:
    // an event logged by a `Display` impl is dropped and counted.
    let mut busy = Busy::enter(w, ring);
    loop {
        // The rest of the open block, or of the next one. The cursor stays
        // where the ring's published position is, also if a `Display` impl
        // panics below (and the guard keeps the writer of the open block).
        let (ring, res) = busy.ring.reserve_rest(cur, len.min(MAX_RECORD), &mut |_| grow(w));
        busy.ring = ring;
        let Some(res) = res else {
            w.count_dropped();
            break;
        };
        match put_record(&res, id, stamp(w), tags, |rw| args.encode(rw, bound)) {
            Some(written) => {
                ring.commit(cur, res, written);
                break;
            }
            None if res.starts_block() => {
                // It does not fit in an empty block: argument bounds make
                // every record of at most `MAX_ARGS` arguments fit, so only
                // a misjudged size gets here. Dropped, not retried forever.
                w.count_dropped();
                break;
            }
            // A formatted value did not fit in the rest of this block: end
            // the block (the pad word goes where the record began) and redo
            // the record in the next one.
            None => busy.ring = ring.next_block(cur, &mut |_| grow(w)),
        }
    }
    busy.done();
}

/// The next block for the writer's ring, when it fills the open one (see
/// `registry.rs`): `None` reuses its own oldest.
fn grow(w: &Writer) -> Option<&'static crate::buffer::Block> {
    registry::grow(w.slot.get()?, crate::settings::current().memory_budget)
}

/// The ring and the timestamp of the fast paths: `None` before the thread's
/// first event, while it may not write, and for a clock read through a call
/// (the slower path reads it). The counter (the default where there is one)
/// costs one check, of `tsc_ring`; the other clocks a test of their bit more.
#[inline(always)]
fn fast_ring(w: &Writer) -> Option<(RingWriter, u64)> {
    if let Some(ring) = w.tsc_ring.get() {
        return Some((ring, crate::clock::rdtsc()));
    }
    let ring = w.ring.get()?;
    let s = w.stamp.get() as u8;
    if s & Stamp::Coarse as u8 != 0 {
        Some((ring, crate::clock::coarse()))
    } else if s & Stamp::Zero as u8 != 0 {
        Some((ring, 0))
    } else {
        None
    }
}

/// The timestamp of an event written now, read with the thread's clock.
#[inline(always)]
fn stamp(w: &Writer) -> u64 {
    match w.stamp.get() {
        Stamp::Tsc => crate::clock::rdtsc(),
        Stamp::Coarse => crate::clock::coarse(),
        Stamp::Zero => 0,
        Stamp::Call => crate::clock::monotonic_ns(),
    }
}

/// Marks the thread as inside an event: takes its ring away (so that an event
/// logged meanwhile is dropped and counted) and gives it back when done. If a
/// `Display` impl panics, the ring is given back on unwinding and the event
/// is counted as dropped.
struct Busy<'a> {
    w: &'a Writer,
    ring: RingWriter,
}

impl<'a> Busy<'a> {
    #[inline(always)]
    fn enter(w: &'a Writer, ring: RingWriter) -> Self {
        w.set_ring(None);
        w.state.set(BUSY);
        Busy { w, ring }
    }

    #[inline(always)]
    fn done(self) {
        self.w.state.set(ACTIVE);
        self.w.set_ring(Some(self.ring));
        core::mem::forget(self);
    }
}

impl Drop for Busy<'_> {
    /// Only on unwinding: [`Busy::done`] forgets the guard.
    fn drop(&mut self) {
        self.w.state.set(ACTIVE);
        self.w.set_ring(Some(self.ring));
        self.w.count_dropped();
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
            fork::register();
            let clock = crate::clock::init();
            crate::continuous::start_from_env();
            let cfg = crate::settings::current();
            let (tid, name) = thread_identity();
            let (slot, writer, owner) = registry::claim(cfg.buffer_size, cfg.memory_budget, tid, &name);
            w.slot.set(Some(slot));
            w.owner.set(owner);
            w.stamp.set(match Clock::from_u8(clock) {
                Some(Clock::Tsc) => Stamp::Tsc,
                Some(Clock::Coarse) => Stamp::Coarse,
                Some(Clock::None) => Stamp::Zero,
                Some(Clock::Monotonic) | None => Stamp::Call,
            });
            match writer {
                Some(ring) => {
                    w.cursor.restart(8);
                    w.set_ring(Some(ring));
                    w.state.set(ACTIVE);
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

/// Records one event of the calling thread, also when the thread is in the
/// middle of writing another (a panic hook that runs inside a `Display` impl
/// of a log call's argument): the event then goes into a ring of its own,
/// claimed for it and retired at once, listed under the thread's id and name
/// as an exited thread. The arguments must be raw (no user code runs).
pub(crate) fn write_beside<A: Args>(cs: &'static Callsite, args: A) {
    let w = writer();
    if w.state.get() != BUSY {
        write_event(cs, args);
        return;
    }
    let clock = crate::clock::init();
    let cfg = crate::settings::current();
    let (tid, name) = thread_identity();
    let (slot, ring, _) = registry::claim(crate::buffer::MIN_CAPACITY, cfg.memory_budget, tid, &name);
    let cur = crate::buffer::Cursor::new();
    cur.restart(8);
    let written = ring.and_then(|ring| {
        let tags = args.tags();
        let tags = tags.as_ref();
        let bound = args::str_bound(tags.len());
        let len = record_len(&args, tags, bound);
        let (ring, res) = ring.reserve(&cur, len, &mut |_| None);
        let res = res?;
        let n = put_record(&res, callsite_id(cs), crate::clock::read(clock), tags, |rw| args.encode(rw, bound))?;
        ring.commit(&cur, res, n);
        Some(())
    });
    if written.is_none() {
        slot.count_dropped();
    }
    registry::retire(slot, cur.seq.get());
}

/// The OS thread id and the thread's name.
pub(crate) fn thread_identity() -> (u64, String) {
    let name = std::thread::current().name().unwrap_or("").to_owned();
    (os_thread_id(), name)
}

#[cfg(any(target_os = "linux", target_os = "android"))]
pub(crate) fn os_thread_id() -> u64 {
    // SAFETY: `gettid` has no preconditions and cannot fail.
    (unsafe { libc::gettid() }) as u64
}

#[cfg(not(any(target_os = "linux", target_os = "android")))]
pub(crate) fn os_thread_id() -> u64 {
    static NEXT: StdAtomicU64 = StdAtomicU64::new(1);
    thread_local!(static ID: u64 = NEXT.fetch_add(1, Ordering::Relaxed));
    ID.with(|id| *id)
}
