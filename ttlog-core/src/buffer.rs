//! The per-thread rings: one writer (the owning thread), any number of readers
//! (snapshots) that copy a ring while it is written, and other writers that
//! may take a ring's oldest block when the memory budget is spent. None of
//! them waits for a reader, and a reader waits for nobody.
//!
//! ```text
//!  logical position (bytes the owner wrote, never wraps)
//!  ─────────────────────────────────────────────────────────────────────▶
//!  | block b-2          | block b-1           | block b           ^ head
//!  | seq |rec|rec|pad   | seq |rec|rec|rec|pad| seq |rec|rec|     (published)
//!     ▲                    ▲                     ▲
//!  table[(b-2) % cap]   table[(b-1) % cap]    table[b % cap]
//!  (each a 4 KiB block anywhere in memory, its identity: owner id, number)
//! ```
//!
//! **Blocks.** A ring is a table of up to `cap` blocks of [`BLOCK`] bytes,
//! holding the owner's logical blocks `b_lo..=b` (block `k` at `table[k %
//! cap]`). A ring starts with one block and grows by one each time its writer
//! fills the newest, while it has fewer than `cap` and the registry can give it
//! one (see `registry.rs`: a new block within the memory budget, or the oldest
//! block of an exited thread, or of the thread with the most); otherwise the
//! writer reuses its own oldest block, as a ring does. A block starts with one
//! word, the sequence number (count of events the owner wrote before it) of
//! its first record; records never straddle a block: one that does not fit in
//! the rest of the block ends it with a pad word (all zero) and goes to the
//! next block. The words are `AtomicU64`s: stored with relaxed stores, loaded
//! with relaxed loads, so no byte is ever accessed non-atomically by two
//! threads.
//!
//! **Records** are laid out as [`crate::wire::record`] describes: that layout is
//! part of the file format, since crash snapshots carry blocks as they are.
//!
//! **Identity.** Besides its words, each block carries who holds it: the
//! owner's id (unique in the process) and its logical number in the owner's
//! ring. A writer that gives a block a new identity (its own oldest block,
//! reused; a block taken from another ring; a new block) stores the identity,
//! executes a release fence, and only then writes into the block.
//!
//! **Why a reader never keeps a torn or foreign block.** A reader loads `head`
//! (acquire): every record before it was published (release) with all its
//! words. It copies the owner's blocks from the oldest the table lists up to
//! the newest, up to `head` in the newest. After copying a block it executes
//! an acquire fence and loads the block's identity: if its copy observed any
//! store made after the block got a new identity, the fences synchronise and
//! the identity it loads is the new one; so a block whose identity is still
//! (owner, number) was not rewritten during the copy, and the copy holds
//! exactly what that block held. A block that fails (or that the table no
//! longer lists) went before the newer ones could, so the reader forgets what
//! it kept so far and goes on with the next: it keeps the newest run of
//! blocks that pass, and nothing if the newest fails.
//!
//! **Counting what is gone.** Events before the oldest block a reader kept
//! were overwritten by the owner or evicted: taken with a block by another
//! writer, which removes the block from the table and adds its events to the
//! ring's `evicted` count. A taker brackets those two changes with the ring's
//! `steals` count, as a sequence lock: odd while it changes them (a store,
//! then a release fence), even again after (a release store). A reader loads
//! `steals` (acquire) before the copy and, after an acquire fence, again after
//! it, with `evicted` between; it retries when `steals` was odd or moved. If
//! the reader saw any change of a taker, the fences synchronise and the second
//! load sees `steals` moved; so when it did not move, the blocks kept and the
//! count are of one moment, and the events before the oldest block kept, less
//! those evicted, were overwritten.
//!
//! **Draining.** A continuous writer (`crate::continuous`) is a reader that
//! copies rings as above and then records, per ring, how many of the owner's
//! events it has taken (`drained`, stored under the ring's lock after the file
//! write). While one drains in `Block` mode ([`BLOCKING_WRITER`]), a block is
//! reused by its owner or taken by another writer only once `drained` reaches
//! the events it holds: the owner waits at the block switch (the cold path),
//! and a taker looks elsewhere. The check and the reuse happen under the ring's
//! lock, and `drained` is stored under it after the writer's copy, so the
//! writer's copy of a block happens before the block is written again. The
//! writer stores `drained` only once the bytes of the events it counts are
//! handed to the kernel (a killed process loses only what was not drained).
//!
//! **Chunks.** The writer drains a ring a few blocks at a time
//! ([`Ring::copy_from`]: from the block where its last copy ended, at most a
//! given number of blocks, each whole but the ring's newest), and stores
//! `drained` after each chunk is written: the owner may reuse those blocks
//! while the writer copies the next ones. A chunk is a copy like any other
//! (the same loads, fences and identity checks), so what is said above of a
//! copy holds for each; `drained` counts only the events of chunks written.
//!
//! **Waiting.** An owner that finds its oldest block undrained wakes the
//! writer, spins a few turns, then sleeps on a condition variable
//! (`DRAIN_SIGNAL`) that `set_drained` signals when the ring's owner waits.
//! The owner sets the ring's `waiting` and takes the signal's count (under
//! the signal's mutex) before it checks `drained` under the ring's lock, and
//! sleeps only while the count has not moved; `set_drained` stores `drained`
//! under the ring's lock, then loads `waiting`. If the owner's check read the
//! old `drained`, its release of the lock synchronises with the writer's
//! acquisition, so the writer's load sees `waiting` set, and its signal
//! (which moves the count under the mutex) either precedes the owner's look
//! at the count (no sleep) or wakes it. Only the length of a wait depends on
//! this argument, not what is kept: a sleep also ends after a timeout, and
//! under loom the owner only spins. To make the two sides overlap, an owner
//! in `Block` mode also wakes the writer at a block switch (never per event)
//! while more than half of its ring is past what the writer last reported
//! draining (`drained_at`, a hint), so that the writer drains one half while
//! the owner fills the other.

use crate::sync::{AtomicBool, AtomicPtr, AtomicU64, CachePadded, fence, spin_wait};
use crate::wire::record;
use core::cell::Cell;
use core::ptr::NonNull;
use core::sync::atomic::{AtomicU32, Ordering};
use std::sync::OnceLock;

