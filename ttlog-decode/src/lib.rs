//! Reads ttlog snapshot files and renders their events.
//!
//! ```no_run
//! let snap = ttlog_decode::read_file("app.ttlog")?;
//! for problem in &snap.problems {
//!     eprintln!("warning: {problem}");
//! }
//! for event in &snap.events {
//!     println!("{}", ttlog_decode::render::line::text_line(&snap, event));
//! }
//! # Ok::<(), ttlog_decode::Error>(())
//! ```
//!
//! [`read_file`] and [`from_bytes`] decode a whole snapshot: the header, the
//! callsites (with their parsed format pieces), the threads and the events of
//! all threads merged into timestamp order, each with its typed argument
//! [`Value`]s. [`render`] turns an event into the text `format!` would have
//! produced at the call, a text line, or a JSON object. [`calls`] pairs the
//! entry and exit events of `#[ttlog]` functions: each event knows how many
//! calls were open on its thread, and each exit the elapsed time of its call.
//!
//! Decoding never panics. Input that is not a snapshot is an [`Error`] that
//! names the byte offset; a damaged or truncated snapshot decodes to every event
//! of its intact frames, with a [`Problem`] for each part that was skipped.
#![warn(missing_docs)]

pub mod calls;
pub mod read;
pub mod render;
pub mod value;

pub use read::{from_bytes, read_file, Error, Event, Problem, Snapshot};
pub use value::{Args, Formatted, Text, Value};
