//! Rendering decoded values as text.
//!
//! [`spec`] renders one argument with one format spec, byte for byte as
//! `format!` would have at the call; [`time`] writes timestamps.

pub mod spec;
pub mod time;
pub mod line;
pub mod message;
