//! How arguments become record bytes.
//!
//! Values of raw types (integers, floats, `bool`, `char`, strings) are copied as
//! bytes and formatted by the decoder. Any other value is formatted at the call,
//! with the exact spec of each placeholder that uses it, straight into the record
//! through [`FmtSink`]: no `String`, no heap allocation.
//!
//! The macros pick the path per argument with autoref specialisation:
//! `(&Probe(&value)).__ttlog_arg(..)` resolves to [`ViaRaw`] when the value's
//! type implements [`Raw`] and to [`ViaFmt`] otherwise (including in generic code,
//! where the type is not known to be raw: formatting at the call is always
//! correct).

use super::RecordWriter;
use crate::callsite::ArgType;
use core::fmt;

/// A string argument keeps at most this many bytes; the rest is cut, and the
/// decoder shows how many bytes were cut. Events with many arguments have a
/// smaller bound, so that a record always fits in a 4 KiB ring block.
pub const STR_MAX: usize = 1024;

/// The most arguments (message arguments and fields) one event may have.
pub use ttlog_spec::MAX_ARGS;

/// Bytes each argument of an event with `nargs` arguments may take.
pub const fn arg_budget(nargs: usize) -> usize {
    let nargs = if nargs == 0 { 1 } else { nargs };
    let avail =
        crate::buffer::MAX_RECORD - crate::wire::record::RECORD_HEADER - crate::wire::record::ext_tag_bytes(nargs);
    avail as usize / nargs
}

/// The most bytes a string argument of an event with `nargs` arguments keeps:
/// [`STR_MAX`], or less when the arguments together could not fit in a record.
pub const fn str_bound(nargs: usize) -> usize {
    // A string costs its bytes plus at most 6 bytes of length and cut count,
    // and 7 of padding.
    let b = arg_budget(nargs).saturating_sub(13);
    if b < STR_MAX { b } else { STR_MAX }
}

/// A value recorded as raw bytes: the integer types (`usize`/`isize` as their
/// fixed-width equivalent), `f32`, `f64`, `bool`, `char` and `&str`. Every raw
/// argument is turned into one of these by [`Raw`], so that all callsites whose
/// arguments have the same raw types share one instance of the write path.
pub trait RawValue: Copy + sealed::Value {
    /// The type the decoder renders the bytes as.
    const TYPE: ArgType;
    /// Bytes this value takes in a record when strings keep at most `bound`
    /// bytes (for a cut string, possibly up to 3 bytes more than it writes).
    fn raw_size(self, bound: usize) -> usize;
    /// Writes the value; the writer has room for `raw_size(bound)` bytes.
    fn raw_encode(self, w: &mut RecordWriter, bound: usize);
    /// Whether the value is recorded whole (not cut) under `bound`: the fast
    /// path takes only such values, so that it has no cutting code.
    #[inline(always)]
    fn raw_whole(self, _bound: usize) -> bool {
        true
    }
    /// Whether every value of the type is short, with a fixed size (every
    /// type but strings).
    const FIXED: bool = true;
    /// Bytes a value of a fixed size takes (0 for strings).
    const SIZE: usize;
    /// Bytes the value takes at most when it is short under `MAX` (see
    /// [`RawValue::raw_short`]): a constant, so that the fast path reserves
    /// a constant length for events whose strings are short.
    #[inline(always)]
    fn raw_short_size<const MAX: usize>() -> usize {
        Self::SIZE
    }
    /// Whether the value is short under `MAX`: every value but a string
    /// longer than `MAX` bytes.
    #[inline(always)]
    fn raw_short<const MAX: usize>(self) -> bool {
        true
    }
    /// Writes a value short under `MAX`; the writer has room for
    /// `raw_short_size::<MAX>()` bytes.
    #[inline(always)]
    fn raw_encode_short<const MAX: usize>(self, w: &mut RecordWriter) {
        self.raw_encode(w, usize::MAX)
    }
    /// Whether part of the value is formatted at the call (a derived
    /// record's `#[ttlog(debug)]` field): its size is known only after.
    #[inline(always)]
    fn raw_is_fmt(self) -> bool {
        false
    }
}

/// The tiers of string lengths that the fast path copies without a loop (see
/// [`RecordWriter::put_short_bytes`]).
pub use super::record_writer::{MEDIUM_BYTES, SHORT_BYTES};

