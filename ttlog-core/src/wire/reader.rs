//! Reading payloads: a bounds-checked cursor whose every error carries the
//! absolute file offset.

use super::{COUNT_ARG, COUNT_IMPLIED, COUNT_LITERAL, SPEC_ALTERNATE, SPEC_ZERO};
use crate::callsite::{Align, Count, FmtType, Sign, Spec};
use crate::clock::ClockPoint;
use core::fmt;

/// Why some bytes are not a valid snapshot, and where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WireError {
    /// The input ended inside an item that starts or continues at `offset`.
    UnexpectedEof {
        /// Byte offset in the file.
        offset: u64,
    },
    /// The bytes at `offset` are not what the format allows.
    Malformed {
        /// Byte offset in the file.
        offset: u64,
        /// What is wrong.
        what: String,
    },
}

impl WireError {
    /// A [`WireError::Malformed`].
    pub fn malformed(offset: u64, what: impl Into<String>) -> WireError {
        WireError::Malformed { offset, what: what.into() }
    }

    /// The byte offset the error is about.
    pub fn offset(&self) -> u64 {
        match self {
            WireError::UnexpectedEof { offset } | WireError::Malformed { offset, .. } => *offset,
        }
    }
}

impl fmt::Display for WireError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WireError::UnexpectedEof { offset } => write!(f, "unexpected end of data at byte {offset}"),
            WireError::Malformed { offset, what } => write!(f, "{what} at byte {offset}"),
        }
    }
}

impl std::error::Error for WireError {}

/// A bounds-checked cursor over a payload; every error carries the absolute file
/// offset.
#[derive(Clone, Debug)]
pub struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
    base: u64,
}

impl<'a> Reader<'a> {
    /// Reads `buf`, whose first byte is at file offset `base`.
    pub fn new(buf: &'a [u8], base: u64) -> Reader<'a> {
        Reader { buf, pos: 0, base }
    }

    /// File offset of the next byte.
    pub fn offset(&self) -> u64 {
        self.base + self.pos as u64
    }

    /// Bytes left.
    pub fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }

    /// Whether everything was read.
    pub fn is_empty(&self) -> bool {
        self.pos == self.buf.len()
    }

    /// Reads one byte.
    #[inline]
    pub fn u8(&mut self) -> Result<u8, WireError> {
        let b = *self.buf.get(self.pos).ok_or(WireError::UnexpectedEof { offset: self.offset() })?;
        self.pos += 1;
        Ok(b)
    }

    /// Reads `n` bytes.
    #[inline]
    pub fn bytes(&mut self, n: usize) -> Result<&'a [u8], WireError> {
        if n > self.remaining() {
            return Err(WireError::UnexpectedEof { offset: self.offset() });
        }
        let s = &self.buf[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }

    /// Reads an array.
    #[inline]
    pub fn array<const N: usize>(&mut self) -> Result<[u8; N], WireError> {
        let b = self.bytes(N)?;
        let mut a = [0u8; N];
        a.copy_from_slice(b);
        Ok(a)
    }

    /// Reads an unsigned LEB128 `u64`.
    #[inline]
    pub fn varint(&mut self) -> Result<u64, WireError> {
        // Most varints in a snapshot are one byte: callsite indexes, time
        // deltas, small numbers.
        if let Some(&b) = self.buf.get(self.pos)
            && b < 0x80
        {
            self.pos += 1;
            return Ok(b as u64);
        }
        self.varint_long()
    }

    #[inline(never)]
    fn varint_long(&mut self) -> Result<u64, WireError> {
        // With ten bytes at hand (the longest u64 varint), no check per byte.
        if let Some(b) = self.buf.get(self.pos..self.pos + 10) {
            let mut v = 0u64;
            for (i, &byte) in b.iter().enumerate() {
                v |= ((byte & 0x7f) as u64) << (7 * i);
                if byte < 0x80 {
                    if i == 9 && byte > 1 {
                        break;
                    }
                    self.pos += i + 1;
                    return Ok(v);
                }
            }
            return Err(WireError::malformed(self.offset(), "varint overflows 64 bits"));
        }
        let start = self.offset();
        let mut v = 0u64;
        let mut shift = 0u32;
        loop {
            let b = self.u8()?;
            if shift == 63 && b > 1 {
                return Err(WireError::malformed(start, "varint overflows 64 bits"));
            }
            v |= ((b & 0x7f) as u64) << shift;
            if b & 0x80 == 0 {
                return Ok(v);
            }
            shift += 7;
            if shift > 63 {
                return Err(WireError::malformed(start, "varint overflows 64 bits"));
            }
        }
    }

