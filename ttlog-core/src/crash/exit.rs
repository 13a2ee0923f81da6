//! The snapshot at normal process exit: an `atexit` handler, so it runs when
//! `main` returns or `std::process::exit` is called (not on `_exit`, an
//! abort, or a signal: those have their own paths).

use super::{save_and_report, storm, this_thread};
use std::sync::atomic::{AtomicBool, Ordering};

static INSTALLED: AtomicBool = AtomicBool::new(false);

extern "C" fn at_exit() {
    let mut trigger = this_thread();
    trigger.skipped = storm::take_skipped();
    save_and_report(&crate::snapshot::snapshot_for("exit", trigger), "exit");
}

/// Registers the exit snapshot, once.
pub(crate) fn install_exit() -> std::io::Result<()> {
    if INSTALLED.swap(true, Ordering::AcqRel) {
        return Ok(());
    }
    // SAFETY: `at_exit` is an `extern "C" fn()` that lives as long as the
    // program, as `atexit` requires.
    if unsafe { libc::atexit(at_exit) } != 0 {
        INSTALLED.store(false, Ordering::Release);
        return Err(std::io::Error::other("atexit refused the handler"));
    }
    Ok(())
}
