//! The values the write path's cold path reads when a thread starts logging:
//! nothing needs to be set before logging, and [`crate::Builder`] changes them.

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};

/// Ring size of a thread that starts logging, unless configured.
pub const DEFAULT_BUFFER_SIZE: u64 = 64 << 10;
/// Ring size of a thread that starts logging while the continuous writer runs,
/// unless configured: the writer drains a quarter of a ring at a time, and a
/// larger ring lets a busy thread go on while it does (a ring grows to this
/// size only as its thread fills it).
pub const CONTINUOUS_BUFFER_SIZE: u64 = 256 << 10;
/// Bytes all thread buffers together may use, unless configured.
pub const DEFAULT_MEMORY_BUDGET: usize = 256 << 20;

/// The shortest time between two automatic snapshots, unless configured.
pub const DEFAULT_MIN_SNAPSHOT_INTERVAL: std::time::Duration = std::time::Duration::from_secs(1);
/// Snapshots of the program kept in the snapshot directory, unless configured.
pub const DEFAULT_MAX_SNAPSHOT_FILES: usize = 16;

static MIN_INTERVAL_NS: AtomicU64 = AtomicU64::new(DEFAULT_MIN_SNAPSHOT_INTERVAL.as_nanos() as u64);
static MAX_FILES: AtomicUsize = AtomicUsize::new(DEFAULT_MAX_SNAPSHOT_FILES);

/// The storm limit's interval, in nanoseconds (read by signal handlers too).
pub(crate) fn min_snapshot_interval_ns() -> u64 {
    MIN_INTERVAL_NS.load(Ordering::Relaxed)
}

pub(crate) fn set_min_snapshot_interval_ns(ns: u64) {
    MIN_INTERVAL_NS.store(ns, Ordering::Relaxed);
}

/// Snapshots of the program kept in the directory; 0: all.
pub(crate) fn max_snapshot_files() -> usize {
    MAX_FILES.load(Ordering::Relaxed)
}

pub(crate) fn set_max_snapshot_files(n: usize) {
    MAX_FILES.store(n, Ordering::Relaxed);
}

static BUFFER_SIZE: AtomicU64 = AtomicU64::new(DEFAULT_BUFFER_SIZE);
static MEMORY_BUDGET: AtomicUsize = AtomicUsize::new(DEFAULT_MEMORY_BUDGET);

/// The settings a thread's first event uses.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Current {
    pub(crate) buffer_size: u64,
    pub(crate) memory_budget: usize,
}

pub(crate) fn current() -> Current {
    Current { buffer_size: BUFFER_SIZE.load(Ordering::Relaxed), memory_budget: MEMORY_BUDGET.load(Ordering::Relaxed) }
}

/// Whether the ring size was configured ([`set_buffer_size`]).
static BUFFER_SIZE_SET: AtomicBool = AtomicBool::new(false);

/// Sets the ring size of threads whose first event comes next.
pub(crate) fn set_buffer_size(bytes: u64) {
    BUFFER_SIZE_SET.store(true, Ordering::Relaxed);
    BUFFER_SIZE.store(bytes, Ordering::Relaxed);
}

/// The continuous writer starts: threads whose first event comes next get
/// rings of [`CONTINUOUS_BUFFER_SIZE`], unless a size was configured.
pub(crate) fn use_continuous_buffer_size() {
    if !BUFFER_SIZE_SET.load(Ordering::Relaxed) {
        BUFFER_SIZE.store(CONTINUOUS_BUFFER_SIZE, Ordering::Relaxed);
    }
}

/// Sets the memory budget of all rings together.
pub(crate) fn set_memory_budget(bytes: usize) {
    MEMORY_BUDGET.store(bytes, Ordering::Relaxed);
}