/// The process id of the process whose continuous writer drains the rings in
/// `Block` mode, 0 when none does (see the module docs). A child of `fork`
/// has no writer thread: the id tells it so, and its rings overwrite as a
/// flight recorder's do.
pub(crate) static BLOCKING_WRITER: AtomicU32 = AtomicU32::new(0);
/// Wakes the continuous writer; called by a writer that waits for it.
pub(crate) static WAKE_WRITER: OnceLock<fn()> = OnceLock::new();
/// Whether the continuous writer may be asleep: set just before it sleeps
/// between drains, cleared when it wakes. A thread at a block switch wakes it
/// early only then; while it drains (as it does all the time under a heavy
/// load), the check of the process id alone would cost a system call a block
/// for nothing. A stale value costs at most the interval the writer sleeps: a thread that
/// finds its ring full wakes the writer whatever this says.
pub(crate) static WRITER_MAY_SLEEP: core::sync::atomic::AtomicBool = core::sync::atomic::AtomicBool::new(true);
/// Nanoseconds writers spent waiting for the continuous writer, all together.
pub(crate) static WAITED_NS: core::sync::atomic::AtomicU64 = core::sync::atomic::AtomicU64::new(0);

/// Whether a block holding the owner's events up to (not including) `end()`
/// must be kept for the continuous writer, whose count is `drained`. One
/// relaxed load when no writer blocks (the flight recorder). `ours(pid)` says
/// whether `pid` is this process's id (a system call, which a thread waiting
/// turn after turn asks once: see [`Wait::writer_is_ours`]).
#[inline(always)]
fn keep_for_writer(drained: &AtomicU64, end: impl FnOnce() -> u64, ours: impl FnOnce(u32) -> bool) -> bool {
    let pid = BLOCKING_WRITER.load(Ordering::Relaxed);
    #[cfg(ttlog_mutant = "no_drain_wait")]
    let pid = {
        let _ = pid;
        0
    };
    pid != 0 && drained.load(Ordering::Relaxed) < end() && ours(pid)
}

/// Turns of a wait for the continuous writer spent spinning before the
/// waiting thread sleeps until the writer signals that it drained a ring.
#[cfg(not(all(ttlog_loom, test)))]
const SPIN_TURNS: u32 = 64;

/// How long a waiting thread sleeps at most before it looks again (the writer
/// signals every drain of a ring that has a waiter: this bounds a wait only
/// if it did not, e.g. a writer that stopped).
#[cfg(not(all(ttlog_loom, test)))]
const WAIT_TIMEOUT: std::time::Duration = std::time::Duration::from_millis(1);

/// What the continuous writer signals when it advances `drained` on a ring
/// whose owner waits: a count of such drains, with the condition variable
/// the waiting owners sleep on.
#[cfg(not(all(ttlog_loom, test)))]
struct DrainSignal {
    drains: std::sync::Mutex<u64>,
    cv: std::sync::Condvar,
}

#[cfg(not(all(ttlog_loom, test)))]
static DRAIN_SIGNAL: DrainSignal = DrainSignal { drains: std::sync::Mutex::new(0), cv: std::sync::Condvar::new() };

#[cfg(not(all(ttlog_loom, test)))]
impl DrainSignal {
    fn drains(&self) -> std::sync::MutexGuard<'_, u64> {
        self.drains.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The count of signalled drains now: a waiter takes it before it checks
    /// its ring, and sleeps only while the count has not moved.
    fn ticket(&self) -> u64 {
        *self.drains()
    }

    /// Counts a drain and wakes every thread that waits.
    fn signal(&self) {
        *self.drains() += 1;
        self.cv.notify_all();
    }

    /// Sleeps until a drain after `ticket` is signalled, or the timeout.
    fn wait(&self, ticket: u64) {
        let g = self.drains();
        if *g == ticket {
            let _ = self.cv.wait_timeout(g, WAIT_TIMEOUT);
        }
    }
}

/// Wakes every thread that waits for the continuous writer (the writer calls
/// it when it stops: `Block` mode is over).
pub(crate) fn wake_waiters() {
    #[cfg(not(all(ttlog_loom, test)))]
    DRAIN_SIGNAL.signal();
}

/// A writer's wait for the continuous writer at a block switch: its turns so
/// far, when the first began, whether the blocking writer is this process's,
/// and, once it sleeps, the signal count it took before its last check.
#[derive(Debug, Default)]
struct Wait {
    turns: u32,
    start: Option<std::time::Instant>,
    ours: Option<bool>,
    #[cfg(not(all(ttlog_loom, test)))]
    ticket: Option<u64>,
}

impl Wait {
    /// Before a check of the ring (under its lock) that may end in a turn of
    /// waiting: once the spinning is over, says the owner waits (`waiting`,
    /// read by `set_drained` after it stores `drained` under the same lock)
    /// and takes a ticket, so that a drain signalled after the check ends
    /// the sleep that follows it.
    #[inline(always)]
    fn prepare(&mut self, ring: &Ring) {
        #[cfg(not(all(ttlog_loom, test)))]
        if self.turns >= SPIN_TURNS {
            ring.waiting.store(true, Ordering::Relaxed);
            self.ticket = Some(DRAIN_SIGNAL.ticket());
        }
        #[cfg(all(ttlog_loom, test))]
        let _ = ring;
    }

    /// Whether `pid`, the blocking writer's process id, is this process's (a
    /// child of `fork` has no writer thread). Asked of the system once a wait:
    /// the id does not change while the thread waits.
    fn writer_is_ours(&mut self, pid: u32) -> bool {
        *self.ours.get_or_insert_with(|| pid == std::process::id())
    }

    /// After the wait: the owner no longer waits; the time it waited, all its
    /// turns together, is added to [`WAITED_NS`].
    #[inline(always)]
    fn done(&self, ring: &Ring) {
        if let Some(start) = self.start {
            WAITED_NS.fetch_add(start.elapsed().as_nanos() as u64, Ordering::Relaxed);
        }
        #[cfg(not(all(ttlog_loom, test)))]
        if self.turns >= SPIN_TURNS {
            ring.waiting.store(false, Ordering::Relaxed);
        }
        #[cfg(all(ttlog_loom, test))]
        let _ = ring;
    }
}

/// One turn of a wait for the continuous writer: wakes the writer at the
/// first turn, spins a while, then sleeps until the writer drains a ring that
/// has a waiter. The clock is read once a wait, not once a turn (see
/// [`Wait::done`]): a turn of spinning is shorter than a read of the clock.
#[cold]
#[inline(never)]
fn wait_for_writer(wait: &mut Wait) {
    wait.start.get_or_insert_with(std::time::Instant::now);
    wait_turn(wait);
}

