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
/// smaller bound, so that a record always fits in a block: see [`str_bound`].
pub const STR_MAX: usize = 1024;

/// The most arguments (message arguments and fields) one event may have.
pub const MAX_ARGS: usize = 200;

/// Bytes each argument of an event with `nargs` arguments may take.
pub const fn arg_budget(nargs: usize) -> usize {
    let nargs = if nargs == 0 { 1 } else { nargs };
    let avail = crate::buffer::MAX_RECORD - crate::wire::record::RECORD_HEADER - crate::wire::record::ext_tag_bytes(nargs);
    avail as usize / nargs
}

/// The most bytes a string argument of an event with `nargs` arguments keeps:
/// [`STR_MAX`], or less when the arguments together could not fit in a record.
pub const fn str_bound(nargs: usize) -> usize {
    // A string costs its bytes plus at most 6 bytes of length and cut count.
    let b = arg_budget(nargs).saturating_sub(6);
    if b < STR_MAX { b } else { STR_MAX }
}

/// A type recorded as raw bytes and formatted by the decoder.
///
/// Implemented for the integer types, `f32`, `f64`, `bool`, `char`, `str`,
/// `String`, `Box<str>`, `Cow<str>`, and references and smart pointers to them.
/// Their `Display`, `Debug` and numeric formatting is reproduced exactly by the
/// decoder from the bytes and the type.
pub trait Raw {
    /// The type the decoder renders the bytes as.
    const TYPE: ArgType;
    /// Bytes this value takes in a record when strings keep at most `bound` bytes.
    fn raw_size(&self, bound: usize) -> usize;
    /// Writes the value; the writer has room for `raw_size(bound)` bytes.
    fn raw_encode(&self, w: &mut RecordWriter, bound: usize);
}

macro_rules! raw_int {
    ($($t:ty => $tag:ident as $wire:ty),* $(,)?) => {$(
        impl Raw for $t {
            const TYPE: ArgType = ArgType::$tag;
            #[inline(always)]
            fn raw_size(&self, _: usize) -> usize {
                core::mem::size_of::<$wire>()
            }
            #[inline(always)]
            fn raw_encode(&self, w: &mut RecordWriter, _: usize) {
                w.put_le(*self as $wire as u128, core::mem::size_of::<$wire>());
            }
        }
    )*};
}

raw_int! {
    u8 => U8 as u8, u16 => U16 as u16, u32 => U32 as u32, u64 => U64 as u64, u128 => U128 as u128,
    i8 => I8 as u8, i16 => I16 as u16, i32 => I32 as u32, i64 => I64 as u64, i128 => I128 as u128,
}

#[cfg(target_pointer_width = "64")]
raw_int! { usize => U64 as u64, isize => I64 as u64 }
#[cfg(target_pointer_width = "32")]
raw_int! { usize => U32 as u32, isize => I32 as u32 }
#[cfg(target_pointer_width = "16")]
raw_int! { usize => U16 as u16, isize => I16 as u16 }

impl Raw for f32 {
    const TYPE: ArgType = ArgType::F32;
    #[inline(always)]
    fn raw_size(&self, _: usize) -> usize {
        4
    }
    #[inline(always)]
    fn raw_encode(&self, w: &mut RecordWriter, _: usize) {
        w.put_le(self.to_bits() as u128, 4);
    }
}

impl Raw for f64 {
    const TYPE: ArgType = ArgType::F64;
    #[inline(always)]
    fn raw_size(&self, _: usize) -> usize {
        8
    }
    #[inline(always)]
    fn raw_encode(&self, w: &mut RecordWriter, _: usize) {
        w.put_le(self.to_bits() as u128, 8);
    }
}

impl Raw for bool {
    const TYPE: ArgType = ArgType::Bool;
    #[inline(always)]
    fn raw_size(&self, _: usize) -> usize {
        1
    }
    #[inline(always)]
    fn raw_encode(&self, w: &mut RecordWriter, _: usize) {
        w.put_le(*self as u128, 1);
    }
}

impl Raw for char {
    const TYPE: ArgType = ArgType::Char;
    #[inline(always)]
    fn raw_size(&self, _: usize) -> usize {
        4
    }
    #[inline(always)]
    fn raw_encode(&self, w: &mut RecordWriter, _: usize) {
        w.put_le(*self as u32 as u128, 4);
    }
}

/// Bytes of `s` kept under `bound`: all of it, or a prefix ending on a char
/// boundary.
#[inline(always)]
fn kept_len(s: &str, bound: usize) -> usize {
    if s.len() <= bound { s.len() } else { floor_boundary(s, bound) }
}

#[cold]
fn floor_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

impl Raw for str {
    const TYPE: ArgType = ArgType::Str;
    #[inline(always)]
    fn raw_size(&self, bound: usize) -> usize {
        if self.len() <= bound { 2 + self.len() } else { 6 + kept_len(self, bound) }
    }
    #[inline(always)]
    fn raw_encode(&self, w: &mut RecordWriter, bound: usize) {
        if self.len() <= bound {
            w.put_le(self.len() as u128, 2);
            w.put_bytes(self.as_bytes());
        } else {
            put_truncated(w, self, bound);
        }
    }
}

