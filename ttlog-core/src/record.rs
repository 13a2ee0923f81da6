//! User types recorded raw: what `#[derive(ttlog::Record)]` expands to.
//!
//! A derived type gets a static [`TypeDesc`] (its name, its variants' and
//! fields' names, its display format), registered once through `inventory`
//! like a callsite, and written into each file once as a TYPE frame; and an
//! implementation of [`Record`], which writes a value's fields raw, each
//! with a one-byte tag (see [`crate::wire::types`] for the layout). The field
//! types travel with each value, not in the descriptor: a generic type has
//! one descriptor for all its instantiations (a `static` cannot depend on a
//! type parameter), and `Option`, slices and nested records need no
//! registration of their own.
//!
//! The decoder renders a value as `Debug` would (`Point { x: 1, y: 2 }`), or
//! with the type's display format for `{}`, and as a JSON object.

use crate::callsite::ArgType;
use crate::wire::types::{MAX_DEPTH, Style, tag};
use crate::write::RecordWriter;
use crate::write::args::{RawValue, sealed};
use core::fmt;

/// A derived type's names, fixed at compile time.
#[derive(Debug)]
pub struct TypeDesc {
    /// The type's name, without path or generic arguments (as `Debug` shows it).
    pub name: &'static str,
    /// An enum, or a struct (one variant, named after the type).
    pub is_enum: bool,
    /// The variants.
    pub variants: &'static [VariantDesc],
}

/// One variant of a [`TypeDesc`].
#[derive(Debug)]
pub struct VariantDesc {
    /// The variant's name; a struct's is the type's name.
    pub name: &'static str,
    /// Unit, tuple or named fields.
    pub style: Style,
    /// The fields' names ("" for tuple fields).
    pub fields: &'static [&'static str],
    /// The `#[ttlog(display = "..")]` format, parsed by the derive.
    pub display: Option<&'static [Display]>,
}

/// A piece of a display format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Display {
    /// Literal text, `{{` and `}}` unescaped.
    Lit(&'static str),
    /// A field, `{x}` (`Display`) or `{x:?}` (`Debug`).
    Field {
        /// Index into the variant's fields.
        index: u16,
        /// `{x:?}`.
        debug: bool,
    },
}

/// The id a value of the type carries: the low 32 bits of the descriptor's
/// address in words, as callsite ids are made.
#[inline(always)]
pub fn type_id(d: &'static TypeDesc) -> u32 {
    ((d as *const TypeDesc as usize) >> 3) as u32
}

/// Registers a descriptor, so that files carry it: what the derive submits.
#[doc(hidden)]
#[derive(Debug)]
pub struct TypeRegistration(pub &'static TypeDesc);

inventory::collect!(TypeRegistration);

/// Every registered descriptor.
pub(crate) fn registered() -> impl Iterator<Item = &'static TypeDesc> {
    inventory::iter::<TypeRegistration>.into_iter().map(|r| r.0)
}

/// A type whose values a derived record's field can hold raw: integers,
/// floats, `bool`, `char`, strings, `()`, `Option`, tuples (up to 8), slices,
/// arrays and `Vec`s of recordable types, references and boxes of them, and
/// the types that derive it.
///
/// ```
/// #[derive(ttlog::Record)]
/// struct Point {
///     x: i32,
///     y: i32,
/// }
///
/// #[derive(ttlog::Record)]
/// #[ttlog(display = "{name} at {at}")]
/// struct Named<'a> {
///     name: &'a str,
///     at: Point,
/// }
/// # let _ = Named { name: "origin", at: Point { x: 0, y: 0 } };
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be recorded raw in a `#[derive(ttlog::Record)]` type",
    label = "not recordable",
    note = "recordable: integers, floats, `bool`, `char`, strings, `Option`, tuples, slices, arrays and `Vec`s of recordable types, and types that derive `ttlog::Record`",
    note = "add `#[ttlog(debug)]` to the field to format it with `Debug` at the call instead"
)]
pub trait Record {
    /// Bytes every value takes, if that does not depend on the value (and
    /// nothing is formatted at the call).
    #[doc(hidden)]
    const SIZE: Option<usize>;
    /// Whether the value formats something at the call (a `#[ttlog(debug)]`
    /// field): its size is then known only after, and the event takes the
    /// write path of values formatted at the call. A method on the value,
    /// not a constant: a constant would be a cycle for a type that holds
    /// itself (`Option<Box<Self>>`).
    #[doc(hidden)]
    #[inline(always)]
    fn record_has_fmt(&self) -> bool {
        false
    }
    /// Bytes the value takes when strings keep at most `bound` bytes (for a
    /// value that formats at the call, the least it takes).
    #[doc(hidden)]
    fn record_size(&self, bound: usize, depth: u32) -> usize;
    /// Writes the value, tag first.
    #[doc(hidden)]
    fn record_encode(&self, w: &mut RecordWriter, bound: usize, depth: u32);
}

