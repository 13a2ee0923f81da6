//! Snapshots when the process is in trouble: on a panic, on a signal an operator
//! sends, and on fatal signals. All three are opt-in ([`crate::Builder`]).
//!
//! - **Panic**: a hook, chained before the previous one, records the panic as an
//!   ERROR event in the panicking thread's buffer and writes a snapshot. The
//!   snapshot takes no lock that another thread could hold (the thread registry
//!   is lock-free), so a panic anywhere cannot deadlock it.
//! - **On demand**: the signal handler only writes a byte to a pipe; a thread
//!   started at installation takes an ordinary snapshot.
//! - **Fatal signals** (`SIGSEGV`, `SIGBUS`, `SIGILL`, `SIGFPE`, `SIGABRT`): the
//!   handler does async-signal-safe work only. Everything it needs is made at
//!   installation: the directory path, the encoded metadata of every callsite,
//!   and a copy buffer. It copies each thread's ring with the same consistency
//!   protocol as any snapshot, writes the ring blocks as they are (RING frames,
//!   not re-encoded: that would allocate) with `write(2)`, then restores the
//!   previous disposition and lets the signal take its course, so the process
//!   dies (and dumps core) as it would have.
//!
//! Snapshots go to the directory given to the builder, else `TTLOG_DIR`, else
//! the system's temporary directory, in files named
//! `PROGRAM-PID-REASON-YYYYMMDDTHHMMSSZ.ttlog`. A write that fails is reported
//! on stderr and never takes the process down.

use crate::buffer::BLOCK;
use crate::callsite::Callsite;
use crate::clock::{self, ClockPoint};
use crate::registry::{self, Captured};
use crate::wire::{self, record, CallsiteInfo, HeaderRef, Out, SliceOut};
use std::cell::UnsafeCell;
use std::ffi::CString;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};

/// Where snapshots are written unless told otherwise.
static DIR: Mutex<Option<PathBuf>> = Mutex::new(None);

pub(crate) fn set_dir(dir: PathBuf) {
    *DIR.lock().unwrap_or_else(|e| e.into_inner()) = Some(dir);
}

/// The directory snapshots are saved in: the one given to
/// [`Builder::snapshot_dir`](crate::Builder::snapshot_dir), else `TTLOG_DIR`,
/// else the system's temporary directory.
pub fn snapshot_dir() -> PathBuf {
    if let Some(d) = DIR.lock().unwrap_or_else(|e| e.into_inner()).clone() {
        return d;
    }
    match std::env::var_os("TTLOG_DIR") {
        Some(d) if !d.is_empty() => PathBuf::from(d),
        _ => std::env::temp_dir(),
    }
}

/// Civil date and time (UTC) of a count of seconds since the Unix epoch.
fn civil(secs: i64) -> (i64, u32, u32, u32, u32, u32) {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400) as u32;
    // Days to (year, month, day) in the proleptic Gregorian calendar, counting
    // in 400-year eras from 0000-03-01.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d, rem / 3600, rem / 60 % 60, rem % 60)
}

/// Appends `v` in decimal, at least `width` digits.
fn put_decimal(out: &mut impl Out, v: u64, width: usize) {
    let mut b = [0u8; 20];
    let mut n = 0;
    let mut v = v;
    loop {
        b[19 - n] = b'0' + (v % 10) as u8;
        v /= 10;
        n += 1;
        if v == 0 && n >= width {
            break;
        }
    }
    out.put(&b[20 - n..]);
}

/// Appends at most 64 bytes of `s`, with bytes that do not belong in a file
/// name replaced by `_`.
fn put_clean(out: &mut impl Out, s: &str) {
    for &b in s.as_bytes().iter().take(64) {
        let ok = b.is_ascii_alphanumeric() || b == b'_' || b == b'.' || b == b'+';
        out.put(&[if ok { b } else { b'_' }]);
    }
}

/// Appends the snapshot file name: `PROGRAM-PID-REASON-YYYYMMDDTHHMMSSZ.ttlog`.
fn put_file_name(out: &mut impl Out, program: &str, pid: u64, reason: &str, unix_ns: u64) {
    put_clean(out, if program.is_empty() { "process" } else { program });
    out.put(b"-");
    put_decimal(out, pid, 1);
    out.put(b"-");
    put_clean(out, reason);
    out.put(b"-");
    let (y, mo, d, h, mi, s) = civil((unix_ns / 1_000_000_000) as i64);
    put_decimal(out, y.max(0) as u64, 4);
    put_decimal(out, mo as u64, 2);
    put_decimal(out, d as u64, 2);
    out.put(b"T");
    put_decimal(out, h as u64, 2);
    put_decimal(out, mi as u64, 2);
    put_decimal(out, s as u64, 2);
    out.put(b"Z.ttlog");
}