// A short string is never cut: the strings of an event of 12 arguments (the
// most a tuple has; events with more take no short path) keep more bytes.
const _: () = assert!(str_bound(12) >= MEDIUM_BYTES);

pub(crate) mod sealed {
    /// Only ttlog's raw value types.
    pub trait Value {}
    /// Only the types ttlog knows how to record raw (and those that derive
    /// `ttlog::Record`, whose expansion reaches this through `__private`).
    pub trait Raw {}
}

/// A raw type that `{}` may record: every raw type but a derived record
/// without `#[ttlog(display = "..")]`, whose `Display` the decoder could not
/// reproduce.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is recorded raw and has no `#[ttlog(display = \"..\")]`, which `{{}}` renders it with",
    label = "`{{}}` needs a display format for this derived type",
    note = "log it with `{{:?}}`, or add `#[ttlog(display = \"..\")]` to the type (fields by name: `\"({{x}}, {{y}})\"`)"
)]
pub trait RawDisplay {}

/// A type recorded as raw bytes and formatted by the decoder: integers of every
/// width, `f32`, `f64`, `bool`, `char`, `str`, `String`, `Box<str>`,
/// `Cow<str>`, and references and smart pointers to them. Their `Display`,
/// `Debug` and numeric formatting is reproduced exactly by the decoder from the
/// bytes and the type. Sealed: a type of yours is formatted at the call.
pub trait Raw: sealed::Raw {
    /// What the value is recorded as.
    type Value<'a>: RawValue
    where
        Self: 'a;
    /// The value to record.
    fn raw_value(&self) -> Self::Value<'_>;
}

macro_rules! raw_int {
    ($($t:ty => $tag:ident as $wire:ty),* $(,)?) => {$(
        impl sealed::Value for $t {}
        impl sealed::Raw for $t {}
        impl RawDisplay for $t {}
        impl RawValue for $t {
            const TYPE: ArgType = ArgType::$tag;
            const SIZE: usize = core::mem::size_of::<$wire>();
            #[inline(always)]
            fn raw_size(self, _: usize) -> usize {
                core::mem::size_of::<$wire>()
            }
            #[inline(always)]
            fn raw_encode(self, w: &mut RecordWriter, _: usize) {
                w.put_le(self as $wire as u128, core::mem::size_of::<$wire>());
            }
        }
        impl Raw for $t {
            type Value<'a> = $t;
            #[inline(always)]
            fn raw_value(&self) -> $t {
                *self
            }
        }
    )*};
}

raw_int! {
    u8 => U8 as u8, u16 => U16 as u16, u32 => U32 as u32, u64 => U64 as u64, u128 => U128 as u128,
    i8 => I8 as u8, i16 => I16 as u16, i32 => I32 as u32, i64 => I64 as u64, i128 => I128 as u128,
}

/// `usize` and `isize` are recorded as the fixed-width integers of the target:
/// their formatting is the same.
macro_rules! raw_size_int {
    ($($t:ty => $as:ty),* $(,)?) => {$(
        impl sealed::Raw for $t {}
        impl RawDisplay for $t {}
        impl Raw for $t {
            type Value<'a> = $as;
            #[inline(always)]
            fn raw_value(&self) -> $as {
                *self as $as
            }
        }
    )*};
}

#[cfg(target_pointer_width = "64")]
raw_size_int! { usize => u64, isize => i64 }
#[cfg(target_pointer_width = "32")]
raw_size_int! { usize => u32, isize => i32 }
#[cfg(target_pointer_width = "16")]
raw_size_int! { usize => u16, isize => i16 }

macro_rules! raw_bits {
    ($($t:ty => $tag:ident, $n:expr, $bits:expr),* $(,)?) => {$(
        impl sealed::Value for $t {}
        impl sealed::Raw for $t {}
        impl RawDisplay for $t {}
        impl RawValue for $t {
            const TYPE: ArgType = ArgType::$tag;
            const SIZE: usize = $n;
            #[inline(always)]
            fn raw_size(self, _: usize) -> usize {
                $n
            }
            #[inline(always)]
            fn raw_encode(self, w: &mut RecordWriter, _: usize) {
                let bits: fn($t) -> u128 = $bits;
                w.put_le(bits(self), $n);
            }
        }
        impl Raw for $t {
            type Value<'a> = $t;
            #[inline(always)]
            fn raw_value(&self) -> $t {
                *self
            }
        }
    )*};
}

