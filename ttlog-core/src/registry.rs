//! Every thread that logged: a lock-free, append-only list of slots, each with
//! its ring (see [`crate::buffer`]), and the blocks the rings are made of.
//!
//! A thread's first event claims a slot (cold path): a free one (of an exited
//! thread whose blocks are all gone) or a new one, and a first block. Slots are
//! never freed, so a snapshot (from any thread, a panic hook or a signal
//! handler) walks the list without locks and without allocating.
//!
//! **Blocks follow what threads log.** A ring starts with one block and grows
//! by one each time its writer fills the newest, up to its capacity. The
//! block comes, in this order of preference, from:
//!
//! 1. the memory budget: a new block while all blocks together stay within it;
//! 2. the thread that exited longest ago and still holds blocks: its oldest;
//! 3. the live thread that holds the most blocks, if that is more than the
//!    asking thread holds: its oldest (it keeps at least its newest);
//!
//! and if none, the asking thread reuses its own oldest block. So once the
//! budget is spent, what is kept is the most recent events of the whole
//! process, and every live thread keeps at least its latest events. Events
//! that leave with a block are counted for the thread that lost them
//! (`evicted`). The decisions are made under one lock ([`POOL`]), taken once per
//! block a ring grows by, never on the hot path, and never by a reader.
//!
//! A slot's owner changes only while its generation is odd; readers load the
//! generation before and after copying and retry when it moved, so a copy never
//! mixes two owners.

use crate::buffer::{BLOCK, Block, Ring, RingCopy, RingWriter, blocks_for};
use core::sync::atomic::{AtomicPtr, AtomicU8, AtomicU64, AtomicUsize, Ordering};
use std::collections::VecDeque;
use std::sync::Mutex;

/// Bytes of a thread name kept.
pub(crate) const NAME_BYTES: usize = 64;

const ACTIVE: u8 = 1;
const RETIRED: u8 = 2;

/// One thread's ring and its current owner.
#[derive(Debug)]
pub(crate) struct Slot {
    ring: &'static Ring,
    /// Even while the owner is stable; odd while it changes.
    generation: AtomicU64,
    state: AtomicU8,
    tid: AtomicU64,
    name: [AtomicU64; NAME_BYTES / 8],
    /// Events the current owner could not record (no block, too large, or
    /// logged from inside the formatting of another event's argument).
    dropped: AtomicU64,
    /// The slot's list in [`Pool::live`] (its ring's block count as the pool
    /// knows it) and its index there; `usize::MAX` when in none. Under
    /// [`POOL`]'s lock.
    pool_count: AtomicUsize,
    pool_index: AtomicUsize,
    /// Set in a child created by `fork` on the slots of the parent's
    /// threads: snapshots skip them, and their blocks go to the child's
    /// threads first. Cleared when a thread of the child takes the slot.
    inherited: core::sync::atomic::AtomicBool,
    next: AtomicPtr<Slot>,
}

impl Slot {
    fn new(cap: usize) -> Slot {
        Slot {
            ring: Box::leak(Box::new(Ring::new(cap))),
            generation: AtomicU64::new(0),
            state: AtomicU8::new(0),
            tid: AtomicU64::new(0),
            name: Default::default(),
            dropped: AtomicU64::new(0),
            pool_count: AtomicUsize::new(usize::MAX),
            pool_index: AtomicUsize::new(usize::MAX),
            inherited: core::sync::atomic::AtomicBool::new(false),
            next: AtomicPtr::new(core::ptr::null_mut()),
        }
    }

