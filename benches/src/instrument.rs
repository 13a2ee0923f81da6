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

/// An instrumented function with two raw arguments and its returned value
/// recorded: the entry event carries `id` and `path`, the exit event `ret`.
#[ttlog(ret)]
#[inline(never)]
pub fn instrumented_args(id: u64, path: &str) -> usize {
    black_box(path.len() + id as usize)
}

/// Calls [`instrumented_args`] `n` times.
pub fn run_instrumented_args(n: u64) {
    for i in 0..n {
        black_box(instrumented_args(black_box(i), black_box("/index.html")));
    }
}