/// A new path in `dir` for a snapshot taken for `reason`.
pub(crate) fn snapshot_path(dir: &Path, reason: &str) -> PathBuf {
    let mut name = Vec::new();
    put_file_name(&mut name, &crate::snapshot::program_name(), std::process::id() as u64, reason, clock::realtime_ns());
    let name = String::from_utf8_lossy(&name).into_owned();
    let mut path = dir.join(&name);
    // Two snapshots in one second get distinct names.
    let mut n = 1;
    while path.exists() {
        n += 1;
        path = dir.join(name.replace(".ttlog", &format!("-{n}.ttlog")));
    }
    path
}

/// Writes `snap` to a new file in [`snapshot_dir`] and reports the outcome on
/// stderr, in the crash paths that have nobody to return an error to.
fn save_and_report(snap: &crate::Snapshot, what: &str) {
    match snap.save_to_dir() {
        Ok(path) => eprintln!("ttlog: {what} snapshot written to {}", path.display()),
        Err(e) => eprintln!("ttlog: could not write the {what} snapshot to {}: {e}", snapshot_dir().display()),
    }
}

// ---------------------------------------------------------------------------
// Panics
// ---------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------
// On demand
// ---------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------
// Fatal signals
// ---------------------------------------------------------------------------

/// The signals after which a process cannot go on.
pub const FATAL_SIGNALS: [libc::c_int; 5] = [libc::SIGSEGV, libc::SIGBUS, libc::SIGILL, libc::SIGFPE, libc::SIGABRT];

/// Everything the fatal-signal handler needs, made at installation.
struct Fatal {
    dir: Vec<u8>,
    program: String,
    host: String,
    pid: u64,
    /// CALLSITE_STATIC frames of every callsite registered at installation.
    meta: Vec<u8>,
    /// The previous dispositions, to restore before the signal takes its course:
    /// written once during installation, before the handlers are installed.
    previous: UnsafeCell<[libc::sigaction; FATAL_SIGNALS.len()]>,
    /// Ring copies, path and small frames. Used by one handler at a time (see
    /// `DUMPING`).
    scratch: UnsafeCell<Scratch>,
    /// Where the handler that writes the snapshot runs (one at a time too).
    stack: HandlerStack,
}

struct Scratch {
    words: Vec<u64>,
    small: Vec<u8>,
    path: Vec<u8>,
}

// SAFETY: `scratch` and `stack`'s memory are only touched by the one signal
// handler that won the `DUMPING` flag; `previous` is written during
// installation before any of the handlers that read it is installed; the
// other fields never change.
unsafe impl Sync for Fatal {}

// SAFETY: `HandlerStack` owns its mapping (a pointer to it and its length);
// nothing about it is tied to the thread that made it.
unsafe impl Send for HandlerStack {}

static FATAL: OnceLock<Fatal> = OnceLock::new();
/// Set by the handler that writes the snapshot.
static DUMPING: AtomicBool = AtomicBool::new(false);
/// Set when that snapshot is done.
static DUMPED: AtomicBool = AtomicBool::new(false);
/// Files written by fatal-signal handlers (for tests and diagnostics).
static FATAL_WRITES: AtomicU64 = AtomicU64::new(0);