    /// Makes the calling thread the owner (with id `owner`), with `first` as
    /// its first block if it got one; returns the writer.
    fn take(&self, owner: u64, tid: u64, name: &str, first: Option<&'static Block>) -> Option<RingWriter> {
        let g = self.generation.load(Ordering::Relaxed);
        self.generation.store(g + 1, Ordering::Relaxed);
        core::sync::atomic::fence(Ordering::Release);
        self.tid.store(tid, Ordering::Relaxed);
        let mut bytes = [0u8; NAME_BYTES];
        let n = floor_char_boundary(name, NAME_BYTES);
        bytes[..n].copy_from_slice(&name.as_bytes()[..n]);
        for (w, chunk) in self.name.iter().zip(bytes.chunks_exact(8)) {
            w.store(u64::from_le_bytes(chunk.try_into().unwrap_or([0; 8])), Ordering::Relaxed);
        }
        self.dropped.store(0, Ordering::Relaxed);
        self.inherited.store(false, Ordering::Relaxed);
        let writer = self.ring.start_owner(owner, first);
        self.state.store(ACTIVE, Ordering::Relaxed);
        self.generation.store(g + 2, Ordering::Release);
        writer
    }

    /// Counts an event of the current owner that could not be recorded. Only
    /// the owner writes the counter: a load and a store, no read-modify-write.
    /// The store is a release so that a capture that sees it also sees every
    /// record published before it (see `capture_with`).
    pub(crate) fn count_dropped(&self) {
        let d = self.dropped.load(Ordering::Relaxed);
        self.dropped.store(d + 1, Ordering::Release);
    }

    /// The current owner's count of events it could not record.
    pub(crate) fn dropped_now(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }

    /// The ring (for the continuous writer: its head, and what it drained).
    pub(crate) fn ring(&self) -> &'static Ring {
        self.ring
    }

    /// Reads the owner and copies its records (at most its newest
    /// `max_blocks` blocks), consistently.
    pub(crate) fn capture(&self, max_blocks: usize) -> Captured<RingCopy> {
        self.capture_with(|ring, owner| {
            ring.copy(owner, max_blocks).map(|c| {
                let evicted = c.evicted;
                (c, evicted)
            })
        })
    }

    /// [`Slot::capture`] of at most `count(blocks)` of the owner's blocks
    /// from logical block `from` on, where `blocks` is the most blocks its
    /// ring holds, into `words` (reused: see [`Ring::copy_from`]).
    pub(crate) fn capture_from(
        &self,
        from: u64,
        count: impl Fn(u64) -> u64,
        words: &mut Vec<u64>,
    ) -> Captured<RingCopy> {
        self.capture_with(|ring, owner| {
            ring.copy_from(owner, from, count(ring.cap() as u64), core::mem::take(words)).map(|c| {
                let evicted = c.evicted;
                (c, evicted)
            })
        })
    }

    /// [`Slot::capture`] into `buf`, without allocating (the crash path uses
    /// it). A ring larger than `buf` has its newest blocks copied.
    pub(crate) fn capture_raw(&self, buf: &mut [u64]) -> Captured<core::ops::Range<usize>> {
        self.capture_with(|ring, owner| ring.copy_into(owner, buf))
    }

    /// The generation protocol around a copy of the ring: reads the owner,
    /// copies with `copy`, and retries while the owner changed meanwhile, the
    /// writer went round the whole ring during the copy, or the owner dropped
    /// an event or lost a block to another thread meanwhile.
    ///
    /// The last two make the counts a consistent cut. The ring's copy gives
    /// its `evicted` count of the moment of the copy (see [`crate::buffer`]).
    /// The drop counter is read (acquire) before the copy loads the ring's
    /// head and again after;
    /// a drop is a release store, so every record published before a drop
    /// that the first read sees is in the copy, and a record in the copy that
    /// was published after a drop (a release store after it) makes the second
    /// read see that drop. Equal reads thus mean that the copy's records and
    /// the counts are those of one moment of the owner.
    fn capture_with<T>(&self, mut copy: impl FnMut(&Ring, u64) -> Option<(T, u64)>) -> Captured<T> {
        let mut last = None;
        for _ in 0..16 {
            let g1 = self.generation.load(Ordering::Acquire);
            if g1 & 1 == 1 {
                // A thread is taking the slot (`Slot::take`); a slot is free
                // for that only once its ring holds no block.
                std::hint::spin_loop();
                continue;
            }
            if g1 == 0 || self.inherited.load(Ordering::Acquire) {
                return Captured::Unowned;
            }
            let mut owner = self.owner(self.dropped.load(Ordering::Acquire), self.ring.evicted());
            last = Some(owner);
            let Some((copied, evicted)) = copy(self.ring, owner.id) else { continue };
            owner.evicted = evicted;
            let dropped = self.dropped.load(Ordering::Relaxed);
            core::sync::atomic::fence(Ordering::Acquire);
            if self.generation.load(Ordering::Relaxed) != g1 || dropped != owner.dropped {
                continue;
            }
            return Captured::Copied(owner, copied);
        }
        match last {
            Some(owner) => Captured::Failed(owner),
            // The slot was between owners during every attempt (the thread
            // taking it may be descheduled there for long): its ring was
            // empty, and the new owner had logged nothing.
            None => Captured::Unowned,
        }
    }

    /// The owner's fields, as they read now.
    fn owner(&self, dropped: u64, evicted: u64) -> Owner {
        let mut name = [0u8; NAME_BYTES];
        for (chunk, w) in name.chunks_exact_mut(8).zip(self.name.iter()) {
            chunk.copy_from_slice(&w.load(Ordering::Relaxed).to_le_bytes());
        }
        Owner {
            id: self.ring.owner(),
            tid: self.tid.load(Ordering::Relaxed),
            name,
            exited: self.state.load(Ordering::Relaxed) == RETIRED,
            dropped,
            evicted,
            final_seq: self.ring.final_seq(),
        }
    }
}

