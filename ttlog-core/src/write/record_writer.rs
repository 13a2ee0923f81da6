//! Writes one record into a [`Reservation`] of a thread's ring.
//!
//! Every store is checked against the end of the reservation: a record whose
//! arguments turn out longer than the space reserved for it (a value formatted
//! at the call, an argument whose size was misjudged) is marked as overflowed
//! and never written past its end, whatever the arguments are. Its caller then
//! retries it in a fresh block or counts it as dropped; nothing of it is
//! published. Where the reservation's length and the arguments' sizes are
//! constants (records of fixed-width arguments), the compiler folds the checks
//! away.
//!
//! Words are stored with relaxed atomic stores: a snapshot may copy them while
//! they are written (see [`crate::buffer`]). This file depends only on the ring
//! and the record layout, so that the loom model tests (`tests/loom_ring.rs`)
//! compile it with them and check the write path that production runs.

use crate::buffer::Reservation;
use crate::sync::AtomicU64;
use crate::wire::record::{self, INLINE_TAGS, TAGS_PER_WORD};
use core::ptr::NonNull;
use core::sync::atomic::Ordering;

/// Writes argument bytes into a reserved record, a word at a time.
///
/// Made only by `put_record`, for the argument area of a reservation.
/// Invariant: `start <= ptr <= end`, and the words from `start` to `end` are
/// reserved words of a ring that lives for the rest of the process.
pub struct RecordWriter {
    /// The first word of the argument area.
    start: NonNull<AtomicU64>,
    /// Where the next word goes.
    ptr: NonNull<AtomicU64>,
    /// One past the last reserved word: no store reaches it.
    end: NonNull<AtomicU64>,
    /// Bytes not yet stored, little-endian, `bits` of them.
    acc: u64,
    bits: u32,
    /// The word at `ptr` already holds `acc` (a short string's last partial
    /// word, stored with the string): the record's end moves past it without
    /// a store, unless bytes are appended to it first.
    acc_stored: bool,
    /// Some bytes did not fit: the record must not be published.
    overflow: bool,
}

impl core::fmt::Debug for RecordWriter {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("RecordWriter")
            .field("room_words", &self.room_words())
            .field("bits", &self.bits)
            .field("overflow", &self.overflow)
            .finish_non_exhaustive()
    }
}

/// Strings of up to this many bytes are short: [`RecordWriter::put_short_bytes`]
/// copies them with two word stores.
pub const SHORT_BYTES: usize = 16;

/// Strings of up to this many bytes (eight words) are copied without a loop
/// too, with a few more stores.
pub const MEDIUM_BYTES: usize = 64;

