//! The definitions that `ttlog` and `ttlog-macros` must agree on, written once.
//!
//! The macros parse format strings into [`Align`], [`Sign`] and [`FmtType`],
//! give each argument an [`ArgRole`], check the [`Level`] a call names and the
//! number of arguments against [`MAX_ARGS`], and generate code that names the
//! runtime's variants; the runtime writes the same values into snapshot files
//! as their tags. Both use these types, and `ttlog` re-exports them where its
//! users find them (`ttlog::Level`, `ttlog::callsite::Align`, ...). Use them
//! through `ttlog`: this crate is an implementation detail, pinned exactly by
//! both.
//!
//! [`wire_enum!`] declares each such enum once, with its tags, and generates
//! its conversions; `ttlog` declares its other wire enums with it too.
//!
//! The crate has no dependencies, so that it builds alongside `syn` and never
//! delays the macros.
#![warn(missing_docs)]

mod callsite;
mod level;
mod wire_enum;

pub use callsite::{Align, ArgRole, FmtType, MAX_ARGS, Sign};
pub use level::{Level, ParseLevelError};