/// Writes the text `..` for a value nested deeper than [`MAX_DEPTH`].
#[cold]
fn too_deep(w: &mut RecordWriter) {
    w.put_le(tag::TEXT as u128, 1);
    w.put_le(2, 2);
    w.put_bytes(b"..");
}

/// Bytes of [`too_deep`]'s text.
const TOO_DEEP: usize = 5;

macro_rules! record_scalar {
    ($($t:ty),* $(,)?) => {$(
        impl Record for $t {
            const SIZE: Option<usize> = Some(1 + <$t as RawValue>::SIZE);
            #[inline(always)]
            fn record_size(&self, _: usize, _: u32) -> usize {
                1 + <$t as RawValue>::SIZE
            }
            #[inline(always)]
            fn record_encode(&self, w: &mut RecordWriter, bound: usize, _: u32) {
                w.put_le(<$t as RawValue>::TYPE as u128, 1);
                RawValue::raw_encode(*self, w, bound);
            }
        }
    )*};
}

record_scalar!(u8, u16, u32, u64, u128, i8, i16, i32, i64, i128, f32, f64, bool, char);

macro_rules! record_size_int {
    ($($t:ty => $as:ty),* $(,)?) => {$(
        impl Record for $t {
            const SIZE: Option<usize> = <$as as Record>::SIZE;
            #[inline(always)]
            fn record_size(&self, bound: usize, depth: u32) -> usize {
                (*self as $as).record_size(bound, depth)
            }
            #[inline(always)]
            fn record_encode(&self, w: &mut RecordWriter, bound: usize, depth: u32) {
                (*self as $as).record_encode(w, bound, depth)
            }
        }
    )*};
}

#[cfg(target_pointer_width = "64")]
record_size_int! { usize => u64, isize => i64 }
#[cfg(target_pointer_width = "32")]
record_size_int! { usize => u32, isize => i32 }
#[cfg(target_pointer_width = "16")]
record_size_int! { usize => u16, isize => i16 }

/// The bytes of `s` kept under `bound`, cut on a char boundary.
#[inline]
fn kept(s: &str, bound: usize) -> usize {
    let bound = bound.min(0x7fff);
    if s.len() <= bound {
        return s.len();
    }
    let mut n = bound;
    while n > 0 && !s.is_char_boundary(n) {
        n -= 1;
    }
    n
}

impl Record for str {
    const SIZE: Option<usize> = None;
    #[inline]
    fn record_size(&self, bound: usize, _: u32) -> usize {
        let n = kept(self, bound);
        3 + n + if n < self.len() { 4 } else { 0 }
    }
    #[inline]
    fn record_encode(&self, w: &mut RecordWriter, bound: usize, _: u32) {
        let n = kept(self, bound);
        w.put_le(tag::STR as u128, 1);
        if n < self.len() {
            w.put_le((n | 0x8000) as u128, 2);
            w.put_le((self.len() - n).min(u32::MAX as usize) as u128, 4);
        } else {
            w.put_le(n as u128, 2);
        }
        w.put_bytes(&self.as_bytes()[..n]);
    }
}