fn wait_turn(wait: &mut Wait) {
    wait.turns += 1;
    // Under loom the wait is a spin that lets the model run the other thread.
    #[cfg(all(ttlog_loom, test))]
    spin_wait();
    #[cfg(not(all(ttlog_loom, test)))]
    wait_turn_std(wait);
}

#[cfg(not(all(ttlog_loom, test)))]
fn wait_turn_std(wait: &mut Wait) {
    if wait.turns == 1 {
        wake_writer();
    }
    match wait.ticket {
        Some(ticket) => {
            // The writer may have gone to sleep since the first turn.
            wake_writer();
            DRAIN_SIGNAL.wait(ticket);
        }
        None => spin_wait(),
    }
}

/// Wakes the continuous writer, if one was started (an unpark: a system call
/// only if the writer sleeps).
#[cfg(not(all(ttlog_loom, test)))]
fn wake_writer() {
    if let Some(wake) = WAKE_WRITER.get() {
        wake();
    }
}

/// At a block switch in `Block` mode: wakes the continuous writer when more
/// than half of the ring holds events it has not drained (by the position it
/// last reported), so that it drains while the owner fills the other half
/// rather than once the owner waits. Once per block, never per event.
#[inline(always)]
fn wake_early(ring: &Ring, number: u64) {
    #[cfg(not(all(ttlog_loom, test)))]
    {
        let undrained = (number * BLOCK).saturating_sub(ring.drained_at.load(Ordering::Relaxed));
        if undrained > ring.cap() as u64 * BLOCK / 2
            && WRITER_MAY_SLEEP.load(Ordering::Relaxed)
            && BLOCKING_WRITER.load(Ordering::Relaxed) == std::process::id()
        {
            wake_writer();
        }
    }
    #[cfg(all(ttlog_loom, test))]
    let _ = (ring, number);
}

/// Bytes per block. A record is at most a block minus its header word.
#[cfg(not(all(ttlog_loom, test)))]
pub const BLOCK: u64 = 4096;
/// Bytes per block (small under loom, so a model run fills blocks quickly).
#[cfg(all(ttlog_loom, test))]
pub const BLOCK: u64 = 64;

/// Words per block.
pub const BLOCK_WORDS: usize = (BLOCK / 8) as usize;

/// The largest record, in bytes.
pub const MAX_RECORD: u64 = BLOCK - 8;
/// The smallest ring capacity: four blocks (two under loom).
#[cfg(not(all(ttlog_loom, test)))]
pub const MIN_CAPACITY: u64 = 4 * BLOCK;
/// The smallest ring capacity: four blocks (two under loom).
#[cfg(all(ttlog_loom, test))]
pub const MIN_CAPACITY: u64 = 2 * BLOCK;

/// Blocks of a ring of `bytes` bytes: at least [`MIN_CAPACITY`]'s, a power of
/// two.
pub(crate) fn blocks_for(bytes: u64) -> usize {
    (bytes.max(MIN_CAPACITY).next_power_of_two() / BLOCK) as usize
}

/// One block: its identity and its words.
#[derive(Debug)]
pub(crate) struct Block {
    /// The id of the owner whose ring holds it (0: none yet).
    owner: AtomicU64,
    /// Its logical number in that owner's ring.
    number: AtomicU64,
    words: [AtomicU64; BLOCK_WORDS],
}

impl Block {
    /// A new block, in memory of its own that lives for the rest of the
    /// process (blocks are never freed: they move between rings).
    pub(crate) fn leak() -> &'static Block {
        Box::leak(Box::new(Block {
            owner: AtomicU64::new(0),
            number: AtomicU64::new(0),
            words: core::array::from_fn(|_| AtomicU64::new(0)),
        }))
    }

    /// Its words, for tests that check what a writer stored.
    #[cfg(test)]
    pub(crate) fn words_for_test(&self) -> &[AtomicU64] {
        &self.words
    }

    /// Whether it holds logical block `number` of `owner`, for tests.
    #[cfg(test)]
    pub(crate) fn is_for_test(&self, owner: u64, number: u64) -> bool {
        self.is(owner, number)
    }

    /// The sequence number of its first record (its header word).
    fn seq(&self) -> u64 {
        self.words[0].load(Ordering::Relaxed)
    }

    /// Whether it holds logical block `number` of owner `owner`. The loads are
    /// acquires: a reader that sees a new identity sees what was written
    /// before it (the `evicted` count of the ring it was taken from).
    fn is(&self, owner: u64, number: u64) -> bool {
        self.owner.load(Ordering::Acquire) == owner && self.number.load(Ordering::Acquire) == number
    }
}

/// The writer's private position in its ring: where the next record goes (a
/// logical position) and how many records the owner wrote. Cells, so that
/// the owning thread keeps it in its thread-local storage and the write path
/// updates it in place.
#[derive(Debug, Default)]
pub(crate) struct Cursor {
    pub(crate) pos: Cell<u64>,
    pub(crate) seq: Cell<u64>,
}

impl Cursor {
    /// A cursor at position 0, before any record.
    pub(crate) const fn new() -> Cursor {
        Cursor { pos: Cell::new(0), seq: Cell::new(0) }
    }

    /// Moves the cursor to `pos` of a new owner, before any record.
    pub(crate) fn restart(&self, pos: u64) {
        self.pos.set(pos);
        self.seq.set(0);
    }
}

/// Whether a record of `len` bytes fits in the open block at `pos`: `len` is
/// at most [`MAX_RECORD`], and the record ends at or before the block's end.
/// At a block boundary it does not fit: the next block's header comes first.
/// One compare on the hot path, where `len` is a constant.
#[inline(always)]
pub(crate) const fn fits(pos: u64, len: u64) -> bool {
    // With `o = pos % BLOCK`: `o != 0 && o + len <= BLOCK`, in one compare
    // (`o - 1` wraps to the largest value when `o` is 0).
    len <= MAX_RECORD && (pos & (BLOCK - 1)).wrapping_sub(1) < BLOCK - len
}

/// The writer's view of its ring: the ring and its open block, both alive
/// for the rest of the process. A thread that has no ring has no
/// `RingWriter` (an `Option`).
#[derive(Clone, Copy, Debug)]
pub(crate) struct RingWriter {
    /// The block that holds the cursor's position.
    block: &'static Block,
    ring: &'static Ring,
}

