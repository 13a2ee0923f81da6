//! Callsite metadata: everything about a log call that is known at compile time.
//!
//! The event macros parse the format string and emit one `static` [`Callsite`] per
//! call, built by `const fn`s, and submit a reference to it through `inventory`. At
//! run time an event carries only the callsite's numeric id; the snapshot writer maps
//! ids back to these statics and copies the metadata into the file, so that the
//! decoder can render text without the binary.
//!
//! The pieces of the message are already parsed: the decoder renders from
//! [`Piece`]s and [`Spec`]s and never sees a format string.

use crate::level::Level;

/// The metadata of one log call, fixed at compile time.
#[derive(Debug)]
pub struct Callsite {
    /// Severity of the event.
    pub level: Level,
    /// What kind of record this callsite writes.
    pub kind: CallsiteKind,
    /// Name: for events the module path, for `#[ttlog]` functions `module::function`.
    pub name: &'static str,
    /// The target, `module_path!()` unless the call gave `target:`.
    pub target: &'static str,
    /// Source file, as `file!()` gives it.
    pub file: &'static str,
    /// Source line.
    pub line: u32,
    /// The message: literal text and references to argument slots.
    pub pieces: &'static [Piece],
    /// The recorded arguments, in recording order.
    pub args: &'static [ArgMeta],
}

/// What a callsite records.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum CallsiteKind {
    /// A plain event from `info!` and friends.
    Event = 0,
    /// Entry into a function instrumented with `#[ttlog]`.
    Enter = 1,
    /// Exit from a function instrumented with `#[ttlog]`.
    Exit = 2,
}

impl CallsiteKind {
    /// The kind with the given wire value.
    pub const fn from_u8(v: u8) -> Option<Self> {
        match v {
            0 => Some(Self::Event),
            1 => Some(Self::Enter),
            2 => Some(Self::Exit),
            _ => None,
        }
    }
}

/// One piece of a parsed message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Piece {
    /// Literal text, with `{{` and `}}` already unescaped.
    Lit(&'static str),
    /// An argument rendered with one of its specs: `args[arg].specs[slot]`.
    Arg {
        /// Index into [`Callsite::args`].
        arg: u16,
        /// Index into that argument's [`ArgMeta::specs`].
        slot: u16,
    },
}

/// What role an argument plays in the call.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum ArgRole {
    /// A positional argument (`{}`, `{0}`).
    Positional = 0,
    /// A named argument used by the message (`{name}` with `name = expr`), or an
    /// identifier captured from the surrounding scope (`{name}` alone).
    Named = 1,
    /// A named argument that the message does not use: a structured field,
    /// rendered after the message as `name=value`.
    Field = 2,
    /// The per-call id (a `u64`) that pairs the entry and exit events of one
    /// call of a `#[ttlog]` function: the first argument of both.
    CallId = 3,
    /// How a call of a `#[ttlog]` function ended (a `u8`, see [`Outcome`]): the
    /// second argument of its exit events.
    Outcome = 4,
}

impl ArgRole {
    /// The role with the given wire value.
    pub const fn from_u8(v: u8) -> Option<Self> {
        match v {
            0 => Some(Self::Positional),
            1 => Some(Self::Named),
            2 => Some(Self::Field),
            3 => Some(Self::CallId),
            4 => Some(Self::Outcome),
            _ => None,
        }
    }
}

/// How a call of a `#[ttlog]` function ended, as its exit event records it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum Outcome {
    /// It returned (by its last expression, `return` or `?`).
    Returned = 0,
    /// It returned an `Err` (known only with the `ret` or `err` option).
    Err = 1,
    /// A panic unwound out of it.
    Panicked = 2,
    /// An `async fn` whose future was dropped before it completed.
    Cancelled = 3,
}

impl Outcome {
    /// The outcome with the given wire value.
    pub const fn from_u8(v: u8) -> Option<Self> {
        match v {
            0 => Some(Self::Returned),
            1 => Some(Self::Err),
            2 => Some(Self::Panicked),
            3 => Some(Self::Cancelled),
            _ => None,
        }
    }
}

/// One recorded argument of a callsite.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ArgMeta {
    /// The argument's name: the identifier for named arguments and fields, the
    /// expression's text for positional ones (kept for diagnostics and JSON).
    pub name: &'static str,
    /// Positional, named, or field.
    pub role: ArgRole,
    /// The distinct format specs the message applies to this argument. A value of a
    /// raw type is recorded once and rendered with each spec at decode time; a value
    /// of any other type is formatted at the call once per spec, in this order.
    pub specs: &'static [Spec],
}

/// A parsed format spec: everything between `:` and `}` in `{0:>8.3x}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Spec {
    /// Fill character (`' '` unless given).
    pub fill: char,
    /// Alignment, if given.
    pub align: Align,
    /// `+` or `-`, if given.
    pub sign: Sign,
    /// The `#` flag.
    pub alternate: bool,
    /// The `0` flag.
    pub zero: bool,
    /// Minimum width.
    pub width: Count,
    /// Precision.
    pub precision: Count,
    /// Which formatting trait renders the value.
    pub ty: FmtType,
}

impl Spec {
    /// `{}`: Display with no options.
    pub const DISPLAY: Spec = Spec {
        fill: ' ',
        align: Align::Unknown,
        sign: Sign::None,
        alternate: false,
        zero: false,
        width: Count::Implied,
        precision: Count::Implied,
        ty: FmtType::Display,
    };