    /// Reads an unsigned LEB128 `u128`.
    pub fn varint128(&mut self) -> Result<u128, WireError> {
        let start = self.offset();
        let mut v = 0u128;
        let mut shift = 0u32;
        loop {
            let b = self.u8()?;
            if shift == 126 && b > 3 {
                return Err(WireError::malformed(start, "varint overflows 128 bits"));
            }
            v |= ((b & 0x7f) as u128) << shift;
            if b & 0x80 == 0 {
                return Ok(v);
            }
            shift += 7;
            if shift > 126 {
                return Err(WireError::malformed(start, "varint overflows 128 bits"));
            }
        }
    }

    /// Reads a varint that must fit in `u32`.
    pub fn varint_u32(&mut self) -> Result<u32, WireError> {
        let at = self.offset();
        let v = self.varint()?;
        u32::try_from(v).map_err(|_| WireError::malformed(at, format!("value {v} too large")))
    }

    /// Reads an element count, checking that `count * min_bytes` could still
    /// follow (so corrupt counts cannot ask for huge allocations).
    pub fn count(&mut self, min_bytes: usize) -> Result<usize, WireError> {
        let at = self.offset();
        let n = self.varint()?;
        if n.saturating_mul(min_bytes.max(1) as u64) > self.remaining() as u64 {
            return Err(WireError::malformed(at, format!("count {n} exceeds the data that follows")));
        }
        Ok(n as usize)
    }

    /// Reads a length-prefixed UTF-8 string.
    pub fn str(&mut self) -> Result<&'a str, WireError> {
        let at = self.offset();
        let n = self.varint()?;
        if n > self.remaining() as u64 {
            return Err(WireError::UnexpectedEof { offset: at });
        }
        let b = self.bytes(n as usize)?;
        core::str::from_utf8(b).map_err(|_| WireError::malformed(at, "string is not UTF-8"))
    }

    /// Reads a recorded string argument: its text and the count of bytes cut.
    pub fn arg_str(&mut self) -> Result<(&'a str, u64), WireError> {
        let at = self.offset();
        let head = self.varint()?;
        let cut = if head & 1 == 1 { self.varint()? } else { 0 };
        let n = head >> 1;
        if n > self.remaining() as u64 {
            return Err(WireError::UnexpectedEof { offset: at });
        }
        let b = self.bytes(n as usize)?;
        let s = core::str::from_utf8(b).map_err(|_| WireError::malformed(at, "string argument is not UTF-8"))?;
        Ok((s, cut))
    }

    pub(crate) fn point(&mut self) -> Result<ClockPoint, WireError> {
        Ok(ClockPoint { ticks: self.varint()?, mono_ns: self.varint()?, real_ns: self.varint()? })
    }

    pub(crate) fn count_field(&mut self, nargs: usize) -> Result<Count, WireError> {
        let at = self.offset();
        match self.u8()? {
            COUNT_IMPLIED => Ok(Count::Implied),
            COUNT_LITERAL => {
                let at = self.offset();
                let v = self.varint()?;
                u16::try_from(v).map(Count::Is).map_err(|_| WireError::malformed(at, "width or precision too large"))
            }
            COUNT_ARG => {
                let at = self.offset();
                let v = self.varint()?;
                if v as usize >= nargs {
                    return Err(WireError::malformed(at, "width or precision refers to a missing argument"));
                }
                Ok(Count::Arg(v as u16))
            }
            t => Err(WireError::malformed(at, format!("unknown count tag {t}"))),
        }
    }

    pub(crate) fn spec(&mut self, nargs: usize) -> Result<Spec, WireError> {
        let at = self.offset();
        let fill = self.varint()?;
        let fill = u32::try_from(fill)
            .ok()
            .and_then(char::from_u32)
            .ok_or_else(|| WireError::malformed(at, "fill is not a char"))?;
        let at = self.offset();
        let align = Align::from_u8(self.u8()?).ok_or_else(|| WireError::malformed(at, "unknown alignment"))?;
        let at = self.offset();
        let sign = Sign::from_u8(self.u8()?).ok_or_else(|| WireError::malformed(at, "unknown sign"))?;
        let flags = self.u8()?;
        let width = self.count_field(nargs)?;
        let precision = self.count_field(nargs)?;
        let at = self.offset();
        let ty = FmtType::from_u8(self.u8()?).ok_or_else(|| WireError::malformed(at, "unknown format trait"))?;
        Ok(Spec {
            fill,
            align,
            sign,
            alternate: flags & SPEC_ALTERNATE != 0,
            zero: flags & SPEC_ZERO != 0,
            width,
            precision,
            ty,
        })
    }
}
