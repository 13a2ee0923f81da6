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
use core::sync::atomic::Ordering;
use std::sync::atomic::AtomicU64 as StdAtomicU64;

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
/// reads it. The values are in the order the compiler tests them in (from the
/// highest down): the default clock first.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
enum Stamp {
    /// `CLOCK_MONOTONIC`, a call: the slower path.
    Call = 0,
    /// [`Clock::None`]: a timestamp of 0.
    Zero = 1,
    /// [`Clock::Coarse`]: one load.
    Coarse = 2,
    /// [`Clock::Tsc`]: `rdtsc`.
    Tsc = 3,
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
    /// in state [`ACTIVE`] only. The hot path checks this and nothing else.
    ring: Cell<Option<RingWriter>>,
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
            slot: Cell::new(None),
            owner: Cell::new(0),
            calls: Cell::new(0),
        }
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
            w.ring.set(None);
            w.state.set(GONE);
            if let Some(slot) = w.slot.get() {
                registry::retire(slot);
            }
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
};

inventory::submit! { crate::callsite::Registration(&RAW_CALLSITE) }

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
    let res = match ring.try_reserve(cur.pos.get(), RECORD_HEADER) {
        Some(res) => res,
        None => match ring.reserve_rest(cur, RECORD_HEADER) {
            Some(res) => res,
            None => return false,
        },
    };
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

#[inline(always)]
fn write_args<A: Args>(cs: &'static Callsite, args: A) {
    let tags = args.tags();
    let tags = tags.as_ref();
    let bound = args::str_bound(tags.len());
    let ext = record::ext_tag_bytes(tags.len());
    let len = (RECORD_HEADER + ext).saturating_add(args.size(bound) as u64).next_multiple_of(8);
    let w = writer();
    // The fast path calls nothing, so that it saves no registers: raw
    // arguments recorded whole (no string to cut), a thread that may write
    // (its ring is there), room in the open block, and a clock read inline.
    // Everything else takes the slower path below, which gets the arguments
    // by value: small tuples stay in registers.
    if args.all_whole_raw(bound)
        && let Some(ring) = w.ring.get()
    {
        // The clock first: a clock read through a call leaves at once.
        let ts = match w.stamp.get() {
            Stamp::Tsc => crate::clock::rdtsc(),
            Stamp::Coarse => crate::clock::coarse(),
            Stamp::Zero => 0,
            Stamp::Call => return write_slow(cs, args, len),
        };
        if let Some(res) = ring.try_reserve(w.cursor.pos.get(), len)
            && let Some(written) = put_record(&res, callsite_id(cs), ts, tags, |rw| args.encode(rw, bound))
        {
            ring.commit(&w.cursor, res, written);
            return;
        }
    }
    write_slow(cs, args, len);
}

/// Every case the fast path of [`write`] leaves out: the thread's first event,
/// a new block, a clock read through a system call, arguments formatted at the
/// call, and events that cannot be recorded.
#[inline(never)]
fn write_slow<A: Args>(cs: &'static Callsite, args: A, len: u64) {
    let tags = args.tags();
    let tags = tags.as_ref();
    let bound = args::str_bound(tags.len());
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
        let written = ring.reserve(cur, len).and_then(|res| {
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
    write_formatted(w, ring, id, &args, tags, bound, len);
}

/// [`write_slow`] for arguments formatted at the call: the record's length is
/// known only once they are written, so it goes in the rest of the open block,
/// and in the next one if it does not fit there.
fn write_formatted<A: Args>(w: &Writer, ring: RingWriter, id: u32, args: &A, tags: &[u8], bound: usize, len: u64) {
    let cur = &w.cursor;
    // While the arguments are formatted, the thread has no ring to write to:
    // an event logged by a `Display` impl is dropped and counted.
    let busy = Busy::enter(w, ring);
    loop {
        // The rest of the open block, or of the next one. The cursor stays
        // where the ring's published position is, also if a `Display` impl
        // panics below.
        let Some(res) = ring.reserve_rest(cur, len.min(MAX_RECORD)) else {
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
            None => ring.next_block(cur),
        }
    }
    busy.done();
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
        w.ring.set(None);
        w.state.set(BUSY);
        Busy { w, ring }
    }

    #[inline(always)]
    fn done(self) {
        self.w.state.set(ACTIVE);
        self.w.ring.set(Some(self.ring));
        core::mem::forget(self);
    }
}

impl Drop for Busy<'_> {
    /// Only on unwinding: [`Busy::done`] forgets the guard.
    fn drop(&mut self) {
        self.w.state.set(ACTIVE);
        self.w.ring.set(Some(self.ring));
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
            let clock = crate::clock::init();
            let cfg = crate::settings::current();
            let (tid, name) = thread_identity();
            let (slot, start) = registry::claim(cfg.buffer_size, cfg.memory_budget, tid, &name);
            w.slot.set(Some(slot));
            w.owner.set(OWNERS.fetch_add(1, Ordering::Relaxed) + 1);
            w.stamp.set(match Clock::from_u8(clock) {
                Some(Clock::Tsc) => Stamp::Tsc,
                Some(Clock::Coarse) => Stamp::Coarse,
                Some(Clock::None) => Stamp::Zero,
                Some(Clock::Monotonic) | None => Stamp::Call,
            });
            match &slot.ring {
                Some(ring) => {
                    w.cursor.restart(start);
                    w.ring.set(Some(ring.writer()));
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