/// Space in the open block that the writer may fill with one record:
/// `[at, end)`, 8-byte aligned, inside the block, at or after the published
/// position (so that no reader trusts what is there yet). Only [`RingWriter`]
/// makes one.
#[derive(Debug)]
pub(crate) struct Reservation {
    block: &'static Block,
    at: u64,
    end: u64,
}

impl Reservation {
    /// Bytes reserved.
    #[inline(always)]
    pub(crate) fn len(&self) -> u64 {
        self.end - self.at
    }

    /// The reserved words: a pointer to the first and their number. They are
    /// words of one block, which lives for the rest of the process.
    #[inline(always)]
    pub(crate) fn words(&self) -> (NonNull<AtomicU64>, usize) {
        let base = NonNull::from(&self.block.words[..]).cast::<AtomicU64>();
        // SAFETY: `at` and `end` lie in one block (`fits`, `reserve_rest`), so
        // the index is below `BLOCK_WORDS`; the pointer is derived from the
        // whole array, so it may reach every word of it.
        (unsafe { base.add(((self.at & (BLOCK - 1)) >> 3) as usize) }, ((self.end - self.at) / 8) as usize)
    }

    /// Whether this reservation starts its block (right after the block's
    /// header word): a record that does not fit here fits nowhere.
    #[inline(always)]
    pub(crate) fn starts_block(&self) -> bool {
        self.at & (BLOCK - 1) == 8
    }
}

/// Where the writer's next block comes from, decided by the registry when the
/// open block is full: a block to add to the ring, or none, to reuse the ring's
/// own oldest block.
pub(crate) type NextBlock<'a> = &'a mut dyn FnMut(&'static Ring) -> Option<&'static Block>;

impl RingWriter {
    /// A reservation of `len` bytes at `pos` if the record fits in the open
    /// block there (the hot path: one compare, no call).
    #[inline(always)]
    pub(crate) fn try_reserve(self, pos: u64, len: u64) -> Option<Reservation> {
        if fits(pos, len) { Some(Reservation { block: self.block, at: pos, end: pos + len }) } else { None }
    }

    /// A reservation of `len` bytes, in the open block if it fits there, else
    /// at the start of the next one (from `next`; the writer that holds it
    /// comes back too). `None` if `len` exceeds [`MAX_RECORD`].
    #[inline(always)]
    pub(crate) fn reserve(self, cur: &Cursor, len: u64, next: NextBlock<'_>) -> (RingWriter, Option<Reservation>) {
        if let Some(res) = self.try_reserve(cur.pos.get(), len) {
            return (self, Some(res));
        }
        if len > MAX_RECORD {
            return (self, None);
        }
        let w = self.next_block(cur, next);
        (w, w.try_reserve(cur.pos.get(), len))
    }

    /// A reservation of the rest of the open block (at least `min_len` bytes,
    /// a multiple of 8), opening the next block first when the open one has
    /// less room: for records whose length is known only once they are
    /// written. `None` if `min_len` exceeds [`MAX_RECORD`].
    pub(crate) fn reserve_rest(
        self,
        cur: &Cursor,
        min_len: u64,
        next: NextBlock<'_>,
    ) -> (RingWriter, Option<Reservation>) {
        if min_len > MAX_RECORD {
            return (self, None);
        }
        let w = if fits(cur.pos.get(), min_len) { self } else { self.next_block(cur, next) };
        let at = cur.pos.get();
        (w, Some(Reservation { block: w.block, at, end: (at | (BLOCK - 1)) + 1 }))
    }

    /// Ends the open block and opens the next one (see [`Ring::advance`]).
    /// Cold: once per block.
    #[cold]
    #[inline(never)]
    pub(crate) fn next_block(self, cur: &Cursor, next: NextBlock<'_>) -> RingWriter {
        let pos = cur.pos.get();
        if !pos.is_multiple_of(BLOCK) {
            // The pad word: the rest of the block is unused.
            self.block.words[((pos & (BLOCK - 1)) >> 3) as usize].store(0, Ordering::Relaxed);
        }
        let number = pos.div_ceil(BLOCK);
        // The registry's decision first: it may lock other rings, never this
        // one (lock order: registry, then a ring).
        let given =
            if self.ring.count.load(Ordering::Relaxed) < self.ring.cap() as u64 { next(self.ring) } else { None };
        let block = self.ring.advance(number, given, cur.seq.get());
        wake_early(self.ring, number);
        cur.pos.set(number * BLOCK + 8);
        RingWriter { block, ring: self.ring }
    }

    /// Publishes the record of `len` bytes (at most the reservation's length)
    /// written in `res`, and advances the cursor past it.
    #[inline(always)]
    pub(crate) fn commit(self, cur: &Cursor, res: Reservation, len: u64) {
        let end = res.at + len.min(res.len());
        cur.pos.set(end);
        cur.seq.set(cur.seq.get() + 1);
        self.ring.head.store(end, Ordering::Release);
    }
}

/// A lock that only the cold paths take (a writer's block switch, a thief),
/// never a reader: short sections, so a spin.
#[derive(Debug, Default)]
struct SpinLock(AtomicBool);

impl SpinLock {
    fn lock(&self) -> SpinGuard<'_> {
        while self.0.compare_exchange_weak(false, true, Ordering::Acquire, Ordering::Relaxed).is_err() {
            spin_wait();
        }
        SpinGuard(self)
    }
}

struct SpinGuard<'a>(&'a SpinLock);

impl Drop for SpinGuard<'_> {
    fn drop(&mut self) {
        self.0.0.store(false, Ordering::Release);
    }
}

/// A ring of up to `cap` blocks, shared by its writer, readers and thieves.
#[derive(Debug)]
pub(crate) struct Ring {
    /// Logical position just past the last published record of the owner.
    head: CachePadded<AtomicU64>,
    /// The owner's id: the identity of its blocks.
    owner: AtomicU64,
    /// Logical block `k` of the owner is at `table[k % cap]` (or the entry is
    /// null, or holds a block that is no longer `k`).
    table: Box<[AtomicPtr<Block>]>,
    /// Changes of the table, the oldest number and the count: the owner's
    /// block switches and other writers taking the oldest block.
    lock: SpinLock,
    /// The oldest logical block the table holds (written under `lock`).
    oldest: AtomicU64,
    /// Blocks the table holds (written under `lock`).
    count: AtomicU64,
    /// Events of the owner taken with blocks by other writers.
    evicted: AtomicU64,
    /// Takings of a block by other writers, twice: odd while one changes the
    /// table and `evicted` (a sequence lock for readers).
    steals: AtomicU64,
    /// The owner's count of events once it exited (`u64::MAX` while it logs).
    final_seq: AtomicU64,
    /// The owner's events the continuous writer has taken (written under
    /// `lock`; see the module docs).
    drained: AtomicU64,
    /// A logical position at or before the end of what the writer drained:
    /// a hint for when to wake it (`wake_early`), no part of the protocol.
    drained_at: core::sync::atomic::AtomicU64,
    /// Whether the owner sleeps until the writer drains this ring (written by
    /// the owner before the check under `lock` that precedes the sleep,
    /// read by `set_drained` after it stores `drained` under `lock`). Not a
    /// model atomic: under loom a waiting owner spins and never sets it.
    waiting: core::sync::atomic::AtomicBool,
}

