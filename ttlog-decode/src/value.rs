//! Decoded argument values.
//!
//! The reader turns the raw bytes of a record into argument values, typed as
//! the arguments were at the call, and keeps them compactly in the
//! [`Snapshot`](crate::Snapshot): numbers inline, the bytes of all recorded
//! strings one after the other in one buffer. [`Snapshot::args`](crate::Snapshot::args)
//! gives an event's arguments as [`Args`], whose [`Value`]s borrow their text
//! from the snapshot; the renderer turns them into text.
//!
//! ```
//! use ttlog_decode::{Snapshot, Text, Value};
//!
//! let mut snap = Snapshot::default();
//! snap.push_event(0, 0, 0, [Value::U32(42), Value::Str(Text::whole("db-1"))]);
//! let args = snap.args(&snap.events[0]);
//! assert_eq!(args.len(), 2);
//! assert_eq!(args.get(0), Some(Value::U32(42)));
//! match args.get(1) {
//!     Some(Value::Str(host)) => assert_eq!(host.text, "db-1"),
//!     other => panic!("{other:?}"),
//! }
//! ```

use core::fmt;
use ttlog_core::callsite::ArgType;

/// A decoded argument value, typed as it was at the call. Text borrows from
/// the [`Snapshot`](crate::Snapshot) it was decoded into.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Value<'a> {
    /// `u8`
    U8(u8),
    /// `u16`
    U16(u16),
    /// `u32`
    U32(u32),
    /// `u64`, and `usize` on 64-bit targets
    U64(u64),
    /// `u128`
    U128(u128),
    /// `i8`
    I8(i8),
    /// `i16`
    I16(i16),
    /// `i32`
    I32(i32),
    /// `i64`, and `isize` on 64-bit targets
    I64(i64),
    /// `i128`
    I128(i128),
    /// `f32`
    F32(f32),
    /// `f64`
    F64(f64),
    /// `bool`
    Bool(bool),
    /// `char`
    Char(char),
    /// `str` and its owners, recorded as UTF-8 and rendered at decode time.
    Str(Text<'a>),
    /// Any other type, formatted at the call: one text per spec of the argument,
    /// in the order of [`ArgMeta::specs`](ttlog_core::callsite::ArgMeta::specs).
    Formatted(Formatted<'a>),
}

/// Text recorded at the call; `truncated` is the number of bytes cut off (0 when whole).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Text<'a> {
    /// The recorded text: whole, or the longest prefix that fitted, cut at a
    /// character boundary.
    pub text: &'a str,
    /// How many bytes of the original text were not recorded.
    pub truncated: u64,
}

impl<'a> Text<'a> {
    /// Text recorded whole.
    pub const fn whole(text: &'a str) -> Self {
        Text { text, truncated: 0 }
    }

    /// Whether bytes were cut off at the call.
    pub fn is_truncated(&self) -> bool {
        self.truncated != 0
    }
}

/// The texts of a [`Value::Formatted`] argument: one per spec of the argument.
#[derive(Clone, Copy)]
pub struct Formatted<'a> {
    texts: Texts<'a>,
}

/// Where the texts of a [`Formatted`] are.
#[derive(Clone, Copy)]
enum Texts<'a> {
    /// In a snapshot's store.
    Stored { spans: &'a [Span], text: &'a str },
    /// Given by the caller.
    Given(&'a [Text<'a>]),
    /// A value of a type that derives `ttlog::Record`, rendered when it was
    /// read: its `Debug`, pretty `Debug`, display and JSON texts.
    Record { spans: &'a [Span], text: &'a str },
}

