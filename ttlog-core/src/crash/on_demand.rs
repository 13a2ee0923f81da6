//! On-demand snapshots: the signal handler only writes what the kernel says
//! about the signal to a pipe; a thread started at installation takes an
//! ordinary snapshot, at most one a storm interval (see `storm.rs`).

use super::{save_and_report, signal_name, storm};
use std::io;
use std::sync::atomic::{AtomicI32, Ordering};

/// Write end of the pipe the on-demand signal handler writes to.
static DEMAND_PIPE: AtomicI32 = AtomicI32::new(-1);
/// The signal installed for on-demand snapshots (0: none).
static DEMAND_SIGNAL: AtomicI32 = AtomicI32::new(0);

/// One request in the pipe: si_code, the sender's pid, the receiving thread's
/// id, as little-endian `u32`s. Shorter than `PIPE_BUF`, so written whole.
const REQUEST: usize = 12;

extern "C" fn on_demand(_sig: libc::c_int, info: *mut libc::siginfo_t, _ctx: *mut libc::c_void) {
    // SAFETY: reading and restoring errno, `gettid`, and `write(2)` on a pipe
    // are async-signal-safe; `info` is the kernel's siginfo (SA_SIGINFO),
    // whose `si_pid` is read only for a signal sent by a process
    // (si_code <= 0); the request is on this handler's stack.
    unsafe {
        let errno = *libc::__errno_location();
        let fd = DEMAND_PIPE.load(Ordering::Relaxed);
        if fd >= 0 {
            let (code, pid) = if info.is_null() {
                (0, 0)
            } else {
                let code = (*info).si_code;
                (code, if code <= 0 { (*info).si_pid() } else { 0 })
            };
            let mut req = [0u8; REQUEST];
            req[..4].copy_from_slice(&code.to_le_bytes());
            req[4..8].copy_from_slice(&(pid as u32).to_le_bytes());
            req[8..].copy_from_slice(&(libc::gettid() as u32).to_le_bytes());
            libc::write(fd, req.as_ptr().cast(), REQUEST);
        }
        *libc::__errno_location() = errno;
    }
}

/// In a child created by `fork`: the pipe leads to the parent's thread; the
/// child's copy is closed, and a later `init` may install the signal again.
pub(super) fn after_fork_in_child() {
    let fd = DEMAND_PIPE.swap(-1, Ordering::AcqRel);
    if fd >= 0 {
        // SAFETY: the child's copy of the write end, closed once.
        unsafe { libc::close(fd) };
    }
    DEMAND_SIGNAL.store(0, Ordering::Release);
}

/// Takes the snapshots the handler asks for, on its own thread.
fn serve(read_fd: libc::c_int, sig: libc::c_int) {
    let mut buf = [0u8; REQUEST * 64];
    let mut have = 0;
    loop {
        // SAFETY: reading into the free part of a stack buffer, of the length
        // passed.
        let n = unsafe { libc::read(read_fd, buf[have..].as_mut_ptr().cast(), buf.len() - have) };
        if n == 0 || (n < 0 && io::Error::last_os_error().kind() != io::ErrorKind::Interrupted) {
            return;
        }
        if n < 0 {
            continue;
        }
        have += n as usize;
        let whole = have / REQUEST * REQUEST;
        for req in buf[..whole].chunks_exact(REQUEST) {
            if !storm::admit() {
                continue;
            }
            let word = |i: usize| u32::from_le_bytes([req[i], req[i + 1], req[i + 2], req[i + 3]]);
            let tid = word(8) as u64;
            let mut name = [0u8; crate::registry::NAME_BYTES];
            let trigger = crate::wire::Trigger {
                signal: sig as u32,
                code: word(0) as i32,
                sender_pid: word(4),
                tid,
                thread: match crate::registry::thread_name(tid, &mut name) {
                    "" => std::fs::read_to_string(format!("/proc/self/task/{tid}/comm"))
                        .map(|s| s.trim_end().to_owned())
                        .unwrap_or_default(),
                    known => known.to_owned(),
                },
                skipped: storm::take_skipped(),
                ..crate::wire::Trigger::default()
            };
            save_and_report(&crate::snapshot::snapshot_for(&signal_name(sig), trigger), "on-demand");
        }
        buf.copy_within(whole..have, 0);
        have -= whole;
    }
}

/// Installs `sig` as the on-demand snapshot signal, and the thread that takes
/// the snapshots. Once per process.
pub(crate) fn install_on_demand(sig: libc::c_int) -> io::Result<()> {
    if DEMAND_SIGNAL.compare_exchange(0, sig, Ordering::AcqRel, Ordering::Acquire).is_err() {
        return if DEMAND_SIGNAL.load(Ordering::Acquire) == sig {
            Ok(())
        } else {
            Err(io::Error::other("an on-demand snapshot signal is already installed"))
        };
    }
    let mut fds = [0 as libc::c_int; 2];
    // SAFETY: `fds` has room for the two descriptors `pipe2` writes.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        DEMAND_SIGNAL.store(0, Ordering::Release);
        return Err(io::Error::last_os_error());
    }
    let (read_fd, write_fd) = (fds[0], fds[1]);
    // A full pipe must not block the handler: snapshots are already pending.
    // SAFETY: `write_fd` is the descriptor `pipe2` just returned.
    unsafe {
        let flags = libc::fcntl(write_fd, libc::F_GETFL);
        libc::fcntl(write_fd, libc::F_SETFL, flags | libc::O_NONBLOCK);
    }
    DEMAND_PIPE.store(write_fd, Ordering::Release);
    std::thread::Builder::new().name("ttlog-snapshot".into()).spawn(move || serve(read_fd, sig))?;
    // SAFETY: a zeroed `sigaction` is a valid value; the handler has the
    // signature SA_SIGINFO asks for, and `sa_mask` is initialised by
    // `sigemptyset` before the call.
    unsafe {
        let mut act: libc::sigaction = std::mem::zeroed();
        act.sa_sigaction = on_demand as extern "C" fn(libc::c_int, *mut libc::siginfo_t, *mut libc::c_void) as usize;
        act.sa_flags = libc::SA_RESTART | libc::SA_SIGINFO;
        libc::sigemptyset(&mut act.sa_mask);
        if libc::sigaction(sig, &act, std::ptr::null_mut()) != 0 {
            return Err(io::Error::last_os_error());
        }
    }
    Ok(())
}
