//! The format's primitives: varints, zigzag, strings, the preamble, frames
//! and their CRC. A writer of snapshot files needs these and the payload
//! types of [`super::frames`]; nothing else.

use super::{FRAME_HEADER_LEN, MAGIC, SYNC, VERSION};
use crate::clock::ClockPoint;

/// Where encoded bytes go: a `Vec`, or (for the crash path, which must not
/// allocate) a fixed buffer.
pub trait Out {
    /// Appends bytes.
    fn put(&mut self, bytes: &[u8]);
    /// Appends one byte.
    #[inline]
    fn put_byte(&mut self, b: u8) {
        self.put(&[b]);
    }
}

impl Out for Vec<u8> {
    #[inline]
    fn put(&mut self, bytes: &[u8]) {
        self.extend_from_slice(bytes);
    }
    #[inline(always)]
    fn put_byte(&mut self, b: u8) {
        self.push(b);
    }
}

/// Appends `v` as unsigned LEB128.
#[inline]
pub fn put_varint(out: &mut impl Out, mut v: u64) {
    while v >= 0x80 {
        out.put_byte(v as u8 | 0x80);
        v >>= 7;
    }
    out.put_byte(v as u8);
}

/// Appends a `u128` as unsigned LEB128.
pub fn put_varint128(out: &mut impl Out, mut v: u128) {
    while v >= 0x80 {
        out.put_byte(v as u8 | 0x80);
        v >>= 7;
    }
    out.put_byte(v as u8);
}

/// Zigzag-maps a signed value.
#[inline]
pub const fn zigzag(v: i64) -> u64 {
    ((v << 1) ^ (v >> 63)) as u64
}

/// Undoes [`zigzag`].
#[inline]
pub const fn unzigzag(v: u64) -> i64 {
    ((v >> 1) as i64) ^ -((v & 1) as i64)
}

/// Zigzag-maps a signed 128-bit value.
pub const fn zigzag128(v: i128) -> u128 {
    ((v << 1) ^ (v >> 127)) as u128
}

/// Undoes [`zigzag128`].
pub const fn unzigzag128(v: u128) -> i128 {
    ((v >> 1) as i128) ^ -((v & 1) as i128)
}

/// Appends a length-prefixed string.
pub fn put_str(out: &mut impl Out, s: &str) {
    put_varint(out, s.len() as u64);
    out.put(s.as_bytes());
}

/// Appends a recorded string argument: `varint(len << 1 | cut != 0)`, the cut
/// count when nonzero, the bytes.
#[inline]
pub fn put_arg_str(out: &mut impl Out, bytes: &[u8], cut: u64) {
    put_varint(out, (bytes.len() as u64) << 1 | (cut != 0) as u64);
    if cut != 0 {
        put_varint(out, cut);
    }
    out.put(bytes);
}

/// Appends the file preamble.
pub fn put_preamble(out: &mut impl Out) {
    out.put(&MAGIC);
    out.put(&VERSION.to_le_bytes());
    out.put(&0u16.to_le_bytes());
}

/// The CRC of a frame.
pub fn frame_crc(kind: u8, payload: &[u8]) -> u32 {
    let mut h = crc32fast::Hasher::new();
    h.update(&[kind]);
    h.update(&(payload.len() as u32).to_le_bytes());
    h.update(payload);
    h.finalize()
}

/// Appends a frame around `payload`.
pub fn put_frame(out: &mut impl Out, kind: u8, payload: &[u8]) {
    out.put(&frame_header(kind, payload.len() as u32, frame_crc(kind, payload)));
    out.put(payload);
}

/// The header of a frame whose payload has length `len` and CRC `crc` (from
/// [`frame_crc`], or a [`crc32fast::Hasher`] fed the kind, the length's four
/// bytes and the payload, when the payload is written in pieces).
pub fn frame_header(kind: u8, len: u32, crc: u32) -> [u8; FRAME_HEADER_LEN] {
    let mut h = [0u8; FRAME_HEADER_LEN];
    h[..4].copy_from_slice(&SYNC);
    h[4] = kind;
    h[5..9].copy_from_slice(&len.to_le_bytes());
    h[9..].copy_from_slice(&crc.to_le_bytes());
    h
}

/// Appends a calibration point: three varints.
pub(crate) fn put_point(out: &mut impl Out, p: &ClockPoint) {
    put_varint(out, p.ticks);
    put_varint(out, p.mono_ns);
    put_varint(out, p.real_ns);
}
