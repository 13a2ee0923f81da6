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
/// Made only by [`put_record`], for the argument area of a reservation.
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
            self.put_le(v as u64 as u128, 8);
            self.put_le(v >> 64, n.min(16) - 8);
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
        let copy = unsafe { WordCopy::new(bytes.as_ptr(), self.ptr, whole) };
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
        }
    }

    /// Appends bytes.
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

/// The whole words of a string that fit in a record: copies `whole` words
/// from `src` to `dst`.
struct WordCopy {
    src: *const u8,
    dst: NonNull<AtomicU64>,
    whole: usize,
}

impl WordCopy {
    /// # Safety
    ///
    /// `8 * whole` bytes can be read at `src`, and `dst` is the first of
    /// `whole` words of a ring that lives for the rest of the process.
    #[inline(always)]
    unsafe fn new(src: *const u8, dst: NonNull<AtomicU64>, whole: usize) -> WordCopy {
        WordCopy { src, dst, whole }
    }

    /// Copies word `k`; nothing if `k >= whole`.
    #[inline(always)]
    fn word(&self, k: usize) {
        if k < self.whole {
            // SAFETY: `k < whole`: bytes `8k..8k + 8` can be read at `src`,
            // and `dst + k` is a word of a ring that lives for the rest of
            // the process (the contract of `new`). The load is unaligned.
            unsafe {
                let v = u64::from_le(self.src.add(8 * k).cast::<u64>().read_unaligned());
                self.dst.add(k).as_ref().store(v, Ordering::Relaxed);
            }
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
    let mut rw = RecordWriter { start, ptr: start, end, acc: 0, bits: 0, overflow: false };
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
        base.add(1).as_ref().store(ts, Ordering::Relaxed);
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
    //! Small enough to run under Miri (`cargo +nightly miri test -p ttlog --lib
    //! record_writer`), which checks the pointer arithmetic.

    use super::*;
    use crate::buffer::{BLOCK, MIN_CAPACITY, Ring};
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
        match r.below(5) {
            0 => Op::Le(((r.next() as u128) << 64) | r.next() as u128, 1 + r.below(16) as usize),
            1 => Op::Align,
            2 => Op::Aligned(bytes(r, 40)),
            3 => Op::Bytes(bytes(r, 20)),
            _ => Op::Bounded(bytes(r, 30)),
        }
    }

    const SENTINEL: u64 = 0xA5A5_5A5A_DEAD_BEEF;

    #[test]
    fn every_store_stays_inside_its_reservation() {
        let ring: &'static Ring = Box::leak(Box::new(Ring::new(MIN_CAPACITY)));
        let words = ring.words_for_test();
        let w = ring.writer();
        let mut r = Rng(fastrand::Rng::with_seed(7));
        let cases = if cfg!(miri) { 60 } else { 20_000 };
        for case in 0..cases {
            for word in words {
                word.store(SENTINEL, Ordering::Relaxed);
            }
            let ops: Vec<Op> = (0..r.below(8)).map(|_| op(&mut r)).collect();
            let tags: Vec<u8> = (0..r.below(40)).map(|_| r.below(16) as u8).collect();
            let head = 16 + record::ext_tag_bytes(tags.len());
            // Any block of the ring (the last one included), any offset in it.
            let block = r.below(MIN_CAPACITY / BLOCK) * BLOCK;
            let at = block + 8 + 8 * r.below((BLOCK - 16) / 8);
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
