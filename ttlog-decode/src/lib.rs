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
//!
//! The modules follow the data: a reader turns the bytes into a [`Snapshot`]
//! (the model, [`snapshot`] and [`value`]) whose events are in file order;
//! they are then put in time order, and [`calls`] pairs the calls; [`render`]
//! reads the result. [`from_bytes`] runs these steps in that order.
//!
//! For analysis without text: [`filter`] chooses events by level, thread,
//! target, callsite, field and time; [`merge`] puts the events of several
//! snapshots in one time order, each event of one process once; [`stats`]
//! counts events and [`agg`] summarises a numeric argument. [`stream`] reads
//! a file of any size a frame at a time, with bounded memory, and
//! [`follow`] a continuous log as it is written; [`console`] renders a log's
//! bytes as they are written (the console of `ttlog`'s `console` feature).
#![warn(missing_docs)]

mod decode;
mod error;
mod order;
mod read;
mod record;

pub mod agg;
pub mod calls;
pub mod console;
pub mod export;
pub mod filter;
pub mod follow;
pub mod merge;
pub mod render;
pub mod snapshot;
pub mod stats;
pub mod stream;
pub mod value;

#[cfg(test)]
#[path = "../tests/support/rng.rs"]
mod rng;

pub use decode::{from_bytes, read_file};
pub use error::Error;
pub use snapshot::{ArgRange, Event, Problem, Snapshot};
pub use value::{Args, Formatted, Text, Value};