impl<'a> Formatted<'a> {
    /// Formatted texts given by the caller (for tools that build snapshots:
    /// see [`Snapshot::push_event`](crate::Snapshot::push_event)).
    pub const fn new(texts: &'a [Text<'a>]) -> Self {
        Formatted { texts: Texts::Given(texts) }
    }

    /// How many texts there are (one for a derived record's value, which
    /// renders for every spec: see [`Formatted::for_spec`]).
    pub fn len(&self) -> usize {
        match self.texts {
            Texts::Stored { spans, .. } => spans.len(),
            Texts::Given(texts) => texts.len(),
            Texts::Record { .. } => 1,
        }
    }

    /// The text of the argument's `i`-th spec, which is `spec`: for a value
    /// formatted at the call, the `i`-th text; for a derived record's value
    /// (recorded raw), its rendering for `spec` (`{}`, `{:?}` or `{:#?}`).
    pub fn for_spec(&self, i: usize, spec: &ttlog_core::callsite::Spec) -> Option<Text<'a>> {
        match self.texts {
            Texts::Record { spans, text } => {
                let k = match (spec.ty, spec.alternate) {
                    (ttlog_core::callsite::FmtType::Display, _) => 2,
                    (_, true) => 1,
                    _ => 0,
                };
                spans.get(k).map(|s| s.text(text))
            }
            _ => self.get(i),
        }
    }

    /// A derived record's value as JSON (an object of its fields: see the
    /// README), or `None` for text formatted at the call.
    pub fn json(&self) -> Option<&'a str> {
        match self.texts {
            Texts::Record { spans, text } => spans.get(3).map(|s| s.text(text).text),
            _ => None,
        }
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The `i`-th text (that of the argument's `i`-th spec; a derived
    /// record's `Debug` text for `i == 0`).
    pub fn get(&self, i: usize) -> Option<Text<'a>> {
        match self.texts {
            Texts::Stored { spans, text } => spans.get(i).map(|s| s.text(text)),
            Texts::Given(texts) => texts.get(i).copied(),
            Texts::Record { spans, text } => spans.get(i).filter(|_| i == 0).map(|s| s.text(text)),
        }
    }

    /// The texts in order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = Text<'a>> + 'a {
        let this = *self;
        (0..this.len()).map(move |i| this.get(i).unwrap_or_default())
    }
}

impl fmt::Debug for Formatted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl PartialEq for Formatted<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter())
    }
}

impl Value<'_> {
    /// The wire type of the value.
    pub fn arg_type(&self) -> ArgType {
        match self {
            Value::U8(_) => ArgType::U8,
            Value::U16(_) => ArgType::U16,
            Value::U32(_) => ArgType::U32,
            Value::U64(_) => ArgType::U64,
            Value::U128(_) => ArgType::U128,
            Value::I8(_) => ArgType::I8,
            Value::I16(_) => ArgType::I16,
            Value::I32(_) => ArgType::I32,
            Value::I64(_) => ArgType::I64,
            Value::I128(_) => ArgType::I128,
            Value::F32(_) => ArgType::F32,
            Value::F64(_) => ArgType::F64,
            Value::Bool(_) => ArgType::Bool,
            Value::Char(_) => ArgType::Char,
            Value::Str(_) => ArgType::Str,
            Value::Formatted(_) => ArgType::Formatted,
        }
    }

    /// The Rust name of the value's type (`"u8"`, `"str"`, ...; `"formatted"` for
    /// values formatted at the call), for diagnostics.
    pub fn type_name(&self) -> &'static str {
        self.arg_type().name()
    }

    /// Whether the value is an integer of any width or signedness.
    pub fn is_integer(&self) -> bool {
        matches!(
            self,
            Value::U8(_)
                | Value::U16(_)
                | Value::U32(_)
                | Value::U64(_)
                | Value::U128(_)
                | Value::I8(_)
                | Value::I16(_)
                | Value::I32(_)
                | Value::I64(_)
                | Value::I128(_)
        )
    }

    /// The value as a `usize`, for width and precision arguments (`{:1$}`,
    /// `{:.*}`): `Some` for an integer that fits, `None` for anything else
    /// (a negative or too large integer, or a value of another type).
    pub fn as_usize(&self) -> Option<usize> {
        match *self {
            Value::U8(n) => Some(usize::from(n)),
            Value::U16(n) => Some(usize::from(n)),
            Value::U32(n) => usize::try_from(n).ok(),
            Value::U64(n) => usize::try_from(n).ok(),
            Value::U128(n) => usize::try_from(n).ok(),
            Value::I8(n) => usize::try_from(n).ok(),
            Value::I16(n) => usize::try_from(n).ok(),
            Value::I32(n) => usize::try_from(n).ok(),
            Value::I64(n) => usize::try_from(n).ok(),
            Value::I128(n) => usize::try_from(n).ok(),
            Value::F32(_) | Value::F64(_) | Value::Bool(_) | Value::Char(_) | Value::Str(_) | Value::Formatted(_) => {
                None
            }
        }
    }
}

/// The arguments of one event, in its callsite's order: see
/// [`Snapshot::args`](crate::Snapshot::args).
#[derive(Clone, Copy)]
pub struct Args<'a> {
    slots: &'a [Slot],
    store: &'a Store,
}