/// What a capture of a slot found.
#[derive(Debug)]
pub(crate) enum Captured<T> {
    /// No thread has owned the slot yet, or a new owner is taking it (the
    /// ring is empty then, and the new owner has logged nothing): nothing to
    /// show.
    Unowned,
    /// The owner and a consistent copy of its ring.
    Copied(Owner, T),
    /// The owner kept changing, or its writer kept going round its whole ring
    /// during every copy: the owner as last read (not checked for
    /// consistency), and no copy.
    Failed(Owner),
}

/// A slot's owner, as a capture read it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Owner {
    /// The owner's id (unique in the process).
    pub(crate) id: u64,
    pub(crate) tid: u64,
    /// The name's bytes, NUL-padded.
    pub(crate) name: [u8; NAME_BYTES],
    pub(crate) exited: bool,
    pub(crate) dropped: u64,
    /// Events taken with blocks by other threads.
    pub(crate) evicted: u64,
    /// The events the owner wrote, once it exited.
    pub(crate) final_seq: Option<u64>,
}

impl Owner {
    /// The name, as text.
    pub(crate) fn name_str(&self) -> &str {
        let len = self.name.iter().position(|&b| b == 0).unwrap_or(NAME_BYTES);
        match core::str::from_utf8(&self.name[..len]) {
            Ok(s) => s,
            // Cut inside a character when it was stored: keep what is whole.
            Err(e) => core::str::from_utf8(&self.name[..e.valid_up_to()]).unwrap_or(""),
        }
    }

    /// Events the owner wrote before the first record of a copy whose walk
    /// found `walk_first_seq` (0 when the copy holds no record): those are
    /// the overwritten and the evicted ones. A copy without records of an
    /// exited owner stands after all its events.
    pub(crate) fn before_copy(&self, records: u64, walk_first_seq: u64) -> u64 {
        match (records, self.final_seq) {
            (0, Some(total)) => total,
            _ => walk_first_seq,
        }
    }
}

