//! The per-thread ring: one writer (the owning thread), any number of readers
//! (snapshots) that copy it while it is written, and never wait for each other.
//!
//! ```text
//!  logical position (bytes written since the ring was made, never wraps)
//!  ────────────────────────────────────────────────────────────────────▶
//!  | block k-1           | block k                       | block k+1 ...
//!  | seq | rec | rec |pad| seq | rec | rec | rec | ...  ^ head (published)
//!                                                       writer works here
//!  physical word = (position mod capacity) / 8
//! ```
//!
//! The ring is an array of `AtomicU64` words: the writer stores words with
//! relaxed stores and publishes the end of each record with one release store to
//! `head`; readers load words with relaxed loads. No byte is ever read or written
//! non-atomically by two threads, so the protocol is free of data races by
//! construction, and `loom` can check it (`tests/loom_ring.rs`).
//!
//! **Blocks.** The ring is cut into blocks of [`BLOCK`] bytes. A block starts with
//! one word: the sequence number (count of events this owner wrote before it) of
//! its first record. Records never straddle a block: one that does not fit in the
//! rest of the block ends it with a pad word (all zero) and goes to the next
//! block. A reader that must skip overwritten data can thus resume at any block
//! boundary, and knows from the block header how many events it skipped.
//!
//! **Records** are laid out as [`crate::wire::record`] describes: that layout is
//! part of the file format, since crash snapshots carry ring blocks as they are.
//!
//! **Why a reader never sees a torn record.** The writer, before writing the
//! words of a record that starts at the published position `h`, executes a
//! release fence; the reader, after copying, executes an acquire fence and loads
//! `head` again (`h2`). If the reader's copy of a word observed any store the
//! writer made after publishing `h`, the fences synchronise and `h2 >= h`. The
//! writer only ever writes inside the block that holds its published position
//! (a block change publishes the new block's start first), so every word the
//! reader may have seen half-replaced lies at a logical position below
//! `block_start(h2) + BLOCK - capacity`. The reader keeps only whole blocks at or
//! above that bound, and only positions below the `head` it loaded first, whose
//! words were published before it started.

use crate::sync::{AtomicU64, CachePadded, fence};
use crate::wire::record;
use core::cell::Cell;
use core::ptr::NonNull;
use core::sync::atomic::Ordering;

/// Bytes per block. A record is at most a block minus its header word.
#[cfg(not(all(ttlog_loom, test)))]
pub const BLOCK: u64 = 4096;
/// Bytes per block (small under loom, so a model run laps the ring quickly).
#[cfg(all(ttlog_loom, test))]
pub const BLOCK: u64 = 64;

/// The largest record, in bytes.
pub const MAX_RECORD: u64 = BLOCK - 8;
/// The smallest ring: four blocks (two under loom, to keep the model small).
#[cfg(not(all(ttlog_loom, test)))]
pub const MIN_CAPACITY: u64 = 4 * BLOCK;
/// The smallest ring: four blocks (two under loom, to keep the model small).
#[cfg(all(ttlog_loom, test))]
pub const MIN_CAPACITY: u64 = 2 * BLOCK;

/// A ring of `capacity` bytes shared by its writer and readers.
#[derive(Debug)]
pub(crate) struct Ring {
    /// Logical position just past the last published record.
    head: CachePadded<AtomicU64>,
    words: Box<[AtomicU64]>,
    /// Capacity in bytes minus one (capacity is a power of two).
    mask: u64,
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

    /// A cursor at `pos` (where [`Ring::start_owner`] put a new owner), before
    /// any record (for the tests; the write path restarts its own).
    #[cfg(test)]
    pub(crate) fn at(pos: u64) -> Cursor {
        Cursor { pos: Cell::new(pos), seq: Cell::new(0) }
    }

    /// Moves the cursor to `pos`, where a new owner starts, before any record.
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

/// The writer's view of a `'static` ring: raw parts, so that the hot path reads
/// them from the thread's own storage rather than through the shared ring.
///
/// A `RingWriter` exists only for a ring that lives for the rest of the
/// process ([`Ring::writer`] takes `&'static Ring`), so its pointers are always
/// valid; a thread that has no ring has no `RingWriter` (an `Option`).
#[derive(Clone, Copy, Debug)]
pub(crate) struct RingWriter {
    /// The ring's first word.
    words: NonNull<AtomicU64>,
    /// The ring's length in words minus one (the length is a power of two).
    word_mask: u64,
    head: &'static AtomicU64,
}

/// Space in a ring that the writer may fill with one record: `[at, end)`,
/// 8-byte aligned, inside one block, at or after the published position (so
/// that no reader trusts what is there yet). Only [`RingWriter`] makes one.
#[derive(Debug)]
pub(crate) struct Reservation {
    ring: RingWriter,
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
    /// contiguous in memory (a block never straddles the ring's end) and stay
    /// valid for the rest of the process.
    #[inline(always)]
    pub(crate) fn words(&self) -> (NonNull<AtomicU64>, usize) {
        (self.ring.word_ptr(self.at), ((self.end - self.at) / 8) as usize)
    }