/// Words [`RecordWriter::put_short_bytes`] may store for strings of up to
/// `max` bytes: two up to [`SHORT_BYTES`], else the whole words of `max` and a
/// partial one.
pub const fn short_words(max: usize) -> usize {
    if max <= SHORT_BYTES { 2 } else { max / 8 + 1 }
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

impl RecordWriter {
    /// Words that can still be stored.
    #[inline(always)]
    fn room_words(&self) -> usize {
        (self.end.as_ptr().addr() - self.ptr.as_ptr().addr()) / size_of::<AtomicU64>()
    }

    /// Whether some bytes did not fit in the reservation.
    #[inline(always)]
    pub fn overflowed(&self) -> bool {
        self.overflow
    }

    /// Stores one word, if it is inside the reservation.
    #[inline(always)]
    fn store(&mut self, word: u64) {
        if self.ptr < self.end {
            // SAFETY: `ptr` is below `end`, so it is a reserved word of a ring
            // that lives for the rest of the process (the type's invariant);
            // advancing it by one keeps `ptr <= end`.
            unsafe {
                self.ptr.as_ref().store(word, Ordering::Relaxed);
                self.ptr = self.ptr.add(1);
            }
        } else {
            self.overflow = true;
        }
    }

    /// Appends the low `n` bytes (up to 16) of `v`, little-endian.
    #[inline(always)]
    pub fn put_le(&mut self, v: u128, n: usize) {
        if n > 8 {
            self.put_word_le(v as u64, 8);
            self.put_word_le((v >> 64) as u64, n.min(16) - 8);
        } else {
            self.put_word_le(v as u64, n);
        }
    }

    /// Appends the low `n` bytes (up to 8) of `v`, little-endian: not
    /// recursive, so that it inlines into loops.
    #[inline(always)]
    fn put_word_le(&mut self, v: u64, n: usize) {
        let n = n.min(8);
        let v = if n == 8 { v } else { v & ((1u64 << (8 * n)) - 1) };
        let wide = ((v as u128) << self.bits) | self.acc as u128;
        let bits = self.bits + 8 * n as u32;
        self.acc_stored = false;
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
            if self.acc_stored {
                // The word holds `acc` already, zero-padded.
                self.skip();
            } else {
                let acc = self.acc;
                self.store(acc);
            }
            self.acc = 0;
            self.bits = 0;
        }
        self.acc_stored = false;
    }

    /// Moves past the word at `ptr`, if it is inside the reservation.
    #[inline(always)]
    fn skip(&mut self) {
        if self.ptr < self.end {
            // SAFETY: `ptr` is below `end`, so advancing it by one keeps
            // `ptr <= end` (the type's invariant).
            self.ptr = unsafe { self.ptr.add(1) };
        } else {
            self.overflow = true;
        }
    }

    /// Appends a string's bytes, at most `MAX` (at most [`MEDIUM_BYTES`]),
    /// from the next word boundary, without a loop: up to [`SHORT_BYTES`] as
    /// two word stores; longer, its whole words with four or eight stores
    /// (some of the same word twice) and its last partial word (zero when
    /// there is none) with one more; after one check that all of them are
    /// inside the reservation (the caller reserved [`short_words`]`(MAX)`
    /// words for the bytes: the check folds away where the reservation's
    /// length is a constant). A word past
    /// the string's last byte may lie past the record's end: it stays
    /// unpublished. The last partial word stays as the accumulator too, so
    /// that the arguments that follow are appended to it as
    /// [`Self::put_le`] does.
    #[inline(always)]
    pub fn put_short_bytes<const MAX: usize>(&mut self, bytes: &[u8]) {
        const { assert!(MAX <= MEDIUM_BYTES) };
        let room = const { short_words(MAX) };
        self.align_word();
        let n = bytes.len();
        if n > MAX || self.room_words() < room {
            self.overflow = true;
            return;
        }
        let (whole, rem) = (n / 8, n % 8);
        // SAFETY: `8 * whole <= n` bytes can be read from `bytes`, and the
        // `room <= room_words` words from `ptr` on are below `end`: reserved
        // words of a ring that lives for the rest of the process (the type's
        // invariant).
        let copy = unsafe { WordCopy::new(bytes.as_ptr(), whole, self.ptr, room) };
        let partial = if n <= SHORT_BYTES {
            // Two words: the first 8 bytes and the rest, or the bytes and 0.
            let (lo, hi) = match bytes.first_chunk::<8>() {
                Some(first) => {
                    let last = u64::from_le_bytes(*bytes.last_chunk::<8>().unwrap_or(first));
                    // The `n - 8` bytes past the first 8: the top ones of the
                    // last 8 (none when `n` is 8).
                    (u64::from_le_bytes(*first), ((last as u128) >> (8 * (16 - n))) as u64)
                }
                None if n > 0 => (load_short(bytes), 0),
                None => (0, 0),
            };
            copy.store(0, lo);
            copy.store(1, hi);
            // The word the accumulator continues (zero once it is full).
            match whole {
                0 => lo,
                1 => hi,
                _ => 0,
            }
        } else {
            // Word `k` for every `k < whole` (`whole >= 2`), each stored at
            // least once, and the last `rem` bytes (the top ones of the last
            // 8) as word `whole`.
            if whole <= 4 {
                copy.word(0);
                copy.word(1);
                copy.word(whole - 2);
                copy.word(whole - 1);
            } else {
                for k in 0..4 {
                    copy.word(k);
                    copy.word(whole - 4 + k);
                }
            }
            let last = bytes.last_chunk::<8>().map_or(0, |b| u64::from_le_bytes(*b));
            let partial = ((last as u128) << (8 * rem) >> 64) as u64;
            copy.store(whole, partial);
            partial
        };
        // SAFETY: `whole < room <= room_words` (`n <= MAX`: two words when
        // `MAX` is at most 16, `MAX / 8 + 1` else), so `ptr + whole` is below
        // `end`.
        self.ptr = unsafe { self.ptr.add(whole) };
        self.acc = partial;
        self.bits = 8 * rem as u32;
        self.acc_stored = true;
    }

    /// Appends bytes from the next word boundary on (a string's bytes): whole
    /// words are stored as they are loaded, after one check that they all
    /// fit, without a loop up to four of them; the last partial word waits
    /// in the accumulator for the arguments that follow.
    #[inline(always)]
    pub fn put_aligned_bytes(&mut self, bytes: &[u8]) {
        self.align_word();
        let n = bytes.len();
        let whole = n / 8;
        if whole > self.room_words() {
            self.overflow = true;
            return;
        }
        // SAFETY: `8 * whole <= n` bytes can be read from `bytes`, and the
        // `whole <= room_words` words from `ptr` on are below `end`: reserved
        // words of a ring that lives for the rest of the process (the type's
        // invariant).
        let copy = unsafe { WordCopy::new(bytes.as_ptr(), whole, self.ptr, whole) };
        // Word `k` for every `k < whole`, each stored at least once; some
        // twice (the same value), which spares a loop for short strings.
        if whole <= 2 {
            if whole > 0 {
                copy.word(0);
                copy.word(whole - 1);
            }
        } else if whole <= 4 {
            copy.word(0);
            copy.word(1);
            copy.word(whole - 2);
            copy.word(whole - 1);
        } else {
            for k in 0..whole {
                copy.word(k);
            }
        }
        // SAFETY: `whole <= room_words`, so `ptr + whole` is at most `end`.
        self.ptr = unsafe { self.ptr.add(whole) };
        let rem = n % 8;
        if rem != 0 {
            // The last partial word: with at least 8 bytes, the last 8 loaded
            // at once and shifted down to the `rem` that are left.
            self.acc = match bytes.last_chunk::<8>() {
                Some(last) => u64::from_le_bytes(*last) >> (64 - 8 * rem),
                None => load_short(bytes),
            };
            self.bits = 8 * rem as u32;
            self.acc_stored = false;
        }
    }

    /// Appends bytes.
    #[inline(always)]
    pub fn put_bytes(&mut self, bytes: &[u8]) {
        let mut rest = bytes;
        while let Some((chunk, tail)) = rest.split_first_chunk::<8>() {
            self.put_word_le(u64::from_le_bytes(*chunk), 8);
            rest = tail;
        }
        if !rest.is_empty() {
            self.put_word_le(load_short(rest), rest.len());
        }
    }

    /// Bytes that can still be appended.
    #[inline(always)]
    pub(crate) fn room(&self) -> usize {
        (self.room_words() * 8).saturating_sub((self.bits / 8) as usize)
    }

    /// Appends bytes if they fit in the reservation; otherwise marks the record
    /// as overflowed and writes nothing.
    #[inline]
    pub(crate) fn put_bounded(&mut self, bytes: &[u8]) {
        if self.overflow || bytes.len() > self.room() {
            self.overflow = true;
            return;
        }
        self.put_bytes(bytes);
    }

    /// Stores the last partial word.
    #[inline(always)]
    fn finish(&mut self) {
        self.align_word();
    }

    /// Words stored since the start of the argument area.
    #[inline(always)]
    fn words_written(&self) -> usize {
        (self.ptr.as_ptr().addr() - self.start.as_ptr().addr()) / size_of::<AtomicU64>()
    }
}