#[cold]
#[inline(never)]
fn put_truncated(w: &mut RecordWriter, s: &str, bound: usize) {
    let n = kept_len(s, bound);
    w.put_le((n | 0x8000) as u128, 2);
    w.put_le((s.len() - n).min(u32::MAX as usize) as u128, 4);
    w.put_bytes(&s.as_bytes()[..n]);
}

macro_rules! raw_via_deref {
    ($($(#[$m:meta])* [$($g:tt)*] $t:ty),* $(,)?) => {$(
        $(#[$m])*
        impl<$($g)*> Raw for $t {
            const TYPE: ArgType = <<$t as core::ops::Deref>::Target as Raw>::TYPE;
            #[inline(always)]
            fn raw_size(&self, bound: usize) -> usize {
                (**self).raw_size(bound)
            }
            #[inline(always)]
            fn raw_encode(&self, w: &mut RecordWriter, bound: usize) {
                (**self).raw_encode(w, bound)
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

/// How the macros record one argument. Implemented by [`RawArg`] and [`FmtArg`].
pub trait EncodeArg {
    /// The argument's type tag.
    fn tag(&self) -> u8;
    /// Whether the value is formatted at the call (its size is known only after).
    fn is_fmt(&self) -> bool;
    /// Bytes the argument takes (for formatted ones: the least it takes).
    fn size(&self, bound: usize) -> usize;
    /// Writes the argument.
    fn encode(&self, w: &mut RecordWriter, bound: usize);
}

/// An argument of a raw type.
#[derive(Debug)]
pub struct RawArg<'a, T: ?Sized>(pub &'a T);

impl<T: Raw + ?Sized> EncodeArg for RawArg<'_, T> {
    #[inline(always)]
    fn tag(&self) -> u8 {
        T::TYPE as u8
    }
    #[inline(always)]
    fn is_fmt(&self) -> bool {
        false
    }
    #[inline(always)]
    fn size(&self, bound: usize) -> usize {
        self.0.raw_size(bound)
    }
    #[inline(always)]
    fn encode(&self, w: &mut RecordWriter, bound: usize) {
        self.0.raw_encode(w, bound)
    }
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
    fn tag(&self) -> u8 {
        ArgType::Formatted as u8
    }
    #[inline(always)]
    fn is_fmt(&self) -> bool {
        true
    }
    #[inline(always)]
    fn size(&self, _: usize) -> usize {
        self.slots
    }
    #[inline(always)]
    fn encode(&self, w: &mut RecordWriter, bound: usize) {
        let per_slot = (bound / self.slots.max(1)).max(1);
        for slot in 0..self.slots {
            let mut sink = FmtSink { w: &mut *w, left: per_slot, cut: 0 };
            // A `Display` impl that fails leaves what it wrote; `format!` would
            // panic here instead.
            let _ = (self.f)(&mut sink, slot);
            sink.finish();
        }
    }
}

/// Where a value formatted at the call goes: straight into the record, cut (on a
/// char boundary) after the argument's bound.
pub struct FmtSink<'w> {
    w: &'w mut RecordWriter,
    left: usize,
    cut: u64,
}

impl fmt::Debug for FmtSink<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FmtSink").field("left", &self.left).field("cut", &self.cut).finish()
    }
}

impl FmtSink<'_> {
    fn finish(self) {
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
            self.w.put_bounded(s.as_bytes());
        } else {
            let n = floor_boundary(s, self.left.saturating_sub(5).min(s.len()));
            self.w.put_bounded(&s.as_bytes()[..n]);
            self.left -= n;
            self.cut = (s.len() - n) as u64;
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
pub trait ViaRaw<'a, T: ?Sized> {
    /// Records the argument raw.
    fn __ttlog_arg<F>(self, slots: usize, f: F) -> RawArg<'a, T>
    where
        F: Fn(&mut FmtSink<'_>, usize) -> fmt::Result;
}

impl<'a, T: Raw + ?Sized> ViaRaw<'a, T> for &Probe<'a, T> {
    #[inline(always)]
    fn __ttlog_arg<F>(self, _slots: usize, _f: F) -> RawArg<'a, T>
    where
        F: Fn(&mut FmtSink<'_>, usize) -> fmt::Result,
    {
        RawArg(self.0)
    }
}

/// Chosen for every other argument: formatted at the call with `f`.
pub trait ViaFmt {
    /// Records the argument formatted.
    fn __ttlog_arg<F>(self, slots: usize, f: F) -> FmtArg<F>
    where
        F: Fn(&mut FmtSink<'_>, usize) -> fmt::Result;
}

impl<T: ?Sized> ViaFmt for Probe<'_, T> {
    #[inline(always)]
    fn __ttlog_arg<F>(self, slots: usize, f: F) -> FmtArg<F>
    where
        F: Fn(&mut FmtSink<'_>, usize) -> fmt::Result,
    {
        FmtArg { f, slots }
    }
}
