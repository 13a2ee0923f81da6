//! Per-type transcoding: one record's arguments, from the ring's layout to
//! the file's compact one (the encoding of [`crate::wire`]).

use super::signatures::{FIXED_MAX, SLOW, Sig, fixed_width};
use super::sink::Raw;
use crate::callsite::{ArgType, Callsite};
use crate::wire;

/// Bytes of room an event needs: its signature index (at most 5 bytes), its
/// time delta (at most 10), at most twice its `n` argument bytes, and room
/// for the 8-byte stores that may reach 7 bytes past the last byte written
/// (see [`encode_event`]).
pub(super) const fn event_bound(n: usize) -> usize {
    5 + 10 + 2 * n + 8
}

/// Encodes one event of signature `s` whose record is `rec`: its index,
/// `delta` and its arguments, at `p`. Returns the end of the bytes written, or
/// `None` if the record's bytes do not match the types (the event is then not
/// written: what lies after `p` is garbage).
///
/// # Safety
///
/// `p` is writable for `16 * rec.len()` bytes, and `rec` holds at least the
/// two header words and the signature's extension words.
///
/// # Why that is enough
///
/// The arguments take at most `n = 8 * (rec.len() - 2)` bytes of the record,
/// and the event at most `event_bound(n) = 16 * rec.len() - 9` bytes:
/// the index takes at most 5 bytes and the delta at most 10. Each argument
/// writes at most twice the bytes it reads: a fixed-width value of `w` bytes at
/// most `2w` (a `u16` 3 bytes, a `u32` 5, a `u64` 10, a `u128` 19); a string's
/// 2-byte length at most 3, its 4-byte cut count at most 5, its `n` bytes `n`
/// (its padding nothing); a formatted text of `n` bytes and its one-byte end
/// marker at most `n + 2` (the length `2n + 1` takes at most `n + 1` bytes),
/// and its 4-byte cut count at most 5. Reads never go past the record. Stores
/// of 8 bytes (or a string copied a word at a time) reach at most 7 bytes past
/// the position they advance to. So the event advances at most
/// `16 * rec.len() - 17` bytes and stores below `16 * rec.len() - 9`. Debug
/// builds check every store.
#[inline(always)]
pub(super) unsafe fn encode_event(s: &Sig, rec: &[u64], delta: u64, p: *mut u8) -> Option<*mut u8> {
    debug_assert!(rec.len() >= 2 + s.ext_words);
    // SAFETY: the caller's contract (the record holds the extension words).
    let words = unsafe { rec.get_unchecked(2 + s.ext_words..) };
    #[cfg(not(target_endian = "little"))]
    let scratch = le_bytes(words);
    #[cfg(not(target_endian = "little"))]
    let args = &scratch[..];
    #[cfg(target_endian = "little")]
    let args = le_bytes(words);
    // SAFETY: `p` has room for `16 * rec.len() >= event_bound(args.len())`
    // bytes (the caller's contract). Every store below through `w` stays
    // within `event_bound(args.len())` (see above).
    let mut w = unsafe { Raw::new(p, event_bound(args.len())) };
    // SAFETY: as above.
    unsafe {
        w.word(s.code, s.code_len);
        w.varint(delta);
    }
    if rec.len() == s.fixed_words {
        // The record has the length that holds every argument of this
        // signature of fixed-width arguments.
        let types = &s.fixed[..s.types.len().min(FIXED_MAX)];
        debug_assert!(types.iter().map(|&t| fixed_width(t).unwrap_or(usize::MAX)).sum::<usize>() <= args.len());
        let mut at = 0;
        for &ty in types {
            // SAFETY: `args` holds the fixed widths of all the arguments: `at`
            // plus the width of `ty` is at most their sum. Stores: as above.
            at += unsafe { fixed_arg(&mut w, ty, args.as_ptr().add(at)) };
        }
        Some(w.p)
    } else {
        // SAFETY: `w` has room for `event_bound(args.len())` bytes, of which
        // the index and delta took at most 15: twice `args.len()` plus 8 are
        // left.
        unsafe { encode_args(&s.types, s.cs, args, w) }
    }
}

