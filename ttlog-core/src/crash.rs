//! Snapshots when the process is in trouble or ending: on a panic, on a signal
//! an operator sends, on fatal signals, on `SIGTERM`/`SIGINT` and at exit. All
//! are opt-in ([`crate::Builder`]).
//!
//! - **Panic** (`panic.rs`): a hook, chained before the previous one, records
//!   the panic as an ERROR event in the panicking thread's buffer and writes a
//!   snapshot. The snapshot takes no lock that another thread could hold (the
//!   list of thread buffers is lock-free), so a panic anywhere cannot deadlock
//!   it.
//! - **On demand** (`on_demand.rs`): the signal handler only writes a byte to
//!   a pipe; a thread started at installation takes an ordinary snapshot.
//! - **Fatal and termination signals** (`fatal.rs`, `stack.rs`): the handler
//!   does async-signal-safe work only, on a stack of its own, with everything
//!   made at installation, then lets the signal take its course (the handler
//!   installed before, or the default action), so the process dies (and dumps
//!   core) as it would have, with the same status.
//! - **Exit** (`exit.rs`): an `atexit` handler takes an ordinary snapshot.
//! - **`fork`** (`fork.rs`): a child starts with no thread of its parent's
//!   listed (see there).
//!
//! Snapshots go to [`snapshot_dir`](crate::snapshot_dir), in files named
//! `PROGRAM-PID-REASON-YYYYMMDDTHHMMSSZ.ttlog`, at most one a
//! [`min_snapshot_interval`](crate::Builder::min_snapshot_interval) for the
//! automatic ones (`storm.rs`), and at most
//! [`max_snapshot_files`](crate::Builder::max_snapshot_files) of the program's
//! kept. A write that fails is reported on stderr and never takes the process
//! down.

mod exit;
mod fatal;
pub(crate) mod fork;
mod on_demand;
mod panic;
mod stack;
pub(crate) mod storm;

pub(crate) use exit::install_exit;
pub(crate) use fatal::{install_fatal, install_termination};
pub(crate) use on_demand::install_on_demand;
pub(crate) use panic::install_panic_hook;

/// The signals after which a process cannot go on.
pub const FATAL_SIGNALS: [libc::c_int; 5] = [libc::SIGSEGV, libc::SIGBUS, libc::SIGILL, libc::SIGFPE, libc::SIGABRT];

/// The signals that ask a process to end: [`Builder::snapshot_on_termination`](crate::Builder::snapshot_on_termination).
pub const TERMINATION_SIGNALS: [libc::c_int; 2] = [libc::SIGTERM, libc::SIGINT];

/// Writes `snap` to a new file in the snapshot directory and reports the
/// outcome on stderr, in the crash paths that have nobody to return an error
/// to. First it removes the program's oldest snapshots, to leave room under
/// the cap for this one and for one more written by a signal handler (which
/// cannot remove files).
fn save_and_report(snap: &crate::Snapshot, what: &str) {
    if let Ok(dir) = crate::snapshot::file::prepare_dir() {
        crate::snapshot::file::make_room(&dir, 2);
    }
    match snap.save_to_dir() {
        Ok(path) => eprintln!("ttlog: {what} snapshot written to {}", path.display()),
        Err(e) => eprintln!("ttlog: could not write the {what} snapshot: {e}"),
    }
}

/// The calling thread, for a TRIGGER frame.
fn this_thread() -> crate::wire::Trigger {
    let (tid, thread) = crate::write::thread_identity();
    crate::wire::Trigger { tid, thread, ..crate::wire::Trigger::default() }
}

/// `SIGUSR2` and friends by name, for reasons and file names.
pub(crate) fn signal_name(sig: libc::c_int) -> String {
    let name = match sig {
        libc::SIGSEGV => "SIGSEGV",
        libc::SIGBUS => "SIGBUS",
        libc::SIGILL => "SIGILL",
        libc::SIGFPE => "SIGFPE",
        libc::SIGABRT => "SIGABRT",
        libc::SIGUSR1 => "SIGUSR1",
        libc::SIGUSR2 => "SIGUSR2",
        libc::SIGHUP => "SIGHUP",
        libc::SIGQUIT => "SIGQUIT",
        libc::SIGTERM => "SIGTERM",
        libc::SIGINT => "SIGINT",
        _ => return format!("signal{sig}"),
    };
    name.to_owned()
}