/// The name of the live thread whose OS id is `tid`, copied into `buf`
/// ("" if it never logged). Lock-free and allocation-free: the signal
/// handlers call it.
pub(crate) fn thread_name(tid: u64, buf: &mut [u8; NAME_BYTES]) -> &str {
    let found = slots().find(|s| {
        s.state.load(Ordering::Relaxed) == ACTIVE
            && s.tid.load(Ordering::Relaxed) == tid
            && !s.inherited.load(Ordering::Relaxed)
    });
    let Some(slot) = found else { return "" };
    *buf = slot.owner(0, 0).name;
    let len = buf.iter().position(|&b| b == 0).unwrap_or(NAME_BYTES);
    match core::str::from_utf8(&buf[..len]) {
        Ok(s) => s,
        Err(e) => core::str::from_utf8(&buf[..e.valid_up_to()]).unwrap_or(""),
    }
}

fn floor_char_boundary(s: &str, max: usize) -> usize {
    if s.len() <= max {
        return s.len();
    }
    let mut i = max;
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// Head of the list of all slots, newest first.
static SLOTS: AtomicPtr<Slot> = AtomicPtr::new(core::ptr::null_mut());
/// Events of exited threads whose slots went to new threads, all of them
/// (those threads are no longer listed in snapshots).
static EVICTED: AtomicU64 = AtomicU64::new(0);
/// Events taken from rings with their blocks, for other threads.
static STOLEN: AtomicU64 = AtomicU64::new(0);
/// Threads that got no first block.
static BLOCKLESS: AtomicU64 = AtomicU64::new(0);
/// Times a thread was given a first block.
static HANDED_OUT: AtomicU64 = AtomicU64::new(0);
/// Owner ids handed out so far (0 is no owner).
static OWNERS: AtomicU64 = AtomicU64::new(0);

/// Iterates over every slot ever made. Lock-free and allocation-free.
pub(crate) fn slots() -> impl Iterator<Item = &'static Slot> {
    let mut p = SLOTS.load(Ordering::Acquire);
    core::iter::from_fn(move || {
        // SAFETY: slots are leaked `Box`es, never freed, and fully initialised
        // before being published with a release store (CAS) that this acquire
        // load (or the acquire load of the previous slot's `next`) pairs with.
        let slot: &'static Slot = unsafe { p.as_ref()? };
        p = slot.next.load(Ordering::Acquire);
        Some(slot)
    })
}

fn push(slot: Slot) -> &'static Slot {
    let slot: &'static Slot = Box::leak(Box::new(slot));
    let mut head = SLOTS.load(Ordering::Relaxed);
    loop {
        slot.next.store(head, Ordering::Relaxed);
        match SLOTS.compare_exchange_weak(head, slot as *const Slot as *mut Slot, Ordering::Release, Ordering::Relaxed)
        {
            Ok(_) => return slot,
            Err(h) => head = h,
        }
    }
}

/// Events dropped by threads that had no slot (logging while their
/// thread-local storage was being destroyed).
static LATE_DROPPED: AtomicU64 = AtomicU64::new(0);

/// Counts an event of a thread that has no slot.
pub(crate) fn count_late_drop() {
    LATE_DROPPED.fetch_add(1, Ordering::Relaxed);
}

/// Events dropped by threads without a slot.
pub(crate) fn late_dropped() -> u64 {
    LATE_DROPPED.load(Ordering::Relaxed)
}

/// Events of exited threads that snapshots no longer list, all of them: their
/// slots went to new threads once their blocks were all taken.
pub(crate) fn evicted_events() -> u64 {
    EVICTED.load(Ordering::Relaxed)
}

/// Where the blocks are, and who may lose one.
struct Pool {
    /// Blocks made so far.
    blocks: usize,
    /// `live[n]`: the slots of live threads whose rings hold `n` blocks.
    live: Vec<Vec<&'static Slot>>,
    /// Slots of exited threads whose rings still hold blocks, oldest exit
    /// first.
    exited: VecDeque<&'static Slot>,
    /// Slots of exited threads whose rings hold no block: ready for a new
    /// thread.
    free: Vec<&'static Slot>,
}

