//! The storm limit: a minimum interval between automatic snapshots (panics,
//! the on-demand signal, termination signals that the program handles), so
//! that a loop of `kill -USR2` or a panicking request handler cannot fill the
//! disk. The skipped ones are counted, and the next snapshot written reports
//! the count (its TRIGGER frame). Atomics only: the signal handlers use it.

use std::sync::atomic::{AtomicU64, Ordering};

/// `CLOCK_MONOTONIC` of the last automatic snapshot admitted (0: none yet).
static LAST: AtomicU64 = AtomicU64::new(0);
/// Automatic snapshots skipped since the last snapshot written.
static SKIPPED: AtomicU64 = AtomicU64::new(0);

/// Whether an automatic snapshot may be written now: none was admitted in
/// the last [`min_snapshot_interval`](crate::Builder::min_snapshot_interval).
/// One that may not is counted. Async-signal-safe.
pub(crate) fn admit() -> bool {
    let interval = crate::settings::min_snapshot_interval_ns();
    let now = crate::clock::monotonic_ns().max(1);
    let mut last = LAST.load(Ordering::Relaxed);
    loop {
        if last != 0 && now.saturating_sub(last) < interval {
            SKIPPED.fetch_add(1, Ordering::Relaxed);
            return false;
        }
        match LAST.compare_exchange_weak(last, now, Ordering::Relaxed, Ordering::Relaxed) {
            Ok(_) => return true,
            Err(l) => last = l,
        }
    }
}

/// The snapshots skipped since the last call, for the snapshot being written.
/// Async-signal-safe.
pub(crate) fn take_skipped() -> u64 {
    SKIPPED.swap(0, Ordering::Relaxed)
}

/// In a child created by `fork`: the parent's snapshots are not the child's.
pub(crate) fn after_fork_in_child() {
    LAST.store(0, Ordering::Relaxed);
    SKIPPED.store(0, Ordering::Relaxed);
}