/// Copies the whole words of a string into a record: word `k` from `src` to
/// `dst`, for `k` below both `readable` (words of the string) and `room`
/// (words of the record), checked at every store (the checks fold away where
/// the indices are below both by construction).
struct WordCopy {
    src: *const u8,
    readable: usize,
    dst: NonNull<AtomicU64>,
    room: usize,
}

impl WordCopy {
    /// # Safety
    ///
    /// `8 * readable` bytes can be read at `src`, and `dst` is the first of
    /// `room` words of a ring that lives for the rest of the process.
    #[inline(always)]
    unsafe fn new(src: *const u8, readable: usize, dst: NonNull<AtomicU64>, room: usize) -> WordCopy {
        WordCopy { src, readable, dst, room }
    }

    /// Copies word `k` of the source; nothing if it is past either end.
    #[inline(always)]
    fn word(&self, k: usize) {
        if k < self.readable && k < self.room {
            // SAFETY: `k < readable`: bytes `8k..8k + 8` can be read at `src`;
            // `k < room`: `dst + k` is a word of a ring that lives for the rest
            // of the process (the contract of `new`). The load is unaligned.
            unsafe {
                let v = u64::from_le(self.src.add(8 * k).cast::<u64>().read_unaligned());
                self.dst.add(k).as_ref().store(v, Ordering::Relaxed);
            }
        }
    }