/// The pool, behind the lock that block decisions take.
static POOL: Mutex<Pool> = Mutex::new(Pool { blocks: 0, live: Vec::new(), exited: VecDeque::new(), free: Vec::new() });

fn pool() -> std::sync::MutexGuard<'static, Pool> {
    POOL.lock().unwrap_or_else(|e| e.into_inner())
}

impl Pool {
    /// Lists a live slot among the rings of `n` blocks (taking it out of its
    /// list first). The pool's count leads the ring's by one while a block it
    /// gave is being added (see [`grow`]).
    fn set_live(&mut self, slot: &'static Slot, n: usize) {
        self.unlist(slot);
        if self.live.len() <= n {
            self.live.resize_with(n + 1, Vec::new);
        }
        slot.pool_count.store(n, Ordering::Relaxed);
        slot.pool_index.store(self.live[n].len(), Ordering::Relaxed);
        self.live[n].push(slot);
    }

    /// Takes a live slot out of its list, if it is in one.
    fn unlist(&mut self, slot: &'static Slot) {
        let (n, i) = (slot.pool_count.load(Ordering::Relaxed), slot.pool_index.load(Ordering::Relaxed));
        if let Some(list) = self.live.get_mut(n)
            && list.get(i).is_some_and(|s| core::ptr::eq(*s, slot))
        {
            list.swap_remove(i);
            if let Some(moved) = list.get(i) {
                moved.pool_index.store(i, Ordering::Relaxed);
            }
        }
        slot.pool_count.store(usize::MAX, Ordering::Relaxed);
        slot.pool_index.store(usize::MAX, Ordering::Relaxed);
    }

