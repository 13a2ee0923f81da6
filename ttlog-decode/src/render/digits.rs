//! Decimal digits without the formatting machinery: the decoder writes a few
//! numbers on every line.

/// "00", "01", .. "99": ASCII digits only.
pub(crate) const PAIRS: [[u8; 2]; 100] = {
    let mut t = [[0u8; 2]; 100];
    let mut i = 0;
    while i < 100 {
        t[i] = [b'0' + (i / 10) as u8, b'0' + (i % 10) as u8];
        i += 1;
    }
    t
};

/// The two digits of `v % 100`: ASCII digits, whatever `v`.
#[inline(always)]
pub(crate) fn pair(v: u32) -> [u8; 2] {
    PAIRS[(v % 100) as usize]
}

/// The decimal digits of a `u64`, at the end of a buffer whose other bytes
/// are `'0'` (so a caller can take leading zeros too).
///
/// Every byte of the buffer is an ASCII digit, whatever the value: it starts
/// as `'0'`s, and [`Digits::new`] writes only bytes of [`PAIRS`] and
/// `b'0' + d` for a `d` below 10.
pub(crate) struct Digits {
    buf: [u8; Digits::CAP],
    start: usize,
}

impl Digits {
    /// Bytes of the buffer: 20 digits at most, and room for leading zeros.
    pub(crate) const CAP: usize = 24;

    #[inline]
    pub(crate) fn new(v: u64) -> Digits {
        let mut buf = [b'0'; Digits::CAP];
        let mut i = Digits::CAP;
        let mut v = v;
        // Four digits at a time, then what is left (below 10 000) in 32 bits.
        while v >= 10_000 {
            let r = (v % 10_000) as u32;
            v /= 10_000;
            i -= 4;
            buf[i..i + 2].copy_from_slice(&pair(r / 100));
            buf[i + 2..i + 4].copy_from_slice(&pair(r));
        }
        let mut v = v as u32;
        if v >= 100 {
            i -= 2;
            buf[i..i + 2].copy_from_slice(&pair(v));
            v /= 100;
        }
        if v >= 10 {
            i -= 2;
            buf[i..i + 2].copy_from_slice(&pair(v));
        } else {
            i -= 1;
            buf[i] = b'0' + v as u8;
        }
        Digits { buf, start: i }
    }

    /// The digits: ASCII digits only.
    #[inline]
    pub(crate) fn as_bytes(&self) -> &[u8] {
        &self.buf[self.start..]
    }

    /// The digits with leading zeros up to `min` digits (at most
    /// [`Digits::CAP`]): ASCII digits only.
    #[inline]
    pub(crate) fn at_least(&self, min: usize) -> &[u8] {
        &self.buf[self.start.min(Digits::CAP.saturating_sub(min))..]
    }
}

/// Appends bytes that are ASCII, without checking that they are.
///
/// The callers write digits from [`PAIRS`], [`Digits`] and `b'0' + d`, and
/// punctuation from literals, into fixed buffers; this function saves the
/// check of every byte that [`str::from_utf8`] would make.
///
/// # Safety
///
/// Every byte of `bytes` must be ASCII (below 0x80). Other bytes could make
/// `out` hold text that is not UTF-8, which every `str` method may assume.
/// Debug builds check it.
#[inline(always)]
pub(crate) unsafe fn push_ascii(out: &mut String, bytes: &[u8]) {
    debug_assert!(bytes.is_ascii(), "{bytes:02x?}");
    // SAFETY: the bytes are ASCII (this function's contract), and ASCII is
    // UTF-8, whatever comes before or after it.
    unsafe { push_utf8(out, bytes) };
}

/// Appends a `str`, as [`String::push_str`] does: the short ones, which most
/// of a line's pieces are (a thread name, a target, a literal between two
/// placeholders, a number's digits), with a few loads and stores instead of
/// a call to `memcpy`.
#[inline(always)]
pub(crate) fn push_str(out: &mut String, s: &str) {
    // SAFETY: `s` is UTF-8 as a whole, so appending all of its bytes keeps
    // `out` UTF-8.
    unsafe { push_utf8(out, s.as_bytes()) };
}

/// Bytes up to which [`push_utf8`] copies without calling `memcpy`.
const SMALL: usize = 32;

