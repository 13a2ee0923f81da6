//! Snapshots when the process is in trouble: on a panic, on a signal an operator
//! sends, and on fatal signals. All three are opt-in ([`crate::Builder`]).
//!
//! - **Panic** (`panic.rs`): a hook, chained before the previous one, records
//!   the panic as an ERROR event in the panicking thread's buffer and writes a
//!   snapshot. The snapshot takes no lock that another thread could hold (the
//!   list of thread buffers is lock-free), so a panic anywhere cannot deadlock
//!   it.
//! - **On demand** (`on_demand.rs`): the signal handler only writes a byte to
//!   a pipe; a thread started at installation takes an ordinary snapshot.
//! - **Fatal signals** (`fatal.rs`, `stack.rs`): the handler does
//!   async-signal-safe work only, on a stack of its own, with everything made
//!   at installation, then lets the signal take its course, so the process
//!   dies (and dumps core) as it would have.
//!
//! Snapshots go to [`snapshot_dir`], in files named
//! `PROGRAM-PID-REASON-YYYYMMDDTHHMMSSZ.ttlog`. A write that fails is reported
//! on stderr and never takes the process down.

mod fatal;
mod on_demand;
mod panic;
mod stack;

pub(crate) use fatal::install_fatal;
pub(crate) use on_demand::install_on_demand;
pub(crate) use panic::install_panic_hook;

use crate::snapshot::file::snapshot_dir;

/// The signals after which a process cannot go on.
pub const FATAL_SIGNALS: [libc::c_int; 5] = [libc::SIGSEGV, libc::SIGBUS, libc::SIGILL, libc::SIGFPE, libc::SIGABRT];

/// Writes `snap` to a new file in [`snapshot_dir`] and reports the outcome on
/// stderr, in the crash paths that have nobody to return an error to.
fn save_and_report(snap: &crate::Snapshot, what: &str) {
    match snap.save_to_dir() {
        Ok(path) => eprintln!("ttlog: {what} snapshot written to {}", path.display()),
        Err(e) => eprintln!("ttlog: could not write the {what} snapshot to {}: {e}", snapshot_dir().display()),
    }
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
        _ => return format!("signal{sig}"),
    };
    name.to_owned()
}