    /// A block for a ring that holds `held` blocks (`asker`, a live thread's
    /// slot, is never its own victim): new within `budget` blocks, else the
    /// oldest of the thread that exited longest ago, else the oldest of the
    /// live thread with the most blocks when that is more than `held`.
    fn block(&mut self, budget: usize, held: usize, asker: Option<&'static Slot>) -> Option<&'static Block> {
        if self.blocks < budget {
            self.blocks += 1;
            return Some(Block::leak());
        }
        while let Some(&victim) = self.exited.front() {
            let taken = victim.ring.take_oldest();
            if victim.ring.count() == 0 {
                self.exited.pop_front();
                self.free.push(victim);
            }
            match taken {
                Some((block, events)) => {
                    STOLEN.fetch_add(events, Ordering::Relaxed);
                    return Some(block);
                }
                // Its oldest block waits for the continuous writer.
                None if victim.ring.count() > 0 => break,
                None => {}
            }
        }
        let most = (0..self.live.len()).rev().find(|&n| !self.live[n].is_empty())?;
        if most <= held.max(1) {
            return None;
        }
        let victim = *self.live[most].iter().rev().find(|s| !asker.is_some_and(|a| core::ptr::eq(**s, a)))?;
        // `None` if the victim's ring has not added a block it was given yet.
        let (block, events) = victim.ring.take_oldest()?;
        STOLEN.fetch_add(events, Ordering::Relaxed);
        self.set_live(victim, most - 1);
        Some(block)
    }
}

/// The next block of the live thread of `slot`, whose ring is not at its
/// capacity: see the module docs. `None`: it reuses its own oldest block.
pub(crate) fn grow(slot: &'static Slot, budget_bytes: usize) -> Option<&'static Block> {
    let mut pool = pool();
    let held = slot.pool_count.load(Ordering::Relaxed);
    let block = pool.block(budget_bytes / BLOCK as usize, held, Some(slot))?;
    // The ring adds the block once the lock is released; the pool counts it
    // from now on.
    pool.set_live(slot, held + 1);
    Some(block)
}

/// How much memory the thread buffers take, and how many there are.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BufferStats {
    /// Threads (live or exited) whose rings hold blocks now.
    pub buffers: usize,
    /// Threads that got no block since the process started, because the
    /// memory budget was spent and every other live thread held one block
    /// only (their events are counted as dropped).
    pub bufferless: usize,
    /// Blocks of [`BLOCK_BYTES`](crate::BLOCK_BYTES) made so far: never freed,
    /// they move between rings.
    pub blocks: usize,
    /// Bytes of all blocks together.
    pub bytes: usize,
    /// Threads currently logging (not exited).
    pub active_threads: usize,
    /// Events taken from rings with their blocks, for other threads, since the
    /// process started (each counted for the thread that lost it, see
    /// [`ThreadSnapshot::evicted`](crate::ThreadSnapshot::evicted)).
    pub evicted_events: u64,
    /// Times a thread was given a first block since the process started (a
    /// thread that got none, see `bufferless`, is not counted).
    pub buffers_handed_out: u64,
}

/// Counts the thread buffers and the memory they take.
pub fn buffer_stats() -> BufferStats {
    let blocks = pool().blocks;
    let mut s = BufferStats {
        blocks,
        bytes: blocks * BLOCK as usize,
        evicted_events: STOLEN.load(Ordering::Relaxed),
        bufferless: BLOCKLESS.load(Ordering::Relaxed) as usize,
        buffers_handed_out: HANDED_OUT.load(Ordering::Relaxed),
        ..Default::default()
    };
    for slot in slots() {
        let active = slot.state.load(Ordering::Relaxed) == ACTIVE;
        let holds = slot.ring.count() > 0;
        s.buffers += holds as usize;
        s.active_threads += active as usize;
    }
    s
}

/// Claims a slot for the calling thread, with rings of `ring_bytes` bytes at
/// most, and its first block within a budget of `budget` bytes (see the module
/// docs). Returns the slot, the writer (`None`: no block could be had, the
/// thread's events are counted as dropped) and the owner's id.
pub(crate) fn claim(ring_bytes: u64, budget: usize, tid: u64, name: &str) -> (&'static Slot, Option<RingWriter>, u64) {
    let cap = blocks_for(ring_bytes);
    let owner = OWNERS.fetch_add(1, Ordering::Relaxed) + 1;
    let mut pool = pool();
    let first = pool.block(budget / BLOCK as usize, 0, None);
    let slot = match pool.free.iter().rposition(|s| s.ring.cap() == cap) {
        Some(i) => {
            let slot = pool.free.swap_remove(i);
            // Its previous owner, and all its events, leave every snapshot
            // now (a parent's thread, in a child created by `fork`, was
            // never in them).
            if !slot.inherited.load(Ordering::Relaxed) {
                let gone = slot.ring.final_seq().unwrap_or(0) + slot.dropped.load(Ordering::Relaxed);
                EVICTED.fetch_add(gone, Ordering::Relaxed);
            }
            slot
        }
        None => push(Slot::new(cap)),
    };
    let writer = slot.take(owner, tid, name, first);
    if writer.is_some() {
        HANDED_OUT.fetch_add(1, Ordering::Relaxed);
    } else {
        BLOCKLESS.fetch_add(1, Ordering::Relaxed);
    }
    pool.set_live(slot, writer.is_some() as usize);
    (slot, writer, owner)
}

/// Marks the slot's owner as exited after it wrote `seq` events: its events
/// stay until other threads need its blocks.
pub(crate) fn retire(slot: &'static Slot, seq: u64) {
    slot.ring.finish(seq);
    slot.state.store(RETIRED, Ordering::Relaxed);
    let mut pool = pool();
    pool.unlist(slot);
    if slot.ring.count() > 0 {
        pool.exited.push_back(slot);
    } else {
        pool.free.push(slot);
    }
}

/// The pool's lock while a thread forks: taken by [`fork_prepare`] and
/// released by [`fork_parent`] or [`fork_child`], all on the forking thread.
struct ForkGuard(core::cell::UnsafeCell<Option<std::sync::MutexGuard<'static, Pool>>>);

// SAFETY: it is written by `fork_prepare` while it holds the pool's lock,
// and emptied by `fork_parent` or `fork_child` (on the same thread, around
// its `fork`) before that lock is released: two threads that fork at once
// take turns on the pool's lock, so only one touches it at a time.
unsafe impl Sync for ForkGuard {}

static FORK_GUARD: ForkGuard = ForkGuard(core::cell::UnsafeCell::new(None));

/// Before `fork`: takes the pool's lock and every ring's, in the order the
/// other paths take them (pool, then a ring), so that no lock is held by
/// another thread when the process is copied.
pub(crate) fn fork_prepare() {
    let guard = pool();
    for slot in slots() {
        slot.ring.fork_lock();
    }
    // SAFETY: see `ForkGuard`.
    unsafe { *FORK_GUARD.0.get() = Some(guard) };
}

/// After `fork`, in the parent: releases what [`fork_prepare`] took.
pub(crate) fn fork_parent() {
    for slot in slots() {
        slot.ring.fork_unlock();
    }
    // SAFETY: see `ForkGuard`.
    drop(unsafe { (*FORK_GUARD.0.get()).take() });
}

/// After `fork`, in the child: the parent's threads do not exist here. Their
/// slots are marked inherited (snapshots of the child skip them, and their
/// blocks are the first the child's threads get), except `keep` (the forking
/// thread's, when it forked from inside one of its events: it goes on
/// writing it); the counters of events lost by the parent start again at 0.
/// Then releases what [`fork_prepare`] took.
pub(crate) fn fork_child(keep: Option<&'static Slot>) {
    for slot in slots() {
        slot.ring.fork_unlock();
    }
    // SAFETY: see `ForkGuard`.
    let mut guard = unsafe { (*FORK_GUARD.0.get()).take() }.unwrap_or_else(pool);
    for slot in slots() {
        if slot.generation.load(Ordering::Relaxed) == 0 || keep.is_some_and(|k| core::ptr::eq(k, slot)) {
            continue;
        }
        slot.inherited.store(true, Ordering::Release);
        if slot.state.load(Ordering::Relaxed) == ACTIVE {
            slot.ring.orphan();
            slot.state.store(RETIRED, Ordering::Relaxed);
            guard.unlist(slot);
            if slot.ring.count() > 0 {
                guard.exited.push_back(slot);
            } else {
                guard.free.push(slot);
            }
        }
    }
    drop(guard);
    EVICTED.store(0, Ordering::Relaxed);
    STOLEN.store(0, Ordering::Relaxed);
    LATE_DROPPED.store(0, Ordering::Relaxed);
}

#[cfg(all(test, not(ttlog_loom)))]
mod tests {
    use super::*;

    /// A slot whose new owner is descheduled in the middle of `Slot::take`
    /// (its generation odd) holds nothing to show: a capture skips it rather
    /// than report a ring it could not copy.
    #[test]
    fn a_slot_between_owners_is_skipped_not_failed() {
        let slot: &'static Slot = Box::leak(Box::new(Slot::new(4)));
        assert!(matches!(slot.capture(usize::MAX), Captured::Unowned));
        let block = Block::leak();
        slot.take(7, 1, "first", Some(block)).unwrap();
        assert!(matches!(slot.capture(usize::MAX), Captured::Copied(o, _) if o.id == 7));
        // The state `take` leaves while it runs.
        let g = slot.generation.load(Ordering::Relaxed);
        slot.generation.store(g + 1, Ordering::Relaxed);
        assert!(matches!(slot.capture(usize::MAX), Captured::Unowned));
        slot.generation.store(g + 2, Ordering::Relaxed);
        assert!(matches!(slot.capture(usize::MAX), Captured::Copied(..)));
    }
}
