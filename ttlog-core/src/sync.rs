//! The synchronisation primitives the ring buffer protocol uses: `std`'s, or
//! `loom`'s in the model tests (`tests/loom_ring.rs`, built with
//! `RUSTFLAGS="--cfg ttlog_loom"`), which compile this file and `buffer.rs`
//! into the test itself.

#[cfg(all(ttlog_loom, test))]
pub(crate) use loom::sync::atomic::{AtomicBool, AtomicPtr, AtomicU64, fence};

#[cfg(not(all(ttlog_loom, test)))]
pub(crate) use std::sync::atomic::{AtomicBool, AtomicPtr, AtomicU64, fence};

/// Pads and aligns a value to a cache line (two on x86-64, where the
/// prefetcher pulls lines in pairs), so that the writer's published position
/// does not share a line with data that other threads write.
pub(crate) use crossbeam_utils::CachePadded;

/// One turn of a spin wait (loom must be told, to switch threads).
#[inline]
pub(crate) fn spin_wait() {
    #[cfg(all(ttlog_loom, test))]
    loom::thread::yield_now();
    #[cfg(not(all(ttlog_loom, test)))]
    std::hint::spin_loop();
}
