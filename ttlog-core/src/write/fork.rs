//! `fork`: what a child inherits of the recorder, and what it must not.
//!
//! A child has one thread, the one that called `fork`; the parent's other
//! threads, their rings and any lock they held were copied but do not run
//! there. `pthread_atfork` handlers, registered at the first event of the
//! process:
//!
//! - before the fork, the pool's lock and every ring's lock are taken (in the
//!   order the other paths take them), so that none is copied held by a
//!   thread the child does not have;
//! - in the parent, they are released;
//! - in the child, they are released, every slot of the parent's threads is
//!   marked inherited: a child's snapshot holds the child's threads only,
//!   and the parent's events are dropped from it (the parent's own snapshots
//!   have them), their blocks going to the child's threads first; the forking
//!   thread's writer starts again, so its next event claims a fresh ring (and
//!   restarts the coarse clock's thread, see `clock.rs`).

use super::{ACTIVE, BUSY, NO_RING, UNINIT, writer};
use crate::registry;

extern "C" fn prepare() {
    registry::fork_prepare();
}

extern "C" fn parent() {
    registry::fork_parent();
}

extern "C" fn child() {
    let w = writer();
    // A fork from inside a log call (a `Display` impl that forks) goes on
    // writing that event when the impl returns: its ring stays.
    let keep = if w.state.get() == BUSY { w.slot.get() } else { None };
    registry::fork_child(keep);
    crate::clock::after_fork_in_child();
    if keep.is_none() && matches!(w.state.get(), ACTIVE | NO_RING) {
        w.set_ring(None);
        w.slot.set(None);
        w.state.set(UNINIT);
    }
}

/// Registers the handlers, once per process (a child inherits them).
pub(super) fn register() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // SAFETY: the three handlers are `extern "C" fn()`s that live as long
        // as the program.
        let rc = unsafe { libc::pthread_atfork(Some(prepare), Some(parent), Some(child)) };
        if rc != 0 {
            eprintln!("ttlog: cannot register the fork handlers (error {rc}): a child created by fork may hang");
        }
    });
}