impl<'a> Args<'a> {
    /// No arguments.
    pub fn empty() -> Args<'static> {
        static EMPTY: Store = Store::new();
        Args { slots: &[], store: &EMPTY }
    }

    /// How many arguments there are.
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// The `i`-th argument.
    #[inline]
    pub fn get(&self, i: usize) -> Option<Value<'a>> {
        self.slots.get(i).map(|s| self.store.value(*s))
    }

    /// The `i`-th argument as stored.
    #[inline]
    pub(crate) fn slot(&self, i: usize) -> Option<Slot> {
        self.slots.get(i).copied()
    }

    /// The text of a string argument as stored, and the bytes cut.
    #[inline]
    pub(crate) fn text(&self, s: Slot) -> Option<Text<'a>> {
        match s {
            Slot::Str { len, start } => Some(Text::whole(slice(&self.store.text, start, len as usize))),
            Slot::StrSpan(i) => Some(self.store.spans.get(i).map(|s| s.text(&self.store.text)).unwrap_or_default()),
            _ => None,
        }
    }

    /// The value of an argument as stored.
    #[inline]
    pub(crate) fn value(&self, s: Slot) -> Value<'a> {
        self.store.value(s)
    }

    /// The arguments in order.
    pub fn iter(&self) -> ArgsIter<'a> {
        ArgsIter { slots: self.slots.iter(), store: self.store }
    }
}

impl<'a> IntoIterator for Args<'a> {
    type Item = Value<'a>;
    type IntoIter = ArgsIter<'a>;

    fn into_iter(self) -> ArgsIter<'a> {
        self.iter()
    }
}

/// The iterator over [`Args`].
#[derive(Clone, Debug)]
pub struct ArgsIter<'a> {
    slots: core::slice::Iter<'a, Slot>,
    store: &'a Store,
}

impl<'a> Iterator for ArgsIter<'a> {
    type Item = Value<'a>;

    #[inline]
    fn next(&mut self) -> Option<Value<'a>> {
        self.slots.next().map(|s| self.store.value(*s))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.slots.size_hint()
    }
}

impl ExactSizeIterator for ArgsIter<'_> {}

impl DoubleEndedIterator for ArgsIter<'_> {
    fn next_back(&mut self) -> Option<Self::Item> {
        self.slots.next_back().map(|s| self.store.value(*s))
    }
}

impl fmt::Debug for Args<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl PartialEq for Args<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter())
    }
}

/// One stored argument: numbers inline, text as a place in [`Store::text`].
/// Sixteen bytes, and no drop glue.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Slot {
    U8(u8),
    U16(u16),
    U32(u32),
    U64(u64),
    /// Index into [`Store::wide`].
    U128(usize),
    I8(i8),
    I16(i16),
    I32(i32),
    I64(i64),
    /// Index into [`Store::wide`], the bits of the `i128`.
    I128(usize),
    F32(f32),
    F64(f64),
    Bool(bool),
    Char(char),
    /// A whole string: `len` bytes of [`Store::text`] from `start`.
    Str {
        len: u32,
        start: usize,
    },
    /// A string that was cut, or too long for `Str`: index into [`Store::spans`].
    StrSpan(usize),
    /// `len` texts from index `start` of [`Store::spans`].
    Formatted {
        len: u32,
        start: usize,
    },
    /// A derived record's four renderings from index `start` of
    /// [`Store::spans`] (see [`Texts::Record`]).
    Record(usize),
}

/// A place in [`Store::text`], and the bytes cut off at the call.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Span {
    start: usize,
    len: usize,
    cut: u64,
}

impl Span {
    #[inline]
    fn text<'a>(&self, text: &'a str) -> Text<'a> {
        Text { text: slice(text, self.start, self.len), truncated: self.cut }
    }
}

/// `len` bytes of `text` from `start`; empty if that is not a place in it
/// (never for places the store made).
#[inline]
fn slice(text: &str, start: usize, len: usize) -> &str {
    text.get(start..start.saturating_add(len)).unwrap_or_default()
}

/// The arguments of all events of a snapshot.
#[derive(Clone, Debug, Default)]
pub(crate) struct Store {
    pub(crate) slots: Vec<Slot>,
    /// The bytes of every recorded string, one after the other.
    pub(crate) text: String,
    pub(crate) spans: Vec<Span>,
    pub(crate) wide: Vec<u128>,
    /// The file's derived types (TYPE frames), which record values are
    /// rendered with as they are read.
    pub(crate) types: crate::record::Types,
}