    /// Stores `v` as word `k`; nothing if it is past the record's room.
    #[inline(always)]
    fn store(&self, k: usize, v: u64) {
        if k < self.room {
            // SAFETY: `k < room`: `dst + k` is a word of a ring that lives for
            // the rest of the process (the contract of `new`).
            unsafe { self.dst.add(k).as_ref().store(v, Ordering::Relaxed) };
        }
    }
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

/// Writes a record into `res`: its arguments with `args`, then its header,
/// timestamp and type-extension words (see [`crate::wire::record`]). Returns
/// the record's length in bytes, or `None` if it does not fit in the
/// reservation: then nothing past the reservation was touched, and the caller
/// must not publish it.
#[inline(always)]
pub(crate) fn put_record(
    res: &Reservation,
    id: u32,
    ts: u64,
    tags: &[u8],
    args: impl FnOnce(&mut RecordWriter),
) -> Option<u64> {
    let (base, n) = res.words();
    let ext = (record::ext_tag_bytes(tags.len()) / 8) as usize;
    let head = 2 + ext;
    if head > n {
        return None;
    }
    // SAFETY: the reservation's `n` words are contiguous from `base`
    // (`Reservation::words`), so `base + head` (`head <= n`) and `base + n`
    // are in, or one past the end of, the ring's allocation.
    let (start, end) = unsafe { (base.add(head), base.add(n)) };
    // The timestamp first, so that it does not hold a register while the
    // arguments are written.
    // SAFETY: word 1 is a reserved word (`2 <= head <= n`) of a ring that
    // lives for the rest of the process.
    unsafe { base.add(1).as_ref().store(ts, Ordering::Relaxed) };
    let mut rw = RecordWriter { start, ptr: start, end, acc: 0, bits: 0, acc_stored: false, overflow: false };
    args(&mut rw);
    rw.finish();
    if rw.overflow {
        return None;
    }
    let words = head + rw.words_written();
    // SAFETY: words `0..head` are the reservation's first words (`head <= n`),
    // reserved words of a ring that lives for the rest of the process.
    unsafe {
        base.as_ref().store(record::header_word(id, words as u64, inline_tags(tags)), Ordering::Relaxed);
        for k in 0..ext {
            base.add(2 + k).as_ref().store(ext_tag_word(tags, k), Ordering::Relaxed);
        }
    }
    Some(words as u64 * 8)
}

#[cfg(all(test, not(ttlog_loom)))]
mod tests {
    //! Every shape of record a writer can be given: random sequences of every
    //! kind of store, of every length, from every accumulator offset, into
    //! reservations of every size at every offset of a block, exact, larger
    //! and too small. What lands in the ring is compared with a byte-by-byte
    //! model, and every word outside the reservation must stay as it was.
    //! Small enough to run under Miri (`cargo +nightly miri test -p ttlog-core --lib
    //! record_writer`), which checks the pointer arithmetic.

    use super::*;
    use crate::buffer::{BLOCK, Block, Ring};
    use crate::wire::record::{split_header, type_tag};

    /// Test data from `fastrand`.
    struct Rng(fastrand::Rng);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0.u64(..)
        }