impl Ring {
    /// An empty ring of at most `cap` blocks (a power of two).
    pub(crate) fn new(cap: usize) -> Ring {
        Ring {
            head: CachePadded::new(AtomicU64::new(0)),
            owner: AtomicU64::new(0),
            table: (0..cap.max(1)).map(|_| AtomicPtr::new(core::ptr::null_mut())).collect(),
            lock: SpinLock::default(),
            oldest: AtomicU64::new(0),
            count: AtomicU64::new(0),
            evicted: AtomicU64::new(0),
            steals: AtomicU64::new(0),
            final_seq: AtomicU64::new(u64::MAX),
            drained: AtomicU64::new(0),
            drained_at: core::sync::atomic::AtomicU64::new(0),
            waiting: core::sync::atomic::AtomicBool::new(false),
        }
    }

    /// Blocks the ring may hold.
    pub(crate) fn cap(&self) -> usize {
        self.table.len()
    }

    /// Blocks the ring holds now.
    pub(crate) fn count(&self) -> usize {
        self.count.load(Ordering::Relaxed) as usize
    }

    /// Events of the owner taken with blocks by other writers (not a
    /// consistent count: a copy gives one with its blocks).
    pub(crate) fn evicted(&self) -> u64 {
        self.evicted.load(Ordering::Acquire)
    }

    /// The owner's id.
    pub(crate) fn owner(&self) -> u64 {
        self.owner.load(Ordering::Relaxed)
    }

    /// Gives `block` its identity (owner, `number`), then the release fence
    /// that must precede any store into it, then puts it in the table.
    fn install(&self, block: &'static Block, owner: u64, number: u64) {
        block.owner.store(owner, Ordering::Relaxed);
        block.number.store(number, Ordering::Release);
        // CI checks that the model tests fail without it (`tests/loom_ring.rs`).
        #[cfg(not(ttlog_mutant = "no_block_fence"))]
        fence(Ordering::Release);
        let slot = &self.table[(number % self.cap() as u64) as usize];
        slot.store(block as *const Block as *mut Block, Ordering::Release);
    }

    /// Makes `owner` (unique in the process, not 0) the ring's owner, with
    /// `first` as its first block if it got one. The ring must hold no block.
    /// Returns the writer (whose cursor starts at position 8), if a block.
    pub(crate) fn start_owner(&'static self, owner: u64, first: Option<&'static Block>) -> Option<RingWriter> {
        let _g = self.lock.lock();
        debug_assert_eq!(self.count.load(Ordering::Relaxed), 0);
        self.owner.store(owner, Ordering::Relaxed);
        self.evicted.store(0, Ordering::Relaxed);
        self.final_seq.store(u64::MAX, Ordering::Relaxed);
        self.drained.store(0, Ordering::Relaxed);
        self.drained_at.store(0, Ordering::Relaxed);
        self.oldest.store(0, Ordering::Relaxed);
        self.head.store(0, Ordering::Release);
        let first = first?;
        self.install(first, owner, 0);
        first.words[0].store(0, Ordering::Relaxed);
        self.count.store(1, Ordering::Relaxed);
        Some(RingWriter { block: first, ring: self })
    }