impl Record for () {
    const SIZE: Option<usize> = Some(1);
    #[inline(always)]
    fn record_size(&self, _: usize, _: u32) -> usize {
        1
    }
    #[inline(always)]
    fn record_encode(&self, w: &mut RecordWriter, _: usize, _: u32) {
        w.put_le(tag::UNIT as u128, 1);
    }
}

macro_rules! record_deref {
    ($([$($g:tt)*] $t:ty),* $(,)?) => {$(
        impl<$($g)*> Record for $t {
            const SIZE: Option<usize> = <<$t as core::ops::Deref>::Target as Record>::SIZE;
            #[inline(always)]
            fn record_has_fmt(&self) -> bool {
                (**self).record_has_fmt()
            }
            #[inline(always)]
            fn record_size(&self, bound: usize, depth: u32) -> usize {
                (**self).record_size(bound, depth)
            }
            #[inline(always)]
            fn record_encode(&self, w: &mut RecordWriter, bound: usize, depth: u32) {
                (**self).record_encode(w, bound, depth)
            }
        }
    )*};
}

record_deref! {
    ['a, T: Record + ?Sized] &'a T,
    ['a, T: Record + ?Sized] &'a mut T,
    [T: Record + ?Sized] std::boxed::Box<T>,
    [T: Record + ?Sized] std::rc::Rc<T>,
    [T: Record + ?Sized] std::sync::Arc<T>,
    [] String,
    ['a] std::borrow::Cow<'a, str>,
}

impl<T: Record> Record for Option<T> {
    const SIZE: Option<usize> = None;
    #[inline]
    fn record_has_fmt(&self) -> bool {
        self.as_ref().is_some_and(T::record_has_fmt)
    }
    #[inline]
    fn record_size(&self, bound: usize, depth: u32) -> usize {
        match self {
            None => 1,
            Some(_) if depth >= MAX_DEPTH => TOO_DEEP,
            Some(v) => 1 + v.record_size(bound, depth + 1),
        }
    }
    #[inline]
    fn record_encode(&self, w: &mut RecordWriter, bound: usize, depth: u32) {
        match self {
            None => w.put_le(tag::NONE as u128, 1),
            Some(_) if depth >= MAX_DEPTH => too_deep(w),
            Some(v) => {
                w.put_le(tag::SOME as u128, 1);
                v.record_encode(w, bound, depth + 1);
            }
        }
    }
}

/// How many elements of `s` a value keeps: those whose bytes together stay
/// within `bound` (at least 16 bytes' worth), and the bytes they take.
#[inline]
fn seq_kept<T: Record>(s: &[T], bound: usize, depth: u32) -> (usize, usize) {
    if let Some(size) = T::SIZE {
        let n = s.len().min(bound.max(16) / size.max(1));
        return (n, n * size);
    }
    let mut bytes = 0;
    for (i, v) in s.iter().enumerate() {
        let b = v.record_size(bound, depth + 1);
        if bytes + b > bound.max(16) {
            return (i, bytes);
        }
        bytes += b;
    }
    (s.len(), bytes)
}

impl<T: Record> Record for [T] {
    const SIZE: Option<usize> = None;
    #[inline]
    fn record_has_fmt(&self) -> bool {
        self.iter().any(T::record_has_fmt)
    }
    #[inline]
    fn record_size(&self, bound: usize, depth: u32) -> usize {
        if depth >= MAX_DEPTH {
            return TOO_DEEP;
        }
        9 + seq_kept(self, bound, depth).1
    }
    #[inline]
    fn record_encode(&self, w: &mut RecordWriter, bound: usize, depth: u32) {
        if depth >= MAX_DEPTH {
            return too_deep(w);
        }
        let (n, _) = seq_kept(self, bound, depth);
        w.put_le(tag::SEQ as u128, 1);
        w.put_le(n as u128, 4);
        w.put_le((self.len() - n).min(u32::MAX as usize) as u128, 4);
        for v in &self[..n] {
            v.record_encode(w, bound, depth + 1);
        }
    }
}

impl<T: Record, const N: usize> Record for [T; N] {
    const SIZE: Option<usize> = None;
    #[inline]
    fn record_has_fmt(&self) -> bool {
        self[..].record_has_fmt()
    }
    #[inline]
    fn record_size(&self, bound: usize, depth: u32) -> usize {
        self[..].record_size(bound, depth)
    }
    #[inline]
    fn record_encode(&self, w: &mut RecordWriter, bound: usize, depth: u32) {
        self[..].record_encode(w, bound, depth)
    }
}

impl<T: Record> Record for Vec<T> {
    const SIZE: Option<usize> = None;
    #[inline]
    fn record_has_fmt(&self) -> bool {
        self[..].record_has_fmt()
    }
    #[inline]
    fn record_size(&self, bound: usize, depth: u32) -> usize {
        self[..].record_size(bound, depth)
    }
    #[inline]
    fn record_encode(&self, w: &mut RecordWriter, bound: usize, depth: u32) {
        self[..].record_encode(w, bound, depth)
    }
}

/// The sum of fixed sizes, if all are fixed.
#[doc(hidden)]
pub const fn sum_sizes(base: usize, sizes: &[Option<usize>]) -> Option<usize> {
    let mut total = base;
    let mut i = 0;
    while i < sizes.len() {
        match sizes[i] {
            Some(s) => total += s,
            None => return None,
        }
        i += 1;
    }
    Some(total)
}

macro_rules! record_tuple {
    ($($n:literal: ($($t:ident $i:tt),+);)*) => {$(
        impl<$($t: Record),+> Record for ($($t,)+) {
            const SIZE: Option<usize> = sum_sizes(2, &[$($t::SIZE),+]);
            #[inline]
            fn record_has_fmt(&self) -> bool {
                false $(|| self.$i.record_has_fmt())+
            }
            #[inline]
            fn record_size(&self, bound: usize, depth: u32) -> usize {
                if depth >= MAX_DEPTH {
                    return TOO_DEEP;
                }
                2 $(+ self.$i.record_size(bound, depth + 1))+
            }
            #[inline]
            fn record_encode(&self, w: &mut RecordWriter, bound: usize, depth: u32) {
                if depth >= MAX_DEPTH {
                    return too_deep(w);
                }
                w.put_le(tag::TUPLE as u128, 1);
                w.put_le($n, 1);
                $(self.$i.record_encode(w, bound, depth + 1);)+
            }
        }
    )*};
}

record_tuple! {
    1: (A 0);
    2: (A 0, B 1);
    3: (A 0, B 1, C 2);
    4: (A 0, B 1, C 2, D 3);
    5: (A 0, B 1, C 2, D 3, E 4);
    6: (A 0, B 1, C 2, D 3, E 4, F 5);
    7: (A 0, B 1, C 2, D 3, E 4, F 5, G 6);
    8: (A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7);
}

/// Writes the head of a derived record's value: its tag, type id, variant
/// and number of fields (the derive's `record_encode` then writes the
/// fields).
#[doc(hidden)]
#[inline(always)]
pub fn put_record_head(w: &mut RecordWriter, d: &'static TypeDesc, variant: u16, nfields: u8) {
    w.put_le(tag::RECORD as u128, 1);
    w.put_le(type_id(d) as u128, 4);
    w.put_le(variant as u128, 2);
    w.put_le(nfields as u128, 1);
}

/// Bytes of [`put_record_head`]'s head.
#[doc(hidden)]
pub const RECORD_HEAD: usize = 8;

/// Whether a derived record's fields go one level deeper than allowed: the
/// derive then writes [`too_deep`]'s text instead.
#[doc(hidden)]
#[inline(always)]
pub fn nested_too_deep(w: &mut RecordWriter, depth: u32) -> bool {
    if depth >= MAX_DEPTH {
        too_deep(w);
        true
    } else {
        false
    }
}

/// The size of [`nested_too_deep`]'s text.
#[doc(hidden)]
pub const TOO_DEEP_SIZE: usize = TOO_DEEP;

/// A `#[ttlog(debug)]` field: formatted with `Debug` at the call, into the
/// record, cut after `bound` bytes.
#[doc(hidden)]
pub struct DebugField<'a, T: ?Sized>(pub &'a T);

impl<T: ?Sized> fmt::Debug for DebugField<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DebugField")
    }
}

