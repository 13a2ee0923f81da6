//! Decoding an event's arguments: a fast path that only says whether the bytes
//! are valid, and a checked path that says why they are not.
//!
//! [`decode`] reads the arguments of one event straight into the snapshot's
//! [`Store`], with no error values to build on the way: `None` on any problem.
//! Only then does the caller run [`explain`] over the same bytes, which walks
//! them with [`Reader`] and returns the [`WireError`] that names the offset and
//! the reason. Both accept exactly the same inputs (a test compares them on
//! random bytes).

use crate::value::{Slot, Store};
use ttlog_core::callsite::ArgType;
use ttlog_core::wire::{self, Reader, WireError};

/// A callsite's argument types, each with its number of texts when formatted.
pub(crate) type Shape = [(ArgType, usize)];

/// The byte at `*pos`, advancing it.
#[inline(always)]
fn byte(b: &[u8], pos: &mut usize) -> Option<u8> {
    let v = *b.get(*pos)?;
    *pos += 1;
    Some(v)
}

/// The `N` bytes at `*pos`, advancing it.
#[inline(always)]
fn array<const N: usize>(b: &[u8], pos: &mut usize) -> Option<[u8; N]> {
    let v = *b.get(*pos..)?.first_chunk::<N>()?;
    *pos += N;
    Some(v)
}

/// An unsigned LEB128 `u64`, as [`Reader::varint`] reads it.
#[inline(always)]
pub(crate) fn varint(b: &[u8], pos: &mut usize) -> Option<u64> {
    let p = *pos;
    let first = *b.get(p)?;
    if first < 0x80 {
        *pos = p + 1;
        return Some(first as u64);
    }
    // Two bytes, the most common long varint (time deltas, small numbers).
    if let Some(&second) = b.get(p + 1)
        && second < 0x80
    {
        *pos = p + 2;
        return Some((first & 0x7f) as u64 | (second as u64) << 7);
    }
    // Three bytes: values below 2^21 (a million microseconds, most sizes
    // and counts).
    if let Some(&[_, second, third]) = b.get(p..p + 3).and_then(|s| s.first_chunk::<3>())
        && third < 0x80
    {
        *pos = p + 3;
        return Some((first & 0x7f) as u64 | ((second & 0x7f) as u64) << 7 | (third as u64) << 14);
    }
    let (v, end) = varint_long(b, p)?;
    *pos = end;
    Some(v)
}

/// A varint of three bytes or more at `p`: its value and where it ends (by
/// value, so that the caller's position can stay in a register).
#[inline(never)]
fn varint_long(b: &[u8], p: usize) -> Option<(u64, usize)> {
    // Up to eight bytes with one load: the bytes whose top bit is clear end
    // a varint, and the first of them is the last byte of this one.
    if let Some(chunk) = b.get(p..).and_then(|s| s.first_chunk::<8>()) {
        let w = u64::from_le_bytes(*chunk);
        let ends = !w & 0x8080_8080_8080_8080;
        if ends != 0 {
            let len = ends.trailing_zeros() / 8 + 1; // 1..=8
            let mut x = (w & (u64::MAX >> (64 - 8 * len))) & 0x7f7f_7f7f_7f7f_7f7f;
            // Seven-bit groups together: pairs, then quads, then all eight.
            x = (x & 0x007f_007f_007f_007f) | ((x & 0x7f00_7f00_7f00_7f00) >> 1);
            x = (x & 0x0000_3fff_0000_3fff) | ((x & 0x3fff_0000_3fff_0000) >> 2);
            x = (x & 0x0000_0000_0fff_ffff) | ((x & 0x0fff_ffff_0000_0000) >> 4);
            return Some((x, p + len as usize));
        }
    }
    // Nine or ten bytes, or near the end of the input: a byte at a time.
    let mut v = 0u64;
    let mut shift = 0u32;
    let mut at = p;
    loop {
        let byte = *b.get(at)?;
        at += 1;
        if shift == 63 && byte > 1 {
            return None;
        }
        v |= ((byte & 0x7f) as u64) << shift;
        if byte < 0x80 {
            return Some((v, at));
        }
        shift += 7;
        if shift > 63 {
            return None;
        }
    }
}

