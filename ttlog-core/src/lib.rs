//! The run time of [ttlog](https://docs.rs/ttlog): the per-thread rings,
//! snapshots, crash capture, the continuous log and the bridges.
//!
//! Use it through the `ttlog` crate, which re-exports all of it beside the
//! event macros and `#[ttlog]`. It is a crate of its own so that it builds
//! while the proc macros (and syn) do, instead of after them.
#![warn(missing_docs)]

#[cfg(any(feature = "log", feature = "tracing"))]
pub mod bridge;
mod buffer;
pub mod callsite;
pub mod clock;
mod continuous;
mod crash;
mod init;
mod instrument;
pub mod level;
pub mod record;
mod registry;
mod settings;
mod snapshot;
mod sync;
pub mod wire;
mod write;

#[doc(hidden)]
#[path = "private.rs"]
pub mod __private;

pub use clock::Clock;
pub use continuous::console;
pub use continuous::{__set_writer_delay, LogFileStats, OnFull, flush, log_file_stats};
pub use crash::{FATAL_SIGNALS, TERMINATION_SIGNALS};
pub use init::{Builder, DEFAULT_SNAPSHOT_SIGNAL, InitError};
pub use level::{Level, LevelFilter, ParseLevelError, STATIC_MAX_LEVEL, max_level, set_max_level};
pub use record::Record;
pub use registry::{BufferStats, buffer_stats};

/// Bytes of a block: rings are made of blocks, and grow and shrink by them.
pub const BLOCK_BYTES: usize = buffer::BLOCK as usize;
pub use settings::{
    DEFAULT_BUFFER_SIZE, DEFAULT_MAX_SNAPSHOT_FILES, DEFAULT_MEMORY_BUDGET, DEFAULT_MIN_SNAPSHOT_INTERVAL,
};
pub use snapshot::file::snapshot_dir;
pub use snapshot::{Snapshot, ThreadSnapshot, snapshot};
pub use write::args::{Raw, STR_MAX};
