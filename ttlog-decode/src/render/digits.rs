//! Decimal digits without the formatting machinery: the decoder writes a few
//! numbers on every line.

/// "00", "01", .. "99".
pub(crate) const PAIRS: [[u8; 2]; 100] = {
    let mut t = [[0u8; 2]; 100];
    let mut i = 0;
    while i < 100 {
        t[i] = [b'0' + (i / 10) as u8, b'0' + (i % 10) as u8];
        i += 1;
    }
    t
};

/// The two digits of `v % 100`.
#[inline(always)]
pub(crate) fn pair(v: u32) -> [u8; 2] {
    PAIRS[(v % 100) as usize]
}

/// The decimal digits of a `u64`, at the end of a buffer whose other bytes
/// are `'0'` (so a caller can take leading zeros too).
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

    /// The digits.
    #[inline]
    pub(crate) fn as_bytes(&self) -> &[u8] {
        &self.buf[self.start..]
    }

    /// The digits with leading zeros up to `min` digits (at most [`Digits::CAP`]).
    #[inline]
    pub(crate) fn at_least(&self, min: usize) -> &[u8] {
        &self.buf[self.start.min(Digits::CAP.saturating_sub(min))..]
    }
}

/// Appends bytes that are ASCII digits and punctuation by construction: every
/// caller writes them from `b'0' + digit`, [`PAIRS`], [`Digits`] and literals.
#[inline]
pub(crate) fn push_ascii(out: &mut String, bytes: &[u8]) {
    debug_assert!(bytes.is_ascii());
    // SAFETY: the callers only pass ASCII (see above), and ASCII is UTF-8.
    out.push_str(unsafe { core::str::from_utf8_unchecked(bytes) });
}

/// Appends `v` in decimal.
#[inline]
pub(crate) fn push_u64(out: &mut String, v: u64) {
    if v < 10 {
        out.push((b'0' + v as u8) as char);
    } else {
        push_ascii(out, Digits::new(v).as_bytes());
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

    #[test]
    fn digits_match_display() {
        let mut out = String::new();
        let mut v = 1u64;
        let mut rng = Rng(88172645463325252);
        for _ in 0..100_000 {
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
}