    /// `{:?}`: Debug with no options.
    pub const DEBUG: Spec = Spec {
        ty: FmtType::Debug,
        ..Spec::DISPLAY
    };
}

/// Alignment of a padded value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum Align {
    /// No alignment given: the type's default (left for text, right for numbers).
    Unknown = 0,
    /// `<`
    Left = 1,
    /// `^`
    Center = 2,
    /// `>`
    Right = 3,
}

/// Sign flag of a spec.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum Sign {
    /// No sign flag.
    None = 0,
    /// `+`: always print the sign.
    Plus = 1,
    /// `-`: accepted by `format!` and currently without effect.
    Minus = 2,
}

/// A width or precision.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Count {
    /// Not given.
    Implied,
    /// A literal number, `{:8}`.
    Is(u16),
    /// Taken from a recorded argument (a `usize`), `{:1$}`, `{:width$}` or `{:.*}`:
    /// the index into [`Callsite::args`].
    Arg(u16),
}

/// The formatting trait a spec selects.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum FmtType {
    /// `{}`
    Display = 0,
    /// `{:?}`
    Debug = 1,
    /// `{:x?}`
    DebugLowerHex = 2,
    /// `{:X?}`
    DebugUpperHex = 3,
    /// `{:x}`
    LowerHex = 4,
    /// `{:X}`
    UpperHex = 5,
    /// `{:o}`
    Octal = 6,
    /// `{:b}`
    Binary = 7,
    /// `{:e}`
    LowerExp = 8,
    /// `{:E}`
    UpperExp = 9,
    /// `{:p}`: always formatted at the call, since only the call has the address.
    Pointer = 10,
}

impl FmtType {
    /// The type with the given wire value.
    pub const fn from_u8(v: u8) -> Option<Self> {
        Some(match v {
            0 => Self::Display,
            1 => Self::Debug,
            2 => Self::DebugLowerHex,
            3 => Self::DebugUpperHex,
            4 => Self::LowerHex,
            5 => Self::UpperHex,
            6 => Self::Octal,
            7 => Self::Binary,
            8 => Self::LowerExp,
            9 => Self::UpperExp,
            10 => Self::Pointer,
            _ => return None,
        })
    }
}

/// The type of a recorded argument value, as the event's record gives it.
///
/// The callsite cannot know these: a `static` inside a generic function is shared
/// by all its instantiations, so the types travel with each event (four bits per
/// argument, inside the record header) and the snapshot interns each distinct
/// (callsite, types) pair once.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u8)]
pub enum ArgType {
    /// `u8`
    U8 = 0,
    /// `u16`
    U16 = 1,
    /// `u32`
    U32 = 2,
    /// `u64`, and `usize` on 64-bit targets
    U64 = 3,
    /// `u128`
    U128 = 4,
    /// `i8`
    I8 = 5,
    /// `i16`
    I16 = 6,
    /// `i32`
    I32 = 7,
    /// `i64`, and `isize` on 64-bit targets
    I64 = 8,
    /// `i128`
    I128 = 9,
    /// `f32`
    F32 = 10,
    /// `f64`
    F64 = 11,
    /// `bool`
    Bool = 12,
    /// `char`
    Char = 13,
    /// `str` and its owners: recorded as UTF-8 bytes, rendered at decode time.
    Str = 14,
    /// Any other type: formatted at the call, once per spec of the argument, into
    /// the record; rendered verbatim.
    Formatted = 15,
}

impl ArgType {
    /// Every type, in tag order (`ALL[t]` has tag `t`).
    pub const ALL: [ArgType; 16] = [
        Self::U8,
        Self::U16,
        Self::U32,
        Self::U64,
        Self::U128,
        Self::I8,
        Self::I16,
        Self::I32,
        Self::I64,
        Self::I128,
        Self::F32,
        Self::F64,
        Self::Bool,
        Self::Char,
        Self::Str,
        Self::Formatted,
    ];

    /// The type with the given 4-bit tag.
    pub const fn from_tag(tag: u8) -> Option<Self> {
        Some(match tag {
            0 => Self::U8,
            1 => Self::U16,
            2 => Self::U32,
            3 => Self::U64,
            4 => Self::U128,
            5 => Self::I8,
            6 => Self::I16,
            7 => Self::I32,
            8 => Self::I64,
            9 => Self::I128,
            10 => Self::F32,
            11 => Self::F64,
            12 => Self::Bool,
            13 => Self::Char,
            14 => Self::Str,
            15 => Self::Formatted,
            _ => return None,
        })
    }

    /// The Rust name of the type, for diagnostics.
    pub const fn name(self) -> &'static str {
        match self {
            Self::U8 => "u8",
            Self::U16 => "u16",
            Self::U32 => "u32",
            Self::U64 => "u64",
            Self::U128 => "u128",
            Self::I8 => "i8",
            Self::I16 => "i16",
            Self::I32 => "i32",
            Self::I64 => "i64",
            Self::I128 => "i128",
            Self::F32 => "f32",
            Self::F64 => "f64",
            Self::Bool => "bool",
            Self::Char => "char",
            Self::Str => "str",
            Self::Formatted => "formatted",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::ArgType;

    #[test]
    fn all_arg_types_are_in_tag_order() {
        for (tag, ty) in ArgType::ALL.into_iter().enumerate() {
            assert_eq!(ArgType::from_tag(tag as u8), Some(ty));
            assert_eq!(ty as u8, tag as u8);
        }
        assert_eq!(ArgType::from_tag(16), None);
    }
}
