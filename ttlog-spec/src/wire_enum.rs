//! [`wire_enum!`](crate::wire_enum): an enum whose values are tags in the file
//! format, with its conversions generated from the one list of its variants.

/// Declares a fieldless `#[repr(u8)]` enum whose variants are written to files
/// as their tags, and generates from the same list of variants the associated
/// items asked for after it.
///
/// Each variant has an explicit tag and, optionally, a text (`=> "text"`).
/// The variants must be declared in increasing tag order (checked at compile
/// time), so that the list of all variants is in tag order too. After the
/// enum come the items to generate, written as their signatures, each with its
/// own attributes (its documentation) and visibility:
///
/// | item | what it is |
/// | --- | --- |
/// | `const fn f(tag: u8) -> Option<Self>;` | the variant with that tag, `None` for any other value |
/// | `const ALL: [Self; _];` | every variant, in tag order |
/// | `const fn variant_name(self) -> &'static str;` | the variant's identifier, as Rust code names it |
/// | `const fn f(self) -> &'static str;` (any other name) | the variant's text; every variant must have one |
///
/// ```
/// ttlog_spec::wire_enum! {
///     /// A colour.
///     #[derive(Clone, Copy, Debug, PartialEq, Eq)]
///     pub enum Colour {
///         /// Red.
///         Red = 1 => "red",
///         /// Green.
///         Green = 4 => "green",
///     }
///     /// The colour with the given tag.
///     pub const fn from_u8(tag: u8) -> Option<Self>;
///     /// Every colour, in tag order.
///     pub const ALL: [Self; _];
///     /// The colour's name in lower case.
///     pub const fn name(self) -> &'static str;
///     /// The variant's identifier.
///     pub const fn variant_name(self) -> &'static str;
/// }
///
/// assert_eq!(Colour::from_u8(4), Some(Colour::Green));
/// assert_eq!(Colour::from_u8(2), None);
/// assert_eq!(Colour::ALL, [Colour::Red, Colour::Green]);
/// assert_eq!(Colour::Green as u8, 4);
/// assert_eq!(Colour::Green.name(), "green");
/// assert_eq!(Colour::Green.variant_name(), "Green");
/// ```
///
/// Variants out of tag order are a compile error:
///
/// ```compile_fail
/// ttlog_spec::wire_enum! {
///     pub enum Backwards {
///         Two = 2,
///         One = 1,
///     }
/// }
/// ```
///
/// So is a text function when a variant has no text:
///
/// ```compile_fail
/// ttlog_spec::wire_enum! {
///     pub enum Unnamed {
///         Named = 0 => "named",
///         Nameless = 1,
///     }
///     pub const fn name(self) -> &'static str;
/// }
/// ```
#[macro_export]
macro_rules! wire_enum {
    // One text, or the error that there is none.
    (@text $name:ident::$variant:ident $text:literal) => {
        $text
    };
    (@text $name:ident::$variant:ident) => {
        ::core::compile_error!(::core::concat!(
            "`", ::core::stringify!($name), "::", ::core::stringify!($variant), "` has no text: write `",
            ::core::stringify!($variant), " = tag => \"text\"`"
        ))
    };

    // The items, one at a time.
    (@items $name:ident $variants:tt) => {};
    (@items $name:ident [$($variant:ident = $tag:literal $(=> $text:literal)?),+]
        $(#[$m:meta])* $vis:vis const fn $f:ident($arg:ident: u8) -> Option<Self>; $($rest:tt)*
    ) => {
        $(#[$m])*
        #[inline]
        $vis const fn $f($arg: u8) -> ::core::option::Option<Self> {
            match $arg {
                $($tag => ::core::option::Option::Some(Self::$variant),)+
                _ => ::core::option::Option::None,
            }
        }
        $crate::wire_enum!(@items $name [$($variant = $tag $(=> $text)?),+] $($rest)*);
    };
    (@items $name:ident [$($variant:ident = $tag:literal $(=> $text:literal)?),+]
        $(#[$m:meta])* $vis:vis const $all:ident: [Self; _]; $($rest:tt)*
    ) => {
        $(#[$m])*
        $vis const $all: [$name; [$($name::$variant),+].len()] = [$(Self::$variant),+];
        $crate::wire_enum!(@items $name [$($variant = $tag $(=> $text)?),+] $($rest)*);
    };
    (@items $name:ident [$($variant:ident = $tag:literal $(=> $text:literal)?),+]
        $(#[$m:meta])* $vis:vis const fn variant_name(self) -> &'static str; $($rest:tt)*
    ) => {
        $(#[$m])*
        #[inline]
        $vis const fn variant_name(self) -> &'static str {
            match self {
                $(Self::$variant => ::core::stringify!($variant),)+
            }
        }
        $crate::wire_enum!(@items $name [$($variant = $tag $(=> $text)?),+] $($rest)*);
    };
    (@items $name:ident [$($variant:ident = $tag:literal $(=> $text:literal)?),+]
        $(#[$m:meta])* $vis:vis const fn $f:ident(self) -> &'static str; $($rest:tt)*
    ) => {
        $(#[$m])*
        #[inline]
        $vis const fn $f(self) -> &'static str {
            match self {
                $(Self::$variant => $crate::wire_enum!(@text $name::$variant $($text)?),)+
            }
        }
        $crate::wire_enum!(@items $name [$($variant = $tag $(=> $text)?),+] $($rest)*);
    };

    // The enum.
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $($(#[$vmeta:meta])* $variant:ident = $tag:literal $(=> $text:literal)?),+ $(,)?
        }
        $($items:tt)*
    ) => {
        $(#[$meta])*
        #[repr(u8)]
        $vis enum $name {
            $($(#[$vmeta])* $variant = $tag,)+
        }

        const _: () = {
            let tags: &[u8] = &[$($tag),+];
            let mut i = 1;
            while i < tags.len() {
                ::core::assert!(
                    tags[i - 1] < tags[i],
                    ::core::concat!("the variants of `", ::core::stringify!($name), "` must be in increasing tag order")
                );
                i += 1;
            }
        };

        impl $name {
            $crate::wire_enum!(@items $name [$($variant = $tag $(=> $text)?),+] $($items)*);
        }
    };
}