    /// Whether this reservation starts its block (right after the block's
    /// header word): a record that does not fit here fits nowhere.
    #[inline(always)]
    pub(crate) fn starts_block(&self) -> bool {
        self.at & (BLOCK - 1) == 8
    }
}

impl RingWriter {
    /// Pointer to the word at logical position `pos` (a multiple of 8). The words
    /// of one block are contiguous: blocks never straddle the end of the ring.
    #[inline(always)]
    fn word_ptr(self, pos: u64) -> NonNull<AtomicU64> {
        // SAFETY: `words` points to `word_mask + 1` words (see `Ring::writer`),
        // and the masked index is at most `word_mask`, for every `pos`.
        unsafe { self.words.add(((pos >> 3) & self.word_mask) as usize) }
    }

    #[inline(always)]
    fn word(self, pos: u64) -> &'static AtomicU64 {
        // SAFETY: `word_ptr` is in bounds of a ring that lives for `'static`
        // (`Ring::writer` takes `&'static Ring`), and the words are atomics,
        // which any thread may access through a shared reference.
        unsafe { self.word_ptr(pos).as_ref() }
    }

    /// A reservation of `len` bytes at `pos` if the record fits in the open
    /// block there (the hot path: one compare, no call).
    #[inline(always)]
    pub(crate) fn try_reserve(self, pos: u64, len: u64) -> Option<Reservation> {
        if fits(pos, len) { Some(Reservation { ring: self, at: pos, end: pos + len }) } else { None }
    }

    /// A reservation of `len` bytes, in the open block if it fits there, else
    /// at the start of the next one. `None` if `len` exceeds [`MAX_RECORD`].
    #[inline(always)]
    pub(crate) fn reserve(self, cur: &Cursor, len: u64) -> Option<Reservation> {
        if let Some(res) = self.try_reserve(cur.pos.get(), len) {
            return Some(res);
        }
        if len > MAX_RECORD {
            return None;
        }
        self.next_block(cur);
        self.try_reserve(cur.pos.get(), len)
    }

    /// A reservation of the rest of the open block (at least `min_len` bytes,
    /// a multiple of 8), opening the next block first when the open one has
    /// less room: for records whose length is known only once they are
    /// written. `None` if `min_len` exceeds [`MAX_RECORD`].
    pub(crate) fn reserve_rest(self, cur: &Cursor, min_len: u64) -> Option<Reservation> {
        if min_len > MAX_RECORD {
            return None;
        }
        if !fits(cur.pos.get(), min_len) {
            self.next_block(cur);
        }
        let at = cur.pos.get();
        Some(Reservation { ring: self, at, end: (at | (BLOCK - 1)) + 1 })
    }

    /// Ends the open block and opens the next one: pad word, publish the new
    /// block's start, the release fence, then the new block's header. Cold:
    /// once per block. The fence is what lets a reader detect that a block it
    /// copied was being overwritten (see the module docs): every store into a
    /// block comes after it.
    #[cold]
    #[inline(never)]
    pub(crate) fn next_block(self, cur: &Cursor) {
        let pos = cur.pos.get();
        if !pos.is_multiple_of(BLOCK) {
            self.word(pos).store(0, Ordering::Relaxed);
        }
        let start = pos.next_multiple_of(BLOCK);
        // Publishing the block start before writing into the block tells a reader
        // that the writer may now be overwriting this block's old contents.
        self.head.store(start, Ordering::Release);
        // CI checks that the model tests fail without it (`tests/loom_ring.rs`).
        #[cfg(not(ttlog_mutant = "no_block_fence"))]
        fence(Ordering::Release);
        self.word(start).store(cur.seq.get(), Ordering::Relaxed);
        cur.pos.set(start + 8);
    }

    /// Publishes the record of `len` bytes (at most the reservation's length)
    /// written in `res`, and advances the cursor past it.
    #[inline(always)]
    pub(crate) fn commit(self, cur: &Cursor, res: Reservation, len: u64) {
        let end = res.at + len.min(res.len());
        cur.pos.set(end);
        cur.seq.set(cur.seq.get() + 1);
        self.head.store(end, Ordering::Release);
    }
}