/// A varint that must fit in `u32`, as [`Reader::varint_u32`] reads it.
#[inline(always)]
pub(crate) fn varint_u32(b: &[u8], pos: &mut usize) -> Option<u32> {
    u32::try_from(varint(b, pos)?).ok()
}

/// An unsigned LEB128 `u128`, as [`Reader::varint128`] reads it.
fn varint128(b: &[u8], pos: &mut usize) -> Option<u128> {
    let mut v = 0u128;
    let mut shift = 0u32;
    loop {
        let byte = byte(b, pos)?;
        if shift == 126 && byte > 3 {
            return None;
        }
        v |= ((byte & 0x7f) as u128) << shift;
        if byte < 0x80 {
            return Some(v);
        }
        shift += 7;
        if shift > 126 {
            return None;
        }
    }
}

/// A recorded string and its count of bytes cut, as [`Reader::arg_str`] reads it.
#[inline(always)]
fn arg_str<'a>(b: &'a [u8], pos: &mut usize) -> Option<(&'a str, u64)> {
    let head = varint(b, pos)?;
    let cut = if head & 1 == 1 { varint(b, pos)? } else { 0 };
    let n = usize::try_from(head >> 1).ok()?;
    let bytes = b.get(*pos..)?.get(..n)?;
    *pos += n;
    Some((utf8(bytes)?, cut))
}

/// The bytes as a `str` if they are UTF-8.
#[inline(always)]
fn utf8(bytes: &[u8]) -> Option<&str> {
    // Most recorded strings are short and ASCII: one pass that only looks
    // at the top bits, before the full check.
    if bytes.is_ascii() {
        // SAFETY: ASCII bytes are UTF-8.
        Some(unsafe { core::str::from_utf8_unchecked(bytes) })
    } else {
        core::str::from_utf8(bytes).ok()
    }
}

/// Decodes the arguments of `shape` at `*pos` into `store`, advancing `*pos`;
/// `None` if the bytes are not valid, with `store` possibly holding part of
/// them (the caller undoes that).
#[inline(always)]
pub(crate) fn decode(b: &[u8], pos: &mut usize, shape: &Shape, store: &mut Store) -> Option<()> {
    // Each arm pushes its own variant: the compiler writes a known variant's
    // tag and payload, not a slot assembled field by field.
    macro_rules! push {
        ($slot:expr) => {{
            let slot = $slot;
            store.slots.push(slot);
        }};
    }
    for &(ty, slots) in shape {
        match ty {
            ArgType::U8 => push!(Slot::U8(byte(b, pos)?)),
            ArgType::Bool => match byte(b, pos)? {
                0 => push!(Slot::Bool(false)),
                1 => push!(Slot::Bool(true)),
                _ => return None,
            },
            ArgType::U16 => push!(Slot::U16(u16::try_from(varint(b, pos)?).ok()?)),
            ArgType::U32 => push!(Slot::U32(u32::try_from(varint(b, pos)?).ok()?)),
            ArgType::U64 => push!(Slot::U64(varint(b, pos)?)),
            ArgType::U128 => push!(Slot::U128(store.push_wide(varint128(b, pos)?))),
            ArgType::I8 => push!(Slot::I8(i8::try_from(wire::unzigzag(varint(b, pos)?)).ok()?)),
            ArgType::I16 => push!(Slot::I16(i16::try_from(wire::unzigzag(varint(b, pos)?)).ok()?)),
            ArgType::I32 => push!(Slot::I32(i32::try_from(wire::unzigzag(varint(b, pos)?)).ok()?)),
            ArgType::I64 => push!(Slot::I64(wire::unzigzag(varint(b, pos)?))),
            ArgType::I128 => push!(Slot::I128(store.push_wide(wire::unzigzag128(varint128(b, pos)?) as u128))),
            ArgType::F32 => push!(Slot::F32(f32::from_le_bytes(array(b, pos)?))),
            ArgType::F64 => push!(Slot::F64(f64::from_le_bytes(array(b, pos)?))),
            ArgType::Char => push!(Slot::Char(char::from_u32(u32::try_from(varint(b, pos)?).ok()?)?)),
            ArgType::Str => {
                let (s, cut) = arg_str(b, pos)?;
                push!(store.push_str(s, cut))
            }
            ArgType::Formatted if slots > 0 && b.get(*pos..*pos + 2) == Some(&[1, 0]) => {
                // A derived record's value (see `ttlog_core::wire::types`): a
                // "text cut by 0 bytes", which no text is.
                *pos += 2;
                let n = usize::try_from(varint(b, pos)?).ok()?;
                let bytes = b.get(*pos..)?.get(..n)?;
                *pos += n;
                push!(store.push_record(bytes)?)
            }
            ArgType::Formatted => {
                let start = store.spans.len();
                let len = u32::try_from(slots).ok()?;
                for _ in 0..slots {
                    let (s, cut) = arg_str(b, pos)?;
                    store.push_text(s, cut);
                }
                push!(Slot::Formatted { len, start })
            }
        }
    }
    Some(())
}

