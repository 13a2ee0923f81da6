//! Frame checksums, in time that grows with the input and not with its square.
//!
//! A frame is intact when the CRC-32 of its kind, its length and its payload
//! is the one its header gives. Checking that directly costs the payload's
//! length: for an intact frame, no more than reading it. A frame that fails
//! the check costs the same for nothing, and hostile input can claim, every
//! few bytes, a frame that runs to the end of the input; checked directly,
//! those claims cost the square of the input's length. So failed direct checks
//! have a budget, the input's length. Once it is spent, a frame's CRC is
//! worked out from CRCs of the input's prefixes, taken every [`STRIDE`] bytes
//! in one pass: CRC-32 is linear over GF(2), so the register after a stretch
//! of bytes is the register before it carried through as many zero bytes (a
//! multiplication by x^(8·n) modulo the polynomial) plus the stretch's own CRC
//! from a zero register. The CRC of any stretch then follows from the prefixes
//! at its two ends, in a few hundred operations whatever its length.

use ttlog_core::wire;

/// The CRC-32 polynomial (IEEE 802.3) in the reflected representation that the
/// register uses: bit 31 is the coefficient of x^0, bit 0 that of x^31.
const POLY: u32 = 0xEDB8_8320;
/// The polynomial 1 (x^0) in that representation.
const ONE: u32 = 1 << 31;
/// Bytes between two prefix CRCs: a stretch's ends are found from the nearest
/// prefix before each with at most this many bytes of table steps.
const STRIDE: usize = 64;

/// `p · x` modulo the polynomial: the register after one zero bit.
const fn times_x(p: u32) -> u32 {
    if p & 1 != 0 { (p >> 1) ^ POLY } else { p >> 1 }
}

/// The register after one byte `i`, from a zero register.
const TABLE: [u32; 256] = {
    let mut t = [0u32; 256];
    let mut i = 0;
    while i < 256 {
        let mut c = i as u32;
        let mut k = 0;
        while k < 8 {
            c = times_x(c);
            k += 1;
        }
        t[i] = c;
        i += 1;
    }
    t
};

/// `a · b` modulo the polynomial.
const fn multiply(a: u32, b: u32) -> u32 {
    let mut product = 0;
    // `b · x^k`, for the coefficient of x^k in `a`, which is bit `31 - k`.
    let mut shifted = b;
    let mut k = 0;
    while k < 32 {
        if a & (ONE >> k) != 0 {
            product ^= shifted;
        }
        shifted = times_x(shifted);
        k += 1;
    }
    product
}

/// `x^(8 · 2^k)` modulo the polynomial, for every `k`.
const POWERS: [u32; 64] = {
    let mut t = [0u32; 64];
    let mut p = ONE;
    let mut k = 0;
    while k < 8 {
        p = times_x(p);
        k += 1;
    }
    t[0] = p;
    let mut k = 1;
    while k < 64 {
        t[k] = multiply(t[k - 1], t[k - 1]);
        k += 1;
    }
    t
};

/// `x^(8n)` modulo the polynomial: what `n` zero bytes do to a register.
fn zero_bytes(n: u64) -> u32 {
    let mut r = ONE;
    for (k, power) in POWERS.iter().enumerate() {
        if n >> k & 1 == 1 {
            r = multiply(r, *power);
        }
    }
    r
}

/// The register after `bytes`, from `reg` (no inversion before or after).
fn update(mut reg: u32, bytes: &[u8]) -> u32 {
    for &b in bytes {
        reg = TABLE[((reg ^ b as u32) & 0xff) as usize] ^ (reg >> 8);
    }
    reg
}

/// Checks the checksums of the frames of one input.
pub(super) struct Checksums {
    /// Bytes that failed direct checks may still cost.
    budget: u64,
    /// The register after the first `i * STRIDE` bytes of the input, from a
    /// zero register, for every `i` up to the input's length; made once the
    /// budget is spent.
    prefixes: Option<Vec<u32>>,
}

impl Checksums {
    /// Checksums of frames of an input of `len` bytes.
    pub(super) fn new(len: usize) -> Checksums {
        Checksums { budget: len as u64, prefixes: None }
    }

