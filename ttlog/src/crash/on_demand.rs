//! On-demand snapshots: the signal handler only writes a byte to a pipe; a
//! thread started at installation takes an ordinary snapshot.

use super::{save_and_report, signal_name};
use std::io;
use std::sync::atomic::{AtomicI32, Ordering};

/// Write end of the pipe the on-demand signal handler writes to.
static DEMAND_PIPE: AtomicI32 = AtomicI32::new(-1);
/// The signal installed for on-demand snapshots (0: none).
static DEMAND_SIGNAL: AtomicI32 = AtomicI32::new(0);

extern "C" fn on_demand(_sig: libc::c_int) {
    // SAFETY: reading and restoring errno, and `write(2)` on a pipe, are
    // async-signal-safe; the byte is on this handler's stack.
    unsafe {
        let errno = *libc::__errno_location();
        let fd = DEMAND_PIPE.load(Ordering::Relaxed);
        if fd >= 0 {
            let b = 1u8;
            libc::write(fd, (&b as *const u8).cast(), 1);
        }
        *libc::__errno_location() = errno;
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
    std::thread::Builder::new().name("ttlog-snapshot".into()).spawn(move || {
        let mut buf = [0u8; 64];
        loop {
            // SAFETY: reading into a stack buffer of the length passed.
            let n = unsafe { libc::read(read_fd, buf.as_mut_ptr().cast(), buf.len()) };
            if n > 0 {
                save_and_report(&crate::snapshot(&signal_name(sig)), "on-demand");
            } else if n == 0 || io::Error::last_os_error().kind() != io::ErrorKind::Interrupted {
                return;
            }
        }
    })?;
    // SAFETY: a zeroed `sigaction` is a valid value; the handler is an
    // `extern "C" fn(c_int)` as `sa_handler` expects, and `sa_mask` is
    // initialised by `sigemptyset` before the call.
    unsafe {
        let mut act: libc::sigaction = std::mem::zeroed();
        act.sa_sigaction = on_demand as extern "C" fn(libc::c_int) as usize;
        act.sa_flags = libc::SA_RESTART;
        libc::sigemptyset(&mut act.sa_mask);
        if libc::sigaction(sig, &act, std::ptr::null_mut()) != 0 {
            return Err(io::Error::last_os_error());
        }
    }
    Ok(())
}