/// Why [`decode`] refused the arguments of `shape` that `r` reads: the first
/// problem, with its offset. `Ok` if they are valid after all.
pub(crate) fn explain(r: &mut Reader<'_>, shape: &Shape) -> Result<(), WireError> {
    for &(ty, slots) in shape {
        check_value(r, ty, slots)?;
    }
    Ok(())
}

/// Reads one argument value of type `ty` (with `slots` texts when formatted),
/// checking it as [`decode`] does.
fn check_value(r: &mut Reader<'_>, ty: ArgType, slots: usize) -> Result<(), WireError> {
    let at = r.offset();
    let narrow = |v: u64, bits: u32| -> Result<u64, WireError> {
        if bits < 64 && v >> bits != 0 {
            Err(WireError::malformed(at, format!("value {v} does not fit in {bits} bits")))
        } else {
            Ok(v)
        }
    };
    let snarrow = |v: i64, bits: u32| -> Result<i64, WireError> {
        let min = -(1i64 << (bits - 1));
        let max = (1i64 << (bits - 1)) - 1;
        if bits < 64 && (v < min || v > max) {
            Err(WireError::malformed(at, format!("value {v} does not fit in {bits} bits")))
        } else {
            Ok(v)
        }
    };
    match ty {
        ArgType::U8 => {
            r.u8()?;
        }
        ArgType::Bool => match r.u8()? {
            0 | 1 => {}
            b => return Err(WireError::malformed(at, format!("bool byte {b}"))),
        },
        ArgType::U16 => {
            narrow(r.varint()?, 16)?;
        }
        ArgType::U32 => {
            narrow(r.varint()?, 32)?;
        }
        ArgType::U64 => {
            r.varint()?;
        }
        ArgType::U128 | ArgType::I128 => {
            r.varint128()?;
        }
        ArgType::I8 => {
            snarrow(wire::unzigzag(r.varint()?), 8)?;
        }
        ArgType::I16 => {
            snarrow(wire::unzigzag(r.varint()?), 16)?;
        }
        ArgType::I32 => {
            snarrow(wire::unzigzag(r.varint()?), 32)?;
        }
        ArgType::I64 => {
            r.varint()?;
        }
        ArgType::F32 => {
            r.array::<4>()?;
        }
        ArgType::F64 => {
            r.array::<8>()?;
        }
        ArgType::Char => {
            let v = narrow(r.varint()?, 32)? as u32;
            if char::from_u32(v).is_none() {
                return Err(WireError::malformed(at, format!("{v:#x} is not a char")));
            }
        }
        ArgType::Str => {
            r.arg_str()?;
        }
        ArgType::Formatted
            if slots > 0 && {
                let mut probe = r.clone();
                probe.u8() == Ok(1) && probe.u8() == Ok(0)
            } =>
        {
            r.array::<2>()?;
            let n = r.varint()?;
            let at = r.offset();
            let bytes = r.bytes(usize::try_from(n).unwrap_or(usize::MAX))?;
            if !crate::record::is_value(bytes) {
                return Err(WireError::malformed(at, "not a record value"));
            }
        }
        ArgType::Formatted => {
            if u32::try_from(slots).is_err() {
                return Err(WireError::malformed(at, format!("{slots} texts for one argument")));
            }
            for _ in 0..slots {
                r.arg_str()?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Rng;
    use crate::value::Value;

    const TYPES: [ArgType; 16] = ArgType::ALL;

    /// Bytes that are mostly varints and short strings, often valid, often not.
    fn bytes(rng: &mut Rng) -> Vec<u8> {
        let mut b = Vec::new();
        for _ in 0..rng.next() % 6 {
            match rng.next() % 8 {
                0 => b.extend(std::iter::repeat_n(0xFF, (rng.next() % 12) as usize)),
                1 => {
                    let mut v = Vec::new();
                    wire::put_varint(&mut v, rng.next() >> (rng.next() % 64));
                    b.extend(v);
                }
                2 => {
                    let mut v = Vec::new();
                    wire::put_varint128(&mut v, (rng.next() as u128) << (rng.next() % 80));
                    b.extend(v);
                }
                3 => {
                    let n = rng.next() % 6;
                    b.push((n << 1) as u8);
                    b.extend((0..n).map(|_| [b'a', 0xC3, 0xA9, 0x80, 0xF0][(rng.next() % 5) as usize]));
                }
                4 => b.extend([3, rng.next() as u8 & 0x7f, b'x']),
                5 => b.push(rng.next() as u8 & 0x81),
                _ => b.extend((0..rng.next() % 10).map(|_| rng.next() as u8)),
            }
        }
        b
    }

    /// The fast and the checked path accept exactly the same bytes, read the
    /// same number of them, and the fast path's values are what the bytes say.
    #[test]
    fn fast_and_checked_paths_agree() {
        let mut rng = Rng::new(0x9E37_79B9_7F4A_7C15);
        let mut accepted = 0;
        for round in 0..200_000 {
            let b = bytes(&mut rng);
            let n = (rng.next() % 3 + 1) as usize;
            let shape: Vec<(ArgType, usize)> =
                (0..n).map(|_| (TYPES[(rng.next() % 16) as usize], (rng.next() % 3) as usize)).collect();
            let mut store = Store::default();
            let mut pos = 0;
            let fast = decode(&b, &mut pos, &shape, &mut store);
            let mut r = Reader::new(&b, 100);
            let checked = explain(&mut r, &shape);
            assert_eq!(fast.is_some(), checked.is_ok(), "round {round}: {shape:?} on {b:02x?}: {checked:?}");
            if fast.is_some() {
                accepted += 1;
                assert_eq!(r.offset() - 100, pos as u64, "{shape:?} on {b:02x?}");
                assert_eq!(store.slots.len(), n);
                let args = store.args(0..n);
                for (v, &(ty, slots)) in args.iter().zip(&shape) {
                    assert_eq!(v.arg_type(), ty);
                    if let Value::Formatted(f) = v {
                        assert_eq!(f.len(), slots);
                    }
                }
            }
        }
        assert!(accepted > 20_000, "{accepted}");
    }

    #[test]
    fn varints_match_the_reader() {
        let mut rng = Rng::new(7);
        for _ in 0..100_000 {
            let mut b = Vec::new();
            let v = rng.next() >> (rng.next() % 64);
            wire::put_varint(&mut b, v);
            // Sometimes damaged, sometimes cut, sometimes followed by more.
            match rng.next() % 4 {
                0 => {
                    let i = (rng.next() as usize) % b.len();
                    b[i] ^= 1 << (rng.next() % 8);
                }
                1 => b.truncate((rng.next() as usize) % b.len()),
                2 => b.extend((0..rng.next() % 12).map(|_| rng.next() as u8)),
                _ => {}
            }
            let mut pos = 0;
            let fast = varint(&b, &mut pos);
            let mut r = Reader::new(&b, 0);
            let slow = r.varint().ok();
            assert_eq!(fast, slow, "{b:02x?}");
            if fast.is_some() {
                assert_eq!(pos as u64, r.offset());
            }
        }
        // Ten bytes: the last may only be 0 or 1.
        let mut pos = 0;
        assert_eq!(varint(&[0xFF; 9].iter().chain(&[1]).copied().collect::<Vec<_>>(), &mut pos), Some(u64::MAX));
        assert_eq!(varint(&[0xFF; 9].iter().chain(&[2]).copied().collect::<Vec<_>>(), &mut 0), None);
        assert_eq!(varint(&[0xFF; 11], &mut 0), None);
    }
}
