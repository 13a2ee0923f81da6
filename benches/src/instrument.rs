//! `#[ttlog]` on an empty function, and the same function without it.
//!
//! Both bodies are `black_box(())`, so that neither call can be removed as
//! having no effect; the difference between the two is what the attribute
//! costs per call: an entry event and an exit event with the elapsed time.

use std::hint::black_box;
use ttlog::ttlog;

/// An empty function instrumented with `#[ttlog]` (INFO, the default).
#[ttlog]
#[inline(never)]
pub fn instrumented() {
    black_box(())
}

/// The same function, bare.
#[inline(never)]
pub fn bare() {
    black_box(())
}

/// Calls [`instrumented`] `n` times.
pub fn run_instrumented(n: u64) {
    for _ in 0..n {
        instrumented();
    }
}

/// Calls [`bare`] `n` times.
pub fn run_bare(n: u64) {
    for _ in 0..n {
        bare();
    }
}