    /// Whether the frame whose header is at `at` in `bytes`, of kind `kind`
    /// with a payload of `len` bytes that lies inside `bytes`, has the
    /// checksum `crc`.
    pub(super) fn matches(&mut self, bytes: &[u8], at: usize, kind: u8, len: usize, crc: u32) -> bool {
        let start = at + wire::FRAME_HEADER_LEN;
        let Some(payload) = bytes.get(start..start + len) else { return false };
        if self.prefixes.is_none() && len as u64 <= self.budget {
            let ok = wire::frame_crc(kind, payload) == crc;
            if !ok {
                self.budget -= len as u64;
            }
            return ok;
        }
        let prefixes = self.prefixes.get_or_insert_with(|| prefixes(bytes));
        // The kind and the length, then the payload, from the CRC's initial
        // register (all ones).
        let mut head = [0u8; 5];
        head[0] = kind;
        head[1..].copy_from_slice(&(len as u32).to_le_bytes());
        let before = update(!0, &head);
        let (Some(from), Some(to)) = (prefix(prefixes, bytes, start), prefix(prefixes, bytes, start + len)) else {
            return false;
        };
        // The payload from `before` is the payload from `from` (which gives
        // `to`), with `before ^ from` carried through its bytes as zeros.
        let after = multiply(before ^ from, zero_bytes(len as u64)) ^ to;
        !after == crc
    }
}

/// The register after every `STRIDE` bytes of `bytes`, from a zero register:
/// `STRIDE` times fewer words than the input has bytes.
fn prefixes(bytes: &[u8]) -> Vec<u32> {
    let mut out = Vec::with_capacity(bytes.len() / STRIDE + 1);
    let mut reg = 0;
    out.push(reg);
    for chunk in bytes.chunks_exact(STRIDE) {
        reg = update(reg, chunk);
        out.push(reg);
    }
    out
}

/// The register after the first `n` bytes of `bytes`, from a zero register.
fn prefix(prefixes: &[u32], bytes: &[u8], n: usize) -> Option<u32> {
    let i = n / STRIDE;
    Some(update(*prefixes.get(i)?, bytes.get(i * STRIDE..n)?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Rng;

    #[test]
    fn multiplying_by_powers_of_x_is_running_zero_bytes() {
        let mut rng = Rng::new(0x1234_5678_9ABC_DEF1);
        for _ in 0..300 {
            let reg = rng.next() as u32;
            let n = rng.below(300) as usize;
            assert_eq!(multiply(reg, zero_bytes(n as u64)), update(reg, &vec![0; n]), "{reg:#x} {n}");
        }
        assert_eq!(zero_bytes(0), ONE);
        assert_eq!(multiply(ONE, 0xDEAD_BEEF), 0xDEAD_BEEF);
        // The table is the one of zlib's CRC-32.
        assert_eq!(!update(!0, b"123456789"), 0xCBF4_3926);
    }

    /// Frames placed in random bytes, intact or not: the check from prefixes
    /// (budget 0) agrees with the direct one everywhere, across stride
    /// boundaries and at the ends of the input.
    #[test]
    fn prefix_checks_agree_with_direct_checks() {
        let mut rng = Rng::new(0x9E37_79B9_7F4A_7C15);
        for round in 0..200 {
            let n = rng.index(700) + wire::FRAME_HEADER_LEN;
            let mut bytes = rng.bytes(n);
            let at = rng.index(bytes.len() - wire::FRAME_HEADER_LEN + 1);
            let len = rng.index(bytes.len() - at - wire::FRAME_HEADER_LEN + 1);
            let kind = rng.next() as u8;
            let start = at + wire::FRAME_HEADER_LEN;
            let good = wire::frame_crc(kind, &bytes[start..start + len]);
            let crc = if rng.one_in(2) { good } else { good ^ (1 << rng.below(32)) };
            if rng.one_in(4) {
                bytes.push(rng.next() as u8);
            }
            let mut direct = Checksums::new(bytes.len());
            let mut derived = Checksums { budget: 0, prefixes: None };
            let expected = crc == good;
            assert_eq!(direct.matches(&bytes, at, kind, len, crc), expected, "round {round}");
            assert_eq!(derived.matches(&bytes, at, kind, len, crc), expected, "round {round}");
            assert!(derived.prefixes.is_some() || len == 0, "a payload of 0 bytes is checked directly");
            // A payload that would run past the input never matches.
            assert!(!derived.matches(&bytes, at, kind, bytes.len(), crc));
        }
    }

    /// Failed direct checks spend the budget, then the prefixes take over.
    #[test]
    fn failed_checks_spend_the_budget() {
        let bytes = vec![0x55u8; 1000];
        let mut c = Checksums::new(bytes.len());
        assert!(!c.matches(&bytes, 0, 4, 600, 0));
        assert_eq!(c.budget, 400);
        assert!(c.prefixes.is_none());
        assert!(!c.matches(&bytes, 10, 4, 600, 0));
        assert!(c.prefixes.is_some());
        let good = wire::frame_crc(4, &bytes[100 + wire::FRAME_HEADER_LEN..][..500]);
        assert!(c.matches(&bytes, 100, 4, 500, good));
    }
}