impl Ring {
    /// A zeroed ring of `capacity` bytes, rounded up to a power of two of at least
    /// [`MIN_CAPACITY`].
    pub(crate) fn new(capacity: u64) -> Ring {
        let cap = capacity.max(MIN_CAPACITY).next_power_of_two();
        let words = (0..cap / 8).map(|_| AtomicU64::new(0)).collect::<Box<[_]>>();
        Ring { head: CachePadded::new(AtomicU64::new(0)), words, mask: cap - 1 }
    }

    /// The ring's words, for tests that check what the writer stored.
    #[cfg(test)]
    pub(crate) fn words_for_test(&self) -> &[AtomicU64] {
        &self.words
    }

    /// Capacity in bytes.
    pub(crate) fn capacity(&self) -> u64 {
        self.mask + 1
    }

    /// The writer's handle. Only the owning thread writes through it.
    pub(crate) fn writer(&'static self) -> RingWriter {
        // The ring has `MIN_CAPACITY / 8` words or more, a power of two (see
        // `new`). The pointer is derived from the whole slice, so it may reach
        // every word.
        let words = NonNull::from(&self.words[..]).cast::<AtomicU64>();
        RingWriter { words, word_mask: self.words.len() as u64 - 1, head: &self.head }
    }

    /// Starts a new owner at the next block boundary: the position the owner's
    /// cursor begins at (see [`Cursor::restart`]). Whatever precedes it belongs to earlier owners.
    pub(crate) fn start_owner(&self) -> u64 {
        let h = self.head.load(Ordering::Relaxed);
        let start = h.next_multiple_of(BLOCK);
        self.head.store(start, Ordering::Release);
        start
    }

    /// Copies the records published at the time of the call that belong to the
    /// owner that started at `owner_start` (the newest `max_words` words of
    /// them at most, whole blocks), skipping any block the writer may have
    /// been overwriting during the copy. `None` if the writer lapped the whole
    /// copy.
    pub(crate) fn copy(&self, owner_start: u64, max_words: usize) -> Option<RingCopy> {
        let mut words = Vec::with_capacity(self.words.len().min(max_words));
        let skip = self.copy_with(owner_start, max_words, |run| {
            words.extend(run.iter().map(|w| w.load(Ordering::Relaxed)));
        })?;
        words.drain(..skip);
        Some(RingCopy { words })
    }

    /// [`Ring::copy`] into `buf`, without allocating (the crash path uses it):
    /// returns the range of `buf` that holds whole blocks, the last possibly
    /// partial. If `buf` is smaller than the ring, only the newest blocks that
    /// fit are copied.
    pub(crate) fn copy_into(&self, owner_start: u64, buf: &mut [u64]) -> Option<core::ops::Range<usize>> {
        let mut n = 0;
        let skip = self.copy_with(owner_start, buf.len(), |run| {
            for (dst, w) in buf[n..n + run.len()].iter_mut().zip(run) {
                *dst = w.load(Ordering::Relaxed);
            }
            n += run.len();
        })?;
        Some(skip..n)
    }

    /// The copy protocol: loads `head` (h1), hands `sink` the words of
    /// `[lo, h1)` (whole blocks, at most `max_words`) as at most two contiguous
    /// runs of the ring, then loads `head` again (h2) and returns how many of
    /// the copied words to drop from the front because the writer may have
    /// overwritten them meanwhile. `None` if that is all of them.
    fn copy_with(&self, owner_start: u64, max_words: usize, mut sink: impl FnMut(&[AtomicU64])) -> Option<usize> {
        let cap = self.capacity();
        let h1 = self.head.load(Ordering::Acquire);
        let span = cap.min((max_words as u64).saturating_mul(8));
        let lo = h1.saturating_sub(span).next_multiple_of(BLOCK).max(owner_start);
        if lo >= h1 {
            return Some(0);
        }
        let first = ((lo & self.mask) >> 3) as usize;
        let n = ((h1 - lo) / 8) as usize;
        let until_end = self.words.len() - first;
        if n <= until_end {
            sink(&self.words[first..first + n]);
        } else {
            sink(&self.words[first..]);
            sink(&self.words[..n - until_end]);
        }
        fence(Ordering::Acquire);
        let h2 = self.head.load(Ordering::Relaxed);
        // Lowest position whose word the writer cannot have touched since h1.
        let safe = ((h2 / BLOCK) * BLOCK + BLOCK).saturating_sub(cap);
        let start = safe.next_multiple_of(BLOCK).max(lo);
        // CI checks that the model tests fail without the check above.
        #[cfg(ttlog_mutant = "no_lap_check")]
        let start = lo;
        if start >= h1 {
            // The writer lapped the whole copy: nothing in it can be trusted.
            return None;
        }
        Some(((start - lo) / 8) as usize)
    }
}

