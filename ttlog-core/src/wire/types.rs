//! Derived record types (`#[derive(ttlog::Record)]`): their TYPE frames and
//! the encoding of their values. See [`super`] for where these appear.
//!
//! ```text
//!  TYPE      id: varint (the runtime id records carry), name: str,
//!            enum: u8 (0 struct, 1 enum), nvariants: varint, per variant:
//!                name: str, style: u8 (0 unit, 1 tuple, 2 named),
//!                nfields: varint, field names: str each ("" for tuple fields),
//!                display: u8 (0 none, 1 given) [npieces: varint, per piece:
//!                    0 str (literal) | 1 field: varint, debug: u8]
//!
//!  record argument in a ring record (its type tag is `formatted`):
//!            RECORD_MARK (0xF8, never a byte of UTF-8), then one value
//!  the same in an EVENTS frame: varint 1, varint 0 (a "text cut by 0
//!            bytes", which no writer writes), varint n, then the n bytes of
//!            the value, as the ring holds them; once, whatever the number
//!            of specs of the argument
//!
//!  value:    tag: u8, then by tag (little-endian, no padding)
//!            0..=13  the ArgType of that tag: u8 .. char, 1 to 16 bytes
//!            14 str, 15 text (a `#[ttlog(debug)]` field, formatted at the
//!               call): u16 len (bit 15: cut) [u32 bytes cut] bytes
//!            16 record: u32 type id, u16 variant, u8 nfields, nfields values
//!            17 None | 18 Some: value
//!            19 sequence: u32 kept, u32 left out, kept values
//!            20 tuple: u8 n, n values
//!            21 unit `()`
//! ```
//!
//! A value nests at most [`MAX_DEPTH`] levels: the writer records a deeper one
//! as the text `..`, and a reader refuses deeper nesting (the bytes of a file
//! are not trusted). Files without TYPE frames or record arguments read as
//! before: the additions take a frame kind and a text header that no earlier
//! writer produced.

use super::{Out, put_str, put_varint};
#[cfg(feature = "read")]
use super::{Reader, WireError};

/// The first byte of a record argument in a ring record.
pub const RECORD_MARK: u8 = 0xF8;

/// The deepest nesting of values.
pub const MAX_DEPTH: u32 = 32;

/// Value tags past the scalar `ArgType` tags (0..=15).
pub mod tag {
    /// `str`.
    pub const STR: u8 = 14;
    /// Text formatted at the call.
    pub const TEXT: u8 = 15;
    /// A derived record.
    pub const RECORD: u8 = 16;
    /// `None`.
    pub const NONE: u8 = 17;
    /// `Some(value)`.
    pub const SOME: u8 = 18;
    /// A slice, array or `Vec`.
    pub const SEQ: u8 = 19;
    /// A tuple.
    pub const TUPLE: u8 = 20;
    /// `()`.
    pub const UNIT: u8 = 21;
}

/// Bytes of the scalar value of tag `t` (0..=13).
pub const fn scalar_width(t: u8) -> Option<usize> {
    Some(match t {
        0 | 5 | 12 => 1,
        1 | 6 => 2,
        2 | 7 | 10 | 13 => 4,
        3 | 8 | 11 => 8,
        4 | 9 => 16,
        _ => return None,
    })
}

/// The length of the value at the start of `b`, walked without type
/// information; `None` if it is not one (or nests deeper than [`MAX_DEPTH`]).
pub fn value_len(b: &[u8]) -> Option<usize> {
    fn walk(b: &[u8], at: &mut usize, depth: u32) -> Option<()> {
        if depth > MAX_DEPTH {
            return None;
        }
        let t = *b.get(*at)?;
        *at += 1;
        let mut take = |n: usize| -> Option<&[u8]> {
            let s = b.get(*at..at.checked_add(n)?)?;
            *at += n;
            Some(s)
        };
        match t {
            tag::STR | tag::TEXT => {
                let head = u16::from_le_bytes(take(2)?.try_into().ok()?) as usize;
                if head & 0x8000 != 0 {
                    take(4)?;
                }
                take(head & 0x7fff)?;
            }
            tag::RECORD => {
                let n = take(7)?[6];
                for _ in 0..n {
                    walk(b, at, depth + 1)?;
                }
            }
            tag::NONE | tag::UNIT => {}
            tag::SOME => walk(b, at, depth + 1)?,
            tag::SEQ => {
                let n = u32::from_le_bytes(take(8)?[..4].try_into().ok()?);
                for _ in 0..n {
                    walk(b, at, depth + 1)?;
                }
            }
            tag::TUPLE => {
                let n = take(1)?[0];
                for _ in 0..n {
                    walk(b, at, depth + 1)?;
                }
            }
            t => {
                take(scalar_width(t)?)?;
            }
        }
        Some(())
    }
    let mut at = 0;
    walk(b, &mut at, 0)?;
    Some(at)
}

/// The layout of one variant of a derived type (a struct has one).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VariantInfo {
    /// The variant's name (a struct's: the type's name).
    pub name: String,
    /// Unit, tuple or named fields.
    pub style: Style,
    /// The fields' names ("" for tuple fields).
    pub fields: Vec<String>,
    /// The `#[ttlog(display = "..")]` format, if given.
    pub display: Option<Vec<DisplayPiece>>,
}

/// A TYPE frame: a derived type's names, as a file holds them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TypeInfo {
    /// The id that records carry.
    pub id: u32,
    /// The type's name, without its path or generic arguments.
    pub name: String,
    /// An enum (values carry their variant's index), or a struct.
    pub is_enum: bool,
    /// The variants; one for a struct.
    pub variants: Vec<VariantInfo>,
}

