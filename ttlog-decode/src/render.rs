//! Rendering decoded values as text.
//!
//! [`spec`] renders one argument with one format spec, byte for byte as
//! `format!` would have at the call; [`message`] renders an event's message
//! and fields from its callsite's parsed pieces; [`line`](mod@line) an event as a text
//! line or a JSON object; [`time`] writes timestamps; [`escape`] makes
//! control characters visible; [`terminal`] writes lines as `ttlog-decode`
//! prints them (escaped, levels coloured).

mod digits;
pub mod escape;
pub mod line;
pub mod message;
pub mod spec;
pub mod terminal;
pub mod time;