raw_bits! {
    f32 => F32, 4, |v| v.to_bits() as u128,
    f64 => F64, 8, |v| v.to_bits() as u128,
    bool => Bool, 1, |v| v as u128,
    char => Char, 4, |v| v as u32 as u128,
}

#[cold]
#[inline(never)]
fn floor_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

impl sealed::Value for &str {}
impl RawValue for &str {
    const TYPE: ArgType = ArgType::Str;
    #[inline(always)]
    fn raw_size(self, bound: usize) -> usize {
        // The length, up to 7 bytes of padding (the bytes start at a word
        // boundary, so that they are copied a word at a time), the bytes; a cut
        // string keeps at most `bound` bytes (fewer if `bound` falls inside a
        // character) and adds 4 bytes of cut count.
        if self.len() <= bound { 9 + self.len() } else { 13 + bound }
    }
    #[inline(always)]
    fn raw_whole(self, bound: usize) -> bool {
        self.len() <= bound
    }
    const FIXED: bool = false;
    const SIZE: usize = 0;
    /// The length, up to 7 bytes of padding, the words
    /// [`RecordWriter::put_short_bytes`] may store.
    #[inline(always)]
    fn raw_short_size<const MAX: usize>() -> usize {
        2 + 7 + 8 * super::record_writer::short_words(MAX)
    }
    #[inline(always)]
    fn raw_short<const MAX: usize>(self) -> bool {
        self.len() <= MAX
    }
    #[inline(always)]
    fn raw_encode_short<const MAX: usize>(self, w: &mut RecordWriter) {
        w.put_le(self.len() as u128, 2);
        w.put_short_bytes::<MAX>(self.as_bytes());
    }
    #[inline(always)]
    fn raw_encode(self, w: &mut RecordWriter, bound: usize) {
        let bytes = if self.len() <= bound {
            w.put_le(self.len() as u128, 2);
            self.as_bytes()
        } else {
            // Out of line only the search for a char boundary: the writer
            // stays in registers.
            let n = floor_boundary(self, bound);
            w.put_le((n | 0x8000) as u128, 2);
            w.put_le((self.len() - n).min(u32::MAX as usize) as u128, 4);
            &self.as_bytes()[..n]
        };
        w.align_word();
        w.put_aligned_bytes(bytes);
    }
}

impl sealed::Raw for str {}
impl RawDisplay for str {}
impl Raw for str {
    type Value<'a> = &'a str;
    #[inline(always)]
    fn raw_value(&self) -> &str {
        self
    }
}