impl<T: fmt::Debug + ?Sized> Record for DebugField<'_, T> {
    const SIZE: Option<usize> = None;
    #[inline(always)]
    fn record_has_fmt(&self) -> bool {
        true
    }
    #[inline]
    fn record_size(&self, _: usize, _: u32) -> usize {
        3
    }
    fn record_encode(&self, w: &mut RecordWriter, bound: usize, _: u32) {
        // The text's length is known only once it is written: it goes into
        // a small buffer first, bounded, then into the record.
        let mut buf = Bounded { bytes: [0; DEBUG_FIELD_MAX], len: 0, cut: 0, max: bound.min(DEBUG_FIELD_MAX) };
        let _ = fmt::Write::write_fmt(&mut buf, format_args!("{:?}", self.0));
        w.put_le(tag::TEXT as u128, 1);
        if buf.cut == 0 {
            w.put_le(buf.len as u128, 2);
        } else {
            w.put_le((buf.len | 0x8000) as u128, 2);
            w.put_le(buf.cut.min(u32::MAX as usize) as u128, 4);
        }
        w.put_bounded(&buf.bytes[..buf.len]);
    }
}

/// The most bytes a `#[ttlog(debug)]` field keeps.
pub const DEBUG_FIELD_MAX: usize = 256;

/// A bounded text buffer.
struct Bounded {
    bytes: [u8; DEBUG_FIELD_MAX],
    len: usize,
    cut: usize,
    max: usize,
}