        fn below(&mut self, n: u64) -> u64 {
            self.0.u64(0..n)
        }
    }

    #[derive(Debug)]
    enum Op {
        Le(u128, usize),
        Align,
        Aligned(Vec<u8>),
        Bytes(Vec<u8>),
        Bounded(Vec<u8>),
        /// A string of up to 16 bytes, or (`true`) up to 64.
        Short(Vec<u8>, bool),
    }

    /// What the ops write, byte by byte, and whether they fit in `room`
    /// bytes (`Bounded` writes nothing when it does not fit, and marks the
    /// record as overflowed).
    fn model(ops: &[Op], room: usize) -> (Vec<u8>, bool) {
        let mut b = Vec::new();
        let mut overflow = false;
        let pad = |b: &mut Vec<u8>| b.resize(b.len().next_multiple_of(8), 0);
        for op in ops {
            match op {
                Op::Le(v, n) => b.extend_from_slice(&v.to_le_bytes()[..*n]),
                Op::Align => pad(&mut b),
                Op::Aligned(x) => {
                    pad(&mut b);
                    b.extend_from_slice(x);
                }
                Op::Bytes(x) => b.extend_from_slice(x),
                Op::Bounded(x) => {
                    if overflow || b.len() + x.len() > room {
                        overflow = true;
                    } else {
                        b.extend_from_slice(x);
                    }
                }
                Op::Short(x, medium) => {
                    // `short_words(MAX)` words from the boundary on, whatever
                    // the length.
                    pad(&mut b);
                    let max = if *medium { MEDIUM_BYTES } else { SHORT_BYTES };
                    if b.len() + 8 * short_words(max) > room {
                        overflow = true;
                    } else {
                        b.extend_from_slice(x);
                    }
                }
            }
        }
        pad(&mut b);
        (b.clone(), overflow || b.len() > room)
    }

    fn bytes(r: &mut Rng, max: u64) -> Vec<u8> {
        let n = r.below(max + 1) as usize;
        (0..n).map(|_| r.next() as u8).collect()
    }

    fn op(r: &mut Rng) -> Op {
        match r.below(6) {
            0 => Op::Le(((r.next() as u128) << 64) | r.next() as u128, 1 + r.below(16) as usize),
            1 => Op::Align,
            2 => Op::Aligned(bytes(r, 40)),
            3 => Op::Bytes(bytes(r, 20)),
            4 => match r.below(2) {
                0 => Op::Short(bytes(r, SHORT_BYTES as u64), false),
                _ => Op::Short(bytes(r, MEDIUM_BYTES as u64), true),
            },
            _ => Op::Bounded(bytes(r, 30)),
        }
    }

    const SENTINEL: u64 = 0xA5A5_5A5A_DEAD_BEEF;

    #[test]
    fn every_store_stays_inside_its_reservation() {
        let ring: &'static Ring = Box::leak(Box::new(Ring::new(1)));
        let block = Block::leak();
        let w = ring.start_owner(1, Some(block)).expect("a writer");
        let words = block.words_for_test();
        let mut r = Rng(fastrand::Rng::with_seed(7));
        let cases = if cfg!(miri) { 60 } else { 20_000 };
        for case in 0..cases {
            for word in words {
                word.store(SENTINEL, Ordering::Relaxed);
            }
            let ops: Vec<Op> = (0..r.below(8)).map(|_| op(&mut r)).collect();
            let tags: Vec<u8> = (0..r.below(40)).map(|_| r.below(16) as u8).collect();
            let head = 16 + record::ext_tag_bytes(tags.len());
            // Any offset in the block.
            let at = 8 + 8 * r.below((BLOCK - 16) / 8);
            let (body, _) = model(&ops, usize::MAX);
            let exact = head + body.len() as u64;
            let len = match r.below(3) {
                0 => exact,
                1 => exact.saturating_sub(8 * (1 + r.below(4))).max(8),
                _ => exact + 8 * r.below(64),
            };
            let Some(res) = w.try_reserve(at, len) else {
                assert!(at % BLOCK + len > BLOCK, "case {case}: a reservation that fits was refused");
                continue;
            };
            let room = (len - head.min(len)) as usize;
            let (expect, overflows) = model(&ops, room);
            let id = r.next() as u32;
            let written = put_record(&res, id, 0x1234_5678, &tags, |rw| {
                for op in &ops {
                    match op {
                        Op::Le(v, n) => rw.put_le(*v, *n),
                        Op::Align => rw.align_word(),
                        Op::Aligned(x) => rw.put_aligned_bytes(x),
                        Op::Bytes(x) => rw.put_bytes(x),
                        Op::Bounded(x) => rw.put_bounded(x),
                        Op::Short(x, false) => rw.put_short_bytes::<SHORT_BYTES>(x),
                        Op::Short(x, true) => rw.put_short_bytes::<MEDIUM_BYTES>(x),
                    }
                }
            });
            let first = (at / 8) as usize;
            let last = first + (len / 8) as usize;
            for (i, word) in words.iter().enumerate() {
                if !(first..last).contains(&i) {
                    assert_eq!(word.load(Ordering::Relaxed), SENTINEL, "case {case}: word {i} outside the reservation");
                }
            }
            assert!(block.is_for_test(1, 0), "case {case}: the block's identity changed");
            if overflows || head > len {
                assert_eq!(written, None, "case {case}: {ops:?} into {len} bytes");
                continue;
            }
            assert_eq!(written, Some(head + expect.len() as u64), "case {case}: {ops:?}");
            let rec: Vec<u64> = words[first..first + (written.unwrap_or(0) / 8) as usize]
                .iter()
                .map(|w| w.load(Ordering::Relaxed))
                .collect();
            let (got_id, got_len, _) = split_header(rec[0]);
            assert_eq!((got_id, got_len * 8), (id, head + expect.len() as u64));
            assert_eq!(rec[1], 0x1234_5678);
            for (i, &t) in tags.iter().enumerate() {
                assert_eq!(type_tag(&rec, i), Some(t & 0xf), "case {case}: tag {i}");
            }
            let got: Vec<u8> = rec[(head / 8) as usize..].iter().flat_map(|w| w.to_le_bytes()).collect();
            assert_eq!(got, expect, "case {case}: {ops:?}");
        }
    }
}