macro_rules! raw_via_deref {
    ($($(#[$m:meta])* [$($g:tt)*] $t:ty),* $(,)?) => {$(
        $(#[$m])*
        impl<$($g)*> sealed::Raw for $t {}
        impl<$($g)*> RawDisplay for $t where <$t as core::ops::Deref>::Target: RawDisplay {}
        impl<$($g)*> Raw for $t {
            type Value<'v> = <<$t as core::ops::Deref>::Target as Raw>::Value<'v> where Self: 'v;
            #[inline(always)]
            fn raw_value(&self) -> Self::Value<'_> {
                (**self).raw_value()
            }
        }
    )*};
}

raw_via_deref! {
    ['a, T: Raw + ?Sized] &'a T,
    ['a, T: Raw + ?Sized] &'a mut T,
    [T: Raw + ?Sized] std::boxed::Box<T>,
    [T: Raw + ?Sized] std::rc::Rc<T>,
    [T: Raw + ?Sized] std::sync::Arc<T>,
    [] String,
    ['a] std::borrow::Cow<'a, str>,
}

/// How the macros record one argument: its raw value (integers, floats, `bool`,
/// `char`, strings), or text formatted at the call ([`FmtArg`]).
///
/// The provided methods describe an argument formatted at the call; raw values
/// override them.
pub trait EncodeArg {
    /// Whether the argument is raw, of a fixed size (see `RawValue::FIXED`).
    const FIXED: bool = false;
    /// The argument's type tag.
    #[inline(always)]
    fn tag(&self) -> u8 {
        ArgType::Formatted as u8
    }
    /// Whether the value is formatted at the call (its size is known only after).
    #[inline(always)]
    fn is_fmt(&self) -> bool {
        true
    }
    /// Whether the value is raw and recorded whole under `bound` (a string
    /// longer than `bound` is cut).
    #[inline(always)]
    fn is_whole_raw(&self, _bound: usize) -> bool {
        false
    }
    /// Bytes the argument takes (for formatted ones: the least it takes).
    fn size(&self, bound: usize) -> usize;
    /// Writes the argument.
    fn encode(&self, w: &mut RecordWriter, bound: usize);
    /// Whether the value is raw and short under `MAX` (see
    /// `RawValue::raw_short`).
    #[inline(always)]
    fn is_short<const MAX: usize>(&self) -> bool {
        false
    }
    /// Bytes a short value takes at most (see `RawValue::raw_short_size`);
    /// for values that are never short, what [`EncodeArg::size`] gives.
    #[inline(always)]
    fn short_size<const MAX: usize>(&self) -> usize {
        self.size(STR_MAX)
    }
    /// Writes a short value (others as [`EncodeArg::encode`] does).
    #[inline(always)]
    fn encode_short<const MAX: usize>(&self, w: &mut RecordWriter) {
        self.encode(w, STR_MAX)
    }
}

impl<T: RawValue> EncodeArg for T {
    const FIXED: bool = T::FIXED;
    #[inline(always)]
    fn tag(&self) -> u8 {
        T::TYPE as u8
    }
    #[inline(always)]
    fn is_fmt(&self) -> bool {
        self.raw_is_fmt()
    }
    #[inline(always)]
    fn is_whole_raw(&self, bound: usize) -> bool {
        self.raw_whole(bound) && !self.raw_is_fmt()
    }
    #[inline(always)]
    fn size(&self, bound: usize) -> usize {
        self.raw_size(bound)
    }
    #[inline(always)]
    fn encode(&self, w: &mut RecordWriter, bound: usize) {
        self.raw_encode(w, bound)
    }
    #[inline(always)]
    fn is_short<const MAX: usize>(&self) -> bool {
        self.raw_short::<MAX>()
    }
    #[inline(always)]
    fn short_size<const MAX: usize>(&self) -> usize {
        T::raw_short_size::<MAX>()
    }
    #[inline(always)]
    fn encode_short<const MAX: usize>(&self, w: &mut RecordWriter) {
        self.raw_encode_short::<MAX>(w)
    }
}

/// The arguments of one event, as a tuple: the write path is instantiated once
/// per tuple type, that is once per combination of argument types, whatever
/// the number of callsites that use it.
pub trait Args {
    /// Whether every argument is raw, of a fixed size: the event always takes
    /// the short path.
    const FIXED: bool;
    /// An array of the type tags.
    type Tags: AsRef<[u8]>;
    /// The type tags.
    fn tags(&self) -> Self::Tags;
    /// See [`EncodeArg::size`].
    fn size(&self, bound: usize) -> usize;
    /// See [`EncodeArg::is_fmt`].
    fn has_fmt(&self) -> bool;
    /// Whether every argument is raw and recorded whole: the fast path's
    /// condition (see [`EncodeArg::is_whole_raw`]).
    fn all_whole_raw(&self, bound: usize) -> bool;
    /// Writes every argument.
    fn encode(&self, w: &mut RecordWriter, bound: usize);
    /// Whether every argument is raw and short under `MAX` (no string longer
    /// than `MAX` bytes): the fast path then reserves
    /// [`Args::short_size`]`::<MAX>()` bytes, a constant, and writes with
    /// [`Args::encode_short`].
    #[inline(always)]
    fn all_short<const MAX: usize>(&self) -> bool {
        false
    }
    /// Bytes the arguments take at most when they are all short under `MAX`.
    #[inline(always)]
    fn short_size<const MAX: usize>(&self) -> usize {
        self.size(STR_MAX)
    }
    /// Writes every argument, all short under `MAX`.
    #[inline(always)]
    fn encode_short<const MAX: usize>(&self, w: &mut RecordWriter) {
        self.encode(w, STR_MAX)
    }
}

/// The arguments of an event with more than 12, as closures over the
/// expansion's locals.
#[derive(Debug)]
pub struct Dyn<'t, S, E> {
    /// The type tags.
    pub tags: &'t [u8],
    /// `size(bound)`: bytes the arguments take.
    pub size: S,
    /// Whether any is formatted at the call.
    pub has_fmt: bool,
    /// Writes them.
    pub encode: E,
}

impl<'t, S, E> Args for Dyn<'t, S, E>
where
    S: Fn(usize) -> usize,
    E: Fn(&mut RecordWriter, usize),
{
    const FIXED: bool = false;
    type Tags = &'t [u8];
    #[inline(always)]
    fn tags(&self) -> &'t [u8] {
        self.tags
    }
    #[inline(always)]
    fn size(&self, bound: usize) -> usize {
        (self.size)(bound)
    }
    #[inline(always)]
    fn has_fmt(&self) -> bool {
        self.has_fmt
    }
    #[inline(always)]
    fn all_whole_raw(&self, _: usize) -> bool {
        // Strings may still be cut: the encoder handles both.
        !self.has_fmt
    }
    #[inline(always)]
    fn encode(&self, w: &mut RecordWriter, bound: usize) {
        (self.encode)(w, bound)
    }
}

macro_rules! tuple_args {
    ($($n:literal: ($($t:ident $i:tt),*);)*) => {$(
        impl<$($t: EncodeArg),*> Args for ($($t,)*) {
            const FIXED: bool = true $(&& $t::FIXED)*;
            type Tags = [u8; $n];
            #[inline(always)]
            fn tags(&self) -> [u8; $n] {
                [$(self.$i.tag()),*]
            }
            #[inline(always)]
            fn size(&self, _bound: usize) -> usize {
                0 $(+ self.$i.size(_bound))*
            }
            #[inline(always)]
            fn has_fmt(&self) -> bool {
                false $(|| self.$i.is_fmt())*
            }
            #[inline(always)]
            fn all_whole_raw(&self, _bound: usize) -> bool {
                true $(&& self.$i.is_whole_raw(_bound))*
            }
            #[inline(always)]
            fn encode(&self, _w: &mut RecordWriter, _bound: usize) {
                $(self.$i.encode(_w, _bound);)*
            }
            #[inline(always)]
            fn all_short<const MAX: usize>(&self) -> bool {
                true $(&& self.$i.is_short::<MAX>())*
            }
            #[inline(always)]
            fn short_size<const MAX: usize>(&self) -> usize {
                0 $(+ self.$i.short_size::<MAX>())*
            }
            #[inline(always)]
            fn encode_short<const MAX: usize>(&self, _w: &mut RecordWriter) {
                $(self.$i.encode_short::<MAX>(_w);)*
            }
        }
    )*};
}

tuple_args! {
    0: ();
    1: (A 0);
    2: (A 0, B 1);
    3: (A 0, B 1, C 2);
    4: (A 0, B 1, C 2, D 3);
    5: (A 0, B 1, C 2, D 3, E 4);
    6: (A 0, B 1, C 2, D 3, E 4, F 5);
    7: (A 0, B 1, C 2, D 3, E 4, F 5, G 6);
    8: (A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7);
    9: (A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8);
    10: (A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9);
    11: (A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9, K 10);
    12: (A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9, K 10, L 11);
}

/// An argument formatted at the call: `F(sink, slot)` writes the value formatted
/// with the argument's `slot`-th spec; there are `slots` of them.
pub struct FmtArg<F> {
    f: F,
    slots: usize,
}

impl<F> fmt::Debug for FmtArg<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FmtArg").field("slots", &self.slots).finish_non_exhaustive()
    }
}