ttlog_spec::wire_enum! {
    /// How a variant's fields are written.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
    pub enum Style {
        /// No fields: `None`, `struct Marker;`.
        Unit = 0,
        /// Unnamed fields: `Point(1, 2)`.
        Tuple = 1,
        /// Named fields: `Point { x: 1, y: 2 }`.
        Named = 2,
    }
    /// The style with the given wire value.
    pub const fn from_u8(v: u8) -> Option<Self>;
}

/// A piece of a `#[ttlog(display = "..")]` format.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DisplayPiece {
    /// Literal text.
    Lit(String),
    /// A field, by index, rendered with `Display` (or `Debug` for `{x:?}`).
    Field {
        /// Index into the variant's fields.
        index: u16,
        /// `{x:?}`.
        debug: bool,
    },
}

/// Most variants, fields or display pieces a reader accepts per level of a
/// TYPE frame (a derive has at most 255 fields; the bound keeps a damaged
/// frame from allocating much).
pub const MAX_TYPE_ITEMS: usize = 4096;

impl TypeInfo {
    /// Writes the frame's payload for the static descriptor `d`.
    pub fn encode_desc(out: &mut impl Out, d: &'static crate::record::TypeDesc) {
        put_varint(out, crate::record::type_id(d) as u64);
        put_str(out, d.name);
        out.put_byte(d.is_enum as u8);
        put_varint(out, d.variants.len() as u64);
        for v in d.variants {
            put_str(out, v.name);
            out.put_byte(v.style as u8);
            put_varint(out, v.fields.len() as u64);
            for f in v.fields {
                put_str(out, f);
            }
            match v.display {
                None => out.put_byte(0),
                Some(pieces) => {
                    out.put_byte(1);
                    put_varint(out, pieces.len() as u64);
                    for p in pieces {
                        match *p {
                            crate::record::Display::Lit(s) => {
                                out.put_byte(0);
                                put_str(out, s);
                            }
                            crate::record::Display::Field { index, debug } => {
                                out.put_byte(1);
                                put_varint(out, index as u64);
                                out.put_byte(debug as u8);
                            }
                        }
                    }
                }
            }
        }
    }

    #[cfg(feature = "read")]
    /// Reads a TYPE frame's payload.
    pub fn decode(r: &mut Reader<'_>) -> Result<TypeInfo, WireError> {
        let id = r.varint_u32()?;
        let name = r.str()?.to_owned();
        let is_enum = match r.u8()? {
            0 => false,
            1 => true,
            v => return Err(WireError::malformed(r.offset() - 1, format!("type kind {v}"))),
        };
        let items = |r: &mut Reader<'_>| -> Result<usize, WireError> {
            let at = r.offset();
            let n = r.count(1)?;
            if n > MAX_TYPE_ITEMS {
                return Err(WireError::malformed(at, format!("{n} items in a type, more than {MAX_TYPE_ITEMS}")));
            }
            Ok(n)
        };
        let nvariants = items(r)?;
        let mut variants = Vec::with_capacity(nvariants);
        for _ in 0..nvariants {
            let name = r.str()?.to_owned();
            let at = r.offset();
            let style = Style::from_u8(r.u8()?).ok_or_else(|| WireError::malformed(at, "variant style"))?;
            let nfields = items(r)?;
            let mut fields = Vec::with_capacity(nfields);
            for _ in 0..nfields {
                fields.push(r.str()?.to_owned());
            }
            let display = match r.u8()? {
                0 => None,
                1 => {
                    let n = items(r)?;
                    let mut pieces = Vec::with_capacity(n);
                    for _ in 0..n {
                        let at = r.offset();
                        pieces.push(match r.u8()? {
                            0 => DisplayPiece::Lit(r.str()?.to_owned()),
                            1 => {
                                let index = u16::try_from(r.varint()?)
                                    .ok()
                                    .filter(|&i| (i as usize) < nfields)
                                    .ok_or_else(|| WireError::malformed(at, "display field out of range"))?;
                                DisplayPiece::Field { index, debug: r.u8()? != 0 }
                            }
                            v => return Err(WireError::malformed(at, format!("display piece {v}"))),
                        });
                    }
                    Some(pieces)
                }
                v => return Err(WireError::malformed(r.offset() - 1, format!("display flag {v}"))),
            };
            variants.push(VariantInfo { name, style, fields, display });
        }
        Ok(TypeInfo { id, name, is_enum, variants })
    }
}

/// Appends a TYPE frame for every registered derived type; returns how many.
pub(crate) fn put_type_frames(out: &mut Vec<u8>) -> u64 {
    let mut payload = Vec::new();
    let mut n = 0;
    for d in crate::record::registered() {
        payload.clear();
        TypeInfo::encode_desc(&mut payload, d);
        super::put_frame(out, super::kind::TYPE, &payload);
        n += 1;
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn value_lengths_are_walked_and_bounded() {
        // A record of id 7, variant 0, two fields: u8 1, Some(str "ab").
        let v = [16, 7, 0, 0, 0, 0, 0, 2, 0, 1, 18, 14, 2, 0, b'a', b'b'];
        assert_eq!(value_len(&v), Some(v.len()));
        for cut in 0..v.len() {
            assert_eq!(value_len(&v[..cut]), None, "{cut}");
        }
        assert_eq!(value_len(&[22]), None);
        // Nesting deeper than MAX_DEPTH is refused, not walked.
        let deep: Vec<u8> = core::iter::repeat_n(tag::SOME, MAX_DEPTH as usize + 2).chain([tag::UNIT]).collect();
        assert_eq!(value_len(&deep), None);
        let ok: Vec<u8> = core::iter::repeat_n(tag::SOME, MAX_DEPTH as usize).chain([tag::UNIT]).collect();
        assert_eq!(value_len(&ok), Some(ok.len()));
    }
}