/// Appends `bytes` to `out`; up to [`SMALL`] of them with two overlapping
/// copies of the widest power of two that fits (8 to 15 bytes: the first 8
/// and the last 8).
///
/// # Safety
///
/// `out` followed by `bytes` must be UTF-8: `bytes` is a whole `str`, or
/// ASCII.
#[inline(always)]
unsafe fn push_utf8(out: &mut String, bytes: &[u8]) {
    let n = bytes.len();
    // SAFETY: the caller guarantees that the bytes appended keep the string
    // UTF-8; nothing else is written into the string's length.
    let v = unsafe { out.as_mut_vec() };
    if n > SMALL {
        v.extend_from_slice(bytes);
        return;
    }
    v.reserve(SMALL);
    let len = v.len();
    let src = bytes.as_ptr();
    // SAFETY: `reserve(SMALL)` leaves at least `SMALL >= n` bytes of spare
    // capacity after `len`, so every store below, each inside
    // `dst..dst + n`, is inside the allocation; every load is inside
    // `src..src + n`, the bytes of `bytes` (each pair of copies of `w` bytes
    // is made only when `w <= n < 2w`, so `n - w` is in bounds, and the two
    // cover all `n` bytes between them). Those `n` bytes are then
    // initialised, so the length may grow by `n`. The copies are unaligned
    // reads and writes of plain integers.
    unsafe {
        let dst = v.as_mut_ptr().add(len);
        if n >= 16 {
            let lo = src.cast::<u128>().read_unaligned();
            let hi = src.add(n - 16).cast::<u128>().read_unaligned();
            dst.cast::<u128>().write_unaligned(lo);
            dst.add(n - 16).cast::<u128>().write_unaligned(hi);
        } else if n >= 8 {
            let lo = src.cast::<u64>().read_unaligned();
            let hi = src.add(n - 8).cast::<u64>().read_unaligned();
            dst.cast::<u64>().write_unaligned(lo);
            dst.add(n - 8).cast::<u64>().write_unaligned(hi);
        } else if n >= 4 {
            let lo = src.cast::<u32>().read_unaligned();
            let hi = src.add(n - 4).cast::<u32>().read_unaligned();
            dst.cast::<u32>().write_unaligned(lo);
            dst.add(n - 4).cast::<u32>().write_unaligned(hi);
        } else if n >= 2 {
            let lo = src.cast::<u16>().read_unaligned();
            let hi = src.add(n - 2).cast::<u16>().read_unaligned();
            dst.cast::<u16>().write_unaligned(lo);
            dst.add(n - 2).cast::<u16>().write_unaligned(hi);
        } else if n == 1 {
            *dst = *src;
        }
        v.set_len(len + n);
    }
}

/// Appends `v` in decimal.
#[inline]
pub(crate) fn push_u64(out: &mut String, v: u64) {
    if v < 10 {
        out.push((b'0' + v as u8) as char);
    } else {
        // SAFETY: `Digits` holds ASCII digits only.
        unsafe { push_ascii(out, Digits::new(v).as_bytes()) };
    }
}