    /// Opens logical block `number` (the one after the newest) with `given`
    /// added to the ring, or else the ring's own oldest block (reused), and
    /// writes its header (`seq`). Then publishes the block's start: a reader
    /// that sees it sees the pad word that ended the block before.
    fn advance(&'static self, number: u64, given: Option<&'static Block>, seq: u64) -> &'static Block {
        let owner = self.owner();
        let cap = self.cap() as u64;
        let mut wait = Wait::default();
        let block = loop {
            wait.prepare(self);
            let g = self.lock.lock();
            let oldest = self.oldest.load(Ordering::Relaxed);
            let count = self.count.load(Ordering::Relaxed);
            let block = match given {
                Some(b) if count < cap => {
                    self.count.store(count + 1, Ordering::Relaxed);
                    b
                }
                _ if keep_for_writer(&self.drained, || self.oldest_end(seq), |pid| wait.writer_is_ours(pid)) => {
                    // `Block` mode: the oldest block holds events the writer
                    // has not taken yet.
                    drop(g);
                    wait_for_writer(&mut wait);
                    continue;
                }
                _ => {
                    // The oldest block; its index is free once the block moves.
                    let at = &self.table[(oldest % cap) as usize];
                    let p = at.load(Ordering::Relaxed);
                    at.store(core::ptr::null_mut(), Ordering::Relaxed);
                    self.oldest.store(oldest + 1, Ordering::Relaxed);
                    // SAFETY: table entries are null or point to leaked blocks
                    // (`Block::leak`), never freed; the ring holds at least one
                    // block (its newest), and the oldest is listed.
                    unsafe { &*p }
                }
            };
            self.install(block, owner, number);
            block.words[0].store(seq, Ordering::Relaxed);
            drop(g);
            break block;
        };
        wait.done(self);
        self.head.store(number * BLOCK, Ordering::Release);
        block
    }

    /// The owner's count of events at the end of its oldest block (`seq`, the
    /// owner's count now, when that block is its only one). Under `lock`.
    #[cold]
    #[inline(never)]
    fn oldest_end(&self, seq: u64) -> u64 {
        let count = self.count.load(Ordering::Relaxed);
        if count <= 1 {
            return seq;
        }
        let cap = self.cap() as u64;
        let next = self.table[((self.oldest.load(Ordering::Relaxed) + 1) % cap) as usize].load(Ordering::Relaxed);
        // SAFETY: under the lock, the `count > 1` blocks from the oldest on
        // are listed (entries of leaked blocks, never freed), the one after
        // the oldest included.
        unsafe { &*next }.seq()
    }

    /// Records that the continuous writer took the events of `owner` up to
    /// (not including) `seq`, if `owner` still owns the ring; `at` is a
    /// logical position at or before the end of those events (a hint for
    /// when to wake the writer). Wakes the owner if it waits for the drain.
    pub(crate) fn set_drained(&self, owner: u64, seq: u64, at: u64) {
        {
            let _g = self.lock.lock();
            if self.owner.load(Ordering::Relaxed) == owner && seq > self.drained.load(Ordering::Relaxed) {
                self.drained.store(seq, Ordering::Relaxed);
                self.drained_at.store(at, Ordering::Relaxed);
            }
        }
        // After the lock: an owner that checked `drained` under it before
        // this store had set `waiting` before its check (and taken its
        // ticket), so the load sees it and the signal ends its sleep.
        #[cfg(not(all(ttlog_loom, test)))]
        if self.waiting.load(Ordering::Relaxed) {
            DRAIN_SIGNAL.signal();
        }
    }

    /// Logical position just past the last published record (a hint for how
    /// much a drain must copy).
    pub(crate) fn head(&self) -> u64 {
        self.head.load(Ordering::Relaxed)
    }

    /// Takes the ring's oldest block for another writer: only if the ring
    /// keeps a block after it (its newest), or its owner exited. Its events
    /// are added to `evicted` after the block leaves the table. Returns the
    /// block, which keeps its identity until the taker gives it a new one,
    /// and the number of events it held.
    pub(crate) fn take_oldest(&self) -> Option<(&'static Block, u64)> {
        let _g = self.lock.lock();
        let count = self.count.load(Ordering::Relaxed);
        let exited = self.final_seq.load(Ordering::Relaxed) != u64::MAX;
        if count == 0 || (count == 1 && !exited) {
            return None;
        }
        let cap = self.cap() as u64;
        let oldest = self.oldest.load(Ordering::Relaxed);
        let at = &self.table[(oldest % cap) as usize];
        let p = at.load(Ordering::Relaxed);
        // SAFETY: as in `advance`: the oldest of `count > 0` blocks is listed,
        // and blocks are never freed.
        let block: &'static Block = unsafe { &*p };
        let events = if count > 1 {
            // SAFETY: as above: the next block is listed too.
            let next: &'static Block = unsafe { &*self.table[((oldest + 1) % cap) as usize].load(Ordering::Relaxed) };
            next.seq() - block.seq()
        } else {
            self.final_seq.load(Ordering::Relaxed) - block.seq()
        };
        if keep_for_writer(&self.drained, || block.seq() + events, |pid| pid == std::process::id()) {
            return None;
        }
        let steals = self.steals.load(Ordering::Relaxed);
        self.steals.store(steals + 1, Ordering::Relaxed);
        fence(Ordering::Release);
        at.store(core::ptr::null_mut(), Ordering::Relaxed);
        self.oldest.store(oldest + 1, Ordering::Relaxed);
        self.count.store(count - 1, Ordering::Relaxed);
        self.evicted.store(self.evicted.load(Ordering::Relaxed) + events, Ordering::Relaxed);
        self.steals.store(steals + 2, Ordering::Release);
        Some((block, events))
    }

    /// Records that the owner exited after writing `seq` events: its blocks
    /// may all be taken now.
    pub(crate) fn finish(&self, seq: u64) {
        let _g = self.lock.lock();
        self.final_seq.store(seq, Ordering::Relaxed);
    }

    /// Takes the ring's lock and keeps it, until [`Ring::fork_unlock`]: for
    /// `fork`, so that a child does not inherit it held by a thread it does
    /// not have (see `write/fork.rs`).
    pub(crate) fn fork_lock(&self) {
        core::mem::forget(self.lock.lock());
    }

    /// Releases the lock [`Ring::fork_lock`] took.
    pub(crate) fn fork_unlock(&self) {
        self.lock.0.store(false, Ordering::Release);
    }

    /// In a child created by `fork`, for a ring whose owner is a thread of
    /// the parent: records it as exited, so that its blocks may all be taken
    /// (its count of events, unknown here, as that of its newest block's
    /// start: the counts of a parent's ring are not the child's).
    pub(crate) fn orphan(&self) {
        let _g = self.lock.lock();
        if self.final_seq.load(Ordering::Relaxed) != u64::MAX {
            return;
        }
        let count = self.count.load(Ordering::Relaxed);
        let seq = if count == 0 {
            0
        } else {
            let newest = self.oldest.load(Ordering::Relaxed) + count - 1;
            let p = self.table[(newest % self.cap() as u64) as usize].load(Ordering::Relaxed);
            // SAFETY: the newest of `count > 0` blocks is listed (as in
            // `take_oldest`), and blocks are never freed.
            unsafe { &*p }.seq()
        };
        self.final_seq.store(seq, Ordering::Release);
    }

    /// The owner's count of events, if it exited.
    pub(crate) fn final_seq(&self) -> Option<u64> {
        let s = self.final_seq.load(Ordering::Acquire);
        (s != u64::MAX).then_some(s)
    }

    /// Copies the records of `owner` published at the time of the call (the
    /// blocks `span` chooses) into `sink`, oldest block first.
    /// Returns how many blocks `sink` holds in the end, with the ring's
    /// `evicted` count of the same moment and the logical position just past
    /// the words copied; `None` when the owner had records
    /// but not even the newest block passed (its writer went round the whole
    /// ring during the copy) or another writer took a block meanwhile.
    fn copy_with(&self, owner: u64, from: Span, sink: &mut impl CopySink) -> Option<(usize, u64, u64)> {
        let steals = self.steals.load(Ordering::Acquire);
        if steals & 1 == 1 {
            return None;
        }
        let (kept, end) = self.copy_blocks(owner, from, sink)?;
        let evicted = self.evicted.load(Ordering::Relaxed);
        fence(Ordering::Acquire);
        // CI checks that the model tests fail without the check.
        #[cfg(not(ttlog_mutant = "no_steal_check"))]
        if self.steals.load(Ordering::Relaxed) != steals {
            return None;
        }
        Some((kept, evicted, end))
    }

    /// The copy of the blocks, for [`Ring::copy_with`]: from the oldest the
    /// ring may hold up to the newest, each validated after it is copied. A
    /// block that fails (taken or reused meanwhile: the oldest go first)
    /// empties the sink, since every older block has gone too; the copy goes
    /// on with the newer ones.
    fn copy_blocks(&self, owner: u64, span: Span, sink: &mut impl CopySink) -> Option<(usize, u64)> {
        let h = self.head.load(Ordering::Acquire);
        if h == 0 || span.newest == 0 || span.count == 0 {
            return Some((0, 0));
        }
        // The newest block with records, and the words of it to copy.
        let (newest, last_words) = match h % BLOCK {
            0 => (h / BLOCK - 1, BLOCK_WORDS),
            r => (h / BLOCK, (r / 8) as usize),
        };
        let cap = self.cap() as u64;
        // The oldest block the ring holds, read as a hint (a block below it
        // is not listed, or fails).
        let lowest = (newest + 1)
            .saturating_sub(span.newest.min(cap))
            .max(self.oldest.load(Ordering::Relaxed).min(newest))
            .max(span.from.min(newest));
        // At most `span.count` blocks from there: the last one whole.
        let (newest, last_words) =
            if newest - lowest >= span.count { (lowest + span.count - 1, BLOCK_WORDS) } else { (newest, last_words) };
        let mut kept = 0;
        for number in lowest..=newest {
            let p = self.table[(number % cap) as usize].load(Ordering::Acquire);
            if p.is_null() {
                sink.reset();
                kept = 0;
                continue;
            }
            // SAFETY: table entries point to leaked blocks, never freed.
            let block: &'static Block = unsafe { &*p };
            sink.append(&block.words[..if number == newest { last_words } else { BLOCK_WORDS }]);
            fence(Ordering::Acquire);
            // CI checks that the model tests fail without the check.
            #[cfg(not(ttlog_mutant = "no_lap_check"))]
            if !block.is(owner, number) {
                sink.reset();
                kept = 0;
                if number == newest {
                    // The writer went round the whole ring meanwhile (or the
                    // owner changed): nothing here can be trusted.
                    return None;
                }
                continue;
            }
            #[cfg(ttlog_mutant = "no_lap_check")]
            let _ = owner;
            kept += 1;
        }
        Some((kept, newest * BLOCK + 8 * last_words as u64))
    }

    /// [`Ring::copy_with`] into a new vector: the kept blocks, oldest first.
    pub(crate) fn copy(&self, owner: u64, max_blocks: usize) -> Option<RingCopy> {
        // Room for the words the ring holds now: its full blocks and what is
        // written of the newest (a ring that moves on meanwhile makes the
        // vector grow: rare, and cheaper than room for more in every copy of
        // a thread that logged a few events).
        let blocks = max_blocks.min(self.cap()).min(self.count().max(1));
        let newest = match self.head.load(Ordering::Relaxed) % BLOCK {
            0 => BLOCK_WORDS,
            r => (r / 8) as usize,
        };
        let mut sink = VecSink(Vec::with_capacity((blocks - 1) * BLOCK_WORDS + newest));
        let (_, evicted, end) = self.copy_with(owner, Span::newest(max_blocks), &mut sink)?;
        Some(RingCopy { words: sink.0, evicted, end })
    }

    /// [`Ring::copy`] of at most `count` blocks from logical block `from` on
    /// (from the oldest still held, if older ones have gone), into `words`
    /// (cleared first: the continuous writer reuses one vector from drain to
    /// drain).
    pub(crate) fn copy_from(&self, owner: u64, from: u64, count: u64, mut words: Vec<u64>) -> Option<RingCopy> {
        words.clear();
        let mut sink = VecSink(words);
        let (_, evicted, end) = self.copy_with(owner, Span { from, count, newest: u64::MAX }, &mut sink)?;
        Some(RingCopy { words: sink.0, evicted, end })
    }

    /// [`Ring::copy`] into `buf`, without allocating (the crash path uses it):
    /// returns the range of `buf` that holds the kept blocks, oldest first, and
    /// the `evicted` count. If `buf` is smaller than the ring, only the newest
    /// blocks that fit are copied.
    pub(crate) fn copy_into(&self, owner: u64, buf: &mut [u64]) -> Option<(core::ops::Range<usize>, u64)> {
        let max = buf.len() / BLOCK_WORDS;
        let mut sink = SliceSink { buf, len: 0 };
        let (_, evicted, _) = self.copy_with(owner, Span::newest(max), &mut sink)?;
        Some((0..sink.len, evicted))
    }
}

