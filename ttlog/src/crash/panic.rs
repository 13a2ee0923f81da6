//! The panic hook: records the panic as an ERROR event on the panicking
//! thread and writes a snapshot, then runs the hook installed before.

use super::save_and_report;
use std::sync::atomic::{AtomicBool, Ordering};

static PANIC_HOOK: AtomicBool = AtomicBool::new(false);

/// Installs the panic hook, once; it runs before the hook that was installed.
pub(crate) fn install_panic_hook() {
    if PANIC_HOOK.swap(true, Ordering::AcqRel) {
        return;
    }
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let message = info.payload_as_str().unwrap_or("Box<dyn Any>");
        let (file, line) = info.location().map_or(("<unknown>", 0), |l| (l.file(), l.line()));
        let thread = std::thread::current();
        let name = thread.name().unwrap_or("<unnamed>");
        crate::error!(target: "panic", "thread '{}' panicked at {}:{}: {}", name, file, line, message);
        save_and_report(&crate::snapshot("panic"), "panic");
        previous(info);
    }));
}