/// [`encode_event`] for a record whose [`SigMap`] entry `e` (not [`SLOW`]) says
/// that it has the fixed length of a signature of at most five fixed-width
/// arguments: their types are the header word `head`'s inline tags.
///
/// # Safety
///
/// `p` is writable for `16 * rec.len()` bytes; `rec` has the entry's fixed
/// length, and its header word is `head`.
#[inline(always)]
pub(super) unsafe fn encode_fixed(e: u64, head: u64, rec: &[u64], delta: u64, p: *mut u8) -> *mut u8 {
    debug_assert!(e & SLOW == 0 && rec.len() == (e >> 26 & 0x3ff) as usize && rec.first() == Some(&head));
    // SAFETY: `p` has room for `16 * rec.len()` bytes (the caller's
    // contract), more than the event can take (see `encode_event`).
    let mut w = unsafe { Raw::new(p, 16 * rec.len()) };
    let args = le_bytes(rec.get(2..).unwrap_or_default());
    // SAFETY: as above.
    unsafe {
        w.word(e & 0xFF_FFFF, (e >> 24 & 3) as usize);
        w.varint(delta);
    }
    let mut tags = head >> 42;
    let mut at = 0;
    for _ in 0..e >> 36 & 7 {
        let ty = ArgType::from_tag((tags & 0xf) as u8).unwrap_or(ArgType::U8);
        tags >>= 4;
        // SAFETY: the record's fixed length holds the fixed widths of all the
        // arguments (the tags are those the entry's signature was made from,
        // none `Str` or `Formatted`): `at` plus the width of `ty` is at most
        // their sum. Stores: as above.
        at += unsafe { fixed_arg(&mut w, ty, args.as_ptr().add(at)) };
    }
    w.p
}

/// Encodes the value of fixed-width type `ty` (not `Str` nor `Formatted`) whose
/// bytes start at `src`; returns its width.
///
/// # Safety
///
/// `src` is readable for the type's width, and `w` has room for twice that
/// width plus 8 bytes.
#[inline(always)]
pub(super) unsafe fn fixed_arg(w: &mut Raw, ty: ArgType, src: *const u8) -> usize {
    // SAFETY: the caller's contract: reads of the type's width at `src` (as
    // unaligned integers), writes within twice that width plus 8 bytes.
    unsafe {
        let rd16 = || u16::from_le(src.cast::<u16>().read_unaligned());
        let rd32 = || u32::from_le(src.cast::<u32>().read_unaligned());
        let rd64 = || u64::from_le(src.cast::<u64>().read_unaligned());
        let rd128 = || u128::from_le(src.cast::<u128>().read_unaligned());
        match ty {
            ArgType::U8 | ArgType::Bool => {
                w.byte(*src);
                1
            }
            ArgType::U16 => {
                w.varint(rd16() as u64);
                2
            }
            ArgType::U32 | ArgType::Char => {
                w.varint(rd32() as u64);
                4
            }
            ArgType::U64 => {
                w.varint(rd64());
                8
            }
            ArgType::U128 => {
                w.varint128(rd128());
                16
            }
            ArgType::I8 => {
                w.varint(wire::zigzag(*src as i8 as i64));
                1
            }
            ArgType::I16 => {
                w.varint(wire::zigzag(rd16() as i16 as i64));
                2
            }
            ArgType::I32 => {
                w.varint(wire::zigzag(rd32() as i32 as i64));
                4
            }
            ArgType::I64 => {
                w.varint(wire::zigzag(rd64() as i64));
                8
            }
            ArgType::I128 => {
                w.varint128(wire::zigzag128(rd128() as i128));
                16
            }
            ArgType::F32 => {
                w.word(rd32() as u64, 4);
                4
            }
            ArgType::F64 => {
                w.word(rd64(), 8);
                8
            }
            ArgType::Str | ArgType::Formatted => unreachable!("no fixed width"),
        }
    }
}