/// Installs the fatal-signal handlers, once. `ring_bytes` sizes the copy buffer
/// (the largest ring that will be copied whole).
pub(crate) fn install_fatal(ring_bytes: u64) -> io::Result<()> {
    if FATAL.get().is_some() {
        return Ok(());
    }
    let dir = snapshot_dir();
    let mut dir_bytes = dir.as_os_str().as_bytes().to_vec();
    if CString::new(dir_bytes.clone()).is_err() {
        return Err(io::Error::new(io::ErrorKind::InvalidInput, "the snapshot directory contains a NUL byte"));
    }
    if !dir_bytes.ends_with(b"/") {
        dir_bytes.push(b'/');
    }
    let mut meta = Vec::new();
    let mut payload = Vec::new();
    for r in inventory::iter::<crate::__private::Registration> {
        let cs: &Callsite = r.0;
        payload.clear();
        CallsiteInfo::encode_static(&mut payload, crate::write::callsite_id(cs), cs, None);
        wire::put_frame(&mut meta, wire::kind::CALLSITE_STATIC, &payload);
    }
    let ring_words = (ring_bytes.max(crate::buffer::MIN_CAPACITY).next_power_of_two() / 8) as usize;
    let fatal = Fatal {
        dir: dir_bytes,
        program: crate::snapshot::program_name(),
        host: crate::snapshot::host_name(),
        pid: std::process::id() as u64,
        meta,
        // SAFETY: an all-zero `sigaction` is a valid value (SIG_DFL, no flags);
        // the current dispositions are read into it below.
        previous: UnsafeCell::new(unsafe { std::mem::zeroed() }),
        scratch: UnsafeCell::new(Scratch { words: vec![0; ring_words], small: vec![0; 64 << 10], path: vec![0; 4096] }),
        stack: HandlerStack::new()?,
    };
    let fatal = FATAL.get_or_init(|| fatal);
    let previous = fatal.previous.get().cast::<libc::sigaction>();
    for (i, &sig) in FATAL_SIGNALS.iter().enumerate() {
        // SAFETY: reads the current disposition into slot `i`; no handler of
        // ours that reads `previous` is installed yet (see `impl Sync`).
        if unsafe { libc::sigaction(sig, std::ptr::null(), previous.add(i)) } != 0 {
            return Err(io::Error::last_os_error());
        }
    }
    for &sig in &FATAL_SIGNALS {
        // SAFETY: as in `install_on_demand`. SA_ONSTACK lets the handler run
        // on the alternate signal stack Rust's threads have, since a stack
        // overflow arrives as SIGSEGV.
        unsafe {
            let mut act: libc::sigaction = std::mem::zeroed();
            act.sa_sigaction = on_fatal as extern "C" fn(libc::c_int, *mut libc::siginfo_t, *mut libc::c_void) as usize;
            act.sa_flags = libc::SA_SIGINFO | libc::SA_ONSTACK;
            libc::sigemptyset(&mut act.sa_mask);
            if libc::sigaction(sig, &act, std::ptr::null_mut()) != 0 {
                return Err(io::Error::last_os_error());
            }
        }
    }
    Ok(())
}

/// A stack for the fatal-signal handler's work. The alternate signal stack
/// that Rust gives each thread (where the handler starts, so that it can run
/// after a stack overflow) is a few KiB, less than the snapshot's code needs
/// in a debug build. Mapped at installation, with an inaccessible page below
/// it so that an overflow faults rather than overwrites.
struct HandlerStack {
    /// The lowest address of the mapping (the guard page).
    base: *mut u8,
    /// Bytes mapped, guard page included.
    len: usize,
}

impl HandlerStack {
    /// Bytes of the stack, besides the guard page.
    const SIZE: usize = 256 << 10;

    fn new() -> io::Result<HandlerStack> {
        // SAFETY: `sysconf` has no preconditions.
        let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) }.max(4096) as usize;
        let len = Self::SIZE + page;
        // SAFETY: an anonymous private mapping at an address the kernel
        // chooses, checked for failure below.
        let base = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            )
        };
        if base == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: the first page of the mapping just made.
        if unsafe { libc::mprotect(base, page, libc::PROT_NONE) } != 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(HandlerStack { base: base.cast(), len })
    }

    /// One past the highest byte: where the stack starts (16-byte aligned,
    /// as both the mapping and its length are page-aligned).
    fn top(&self) -> *mut u8 {
        self.base.wrapping_add(self.len)
    }
}