impl fmt::Write for Bounded {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        if self.cut > 0 {
            self.cut += s.len();
            return Ok(());
        }
        let room = self.max - self.len;
        let n = if s.len() <= room { s.len() } else { kept(s, room) };
        self.bytes[self.len..self.len + n].copy_from_slice(&s.as_bytes()[..n]);
        self.len += n;
        self.cut = s.len() - n;
        Ok(())
    }
}

/// A derived record as an event's argument: recorded raw (type tag
/// `formatted`, first byte [`RECORD_MARK`](crate::wire::types::RECORD_MARK)).
#[doc(hidden)]
pub struct RecordArg<'a, T: ?Sized>(pub &'a T);

impl<T: ?Sized> Clone for RecordArg<'_, T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T: ?Sized> Copy for RecordArg<'_, T> {}

impl<T: ?Sized> fmt::Debug for RecordArg<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RecordArg")
    }
}

impl<T: Record + ?Sized> sealed::Value for RecordArg<'_, T> {}

impl<T: Record + ?Sized> RawValue for RecordArg<'_, T> {
    const TYPE: ArgType = ArgType::Formatted;
    // A value that formats at the call has no fixed size.
    const FIXED: bool = T::SIZE.is_some();
    const SIZE: usize = match T::SIZE {
        Some(s) => 1 + s,
        None => 0,
    };
    #[inline(always)]
    fn raw_size(self, bound: usize) -> usize {
        match T::SIZE {
            Some(s) => 1 + s,
            None => 1 + self.0.record_size(bound, 0),
        }
    }
    #[inline(always)]
    fn raw_encode(self, w: &mut RecordWriter, bound: usize) {
        w.put_le(crate::wire::types::RECORD_MARK as u128, 1);
        self.0.record_encode(w, bound, 0);
    }
    #[inline(always)]
    fn raw_short<const MAX: usize>(self) -> bool {
        Self::FIXED
    }
    #[inline(always)]
    fn raw_is_fmt(self) -> bool {
        self.0.record_has_fmt()
    }
}
