//! Compile-time logging with a flight recorder.
//!
//! The event macros parse their format string at compile time, check it against
//! the arguments as `format!` does, and register the callsite's metadata once. At
//! run time a log call writes a callsite id, a timestamp and the raw bytes of its
//! arguments into the calling thread's ring buffer: no formatting, no allocation,
//! no lock, no system call. [`snapshot`] copies every thread's ring; the
//! `ttlog-decode` tool (and library) turns the file back into text or JSON.
//!
//! ```
//! let id = 42u64;
//! let micros = 250u32;
//! let host = "db-1";
//! ttlog::info!("request {} took {} us on {}", id, micros, host);
//!
//! let path = std::path::Path::new("/var/data");
//! let delay_ms = 100;
//! ttlog::warn!("retrying {path:?} in {delay_ms:>5} ms", attempt = 3); // `attempt` is a field
//!
//! let snap = ttlog::snapshot("manual");
//! # let dir = std::env::temp_dir().join(format!("ttlog-doc-{}", std::process::id()));
//! # std::fs::create_dir_all(&dir)?;
//! # let file = dir.join("app.ttlog");
//! snap.save(&file)?; // then: ttlog-decode app.ttlog
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! # What is recorded raw, and what is formatted at the call
//!
//! Integers of every width, `f32`, `f64`, `bool`, `char`, `&str`, `String` (and
//! `Box`, `Rc`, `Arc`, `Cow` and references of these) are copied as bytes and
//! formatted only by the decoder, which reproduces `format!`'s output byte for
//! byte. A value of any other type that implements the trait its placeholder
//! asks for (`Display` for `{}`, `Debug` for `{:?}`, ...) is formatted at the
//! call, with the placeholder's spec, directly into the thread's buffer, without
//! a heap allocation. Whatever `format!` accepts, these macros accept.
//!
//! A string argument keeps at most [`STR_MAX`] bytes (less when an event has
//! very many arguments, so that every event fits in a buffer block); the decoder
//! shows a cut string with a visible `…[N bytes cut]` marker.
//!
//! # Levels
//!
//! Events above the compile-time maximum ([`STATIC_MAX_LEVEL`], chosen with the
//! cargo features `max_level_*` and `release_max_level_*`) are removed by the
//! compiler. The runtime maximum starts at `TTLOG_LEVEL` (`off`, `error`, `warn`,
//! `info`, `debug`, `trace`; default `info`) and changes with
//! [`set_max_level`].
//!
//! # Buffers
//!
//! Each thread that logs gets a ring of [`DEFAULT_BUFFER_SIZE`] bytes (see
//! [`Builder::buffer_size`]) that overwrites its oldest events. A snapshot
//! reports, per thread, how many events were overwritten before it copied the
//! ring. All rings together stay within a memory budget ([`Builder::memory_budget`]).
#![warn(missing_docs)]

mod buffer;
pub mod callsite;
pub mod clock;
mod config;
mod crash;
pub mod level;
mod registry;
mod snapshot;
mod sync;
pub mod wire;
mod write;

#[doc(hidden)]
#[path = "private.rs"]
pub mod __private;

pub use clock::Clock;
pub use config::{Builder, InitError, DEFAULT_BUFFER_SIZE, DEFAULT_MEMORY_BUDGET, DEFAULT_SNAPSHOT_SIGNAL};
pub use crash::{snapshot_dir, FATAL_SIGNALS};
pub use level::{max_level, set_max_level, Level, LevelFilter, ParseLevelError, STATIC_MAX_LEVEL};
pub use registry::{buffer_stats, BufferStats};
pub use snapshot::{snapshot, Snapshot, ThreadSnapshot};
pub use write::args::{Raw, STR_MAX};

/// Records an event at a level given as the first argument.
///
/// ```
/// use ttlog::Level;
/// ttlog::event!(Level::WARN, "disk {}% full", 91u8);
/// ```
///
/// The level must be one of `Level::ERROR`, `WARN`, `INFO`, `DEBUG`, `TRACE`
/// (or `Level::Error` .. `Level::Trace`), written as a path: it is needed at
/// compile time.
///
/// ```compile_fail
/// let level = ttlog::Level::INFO;
/// ttlog::event!(level, "not a constant level");
/// ```
#[macro_export]
macro_rules! event {
    ($($arg:tt)*) => { $crate::__private::event!($crate, @ $($arg)*) };
}

/// Records an event at the ERROR level. See [`info!`] for the syntax.
#[macro_export]
macro_rules! error {
    ($($arg:tt)*) => { $crate::__private::event!($crate, Error, $($arg)*) };
}

/// Records an event at the WARN level. See [`info!`] for the syntax.
#[macro_export]
macro_rules! warn {
    ($($arg:tt)*) => { $crate::__private::event!($crate, Warn, $($arg)*) };
}

/// Records an event at the INFO level.
///
/// The syntax is `format!`'s: a string literal, then positional arguments, then
/// named arguments; identifiers in the string are captured from the scope.
/// Named arguments that the message does not use are structured fields,
/// rendered after the message as `name=value` (`name = ?expr` renders with
/// `Debug`, `name = %expr` with `Display`). An optional `target: "name",` first
/// replaces the module path.
///
/// ```
/// let user = "ana";
/// let bytes = 1_500_000u64;
/// ttlog::info!("{user} uploaded {:>10} bytes", bytes, shard = 7u16);
/// ttlog::info!(target: "audit", "login by {}", user);
/// ```
///
/// A format string that `format!` would reject is a compile error:
///
/// ```compile_fail
/// ttlog::info!("{} and {}", 1);
/// ```
#[macro_export]
macro_rules! info {
    ($($arg:tt)*) => { $crate::__private::event!($crate, Info, $($arg)*) };
}

/// Records an event at the DEBUG level. See [`info!`] for the syntax.
#[macro_export]
macro_rules! debug {
    ($($arg:tt)*) => { $crate::__private::event!($crate, Debug, $($arg)*) };
}

/// Records an event at the TRACE level. See [`info!`] for the syntax.
#[macro_export]
macro_rules! trace {
    ($($arg:tt)*) => { $crate::__private::event!($crate, Trace, $($arg)*) };
}
