//! The parts of a callsite's metadata that the macros compute: how each
//! argument is formatted and what role it plays, and how many arguments an
//! event may have.

/// The most arguments (message arguments and fields) one event may have.
pub const MAX_ARGS: usize = 200;

crate::wire_enum! {
    /// Alignment of a padded value.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
    pub enum Align {
        /// No alignment given: the type's default (left for text, right for numbers).
        Unknown = 0 => "",
        /// `<`
        Left = 1 => "<",
        /// `^`
        Center = 2 => "^",
        /// `>`
        Right = 3 => ">",
    }
    /// The alignment with the given wire value.
    pub const fn from_u8(v: u8) -> Option<Self>;
    /// Every alignment, in tag order.
    pub const ALL: [Self; _];
    /// How a format spec writes it: `<`, `^`, `>`, or nothing.
    pub const fn syntax(self) -> &'static str;
    /// The variant's name, as the macros' generated code spells it.
    pub const fn variant_name(self) -> &'static str;
}

crate::wire_enum! {
    /// Sign flag of a spec.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
    pub enum Sign {
        /// No sign flag.
        None = 0 => "",
        /// `+`: always print the sign.
        Plus = 1 => "+",
        /// `-`: accepted by `format!` and currently without effect.
        Minus = 2 => "-",
    }
    /// The sign flag with the given wire value.
    pub const fn from_u8(v: u8) -> Option<Self>;
    /// Every sign flag, in tag order.
    pub const ALL: [Self; _];
    /// How a format spec writes it: `+`, `-`, or nothing.
    pub const fn syntax(self) -> &'static str;
    /// The variant's name, as the macros' generated code spells it.
    pub const fn variant_name(self) -> &'static str;
}

crate::wire_enum! {
    /// The formatting trait a spec selects.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
    pub enum FmtType {
        /// `{}`: `Display`.
        Display = 0 => "",
        /// `{:?}`: `Debug`.
        Debug = 1 => "?",
        /// `{:x?}`: `Debug` with integers in lower-case hex.
        DebugLowerHex = 2 => "x?",
        /// `{:X?}`: `Debug` with integers in upper-case hex.
        DebugUpperHex = 3 => "X?",
        /// `{:x}`: `LowerHex`.
        LowerHex = 4 => "x",
        /// `{:X}`: `UpperHex`.
        UpperHex = 5 => "X",
        /// `{:o}`: `Octal`.
        Octal = 6 => "o",
        /// `{:b}`: `Binary`.
        Binary = 7 => "b",
        /// `{:e}`: `LowerExp`.
        LowerExp = 8 => "e",
        /// `{:E}`: `UpperExp`.
        UpperExp = 9 => "E",
        /// `{:p}`: `Pointer`, always formatted at the call, since only the call has the address.
        Pointer = 10 => "p",
    }
    /// The type with the given wire value.
    pub const fn from_u8(v: u8) -> Option<Self>;
    /// Every type, in tag order.
    pub const ALL: [Self; _];
    /// How a format spec writes it, at its end: `?`, `x?`, `X?`, `x`, `X`, `o`, `b`, `e`, `E`, `p`, or
    /// nothing for `Display`.
    pub const fn syntax(self) -> &'static str;
    /// The variant's name, as the macros' generated code spells it.
    pub const fn variant_name(self) -> &'static str;
}

crate::wire_enum! {
    /// What role an argument plays in the call.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
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
        /// How a call of a `#[ttlog]` function ended (a `u8`, see `Outcome` in
        /// `ttlog::callsite`): the second argument of its exit events.
        Outcome = 4,
    }
    /// The role with the given wire value.
    pub const fn from_u8(v: u8) -> Option<Self>;
    /// The variant's name, as the macros' generated code spells it.
    pub const fn variant_name(self) -> &'static str;
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `from_u8` inverts `as u8` on every byte, and knows `n` values.
    fn check_tags<T: Copy + core::fmt::Debug>(from: fn(u8) -> Option<T>, tag: fn(T) -> u8, n: usize) {
        let mut known = 0;
        for v in 0..=u8::MAX {
            if let Some(t) = from(v) {
                assert_eq!(tag(t), v, "{t:?}");
                known += 1;
            }
        }
        assert_eq!(known, n);
    }

    #[test]
    fn tags_round_trip() {
        check_tags(Align::from_u8, |a| a as u8, Align::ALL.len());
        check_tags(Sign::from_u8, |s| s as u8, Sign::ALL.len());
        check_tags(FmtType::from_u8, |t| t as u8, FmtType::ALL.len());
        check_tags(ArgRole::from_u8, |r| r as u8, 5);
        assert_eq!(FmtType::from_u8(10), Some(FmtType::Pointer));
        assert_eq!(FmtType::from_u8(11), None);
    }

    #[test]
    fn all_lists_every_variant_in_tag_order() {
        assert_eq!(Align::ALL.map(|a| a as u8), [0, 1, 2, 3]);
        assert_eq!(Sign::ALL.map(|s| s as u8), [0, 1, 2]);
        assert_eq!(FmtType::ALL.map(|t| t as u8), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    }

    #[test]
    fn names_and_syntax() {
        for a in Align::ALL {
            assert_eq!(a.variant_name(), format!("{a:?}"));
        }
        for s in Sign::ALL {
            assert_eq!(s.variant_name(), format!("{s:?}"));
        }
        for t in FmtType::ALL {
            assert_eq!(t.variant_name(), format!("{t:?}"));
        }
        for v in 0..5 {
            let r = ArgRole::from_u8(v).unwrap();
            assert_eq!(r.variant_name(), format!("{r:?}"));
        }
        assert_eq!(Align::ALL.map(Align::syntax).concat(), "<^>");
        assert_eq!(Sign::ALL.map(Sign::syntax).concat(), "+-");
        assert_eq!(FmtType::ALL.map(FmtType::syntax).concat(), "?x?X?xXobeEp");
    }
}