/// Appends `v` in decimal.
#[inline]
pub(crate) fn push_i64(out: &mut String, v: i64) {
    if v < 0 {
        out.push('-');
    }
    push_u64(out, v.unsigned_abs());
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Rng;

    /// Fewer random cases under Miri, which runs the same checks a thousand
    /// times slower.
    const ROUNDS: usize = if cfg!(miri) { 300 } else { 200_000 };

    /// Every value class the digit writer treats apart: each count of digits
    /// from 1 to 20, at its first and last value and around them (0, 9, 10,
    /// 99, 100, ..., 10^19, u64::MAX), and values of each length at random.
    fn values(rng: &mut Rng) -> Vec<u64> {
        let mut v = vec![0, 1, 9, u64::MAX, u64::MAX - 1, u32::MAX as u64, u32::MAX as u64 + 1];
        let mut p = 1u64;
        for _ in 0..20 {
            // The values with as many digits as `p`: `p..=last`.
            let last = p.saturating_mul(10) - 1;
            v.extend([p - 1, p, p + 1, last - 1, last, p.saturating_mul(2), p.saturating_mul(5) - 1]);
            v.extend((0..4).map(|_| p + rng.below(last - p + 1)));
            p = p.saturating_mul(10);
        }
        v
    }

    /// The digits against `Display`, with leading zeros against `{:0w$}`,
    /// for every width up to past the buffer.
    fn check(v: u64) {
        let d = Digits::new(v);
        let std = v.to_string();
        assert_eq!(d.as_bytes(), std.as_bytes());
        assert!(d.buf.iter().all(u8::is_ascii_digit), "{v}: {:?}", d.buf);
        for w in [0, 1, 2, 19, 20, 21, Digits::CAP, Digits::CAP + 1, usize::MAX] {
            let padded = format!("{v:0w$}", w = w.min(Digits::CAP));
            assert_eq!(d.at_least(w), padded.as_bytes(), "{v} at least {w}");
        }
        let mut out = String::from("x");
        push_u64(&mut out, v);
        assert_eq!(out[1..], std);
    }

    fn check_signed(v: i64) {
        let mut out = String::new();
        push_i64(&mut out, v);
        assert_eq!(out, v.to_string());
    }

    #[test]
    fn digits_match_display() {
        let mut out = String::new();
        let mut v = 1u64;
        let mut rng = Rng::new(88172645463325252);
        for _ in 0..ROUNDS / 2 {
            let seed = rng.next();
            for n in [v, v - 1, v + 1, seed >> (seed % 64), seed] {
                out.clear();
                push_u64(&mut out, n);
                assert_eq!(out, n.to_string());
                out.clear();
                push_i64(&mut out, n as i64);
                assert_eq!(out, (n as i64).to_string());
            }
            v = v.wrapping_mul(10).max(1);
        }
        assert_eq!(Digits::new(42).at_least(5), b"00042");
        assert_eq!(Digits::new(12345).at_least(3), b"12345");
        assert_eq!(Digits::new(0).at_least(1), b"0");
        assert_eq!(Digits::new(u64::MAX).as_bytes(), u64::MAX.to_string().as_bytes());
        assert_eq!(Digits::new(7).at_least(Digits::CAP + 5).len(), Digits::CAP);
    }

    #[test]
    fn every_class_of_value_matches_std() {
        let mut rng = Rng::new(88172645463325252);
        for v in values(&mut rng) {
            check(v);
            check_signed(v as i64);
            check_signed((v as i64).wrapping_neg());
        }
        for v in [i64::MIN, i64::MIN + 1, i64::MAX, -1, -9, -10, -99, -100] {
            check_signed(v);
        }
        for w in 0..=Digits::CAP + 2 {
            assert_eq!(Digits::new(7).at_least(w).len(), w.clamp(1, Digits::CAP));
        }
    }

    /// Random values of every length (a random value shifted right by a
    /// random amount), and the same as `i64`.
    #[test]
    fn random_values_match_std() {
        let mut rng = Rng::new(0x2545_F491_4F6C_DD1D);
        for _ in 0..ROUNDS {
            let v = rng.next() >> rng.below(64);
            let d = Digits::new(v);
            assert_eq!(d.as_bytes(), v.to_string().as_bytes());
            let w = rng.index(Digits::CAP + 1);
            assert_eq!(d.at_least(w), format!("{v:0w$}").as_bytes());
            check_signed(v as i64);
        }
    }

    #[test]
    fn pairs_are_the_two_last_digits() {
        for (i, p) in PAIRS.iter().enumerate() {
            assert_eq!(p, format!("{i:02}").as_bytes());
        }
        let mut rng = Rng::new(0x9E37_79B9_7F4A_7C15);
        for v in (0..1000).chain([u32::MAX, u32::MAX - 1]).chain((0..ROUNDS / 100).map(|_| rng.next() as u32)) {
            assert_eq!(pair(v), format!("{:02}", v % 100).as_bytes(), "{v}");
        }
    }

    /// Every length up to past the short copies, from every starting
    /// length of the string (so every alignment and every amount of spare
    /// capacity, including none), with multibyte text: the same as
    /// `push_str`.
    #[test]
    fn strings_are_appended_as_push_str_appends_them() {
        let text = "aé€𝄞bcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_é€𝄞";
        let ends: Vec<usize> = (0..=text.len()).filter(|&i| text.is_char_boundary(i)).collect();
        for &start in ends.iter().take(12) {
            for &end in ends.iter().filter(|&&e| e >= start && e - start <= SMALL + 9) {
                let piece = &text[start..end];
                for before in 0..(if cfg!(miri) { 3 } else { 40 }) {
                    let mut prefix = String::with_capacity(before + (before % 5) * 7);
                    prefix.extend(core::iter::repeat_n('x', before));
                    let mut ours = prefix.clone();
                    push_str(&mut ours, piece);
                    let mut std = prefix;
                    std.push_str(piece);
                    assert_eq!(ours, std, "{piece:?} after {before}");
                }
            }
        }
    }

    #[test]
    fn ascii_is_appended_as_it_is() {
        let mut out = String::from("é");
        let bytes: Vec<u8> = (0..0x80).collect();
        // SAFETY: every byte below 0x80 is ASCII.
        unsafe { push_ascii(&mut out, &bytes) };
        assert_eq!(out.as_bytes()[2..], bytes[..]);
        // SAFETY: no bytes.
        unsafe { push_ascii(&mut out, &[]) };
        assert_eq!(out.len(), 2 + 0x80);
    }
}
