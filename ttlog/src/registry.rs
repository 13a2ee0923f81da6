//! Every thread buffer the process has: a lock-free, append-only list of slots.
//!
//! A thread's first event claims a slot (cold path): the oldest slot of an exited
//! thread when the memory budget is spent, else a new one. Slots are never freed,
//! so a snapshot (from any thread, a panic hook or a signal handler) walks the list
//! without locks and without allocating.
//!
//! A slot's owner changes only while its generation is odd; readers load the
//! generation before and after copying and retry when it moved, so a copy never
//! mixes two owners.

use crate::buffer::{Ring, RingCopy};
use core::sync::atomic::{AtomicPtr, AtomicU8, AtomicU64, AtomicUsize, Ordering};
use std::collections::VecDeque;
use std::sync::Mutex;

/// Bytes of a thread name kept.
pub(crate) const NAME_BYTES: usize = 64;

const ACTIVE: u8 = 1;
const RETIRED: u8 = 2;

/// One thread buffer and its current owner.
#[derive(Debug)]
pub(crate) struct Slot {
    /// `None` for a slot made when the memory budget was spent: its owner's events
    /// are counted as dropped.
    pub(crate) ring: Option<Ring>,
    /// Even while the owner is stable; odd while it changes.
    generation: AtomicU64,
    state: AtomicU8,
    /// Where the current owner's data starts in the ring.
    owner_start: AtomicU64,
    tid: AtomicU64,
    name: [AtomicU64; NAME_BYTES / 8],
    /// Events the current owner could not record (no buffer, too large, or logged
    /// from inside the formatting of another event's argument).
    dropped: AtomicU64,
    next: AtomicPtr<Slot>,
}

impl Slot {
    fn new(ring: Option<Ring>) -> Slot {
        Slot {
            ring,
            generation: AtomicU64::new(0),
            state: AtomicU8::new(0),
            owner_start: AtomicU64::new(0),
            tid: AtomicU64::new(0),
            name: Default::default(),
            dropped: AtomicU64::new(0),
            next: AtomicPtr::new(core::ptr::null_mut()),
        }
    }

    /// Makes the calling thread the owner; returns where its records start.
    fn take(&self, tid: u64, name: &str) -> u64 {
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
        let start = match &self.ring {
            Some(ring) => ring.start_owner(),
            None => 0,
        };
        self.owner_start.store(start, Ordering::Relaxed);
        self.state.store(ACTIVE, Ordering::Relaxed);
        self.generation.store(g + 2, Ordering::Release);
        start
    }

    /// Counts an event of the current owner that could not be recorded. Only
    /// the owner writes the counter: a load and a store, no read-modify-write.
    /// The store is a release so that a capture that sees it also sees every
    /// record published before it (see `capture_with`).
    pub(crate) fn count_dropped(&self) {
        let d = self.dropped.load(Ordering::Relaxed);
        self.dropped.store(d + 1, Ordering::Release);
    }

    /// Reads the owner and copies its records (at most the newest `max_words`
    /// words of them), consistently.
    pub(crate) fn capture(&self, max_words: usize) -> Captured<RingCopy> {
        self.capture_with(|ring, owner_start| ring.copy(owner_start, max_words))
    }

    /// [`Slot::capture`] into `buf`, without allocating (the crash path uses
    /// it). A ring larger than `buf` has its newest blocks copied.
    pub(crate) fn capture_raw(&self, buf: &mut [u64]) -> Captured<core::ops::Range<usize>> {
        self.capture_with(|ring, owner_start| ring.copy_into(owner_start, buf))
    }

    /// The generation protocol around a copy of the ring: reads the owner,
    /// copies with `copy`, and retries while the owner changed meanwhile, the
    /// writer lapped the copy, or the owner dropped an event meanwhile.
    ///
    /// The last makes the counts a consistent cut: the drop counter is read
    /// (acquire) before the copy loads the ring's head and again after. A
    /// drop is a release store, so every record published before a drop that
    /// the first read sees is in the copy; and a record in the copy that was
    /// published after a drop (a release store after it) makes the second
    /// read see that drop. Equal reads thus mean that the copy's records and
    /// the drops are those of one moment of the owner.
    fn capture_with<T>(&self, mut copy: impl FnMut(&Ring, u64) -> Option<T>) -> Captured<T> {
        let mut last = None;
        for _ in 0..16 {
            let g1 = self.generation.load(Ordering::Acquire);
            if g1 & 1 == 1 {
                std::hint::spin_loop();
                continue;
            }
            if g1 == 0 {
                return Captured::Unowned;
            }
            let owner = self.owner(self.dropped.load(Ordering::Acquire));
            last = Some(owner);
            let copied = match &self.ring {
                Some(ring) => match copy(ring, self.owner_start.load(Ordering::Relaxed)) {
                    Some(c) => Some(c),
                    None => continue,
                },
                None => None,
            };
            let dropped = self.dropped.load(Ordering::Relaxed);
            core::sync::atomic::fence(Ordering::Acquire);
            if self.generation.load(Ordering::Relaxed) != g1 || dropped != owner.dropped {
                continue;
            }
            return Captured::Copied(owner, copied);
        }
        Captured::Failed(last.unwrap_or_else(|| self.owner(self.dropped.load(Ordering::Relaxed))))
    }