/// Runs `f` with the stack pointer at `top`, and back on the current stack
/// when it returns.
///
/// # Safety
///
/// `top` is the 16-byte aligned top of a mapped, writable stack that nothing
/// else uses while `f` runs, large enough for `f`. `f` must not unwind (it
/// runs behind an `extern "C"` function, which aborts if it does).
unsafe fn on_stack<F: FnMut()>(top: *mut u8, mut f: F) {
    extern "C" fn trampoline<F: FnMut()>(f: *mut libc::c_void) {
        // SAFETY: `on_stack` passes a pointer to its `F`, which outlives the call.
        unsafe { (*f.cast::<F>())() }
    }
    let arg = (&mut f as *mut F).cast::<libc::c_void>();
    let call: extern "C" fn(*mut libc::c_void) = trampoline::<F>;
    // SAFETY: the caller's contract for the new stack. The old stack pointer
    // is kept in a callee-saved register, which the call preserves, and put
    // back after it; every register the C ABI lets the callee change is
    // declared clobbered.
    #[cfg(target_arch = "x86_64")]
    unsafe {
        core::arch::asm!(
            "mov r12, rsp",
            "mov rsp, {top}",
            "call {call}",
            "mov rsp, r12",
            top = in(reg) top,
            call = in(reg) call,
            in("rdi") arg,
            out("r12") _,
            clobber_abi("C"),
        );
    }
    // SAFETY: as above.
    #[cfg(target_arch = "aarch64")]
    unsafe {
        core::arch::asm!(
            "mov x20, sp",
            "mov sp, {top}",
            "blr {call}",
            "mov sp, x20",
            top = in(reg) top,
            call = in(reg) call,
            in("x0") arg,
            out("x20") _,
            clobber_abi("C"),
        );
    }
    #[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
    {
        let _ = top;
        call(arg);
    }
}

/// Writes all of `bytes` to `fd`.
fn write_all(fd: libc::c_int, mut bytes: &[u8]) -> bool {
    while !bytes.is_empty() {
        // SAFETY: `bytes` is valid for reads of its length.
        let n = unsafe { libc::write(fd, bytes.as_ptr().cast(), bytes.len()) };
        if n > 0 {
            bytes = &bytes[n as usize..];
        } else if n < 0 && io::Error::last_os_error().kind() == io::ErrorKind::Interrupted {
            continue;
        } else {
            return false;
        }
    }
    true
}

/// Writes to stderr from a signal handler.
fn stderr(msg: &[u8]) {
    write_all(2, msg);
}

extern "C" fn on_fatal(sig: libc::c_int, info: *mut libc::siginfo_t, _ctx: *mut libc::c_void) {
    let Some(fatal) = FATAL.get() else { return };
    if !DUMPING.swap(true, Ordering::AcqRel) {
        // SAFETY: this handler won `DUMPING`, so it alone uses the scratch
        // space and the handler stack; the stack is mapped for as long as the
        // process lives (it is never unmapped).
        unsafe {
            let scratch = &mut *fatal.scratch.get();
            on_stack(fatal.stack.top(), || write_fatal_snapshot(fatal, scratch, sig));
        }
        DUMPED.store(true, Ordering::Release);
    } else {
        // Another thread is writing the snapshot: let it finish (up to ~5 s)
        // before this signal ends the process.
        for _ in 0..500 {
            if DUMPED.load(Ordering::Acquire) {
                break;
            }
            let ts = libc::timespec { tv_sec: 0, tv_nsec: 10_000_000 };
            // SAFETY: `nanosleep` is async-signal-safe; `ts` is valid.
            unsafe { libc::nanosleep(&ts, std::ptr::null_mut()) };
        }
    }
    let i = FATAL_SIGNALS.iter().position(|&s| s == sig).unwrap_or(0);
    // SAFETY: restoring the disposition saved at installation; `info` is the
    // kernel's siginfo for this signal. A fault raised by the CPU (si_code > 0)
    // recurs when the handler returns, now reaching the previous handler (or
    // the default action: core dump) with its real siginfo; a signal sent by
    // a process, and SIGABRT, is raised again.
    unsafe {
        let previous = &(*fatal.previous.get())[i];
        libc::sigaction(sig, previous, std::ptr::null_mut());
        let from_kernel = !info.is_null() && (*info).si_code > 0;
        if !from_kernel || sig == libc::SIGABRT {
            libc::raise(sig);
        }
    }
}

