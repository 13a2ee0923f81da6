//! The unchecked output cursor of the encoder: appends to a vector through a
//! pointer into its spare capacity, in room made once per ring block. Every
//! `unsafe` of the encoder's stores is here; the argument that the room
//! suffices is [`super::transcode`]'s.

/// Appends to a vector through a pointer into its spare capacity: the vector's
/// length catches up when the vector itself is needed ([`Sink::with_vec`]) and
/// at the end.
pub(super) struct Sink<'a> {
    pub(super) out: &'a mut Vec<u8>,
    /// `out`'s buffer plus its length.
    pub(super) base: *mut u8,
    /// Where the next byte goes: between `base` and `end`. The bytes before
    /// it are initialised.
    pub(super) p: *mut u8,
    /// `out`'s buffer plus its capacity.
    pub(super) end: *mut u8,
    /// The address at which the open frame is full (`usize::MAX` if none is).
    pub(super) limit: usize,
    /// The offset of `limit` in `out` (`usize::MAX` if no frame is open).
    pub(super) limit_at: usize,
}

impl<'a> Sink<'a> {
    pub(super) fn new(out: &'a mut Vec<u8>) -> Sink<'a> {
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
    pub(super) fn refresh(&mut self) {
        let spare = self.out.spare_capacity_mut().as_mut_ptr_range();
        self.base = spare.start.cast();
        self.p = self.base;
        self.end = spare.end.cast();
        self.set_limit(self.limit_at);
    }

    /// Sets `limit` to the address of offset `at` of `out`'s buffer
    /// (`usize::MAX` for `usize::MAX`).
    pub(super) fn set_limit(&mut self, at: usize) {
        self.limit_at = at;
        self.limit = if at == usize::MAX { at } else { (self.out.as_ptr() as usize).saturating_add(at) };
    }

    /// Bytes that can be written at `p`.
    #[inline(always)]
    pub(super) fn room(&self) -> usize {
        // SAFETY: `p` and `end` point into the same buffer, `p <= end`.
        unsafe { self.end.offset_from_unsigned(self.p) }
    }

    /// Bytes written through `p` since the vector's length was last set.
    #[inline(always)]
    pub(super) fn written(&self) -> usize {
        // SAFETY: `base` and `p` point into the buffer of `out`, `base <= p`.
        unsafe { self.p.offset_from_unsigned(self.base) }
    }

    /// Sets the vector's length to the bytes written, lets `f` use it, and
    /// points the sink at its end again.
    pub(super) fn with_vec<T>(&mut self, f: impl FnOnce(&mut Vec<u8>) -> T) -> T {
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
    pub(super) fn make_room(&mut self, n: usize) {
        if self.room() < n {
            self.grow(n);
        }
    }

    #[cold]
    #[inline(never)]
    pub(super) fn grow(&mut self, n: usize) {
        self.with_vec(|out| out.reserve(n));
    }

    /// Moves `p` to `end`, after the bytes written there.
    ///
    /// # Safety
    ///
    /// `end` is `p` or after it, within the room made, and the bytes in between
    /// are initialised.
    #[inline(always)]
    pub(super) unsafe fn advance_to(&mut self, end: *mut u8) {
        debug_assert!(end >= self.p && end <= self.end);
        self.p = end;
    }
}

impl Drop for Sink<'_> {
    fn drop(&mut self) {
        self.with_vec(|_| ());
    }
}

/// A write position in memory that the caller made room in: stores are not
/// checked, except in debug builds.
pub(super) struct Raw {
    pub(super) p: *mut u8,
    /// The end of the room (debug builds check every store against it).
    #[cfg(debug_assertions)]
    pub(super) end: *mut u8,
}

impl Raw {
    /// Writes at `p`.
    ///
    /// # Safety
    ///
    /// `p` is writable for `room` bytes.
    #[inline(always)]
    pub(super) unsafe fn new(p: *mut u8, room: usize) -> Raw {
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
    pub(super) fn check(&self, n: usize) {
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
    pub(super) unsafe fn byte(&mut self, b: u8) {
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
    pub(super) unsafe fn word(&mut self, v: u64, n: usize) {
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
    pub(super) unsafe fn bytes(&mut self, bytes: &[u8]) {
        self.check(bytes.len());
        // SAFETY: room for the bytes (the caller's contract).
        unsafe {
            core::ptr::copy_nonoverlapping(bytes.as_ptr(), self.p, bytes.len());
            self.p = self.p.add(bytes.len());
        }
    }

    /// Appends the first `n` bytes of `words` (whose length is `n` rounded up
    /// to a multiple of 8), copying whole words: up to 64 bytes without a
    /// loop, with 16-byte loads and stores that overlap where the length is
    /// not a multiple of 16 (a loop, a vectorised one, cost more than the copy
    /// for the strings of most events).
    ///
    /// # Safety
    ///
    /// Room for `words.len()` bytes, which do not overlap it.
    #[inline(always)]
    pub(super) unsafe fn words(&mut self, words: &[u8], n: usize) {
        self.check(words.len());
        debug_assert!(words.len() == n.next_multiple_of(8));
        let len = words.len();
        let (src, dst) = (words.as_ptr(), self.p);
        // SAFETY: every load reads 8 or 16 bytes inside `words` (offsets from
        // 0 to `len - 16` for 16-byte loads, taken only where `len >= 16`),
        // and every store writes the same offsets of the room, which holds
        // `len` bytes (the caller's contract) and does not overlap `words`.
        // The loads all happen before the first store of their group, so
        // overlapping stores write the same bytes again.
        unsafe {
            let ld8 = |at: usize| src.add(at).cast::<u64>().read_unaligned();
            let ld16 = |at: usize| src.add(at).cast::<u128>().read_unaligned();
            let st8 = |at: usize, v: u64| dst.add(at).cast::<u64>().write_unaligned(v);
            let st16 = |at: usize, v: u128| dst.add(at).cast::<u128>().write_unaligned(v);
            if len <= 8 {
                if len == 8 {
                    st8(0, ld8(0));
                }
            } else if len <= 32 {
                // 16 to 32 bytes: the first and the last 16.
                let (a, b) = (ld16(0), ld16(len - 16));
                st16(0, a);
                st16(len - 16, b);
            } else if len <= 64 {
                let (a, b, c, d) = (ld16(0), ld16(16), ld16(len - 32), ld16(len - 16));
                st16(0, a);
                st16(16, b);
                st16(len - 32, c);
                st16(len - 16, d);
            } else {
                core::ptr::copy_nonoverlapping(src, dst, len);
            }
        }
        // SAFETY: `n <= words.len()`, within the room.
        self.p = unsafe { self.p.add(n.min(len)) };
    }

    /// Appends `v` as unsigned LEB128: one branch for up to two bytes, one for
    /// three or four, a branch-free spreading of 7-bit groups beyond.
    ///
    /// # Safety
    ///
    /// Room for 10 bytes, or for 8 if `v < 1 << 56`.
    #[inline(always)]
    pub(super) unsafe fn varint(&mut self, v: u64) {
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
    pub(super) unsafe fn varint_long(&mut self, v: u64) {
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
    pub(super) unsafe fn varint128(&mut self, v: u128) {
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
    pub(super) unsafe fn varint128_long(&mut self, mut v: u128) {
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
pub(super) const fn spread7(v: u64) -> u64 {
    let v = (v & 0x0000_0000_0FFF_FFFF) | (v & 0x00FF_FFFF_F000_0000) << 4;
    let v = (v & 0x0000_3FFF_0000_3FFF) | (v & 0x0FFF_C000_0FFF_C000) << 2;
    (v & 0x007F_007F_007F_007F) | (v & 0x3F80_3F80_3F80_3F80) << 1
}