/// Which blocks a copy takes: none before logical block `from`, none of the
/// blocks older than the `newest` newest, and at most `count` blocks from the
/// oldest of the others (the last of them whole).
#[derive(Clone, Copy, Debug)]
struct Span {
    from: u64,
    newest: u64,
    count: u64,
}

impl Span {
    /// The newest `blocks` blocks.
    fn newest(blocks: usize) -> Span {
        Span { from: 0, newest: blocks as u64, count: u64::MAX }
    }
}

/// Where a copy puts the blocks it copies.
trait CopySink {
    /// Appends a block's words (loaded with relaxed loads).
    fn append(&mut self, words: &[AtomicU64]);
    /// Forgets every block appended so far.
    fn reset(&mut self);
}

/// Copies into a vector.
struct VecSink(Vec<u64>);

impl CopySink for VecSink {
    fn append(&mut self, words: &[AtomicU64]) {
        self.0.extend(words.iter().map(|w| w.load(Ordering::Relaxed)));
    }

    fn reset(&mut self) {
        self.0.clear();
    }
}

/// Copies into a buffer made in advance (blocks past its end are not kept:
/// the caller asks for no more than fit).
struct SliceSink<'a> {
    buf: &'a mut [u64],
    len: usize,
}

impl CopySink for SliceSink<'_> {
    fn append(&mut self, words: &[AtomicU64]) {
        let room = self.buf.len() - self.len;
        for (dst, w) in self.buf[self.len..].iter_mut().zip(words) {
            *dst = w.load(Ordering::Relaxed);
        }
        self.len += words.len().min(room);
    }

    fn reset(&mut self) {
        self.len = 0;
    }
}

/// A consistent copy of part of a ring: whole blocks in logical order, the
/// newest possibly partial.
#[derive(Debug, Clone, Default)]
pub(crate) struct RingCopy {
    pub(crate) words: Vec<u64>,
    /// The ring's count of evicted events when the copy was made.
    pub(crate) evicted: u64,
    /// The owner's logical position just past the words copied (0 when
    /// none): every record published before it is in the copy, if its block
    /// is.
    pub(crate) end: u64,
}

/// What walking a copy found.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Walk {
    /// Sequence number of the first record (events of the owner before it are gone).
    pub(crate) first_seq: u64,
    /// Records found.
    pub(crate) count: u64,
    /// Blocks cut short by an inconsistent record, or out of sequence.
    pub(crate) malformed: u64,
}