/// The fatal-signal snapshot. Async-signal-safe: no allocation, no lock; the
/// scratch space and metadata were made at installation.
fn write_fatal_snapshot(fatal: &Fatal, scratch: &mut Scratch, sig: libc::c_int) {
    let reason = match sig {
        libc::SIGSEGV => "SIGSEGV",
        libc::SIGBUS => "SIGBUS",
        libc::SIGILL => "SIGILL",
        libc::SIGFPE => "SIGFPE",
        _ => "SIGABRT",
    };
    let now = clock::realtime_ns();
    let path_len = {
        let mut out = SliceOut::new(&mut scratch.path);
        out.put(&fatal.dir);
        put_file_name(&mut out, &fatal.program, fatal.pid, reason, now);
        out.put(&[0]);
        match out.bytes() {
            Some(b) => b.len(),
            None => {
                stderr(b"ttlog: crash snapshot not written: the directory path is too long\n");
                return;
            }
        }
    };
    // SAFETY: `path` is NUL-terminated (checked above); `open` is
    // async-signal-safe.
    let fd = unsafe {
        libc::open(
            scratch.path.as_ptr().cast(),
            libc::O_WRONLY | libc::O_CREAT | libc::O_EXCL | libc::O_CLOEXEC,
            0o644,
        )
    };
    if fd < 0 {
        stderr(b"ttlog: crash snapshot not written: cannot create ");
        stderr(&scratch.path[..path_len - 1]);
        stderr(b"\n");
        return;
    }
    let ok = write_fatal_frames(fatal, scratch, fd, reason);
    // SAFETY: `fd` was opened above and is closed once.
    unsafe { libc::close(fd) };
    FATAL_WRITES.fetch_add(1, Ordering::Relaxed);
    stderr(if ok { b"ttlog: crash snapshot written to " } else { b"ttlog: crash snapshot incomplete (write failed): " });
    stderr(&scratch.path[..path_len - 1]);
    stderr(b"\n");
}

fn write_fatal_frames(fatal: &Fatal, scratch: &mut Scratch, fd: libc::c_int, reason: &str) -> bool {
    let mut pre = [0u8; wire::PREAMBLE_LEN];
    wire::put_preamble(&mut SliceOut::new(&mut pre));
    if !write_all(fd, &pre) {
        return false;
    }
    let current_clock = clock::current().unwrap_or(crate::clock::Clock::Monotonic);
    let taken = ClockPoint::now(current_clock);
    let header = HeaderRef {
        program: &fatal.program,
        pid: fatal.pid,
        host: &fatal.host,
        reason,
        clock: current_clock,
        anchor: clock::anchor().unwrap_or(taken),
        taken,
        evicted: registry::evicted_events(),
        late_dropped: crate::write::late_dropped(),
    };
    let mut frames = 1u64;
    if !write_small_frame(fd, &mut scratch.small, wire::kind::HEADER, |o| header.encode(o)) {
        return false;
    }
    if !write_all(fd, &fatal.meta) {
        return false;
    }
    let mut events = 0u64;
    for (index, slot) in registry::slots().enumerate() {
        let Some((m, range, copied)) = capture_raw(slot, &mut scratch.words) else { continue };
        let words = &mut scratch.words[range];
        let (first_seq, recorded) = count_records(words);
        let flags = wire::ThreadFlags { exited: m.exited, copied };
        let ok = write_small_frame(fd, &mut scratch.small, wire::kind::THREAD, |o| {
            wire::encode_thread(o, index as u32, m.tid, m.name_str(), flags, recorded, first_seq, m.dropped)
        });
        if !ok || !write_ring_frame(fd, index as u32, words) {
            return false;
        }
        frames += 2;
        events += recorded;
    }
    // The header and the callsites again, as ordinary snapshots have them:
    // damage to one copy costs no events.
    if !write_small_frame(fd, &mut scratch.small, wire::kind::HEADER, |o| header.encode(o))
        || !write_all(fd, &fatal.meta)
    {
        return false;
    }
    frames += 1 + 2 * fatal.meta_frames();
    write_small_frame(fd, &mut scratch.small, wire::kind::END, |o| wire::End { frames, events }.encode(o))
}

/// Captures a slot into `buf` for the crash snapshot: `None` if no thread
/// ever owned it; else the owner, the range of `buf` holding the copy, and
/// whether a copy could be made. As ordinary snapshots do (`snapshot.rs`), a
/// writer that laps every copy of its whole ring gets its newest two blocks
/// copied instead; if even that keeps failing, the thread is listed without
/// events, marked as not copied.
fn capture_raw(slot: &registry::Slot, buf: &mut [u64]) -> Option<(registry::Owner, core::ops::Range<usize>, bool)> {
    let mut last = match slot.capture_raw(buf) {
        Captured::Unowned => return None,
        Captured::Copied(owner, range) => return Some((owner, range.unwrap_or(0..0), true)),
        Captured::Failed(owner) => owner,
    };
    let small = ((2 * BLOCK / 8) as usize).min(buf.len());
    let small = &mut buf[..small];
    for _ in 0..64 {
        match slot.capture_raw(small) {
            Captured::Unowned => return None,
            Captured::Copied(owner, range) => return Some((owner, range.unwrap_or(0..0), true)),
            Captured::Failed(owner) => last = owner,
        }
        std::hint::spin_loop();
    }
    Some((last, 0..0, false))
}

