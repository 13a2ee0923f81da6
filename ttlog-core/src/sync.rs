//! The synchronisation primitives the ring buffer protocol uses: `std`'s, or
//! `loom`'s in the model tests (`tests/loom_ring.rs`, built with
//! `RUSTFLAGS="--cfg ttlog_loom"`), which compile this file and `buffer.rs`
//! into the test itself.

#[cfg(all(ttlog_loom, test))]
pub(crate) use loom::sync::atomic::{AtomicBool, AtomicPtr, AtomicU64, fence};

#[cfg(not(all(ttlog_loom, test)))]
pub(crate) use std::sync::atomic::{AtomicBool, AtomicPtr, AtomicU64, fence};

/// Pads and aligns a value to a cache line (two on x86-64, aarch64 and
/// powerpc64, where the prefetcher pulls lines in pairs or lines are 128
/// bytes), so that the writer's published position does not share a line
/// with data that other threads write. Our own few lines rather than a
/// dependency that the build of every user's crate would wait for.
#[cfg_attr(any(target_arch = "x86_64", target_arch = "aarch64", target_arch = "powerpc64"), repr(align(128)))]
#[cfg_attr(not(any(target_arch = "x86_64", target_arch = "aarch64", target_arch = "powerpc64")), repr(align(64)))]
#[derive(Debug, Default)]
pub(crate) struct CachePadded<T>(T);

impl<T> CachePadded<T> {
    /// `value`, on a line of its own.
    pub(crate) const fn new(value: T) -> CachePadded<T> {
        CachePadded(value)
    }
}

impl<T> std::ops::Deref for CachePadded<T> {
    type Target = T;
    #[inline(always)]
    fn deref(&self) -> &T {
        &self.0
    }
}

/// One turn of a spin wait (loom must be told, to switch threads).
#[inline]
pub(crate) fn spin_wait() {
    #[cfg(all(ttlog_loom, test))]
    loom::thread::yield_now();
    #[cfg(not(all(ttlog_loom, test)))]
    std::hint::spin_loop();
}