impl RingCopy {
    /// Counts the records: each block's header, then records until a pad word,
    /// the end of the block, or the end of the copy.
    pub(crate) fn walk(&self) -> Walk {
        walk(&self.words)
    }

    /// The records, in order. (The snapshot writer walks the words itself.)
    #[cfg(test)]
    pub(crate) fn records(&self) -> impl Iterator<Item = record::Record<'_>> {
        record::blocks(&self.words, BLOCK_WORDS).flat_map(|b| b.records().map_while(Result::ok))
    }
}

/// Walks copied ring words (starting at a block boundary).
pub(crate) fn walk(words: &[u64]) -> Walk {
    let mut walk = Walk::default();
    for (b, block) in record::blocks(words, BLOCK_WORDS).enumerate() {
        if b == 0 {
            walk.first_seq = block.seq;
        } else if block.seq != walk.first_seq + walk.count {
            // Sequence numbers must run on from the previous block.
            walk.malformed += 1;
        }
        for r in block.records() {
            match r {
                Ok(_) => walk.count += 1,
                Err(()) => walk.malformed += 1,
            }
        }
    }
    walk
}

#[cfg(all(test, not(ttlog_loom)))]
mod tests {
    use super::*;
    use crate::wire::record::RECORD_HEADER;
    use crate::write::record_writer::put_record;

    /// A ring of `cap` blocks with its first block, and its writer.
    fn ring(cap: usize, owner: u64) -> (&'static Ring, RingWriter) {
        let ring: &'static Ring = Box::leak(Box::new(Ring::new(cap)));
        let w = ring.start_owner(owner, Some(Block::leak())).expect("a writer");
        (ring, w)
    }

    /// Writes a record as the write path does: reserve (with `next` choosing
    /// the next block), `put_record`, commit.
    fn write(w: RingWriter, cur: &Cursor, id: u32, payload: &[u64], next: NextBlock<'_>) -> RingWriter {
        let len = RECORD_HEADER + 8 * payload.len() as u64;
        let (w, res) = w.reserve(cur, len, next);
        let res = res.expect("a record shorter than a block");
        let n = put_record(&res, id, 0xABCD, &[], |rw| {
            for v in payload {
                rw.put_le(*v as u128, 8);
            }
        })
        .expect("the record fits");
        assert_eq!(n, len);
        w.commit(cur, res, n);
        w
    }

    fn cursor() -> Cursor {
        let c = Cursor::new();
        c.restart(8);
        c
    }

    #[test]
    fn records_round_trip_in_one_block() {
        let (ring, mut w) = ring(4, 1);
        let cur = cursor();
        for i in 0..10u64 {
            w = write(w, &cur, 7, &[i, i * 2], &mut |_| None);
        }
        let copy = ring.copy(1, usize::MAX).unwrap();
        let walk = copy.walk();
        assert_eq!((walk.first_seq, walk.count, walk.malformed), (0, 10, 0));
        for (i, r) in copy.records().enumerate() {
            assert_eq!(r.words.len(), 4);
            assert_eq!(r.words[2], i as u64);
        }
        // Blocks of another owner are never kept.
        assert!(ring.copy(2, usize::MAX).is_none());
    }

    #[test]
    fn a_ring_grows_then_overwrites_its_oldest_blocks() {
        let (ring, mut w) = ring(4, 1);
        let cur = cursor();
        let n = 5_000u64;
        for i in 0..n {
            w = write(w, &cur, 3, &[i], &mut |_| Some(Block::leak()));
        }
        assert_eq!(ring.count(), 4);
        let copy = ring.copy(1, usize::MAX).unwrap();
        let walk = copy.walk();
        assert_eq!(walk.malformed, 0);
        assert_eq!(walk.first_seq + walk.count, n);
        assert!(walk.first_seq > 0);
        for (k, r) in copy.records().enumerate() {
            assert_eq!(r.words[2], walk.first_seq + k as u64);
        }
        // At least three whole blocks of history survive.
        assert!(walk.count * 24 >= 3 * (BLOCK - 8), "kept {} events", walk.count);
        assert_eq!(ring.evicted(), 0);
    }

    #[test]
    fn taking_the_oldest_block_counts_its_events_as_evicted() {
        let (ring, mut w) = ring(8, 1);
        let cur = cursor();
        for i in 0..1_000u64 {
            w = write(w, &cur, 3, &[i], &mut |_| Some(Block::leak()));
        }
        let before = ring.copy(1, usize::MAX).unwrap().walk();
        assert_eq!((before.first_seq, before.count), (0, 1_000));
        let (block, events) = ring.take_oldest().expect("more than one block");
        assert_eq!(events, (BLOCK - 8) / 24);
        assert_eq!(ring.evicted(), events);
        // The taker gives it a new identity: it is no longer the ring's.
        let (other, _) = self::ring(2, 9);
        other.install(block, 9, 5);
        let after = ring.copy(1, usize::MAX).unwrap().walk();
        assert_eq!(after.first_seq, events);
        assert_eq!(after.first_seq + after.count, 1_000);
        // A live ring keeps its newest block.
        while ring.take_oldest().is_some() {}
        assert_eq!(ring.count(), 1);
        ring.finish(1_000);
        assert!(ring.take_oldest().is_some());
        assert_eq!(ring.count(), 0);
        assert_eq!(ring.evicted(), 1_000);
        assert_eq!(ring.copy(1, usize::MAX).unwrap().words.len(), 0);
    }

    #[test]
    fn a_small_buffer_keeps_the_newest_blocks() {
        let (ring, mut w) = ring(8, 1);
        let cur = cursor();
        for i in 0..2_000u64 {
            w = write(w, &cur, 3, &[i], &mut |_| Some(Block::leak()));
        }
        let mut buf = vec![0u64; 2 * BLOCK_WORDS];
        let (kept, evicted) = ring.copy_into(1, &mut buf).unwrap();
        assert_eq!(evicted, 0);
        let walk = walk(&buf[kept.clone()]);
        assert_eq!(walk.malformed, 0);
        assert_eq!(walk.first_seq + walk.count, 2_000);
        assert!(walk.count >= (BLOCK - 8) / 24);
        // The same words as a copy into a vector of the same blocks.
        let copy = ring.copy(1, 2).unwrap();
        assert_eq!(&buf[kept], &copy.words[..]);
    }
}