impl<F> FmtArg<F>
where
    F: Fn(&mut FmtSink<'_>, usize) -> fmt::Result,
{
    /// An argument always formatted at the call (`{:p}` needs the address).
    #[inline(always)]
    pub fn new(slots: usize, f: F) -> Self {
        FmtArg { f, slots }
    }
}

impl<F> EncodeArg for FmtArg<F>
where
    F: Fn(&mut FmtSink<'_>, usize) -> fmt::Result,
{
    #[inline(always)]
    fn size(&self, _: usize) -> usize {
        self.slots
    }
    #[inline(always)]
    fn encode(&self, w: &mut RecordWriter, bound: usize) {
        let per_slot = (bound / self.slots.max(1)).max(1);
        for slot in 0..self.slots {
            format_slot(w, per_slot, |sink| (self.f)(sink, slot));
        }
    }
}

/// Formats one slot of an argument into the record, cut after `left` bytes.
#[inline]
fn format_slot(w: &mut RecordWriter, left: usize, f: impl FnOnce(&mut FmtSink<'_>) -> fmt::Result) {
    let mut sink = FmtSink { w, left, cut: 0, buf: [0; SINK_BUF], len: 0 };
    // A `Display` impl that fails leaves what it wrote; `format!` would panic
    // here instead.
    let _ = f(&mut sink);
    sink.finish();
}

/// An argument placed as a plain `{}` or `{:?}` (one spec, no options) of a
/// type that is not raw: formatted at the call with the `Display` or `Debug`
/// impl it holds. Generic over the type only, so every callsite that logs the
/// same type shares its code; holding the impl (rather than bounding the type)
/// keeps a missing impl to one error, at the argument.
pub struct FmtPlain<'a, T: ?Sized> {
    value: &'a T,
    fmt: fn(&T, &mut fmt::Formatter<'_>) -> fmt::Result,
}

impl<'a, T: ?Sized> FmtPlain<'a, T> {
    /// `value`, formatted at the call with `fmt`.
    #[cfg(any(feature = "log", feature = "tracing"))]
    pub(crate) fn new(value: &'a T, fmt: fn(&T, &mut fmt::Formatter<'_>) -> fmt::Result) -> Self {
        FmtPlain { value, fmt }
    }
}

impl<T: ?Sized> fmt::Debug for FmtPlain<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("FmtPlain")
    }
}

