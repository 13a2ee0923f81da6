//! Decoded argument values.
//!
//! The reader turns the raw bytes of a record into [`Value`]s, typed as the
//! arguments were at the call; the renderer turns them into text.

use ttlog::callsite::ArgType;

/// A decoded argument value, typed as it was at the call.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
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
    Str(Text),
    /// Any other type, formatted at the call: one text per spec of the argument,
    /// in the order of [`ArgMeta::specs`](ttlog::callsite::ArgMeta::specs).
    Formatted(Vec<Text>),
}

/// Text recorded at the call; `truncated` is the number of bytes cut off (0 when whole).
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Text {
    /// The recorded text: whole, or the longest prefix that fitted, cut at a
    /// character boundary.
    pub text: String,
    /// How many bytes of the original text were not recorded.
    pub truncated: u64,
}

impl Text {
    /// Text recorded whole.
    pub fn whole(text: impl Into<String>) -> Self {
        Text {
            text: text.into(),
            truncated: 0,
        }
    }

    /// Whether bytes were cut off at the call.
    pub fn is_truncated(&self) -> bool {
        self.truncated != 0
    }
}

impl Value {
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
            Value::F32(_)
            | Value::F64(_)
            | Value::Bool(_)
            | Value::Char(_)
            | Value::Str(_)
            | Value::Formatted(_) => None,
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
        assert_eq!(Value::Formatted(Vec::new()).type_name(), "formatted");
        assert_eq!(Value::Char('x').arg_type(), ArgType::Char);
        assert!(Value::U16(1).is_integer());
        assert!(!Value::Bool(true).is_integer());
    }

    #[test]
    fn text_truncation() {
        assert!(!Text::whole("abc").is_truncated());
        let cut = Text {
            text: "ab".into(),
            truncated: 1,
        };
        assert!(cut.is_truncated());
    }
}