/// The sizes of a [`Store`]'s parts, to undo what a failed event added.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Mark {
    slots: usize,
    text: usize,
    spans: usize,
    wide: usize,
}

impl Store {
    pub(crate) const fn new() -> Store {
        Store {
            slots: Vec::new(),
            text: String::new(),
            spans: Vec::new(),
            wide: Vec::new(),
            types: crate::record::Types::new(),
        }
    }

    pub(crate) fn args(&self, range: core::ops::Range<usize>) -> Args<'_> {
        Args { slots: self.slots.get(range).unwrap_or(&[]), store: self }
    }

    pub(crate) fn mark(&self) -> Mark {
        Mark { slots: self.slots.len(), text: self.text.len(), spans: self.spans.len(), wide: self.wide.len() }
    }

    /// Removes what was added since `m`.
    pub(crate) fn undo(&mut self, m: Mark) {
        self.slots.truncate(m.slots);
        self.text.truncate(m.text);
        self.spans.truncate(m.spans);
        self.wide.truncate(m.wide);
    }

    pub(crate) fn clear(&mut self) {
        self.slots.clear();
        self.text.clear();
        self.spans.clear();
        self.wide.clear();
    }

    #[inline]
    pub(crate) fn value(&self, s: Slot) -> Value<'_> {
        match s {
            Slot::U8(v) => Value::U8(v),
            Slot::U16(v) => Value::U16(v),
            Slot::U32(v) => Value::U32(v),
            Slot::U64(v) => Value::U64(v),
            Slot::U128(i) => Value::U128(self.wide.get(i).copied().unwrap_or_default()),
            Slot::I8(v) => Value::I8(v),
            Slot::I16(v) => Value::I16(v),
            Slot::I32(v) => Value::I32(v),
            Slot::I64(v) => Value::I64(v),
            Slot::I128(i) => Value::I128(self.wide.get(i).copied().unwrap_or_default() as i128),
            Slot::F32(v) => Value::F32(v),
            Slot::F64(v) => Value::F64(v),
            Slot::Bool(v) => Value::Bool(v),
            Slot::Char(v) => Value::Char(v),
            Slot::Str { len, start } => Value::Str(Text::whole(slice(&self.text, start, len as usize))),
            Slot::StrSpan(i) => Value::Str(self.spans.get(i).map(|s| s.text(&self.text)).unwrap_or_default()),
            Slot::Formatted { len, start } => {
                let spans = self.spans.get(start..start.saturating_add(len as usize)).unwrap_or(&[]);
                Value::Formatted(Formatted { texts: Texts::Stored { spans, text: &self.text } })
            }
            Slot::Record(start) => {
                let spans = self.spans.get(start..start.saturating_add(4)).unwrap_or(&[]);
                Value::Formatted(Formatted { texts: Texts::Record { spans, text: &self.text } })
            }
        }
    }

    /// Appends a derived record's value from its bytes, rendered with the
    /// file's types; `None` if the bytes hold no value.
    pub(crate) fn push_record(&mut self, bytes: &[u8]) -> Option<Slot> {
        let r = crate::record::render(bytes, &self.types)?;
        let start = self.spans.len();
        for t in [&r.debug, &r.pretty, &r.display, &r.json] {
            self.push_text(t, 0);
        }
        Some(Slot::Record(start))
    }

    /// Appends a 128-bit value's bits; the index to store.
    #[inline]
    pub(crate) fn push_wide(&mut self, bits: u128) -> usize {
        self.wide.push(bits);
        self.wide.len() - 1
    }

    /// Appends a string; the slot that refers to it.
    #[inline]
    pub(crate) fn push_str(&mut self, s: &str, cut: u64) -> Slot {
        let start = self.text.len();
        self.text.push_str(s);
        match u32::try_from(s.len()) {
            Ok(len) if cut == 0 => Slot::Str { len, start },
            _ => {
                self.spans.push(Span { start, len: s.len(), cut });
                Slot::StrSpan(self.spans.len() - 1)
            }
        }
    }

    /// Appends one text of a formatted argument (the texts of one argument
    /// are consecutive in [`Store::spans`]): its index.
    #[inline]
    pub(crate) fn push_text(&mut self, s: &str, cut: u64) -> usize {
        let start = self.text.len();
        self.text.push_str(s);
        self.spans.push(Span { start, len: s.len(), cut });
        self.spans.len() - 1
    }

    /// Appends an argument; the slot that refers to it.
    pub(crate) fn push_value(&mut self, v: Value<'_>) -> Slot {
        match v {
            Value::U8(v) => Slot::U8(v),
            Value::U16(v) => Slot::U16(v),
            Value::U32(v) => Slot::U32(v),
            Value::U64(v) => Slot::U64(v),
            Value::U128(v) => Slot::U128(self.push_wide(v)),
            Value::I8(v) => Slot::I8(v),
            Value::I16(v) => Slot::I16(v),
            Value::I32(v) => Slot::I32(v),
            Value::I64(v) => Slot::I64(v),
            Value::I128(v) => Slot::I128(self.push_wide(v as u128)),
            Value::F32(v) => Slot::F32(v),
            Value::F64(v) => Slot::F64(v),
            Value::Bool(v) => Slot::Bool(v),
            Value::Char(v) => Slot::Char(v),
            Value::Str(t) => self.push_str(t.text, t.truncated),
            Value::Formatted(Formatted { texts: Texts::Record { spans, text } }) => {
                let start = self.spans.len();
                for s in spans {
                    let t = s.text(text);
                    self.push_text(t.text, t.truncated);
                }
                Slot::Record(start)
            }
            Value::Formatted(f) => {
                let start = self.spans.len();
                for t in f.iter() {
                    self.push_text(t.text, t.truncated);
                }
                Slot::Formatted { len: u32::try_from(f.len()).unwrap_or(u32::MAX), start }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn as_usize_takes_integers_that_fit() {
        assert_eq!(Value::U64(7).as_usize(), Some(7));
        assert_eq!(Value::U8(255).as_usize(), Some(255));
        assert_eq!(Value::I32(3).as_usize(), Some(3));
        assert_eq!(Value::I32(-1).as_usize(), None);
        assert_eq!(Value::U128(u128::MAX).as_usize(), None);
        assert_eq!(Value::F64(1.0).as_usize(), None);
        assert_eq!(Value::Str(Text::whole("1")).as_usize(), None);
    }

    #[test]
    fn type_names_follow_the_wire_type() {
        assert_eq!(Value::I128(0).type_name(), "i128");
        assert_eq!(Value::Str(Text::whole("")).type_name(), "str");
        assert_eq!(Value::Formatted(Formatted::new(&[])).type_name(), "formatted");
        assert_eq!(Value::Char('x').arg_type(), ArgType::Char);
        assert!(Value::U16(1).is_integer());
        assert!(!Value::Bool(true).is_integer());
    }

    #[test]
    fn text_truncation() {
        assert!(!Text::whole("abc").is_truncated());
        let cut = Text { text: "ab", truncated: 1 };
        assert!(cut.is_truncated());
    }

    #[test]
    fn slots_are_small() {
        assert_eq!(core::mem::size_of::<Slot>(), 16);
    }

    /// Every kind of value goes into the store and comes back equal.
    #[test]
    fn store_round_trip() {
        let given = [Text::whole("a"), Text { text: "bé", truncated: 9 }];
        let values = [
            Value::U8(1),
            Value::U16(2),
            Value::U32(3),
            Value::U64(u64::MAX),
            Value::U128(u128::MAX - 1),
            Value::I8(-1),
            Value::I16(-2),
            Value::I32(-3),
            Value::I64(i64::MIN),
            Value::I128(i128::MIN + 1),
            Value::F32(1.5),
            Value::F64(-2.25),
            Value::Bool(true),
            Value::Char('é'),
            Value::Str(Text::whole("héllo")),
            Value::Str(Text { text: "cut", truncated: 1 << 40 }),
            Value::Str(Text::whole("")),
            Value::Formatted(Formatted::new(&given)),
            Value::Formatted(Formatted::new(&[])),
        ];
        let mut store = Store::new();
        let mark = store.mark();
        let slots: Vec<Slot> = values.iter().map(|v| store.push_value(*v)).collect();
        store.slots.extend_from_slice(&slots);
        let args = store.args(0..slots.len());
        assert_eq!(args.len(), values.len());
        assert!(args.iter().eq(values.iter().copied()));
        assert!(args.into_iter().eq(values.iter().copied()));
        assert_eq!(
            format!("{:?}", args.get(17)),
            "Some(Formatted([Text { text: \"a\", truncated: 0 }, Text { text: \"bé\", truncated: 9 }]))"
        );
        assert_eq!(args.get(values.len()), None);
        store.undo(mark);
        assert!(store.slots.is_empty() && store.text.is_empty() && store.spans.is_empty() && store.wide.is_empty());
        assert!(Args::empty().is_empty());
    }
}
