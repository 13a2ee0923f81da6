//! `fork` and crash capture: a child starts with no snapshot of its own
//! behind it (the storm limit's state is the parent's), and the on-demand
//! signal's pipe leads to the parent's snapshot thread, which the child does
//! not have: the child closes its copy, so the signal does nothing in the
//! child until it calls [`Builder::init`](crate::Builder::init) with
//! `snapshot_on_signal` again. The fatal-signal and termination handlers,
//! the panic hook and the exit snapshot work in the child as they are.

extern "C" fn child() {
    super::storm::after_fork_in_child();
    super::on_demand::after_fork_in_child();
}

/// Registers the child handler, once per process.
pub(crate) fn register() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // SAFETY: `child` is an `extern "C" fn()` that lives as long as the
        // program.
        let rc = unsafe { libc::pthread_atfork(None, None, Some(child)) };
        if rc != 0 {
            eprintln!("ttlog: cannot register the fork handler of crash capture (error {rc})");
        }
    });
}