/// A consistent copy of part of a ring: whole blocks, starting at a block
/// boundary, the last one possibly partial.
#[derive(Debug, Clone)]
pub(crate) struct RingCopy {
    pub(crate) words: Vec<u64>,
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
        record::blocks(&self.words, (BLOCK / 8) as usize).flat_map(|b| b.records().map_while(Result::ok))
    }
}

/// Walks copied ring words (starting at a block boundary).
pub(crate) fn walk(words: &[u64]) -> Walk {
    let mut walk = Walk::default();
    for (b, block) in record::blocks(words, (BLOCK / 8) as usize).enumerate() {
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

    /// Writes a record as the write path does: reserve, `put_record`, commit.
    fn write(ring: &'static Ring, cur: &Cursor, id: u32, payload: &[u64]) {
        let w = ring.writer();
        let len = RECORD_HEADER + 8 * payload.len() as u64;
        let res = match w.try_reserve(cur.pos.get(), len) {
            Some(res) => res,
            None => w.reserve_rest(cur, len).unwrap(),
        };
        let n = put_record(&res, id, 0xABCD, &[], |rw| {
            for v in payload {
                rw.put_le(*v as u128, 8);
            }
        })
        .unwrap();
        assert_eq!(n, len);
        w.commit(cur, res, n);
    }

    fn ring() -> &'static Ring {
        Box::leak(Box::new(Ring::new(MIN_CAPACITY)))
    }

    #[test]
    fn records_round_trip_before_wrapping() {
        let ring = ring();
        let cur = Cursor::at(ring.start_owner());
        for i in 0..10u64 {
            write(ring, &cur, 7, &[i, i * 2]);
        }
        let copy = ring.copy(0, usize::MAX).unwrap();
        let walk = copy.walk();
        assert_eq!(walk.first_seq, 0);
        assert_eq!(walk.count, 10);
        assert_eq!(walk.malformed, 0);
        for (i, r) in copy.records().enumerate() {
            assert_eq!(r.words.len(), 4);
            assert_eq!(r.words[2], i as u64);
        }
    }

    #[test]
    fn overwritten_events_are_counted_by_block_sequence() {
        let ring = ring();
        let cur = Cursor::at(ring.start_owner());
        let n = 5_000u64;
        for i in 0..n {
            write(ring, &cur, 3, &[i]);
        }
        let copy = ring.copy(0, usize::MAX).unwrap();
        let walk = copy.walk();
        assert_eq!(walk.malformed, 0);
        assert_eq!(walk.first_seq + walk.count, n);
        assert!(walk.first_seq > 0);
        for (k, r) in copy.records().enumerate() {
            assert_eq!(r.words[2], walk.first_seq + k as u64);
        }
        // At least capacity minus two blocks of history survives.
        let kept = walk.count * 24;
        assert!(kept >= ring.capacity() - 2 * BLOCK, "kept {kept} bytes");
    }

    #[test]
    fn a_new_owner_hides_the_previous_one() {
        let ring = ring();
        let cur = Cursor::at(ring.start_owner());
        for i in 0..100u64 {
            write(ring, &cur, 3, &[i]);
        }
        let cur2 = Cursor::at(ring.start_owner());
        let start = cur2.pos.get();
        assert_eq!(start % BLOCK, 0);
        for i in 0..3u64 {
            write(ring, &cur2, 4, &[i]);
        }
        let walk_copy = ring.copy(start, usize::MAX).unwrap();
        let walk = walk_copy.walk();
        assert_eq!(walk.count, 3);
        assert_eq!(walk.first_seq, 0);
    }

    #[test]
    fn a_small_buffer_keeps_the_newest_blocks() {
        let ring = ring();
        let cur = Cursor::at(ring.start_owner());
        for i in 0..2_000u64 {
            write(ring, &cur, 3, &[i]);
        }
        let mut buf = vec![0u64; (2 * BLOCK / 8) as usize];
        let kept = ring.copy_into(0, &mut buf).unwrap();
        let w = walk(&buf[kept]);
        assert_eq!(w.malformed, 0);
        assert_eq!(w.first_seq + w.count, 2_000);
        assert!(w.count >= (BLOCK - 8) / 24);
    }
}