impl Fatal {
    fn meta_frames(&self) -> u64 {
        let mut n = 0;
        let mut pos = 0;
        while pos + wire::FRAME_HEADER_LEN <= self.meta.len() {
            let len = u32::from_le_bytes([self.meta[pos + 5], self.meta[pos + 6], self.meta[pos + 7], self.meta[pos + 8]]);
            pos += wire::FRAME_HEADER_LEN + len as usize;
            n += 1;
        }
        n
    }
}

/// (sequence number of the first record, number of records) of copied words.
fn count_records(words: &[u64]) -> (u64, u64) {
    let mut first = None;
    let mut n = 0;
    for block in record::blocks(words, (BLOCK / 8) as usize) {
        first.get_or_insert(block.seq);
        n += block.records().filter(|r| r.is_ok()).count() as u64;
    }
    (first.unwrap_or(0), n)
}

/// Encodes a small payload into `buf` and writes it as a frame.
fn write_small_frame(fd: libc::c_int, buf: &mut [u8], kind: u8, encode: impl FnOnce(&mut SliceOut<'_>)) -> bool {
    let (head, body) = buf.split_at_mut(wire::FRAME_HEADER_LEN);
    let mut out = SliceOut::new(body);
    encode(&mut out);
    let Some(payload) = out.bytes() else { return false };
    let mut crc = wire::SmallCrc::new();
    crc.update(&[kind]);
    crc.update(&(payload.len() as u32).to_le_bytes());
    crc.update(payload);
    let header = wire::frame_header(kind, payload.len() as u32, crc.finish());
    head.copy_from_slice(&header);
    let n = wire::FRAME_HEADER_LEN + payload.len();
    write_all(fd, &buf[..n])
}

/// Writes a RING frame: thread index, block size, then the words as they are
/// (little-endian).
fn write_ring_frame(fd: libc::c_int, thread: u32, words: &mut [u64]) -> bool {
    let mut prefix = [0u8; 20];
    let plen = {
        let mut out = SliceOut::new(&mut prefix);
        wire::put_varint(&mut out, thread as u64);
        wire::put_varint(&mut out, BLOCK);
        out.bytes().map_or(0, <[u8]>::len)
    };
    for w in words.iter_mut() {
        *w = w.to_le();
    }
    // SAFETY: `u64` has no padding and `u8` no alignment requirement, so the
    // words may be read as bytes; they were made little-endian above.
    let bytes = unsafe { core::slice::from_raw_parts(words.as_ptr().cast::<u8>(), words.len() * 8) };
    let len = (plen + bytes.len()) as u32;
    let mut crc = wire::SmallCrc::new();
    crc.update(&[wire::kind::RING]);
    crc.update(&len.to_le_bytes());
    crc.update(&prefix[..plen]);
    crc.update(bytes);
    let header = wire::frame_header(wire::kind::RING, len, crc.finish());
    write_all(fd, &header) && write_all(fd, &prefix[..plen]) && write_all(fd, bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_dates() {
        assert_eq!(civil(0), (1970, 1, 1, 0, 0, 0));
        assert_eq!(civil(951_782_400), (2000, 2, 29, 0, 0, 0));
        assert_eq!(civil(1_795_694_400 + 3_661), (2026, 11, 26, 13, 1, 1));
        assert_eq!(civil(-1), (1969, 12, 31, 23, 59, 59));
    }

    #[test]
    fn file_names() {
        let mut v = Vec::new();
        put_file_name(&mut v, "my app", 42, "SIGSEGV", 1_795_694_400_123_456_789);
        assert_eq!(String::from_utf8(v).unwrap(), "my_app-42-SIGSEGV-20261126T120000Z.ttlog");
        let mut buf = [0u8; 8];
        let mut out = SliceOut::new(&mut buf);
        put_file_name(&mut out, "long-program-name", 1, "x", 0);
        assert!(out.bytes().is_none(), "a name that does not fit is reported, not cut");
    }
}