impl<T: ?Sized> fmt::Display for FmtPlain<'_, T> {
    #[inline]
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        (self.fmt)(self.value, f)
    }
}

impl<T: ?Sized> EncodeArg for FmtPlain<'_, T> {
    #[inline(always)]
    fn size(&self, _: usize) -> usize {
        1
    }
    #[inline(always)]
    fn encode(&self, w: &mut RecordWriter, bound: usize) {
        format_slot(w, bound.max(1), |sink| fmt::Write::write_fmt(sink, format_args!("{self}")));
    }
}

/// Bytes a [`FmtSink`] gathers before it appends them to the record.
const SINK_BUF: usize = 32;

/// Where a value formatted at the call goes: into the record, cut (on a char
/// boundary) after the argument's bound. Formatting writes many small pieces
/// (a literal, the digits of a number, a separator); they are gathered in a
/// small buffer and appended to the record a buffer at a time.
pub struct FmtSink<'w> {
    w: &'w mut RecordWriter,
    /// Bytes the argument may still take, the cut marker's 5 included.
    left: usize,
    /// Bytes cut so far (0: none).
    cut: u64,
    buf: [u8; SINK_BUF],
    /// Bytes in `buf`.
    len: usize,
}

impl fmt::Debug for FmtSink<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FmtSink").field("left", &self.left).field("cut", &self.cut).finish()
    }
}

impl FmtSink<'_> {
    /// Appends what `buf` holds to the record.
    #[inline]
    fn flush(&mut self) {
        if self.len > 0 {
            self.w.put_bounded(&self.buf[..self.len]);
            self.len = 0;
        }
    }

    /// Appends `b`: to the buffer when it fits there, else to the record.
    #[inline]
    fn put(&mut self, b: &[u8]) {
        if let Some(dst) = self.buf.get_mut(self.len..self.len + b.len()) {
            dst.copy_from_slice(b);
            self.len += b.len();
        } else {
            self.flush();
            if b.len() < SINK_BUF {
                self.buf[..b.len()].copy_from_slice(b);
                self.len = b.len();
            } else {
                self.w.put_bounded(b);
            }
        }
    }

    fn finish(mut self) {
        self.flush();
        if self.cut == 0 {
            self.w.put_bounded(&[0xFF]);
        } else {
            self.w.put_bounded(&[0xFE]);
            let c = self.cut.min(u32::MAX as u64) as u32;
            self.w.put_bounded(&c.to_le_bytes());
        }
    }
}

impl fmt::Write for FmtSink<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        if self.cut > 0 {
            self.cut += s.len() as u64;
            return Ok(());
        }
        // Keep room for the cut marker and count.
        if s.len() + 5 <= self.left {
            self.left -= s.len();
            self.put(s.as_bytes());
        } else {
            let n = floor_boundary(s, self.left.saturating_sub(5).min(s.len()));
            self.put(&s.as_bytes()[..n]);
            self.left -= n;
            self.cut = (s.len() - n) as u64;
        }
        if self.w.overflowed() {
            // The record does not fit where it is: the caller redoes it in
            // the next block, so formatting on is wasted.
            return Err(fmt::Error);
        }
        Ok(())
    }
}

/// Wraps a reference to an argument for autoref specialisation.
pub struct Probe<'a, T: ?Sized>(pub &'a T);

impl<T: ?Sized> Clone for Probe<'_, T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T: ?Sized> Copy for Probe<'_, T> {}