/// [`wire::transcode_args`] with reads checked per argument and stores into
/// `w` unchecked; returns the end of the bytes written, or `None` where
/// `transcode_args` returns `None`.
///
/// # Safety
///
/// `w` has room for twice `b.len()` plus 8 bytes (see [`encode_event`]).
#[inline(never)]
pub(super) unsafe fn encode_args(types: &[ArgType], cs: &Callsite, b: &[u8], mut w: Raw) -> Option<*mut u8> {
    /// The `N` bytes at `*at`, advancing it.
    #[inline(always)]
    pub(super) fn take<const N: usize>(b: &[u8], at: &mut usize) -> Option<[u8; N]> {
        let v = b.get(*at..*at + N)?.try_into().ok()?;
        *at += N;
        Some(v)
    }
    let mut at = 0;
    for (i, &ty) in types.iter().enumerate() {
        match ty {
            ArgType::Str => {
                let head = u16::from_le_bytes(take(b, &mut at)?) as usize;
                let cut = if head & 0x8000 != 0 { u32::from_le_bytes(take(b, &mut at)?) as u64 } else { 0 };
                let n = head & 0x7fff;
                // The bytes start at the next word boundary.
                at = at.next_multiple_of(8);
                let s = b.get(at..at + n)?;
                // SAFETY: room as `encode_event` documents: 3 bytes for the 2
                // read, 5 for the 4 of the cut count, `n` (plus at most 7 past
                // the end, for the copy by words) for the `n` bytes.
                unsafe {
                    w.varint((n as u64) << 1 | (cut != 0) as u64);
                    if cut != 0 {
                        w.varint(cut);
                    }
                    match b.get(at..at + n.next_multiple_of(8)) {
                        Some(words) => w.words(words, n),
                        None => w.bytes(s),
                    }
                }
                at += n;
            }
            ArgType::Formatted if b.get(at) == Some(&wire::types::RECORD_MARK) => {
                // A derived record: one value, whatever the specs, walked
                // (with bounded depth) only to find its end.
                let n = wire::types::value_len(b.get(at + 1..)?)?;
                let v = &b[at + 1..at + 1 + n];
                // SAFETY: room as `encode_event` documents: the `n + 1` bytes
                // read (mark and value) become at most `n + 7` (two header
                // bytes, a varint length of at most 5 bytes for a value
                // shorter than a record, the bytes), within twice `n + 1`
                // plus 8.
                unsafe {
                    w.bytes(&[1, 0]);
                    w.varint(n as u64);
                    w.bytes(v);
                }
                at += 1 + n;
            }
            ArgType::Formatted => {
                for _ in 0..cs.args.get(i).map(|a| a.specs.len())? {
                    let end = b.get(at..)?.iter().position(|&c| c >= 0xFE)?;
                    let s = &b[at..at + end];
                    at += end;
                    let marker = take::<1>(b, &mut at)?[0];
                    let cut = if marker == 0xFE { u32::from_le_bytes(take(b, &mut at)?) as u64 } else { 0 };
                    // SAFETY: room as `encode_event` documents: `n + 2` for
                    // the `n + 1` bytes of text and marker, 5 for the 4 of the
                    // cut count.
                    unsafe {
                        w.varint((s.len() as u64) << 1 | (cut != 0) as u64);
                        if cut != 0 {
                            w.varint(cut);
                        }
                        w.bytes(s);
                    }
                }
            }
            _ => {
                let width = fixed_width(ty).unwrap_or(0);
                let src = b.get(at..at + width)?;
                // SAFETY: `src` holds the type's width; room as
                // `encode_event` documents.
                at += unsafe { fixed_arg(&mut w, ty, src.as_ptr()) };
            }
        }
    }
    Some(w.p)
}

/// The bytes of ring words, in the ring's (little-endian) byte order.
#[cfg(target_endian = "little")]
#[inline(always)]
pub(super) fn le_bytes(words: &[u64]) -> &[u8] {
    // SAFETY: `u64` has no padding and `u8` no alignment requirement; on a
    // little-endian target the in-memory bytes are the record's bytes.
    unsafe { core::slice::from_raw_parts(words.as_ptr().cast::<u8>(), words.len() * 8) }
}

/// The bytes of ring words, in the ring's (little-endian) byte order.
#[cfg(not(target_endian = "little"))]
pub(super) fn le_bytes(words: &[u64]) -> Vec<u8> {
    words.iter().flat_map(|w| w.to_le_bytes()).collect()
}