    /// The owner's fields, as they read now.
    fn owner(&self, dropped: u64) -> Owner {
        let mut name = [0u8; NAME_BYTES];
        for (chunk, w) in name.chunks_exact_mut(8).zip(self.name.iter()) {
            chunk.copy_from_slice(&w.load(Ordering::Relaxed).to_le_bytes());
        }
        Owner {
            tid: self.tid.load(Ordering::Relaxed),
            name,
            exited: self.state.load(Ordering::Relaxed) == RETIRED,
            dropped,
        }
    }
}

/// What a capture of a slot found.
#[derive(Debug)]
pub(crate) enum Captured<T> {
    /// No thread has owned the slot yet: nothing to show.
    Unowned,
    /// The owner and a consistent copy of its ring (`None`: the slot has no
    /// ring, its owner's events were all dropped).
    Copied(Owner, Option<T>),
    /// The owner kept changing, or its writer kept lapping every copy: the
    /// owner as last read (not checked for consistency), and no copy.
    Failed(Owner),
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
}

/// A slot's owner, as a capture read it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Owner {
    pub(crate) tid: u64,
    /// The name's bytes, NUL-padded.
    pub(crate) name: [u8; NAME_BYTES],
    pub(crate) exited: bool,
    pub(crate) dropped: u64,
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
/// Bytes of ring memory allocated so far.
static ALLOCATED: AtomicUsize = AtomicUsize::new(0);
/// Slots of exited threads, oldest first.
static RETIRED_QUEUE: Mutex<VecDeque<&'static Slot>> = Mutex::new(VecDeque::new());
/// Events of exited threads discarded when their buffer went to a new thread.
static EVICTED: AtomicU64 = AtomicU64::new(0);
/// Times a thread was given a slot with a ring, a new ring or a reused one.
static HANDED_OUT: AtomicU64 = AtomicU64::new(0);

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

/// Events of exited threads discarded so that a new thread could have their buffer.
pub(crate) fn evicted_events() -> u64 {
    EVICTED.load(Ordering::Relaxed)
}

/// How much memory the thread buffers take, and how many there are.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BufferStats {
    /// Thread buffers (rings) allocated since the process started. They are never
    /// freed: a new thread reuses the buffer of one that exited.
    pub buffers: usize,
    /// Threads that got no buffer because the memory budget was spent (their
    /// events are counted as dropped).
    pub bufferless: usize,
    /// Bytes of all rings together.
    pub bytes: usize,
    /// Threads currently logging (not exited).
    pub active_threads: usize,
    /// Events of exited threads discarded when their buffer went to a new thread.
    pub evicted_events: u64,
    /// Times a thread was given a buffer since the process started: a new ring,
    /// or the ring of an exited thread, reused. A thread that got no buffer (see
    /// `bufferless`) is not counted; with reuse, this can exceed `buffers`.
    pub buffers_handed_out: u64,
}

/// Counts the thread buffers and the memory they take.
pub fn buffer_stats() -> BufferStats {
    let mut s = BufferStats {
        bytes: ALLOCATED.load(Ordering::Relaxed),
        evicted_events: evicted_events(),
        buffers_handed_out: HANDED_OUT.load(Ordering::Relaxed),
        ..Default::default()
    };
    for slot in slots() {
        if slot.ring.is_some() {
            s.buffers += 1;
        } else {
            s.bufferless += 1;
        }
        if slot.state.load(Ordering::Relaxed) == ACTIVE {
            s.active_threads += 1;
        }
    }
    s
}

/// Claims a slot for the calling thread: a new ring while the budget allows, else
/// the buffer of the thread that exited longest ago, else a slot without a ring.
pub(crate) fn claim(ring_bytes: u64, budget: usize, tid: u64, name: &str) -> (&'static Slot, u64) {
    let cap = ring_bytes.max(crate::buffer::MIN_CAPACITY).next_power_of_two() as usize;
    let mut fresh = ALLOCATED.load(Ordering::Relaxed);
    loop {
        if fresh + cap > budget {
            break;
        }
        match ALLOCATED.compare_exchange_weak(fresh, fresh + cap, Ordering::Relaxed, Ordering::Relaxed) {
            Ok(_) => {
                let slot = push(Slot::new(Some(Ring::new(cap as u64))));
                HANDED_OUT.fetch_add(1, Ordering::Relaxed);
                let cur = slot.take(tid, name);
                return (slot, cur);
            }
            Err(v) => fresh = v,
        }
    }
    // Over budget: reuse the oldest exited thread's slot, preferring one with a ring.
    let reused = {
        let mut q = RETIRED_QUEUE.lock().unwrap_or_else(|e| e.into_inner());
        let pick = q.iter().position(|s| s.ring.is_some()).or(if q.is_empty() { None } else { Some(0) });
        pick.and_then(|i| q.remove(i))
    };
    if let Some(slot) = reused {
        // Nobody writes to a retired slot, and only this thread took it off
        // the queue: the capture succeeds.
        if let Captured::Copied(_, Some(copy)) = slot.capture(usize::MAX) {
            EVICTED.fetch_add(copy.walk().count, Ordering::Relaxed);
        }
        if slot.ring.is_some() {
            HANDED_OUT.fetch_add(1, Ordering::Relaxed);
        }
        let cur = slot.take(tid, name);
        return (slot, cur);
    }
    let slot = push(Slot::new(None));
    let cur = slot.take(tid, name);
    (slot, cur)
}

/// Marks the slot's owner as exited; its events stay until the slot is reused.
pub(crate) fn retire(slot: &'static Slot) {
    slot.state.store(RETIRED, Ordering::Relaxed);
    let mut q = RETIRED_QUEUE.lock().unwrap_or_else(|e| e.into_inner());
    q.push_back(slot);
}