impl<T: ?Sized> fmt::Debug for Probe<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Probe")
    }
}

/// Chosen for arguments of raw types: the value is copied, `f` is only
/// type-checked (so that a spec the type cannot take is still a compile error).
pub trait ViaRaw<'a, T: Raw + ?Sized + 'a> {
    /// Records the argument raw.
    fn __ttlog_arg<F>(self, slots: usize, f: F) -> T::Value<'a>
    where
        F: Fn(&mut FmtSink<'_>, usize) -> fmt::Result;

    /// Records the argument of a plain `{}` raw (every raw type is
    /// `Display`, or a derived record with a display format).
    fn __ttlog_display(self) -> T::Value<'a>
    where
        T: RawDisplay;

    /// Records the argument of a plain `{:?}` raw (every raw type is `Debug`).
    fn __ttlog_debug(self) -> T::Value<'a>;

    /// Records the value of `#[ttlog]`'s `ret` or `err` raw, in `Display` mode.
    fn __ttlog_value_display(self) -> T::Value<'a>
    where
        T: RawDisplay;

    /// Records the value of `#[ttlog]`'s `ret` or `err` raw, in `Debug` mode.
    fn __ttlog_value_debug(self) -> T::Value<'a>;
}

impl<'a, T: Raw + ?Sized> ViaRaw<'a, T> for &Probe<'a, T> {
    #[inline(always)]
    fn __ttlog_arg<F>(self, _slots: usize, _f: F) -> T::Value<'a>
    where
        F: Fn(&mut FmtSink<'_>, usize) -> fmt::Result,
    {
        self.0.raw_value()
    }

    #[inline(always)]
    fn __ttlog_display(self) -> T::Value<'a>
    where
        T: RawDisplay,
    {
        self.0.raw_value()
    }

    #[inline(always)]
    fn __ttlog_debug(self) -> T::Value<'a> {
        self.0.raw_value()
    }

    #[inline(always)]
    fn __ttlog_value_display(self) -> T::Value<'a>
    where
        T: RawDisplay,
    {
        self.0.raw_value()
    }

    #[inline(always)]
    fn __ttlog_value_debug(self) -> T::Value<'a> {
        self.0.raw_value()
    }
}

/// Chosen for every other argument: formatted at the call with `f`.
pub trait ViaFmt<'a, T: ?Sized> {
    /// Records the argument formatted.
    fn __ttlog_arg<F>(self, slots: usize, f: F) -> FmtArg<F>
    where
        F: Fn(&mut FmtSink<'_>, usize) -> fmt::Result;

    /// Records the argument of a plain `{}` formatted.
    fn __ttlog_display(self) -> FmtPlain<'a, T>
    where
        T: fmt::Display;

    /// Records the argument of a plain `{:?}` formatted.
    fn __ttlog_debug(self) -> FmtPlain<'a, T>
    where
        T: fmt::Debug;

    /// Records the value of `#[ttlog]`'s `ret` or `err` with `Display`.
    fn __ttlog_value_display(self) -> FmtPlain<'a, T>
    where
        T: ValueDisplay;

    /// Records the value of `#[ttlog]`'s `ret` or `err` with `Debug`.
    fn __ttlog_value_debug(self) -> FmtPlain<'a, T>
    where
        T: ValueDebug;
}

/// `Display`, as `#[ttlog]`'s `ret(Display)` and `err` need it: the same
/// trait, with an error that names the option.
#[diagnostic::on_unimplemented(
    message = "`{Self}` doesn't implement `std::fmt::Display`, which this `#[ttlog]` option records the value with",
    label = "`ret(Display)` and `err` record the value with `Display`",
    note = "use `ret` or `err(Debug)` for a value that is `Debug`, or leave the option out"
)]
pub trait ValueDisplay: fmt::Display {}

impl<T: fmt::Display + ?Sized> ValueDisplay for T {}

/// `Debug`, as `#[ttlog]`'s `ret` and `err(Debug)` need it: the same trait,
/// with an error that names the option.
#[diagnostic::on_unimplemented(
    message = "`{Self}` doesn't implement `std::fmt::Debug`, which this `#[ttlog]` option records the value with",
    label = "`ret` and `err(Debug)` record the value with `Debug`",
    note = "use `ret(Display)` or `err` for a value that is `Display`, or leave the option out"
)]
pub trait ValueDebug: fmt::Debug {}

impl<T: fmt::Debug + ?Sized> ValueDebug for T {}

impl<'a, T: ?Sized> ViaFmt<'a, T> for Probe<'a, T> {
    #[inline(always)]
    fn __ttlog_arg<F>(self, slots: usize, f: F) -> FmtArg<F>
    where
        F: Fn(&mut FmtSink<'_>, usize) -> fmt::Result,
    {
        FmtArg { f, slots }
    }

    #[inline(always)]
    fn __ttlog_display(self) -> FmtPlain<'a, T>
    where
        T: fmt::Display,
    {
        FmtPlain { value: self.0, fmt: <T as fmt::Display>::fmt }
    }

    #[inline(always)]
    fn __ttlog_debug(self) -> FmtPlain<'a, T>
    where
        T: fmt::Debug,
    {
        FmtPlain { value: self.0, fmt: <T as fmt::Debug>::fmt }
    }

    #[inline(always)]
    fn __ttlog_value_display(self) -> FmtPlain<'a, T>
    where
        T: ValueDisplay,
    {
        FmtPlain { value: self.0, fmt: <T as fmt::Display>::fmt }
    }

    #[inline(always)]
    fn __ttlog_value_debug(self) -> FmtPlain<'a, T>
    where
        T: ValueDebug,
    {
        FmtPlain { value: self.0, fmt: <T as fmt::Debug>::fmt }
    }
}

// A parameter of a `#[ttlog]` function is recorded whatever its type, by
// autoref specialisation on `(&&Probe(&value)).__ttlog_param()`: method
// lookup tries the receiver `&&Probe<T>` first ([`ParamRaw`], when `T` is
// raw), then `&Probe<T>` ([`ParamDebug`], when `T` is `Debug`), then
// `Probe<T>` ([`ParamName`], any type). The choice is made at compile time,
// from what is known of `T` where the function is written: a generic
// parameter without a `Debug` bound is recorded by its name.

/// A `#[ttlog]` parameter of a raw type: recorded raw.
pub trait ParamRaw<'a, T: Raw + ?Sized + 'a> {
    /// Records the parameter raw.
    fn __ttlog_param(self) -> T::Value<'a>;
}

impl<'a, T: Raw + ?Sized> ParamRaw<'a, T> for &&Probe<'a, T> {
    #[inline(always)]
    fn __ttlog_param(self) -> T::Value<'a> {
        self.0.raw_value()
    }
}

/// A `#[ttlog]` parameter of a `Debug` type: formatted at the call.
pub trait ParamDebug<'a, T: ?Sized> {
    /// Records the parameter formatted with `Debug`.
    fn __ttlog_param(self) -> FmtPlain<'a, T>;
}

impl<'a, T: fmt::Debug + ?Sized> ParamDebug<'a, T> for &Probe<'a, T> {
    #[inline(always)]
    fn __ttlog_param(self) -> FmtPlain<'a, T> {
        FmtPlain { value: self.0, fmt: <T as fmt::Debug>::fmt }
    }
}

/// A `#[ttlog]` parameter of any other type: recorded as its type's name.
pub trait ParamName<'a, T: ?Sized> {
    /// Records the parameter's type name.
    fn __ttlog_param(self) -> TypeName;
}

impl<'a, T: ?Sized> ParamName<'a, T> for Probe<'a, T> {
    #[inline(always)]
    fn __ttlog_param(self) -> TypeName {
        TypeName(core::any::type_name::<T>())
    }
}

/// A value recorded as the name of its type, `<app::Db>`, without the
/// references around it (`&self` shows as the type of `self`'s referent).
#[derive(Clone, Copy, Debug)]
pub struct TypeName(&'static str);

impl TypeName {
    /// The name, references stripped: `&mut &app::Db` is `app::Db`.
    fn referent(self) -> &'static str {
        let mut name = self.0;
        while let Some(rest) = name.strip_prefix('&') {
            name = rest.strip_prefix("mut ").unwrap_or(rest);
        }
        name
    }
}

impl EncodeArg for TypeName {
    #[inline(always)]
    fn size(&self, _: usize) -> usize {
        1
    }
    #[inline]
    fn encode(&self, w: &mut RecordWriter, bound: usize) {
        let name = self.referent();
        format_slot(w, bound.max(1), |sink| {
            fmt::Write::write_str(sink, "<")?;
            fmt::Write::write_str(sink, name)?;
            fmt::Write::write_str(sink, ">")
        });
    }
}
