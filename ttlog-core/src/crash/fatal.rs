//! The snapshot written from inside a signal handler: on the fatal signals
//! (`SIGSEGV`, `SIGBUS`, `SIGILL`, `SIGFPE`, `SIGABRT`) and, when asked, on
//! the termination signals (`SIGTERM`, `SIGINT`). Everything the handler needs
//! is made at installation (the directory path, the encoded metadata of every
//! callsite, a copy buffer and a stack); the handler copies each thread's ring
//! with the same consistency protocol as any snapshot, writes the ring blocks
//! as they are (RING frames, not re-encoded: that would allocate) with
//! `write(2)`, then lets the signal take its course: the previous handler, or
//! the default action (the process dies with the signal's status, core dump
//! included).

use super::stack::{HandlerStack, on_stack};
use super::storm;
use crate::buffer::BLOCK;
use crate::clock::{self, ClockPoint};
use crate::registry::{self, Captured};
use crate::snapshot::file::put_file_name;
use crate::wire::write::{HeaderRef, SliceOut, SmallCrc, ThreadCounts, ThreadFlags, TriggerRef, encode_thread};
use crate::wire::{self, Calibration, CallsiteInfo, Out, record};
use std::cell::UnsafeCell;
use std::ffi::CString;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use super::{FATAL_SIGNALS, TERMINATION_SIGNALS};

/// Every signal this handler may be installed for: the fatal ones, then the
/// termination ones.
const HANDLED: [libc::c_int; 7] = [
    FATAL_SIGNALS[0],
    FATAL_SIGNALS[1],
    FATAL_SIGNALS[2],
    FATAL_SIGNALS[3],
    FATAL_SIGNALS[4],
    TERMINATION_SIGNALS[0],
    TERMINATION_SIGNALS[1],
];

/// Everything the handler needs, made at the first installation.
struct Fatal {
    /// The snapshot directory, NUL-terminated.
    dir: Vec<u8>,
    /// Whether `dir` is the default private directory: the handler then
    /// opens it without following a link and checks its owner and mode.
    private: bool,
    program: String,
    host: String,
    /// CALLSITE_STATIC frames of every callsite registered at installation.
    meta: Vec<u8>,
    /// Their ids, sorted: the handler writes the frames of callsites made
    /// since (by the panic hook and the `log`/`tracing` bridges) itself.
    meta_ids: Vec<u32>,
    /// The previous disposition of each of [`HANDLED`], to restore or call
    /// when the handler is done: element `i` is written once, by the
    /// installation, before the handler is installed for `HANDLED[i]`, and
    /// only that signal's handler reads it.
    previous: [UnsafeCell<libc::sigaction>; HANDLED.len()],
    /// Whether the handler is installed for `HANDLED[i]`.
    installed: [AtomicBool; HANDLED.len()],
    /// Ring copies, path and small frames. Used by one handler at a time (see
    /// `DUMPING`).
    scratch: UnsafeCell<Scratch>,
    /// Where the handler that writes the snapshot runs (one at a time too).
    stack: HandlerStack,
}

struct Scratch {
    words: Vec<u64>,
    small: Vec<u8>,
    name: Vec<u8>,
}

// SAFETY: `scratch` and `stack`'s memory are only touched by the one signal
// handler that holds the `DUMPING` flag; element `i` of `previous` is written
// by the installation (under `INSTALL`'s lock) before the handler that reads
// it is installed, and never after; the other fields never change.
unsafe impl Sync for Fatal {}

static FATAL: OnceLock<Fatal> = OnceLock::new();
/// Serialises installations.
static INSTALL: std::sync::Mutex<()> = std::sync::Mutex::new(());
/// Held by the handler that writes a snapshot.
static DUMPING: AtomicBool = AtomicBool::new(false);
/// Set when a fatal signal's snapshot is done (the process is ending).
static DUMPED: AtomicBool = AtomicBool::new(false);
/// Files written by signal handlers (for tests and diagnostics).
static FATAL_WRITES: AtomicU64 = AtomicU64::new(0);

/// Installs the fatal-signal handlers, once. `ring_bytes` sizes the copy
/// buffer (the largest ring that will be copied whole).
pub(crate) fn install_fatal(ring_bytes: u64) -> io::Result<()> {
    install(ring_bytes, &FATAL_SIGNALS)
}

/// Installs the termination-signal handlers (`SIGTERM`, `SIGINT`), once.
pub(crate) fn install_termination(ring_bytes: u64) -> io::Result<()> {
    install(ring_bytes, &TERMINATION_SIGNALS)
}

fn install(ring_bytes: u64, signals: &[libc::c_int]) -> io::Result<()> {
    let _guard = INSTALL.lock().unwrap_or_else(|e| e.into_inner());
    let fatal = match FATAL.get() {
        Some(f) => f,
        None => {
            let made = make(ring_bytes)?;
            FATAL.get_or_init(|| made)
        }
    };
    for &sig in signals {
        let Some(i) = HANDLED.iter().position(|&s| s == sig) else { continue };
        if fatal.installed[i].load(Ordering::Acquire) {
            continue;
        }
        // SAFETY: reads the current disposition into element `i`, which no
        // handler reads yet: ours is installed for `sig` only below.
        if unsafe { libc::sigaction(sig, std::ptr::null(), fatal.previous[i].get()) } != 0 {
            return Err(io::Error::last_os_error());
        }
        // A termination signal the process ignores (started with `nohup`, or
        // in the background of a shell) stays ignored: no snapshot.
        // SAFETY: element `i` was just written, and no handler reads it.
        if TERMINATION_SIGNALS.contains(&sig) && unsafe { (*fatal.previous[i].get()).sa_sigaction } == libc::SIG_IGN {
            continue;
        }
        // SAFETY: a zeroed `sigaction` is a valid value; the handler has the
        // signature SA_SIGINFO asks for, and `sa_mask` is initialised by
        // `sigemptyset`. SA_ONSTACK lets the handler run on the alternate
        // signal stack Rust's threads have, since a stack overflow arrives as
        // SIGSEGV.
        unsafe {
            let mut act: libc::sigaction = std::mem::zeroed();
            act.sa_sigaction =
                on_signal as extern "C" fn(libc::c_int, *mut libc::siginfo_t, *mut libc::c_void) as usize;
            act.sa_flags = libc::SA_SIGINFO | libc::SA_ONSTACK;
            libc::sigemptyset(&mut act.sa_mask);
            if libc::sigaction(sig, &act, std::ptr::null_mut()) != 0 {
                return Err(io::Error::last_os_error());
            }
        }
        fatal.installed[i].store(true, Ordering::Release);
    }
    Ok(())
}

fn make(ring_bytes: u64) -> io::Result<Fatal> {
    let (dir, private) = crate::snapshot::file::snapshot_dir_kind();
    let dir = CString::new(dir.as_os_str().as_bytes().to_vec())
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "the snapshot directory contains a NUL byte"))?;
    let mut meta = Vec::new();
    let mut meta_ids = Vec::new();
    let mut payload = Vec::new();
    for cs in crate::callsite::registered() {
        payload.clear();
        CallsiteInfo::encode_static(&mut payload, crate::callsite::callsite_id(cs), cs, None);
        wire::put_frame(&mut meta, wire::kind::CALLSITE_STATIC, &payload);
        meta_ids.push(crate::callsite::callsite_id(cs));
    }
    wire::types::put_type_frames(&mut meta);
    meta_ids.sort_unstable();
    let ring_words = (ring_bytes.max(crate::buffer::MIN_CAPACITY).next_power_of_two() / 8) as usize;
    Ok(Fatal {
        dir: dir.into_bytes_with_nul(),
        private,
        program: crate::snapshot::file::cached(&crate::snapshot::file::PROGRAM, crate::snapshot::file::program_name),
        host: crate::snapshot::file::cached(&crate::snapshot::file::HOST, crate::snapshot::file::host_name),
        meta,
        meta_ids,
        // SAFETY: an all-zero `sigaction` is a valid value (SIG_DFL, no
        // flags); each is overwritten with the current disposition before
        // it is used.
        previous: std::array::from_fn(|_| UnsafeCell::new(unsafe { std::mem::zeroed() })),
        installed: Default::default(),
        scratch: UnsafeCell::new(Scratch { words: vec![0; ring_words], small: vec![0; 64 << 10], name: vec![0; 512] }),
        stack: HandlerStack::new()?,
    })
}

/// Writes all of `bytes` to `fd`.
fn write_all(fd: libc::c_int, mut bytes: &[u8]) -> bool {
    while !bytes.is_empty() {
        // SAFETY: `bytes` is valid for reads of its length.
        let n = unsafe { libc::write(fd, bytes.as_ptr().cast(), bytes.len()) };
        if n > 0 {
            bytes = &bytes[n as usize..];
        } else if n < 0 && errno() == libc::EINTR {
            continue;
        } else {
            return false;
        }
    }
    true
}

fn errno() -> libc::c_int {
    // SAFETY: the calling thread's errno, always valid to read.
    unsafe { *libc::__errno_location() }
}

/// Writes to stderr from a signal handler.
fn stderr(msg: &[u8]) {
    write_all(2, msg);
}

/// What the kernel says about a signal, read in the handler.
fn trigger_of(sig: libc::c_int, info: *const libc::siginfo_t, tid: u64, thread: &str, skipped: u64) -> TriggerRef<'_> {
    let mut t = TriggerRef { signal: sig as u32, tid, thread, skipped, ..TriggerRef::default() };
    if info.is_null() {
        return t;
    }
    // SAFETY: `info` is the kernel's siginfo for this signal (SA_SIGINFO).
    // `si_addr` is meaningful for the fault signals raised by the CPU
    // (si_code > 0), `si_pid` for a signal sent by a process (si_code <= 0);
    // each is read only then.
    unsafe {
        t.code = (*info).si_code;
        let fault = matches!(sig, libc::SIGSEGV | libc::SIGBUS | libc::SIGILL | libc::SIGFPE);
        if fault && t.code > 0 {
            t.addr = (*info).si_addr() as usize as u64;
        } else if t.code <= 0 {
            t.sender_pid = (*info).si_pid() as u32;
        }
    }
    t
}

extern "C" fn on_signal(sig: libc::c_int, info: *mut libc::siginfo_t, ctx: *mut libc::c_void) {
    let Some(fatal) = FATAL.get() else { return };
    let saved_errno = errno();
    let Some(i) = HANDLED.iter().position(|&s| s == sig) else { return };
    // SAFETY: element `i` was written before this handler was installed for
    // `sig` and is never written again (see `Fatal::previous`).
    let previous = unsafe { *fatal.previous[i].get() };
    let terminating = TERMINATION_SIGNALS.contains(&sig);
    let chained = previous.sa_sigaction != libc::SIG_DFL && previous.sa_sigaction != libc::SIG_IGN;
    // A termination signal that a handler of the program takes over may
    // come again and again (Ctrl-C in a program that handles it): the storm
    // limit applies. One that ends the process, and a fatal one, always
    // write their snapshot.
    let write = !(terminating && chained) || storm::admit();
    if write {
        if DUMPING.compare_exchange(false, true, Ordering::AcqRel, Ordering::Acquire).is_ok() {
            // SAFETY: this handler holds `DUMPING`, so it alone uses the
            // scratch space and the handler stack; the stack is mapped for
            // as long as the process lives (it is never unmapped).
            unsafe {
                let scratch = &mut *fatal.scratch.get();
                on_stack(fatal.stack.top(), || write_signal_snapshot(fatal, scratch, sig, info));
            }
            if terminating && chained {
                // The process may go on: the next signal may write again.
                DUMPING.store(false, Ordering::Release);
            } else {
                DUMPED.store(true, Ordering::Release);
            }
        } else {
            // Another thread is writing a snapshot: let it finish (up to
            // ~5 s) before this signal takes its course.
            for _ in 0..500 {
                if DUMPED.load(Ordering::Acquire) || !DUMPING.load(Ordering::Acquire) {
                    break;
                }
                let ts = libc::timespec { tv_sec: 0, tv_nsec: 10_000_000 };
                // SAFETY: `nanosleep` is async-signal-safe; `ts` is valid.
                unsafe { libc::nanosleep(&ts, std::ptr::null_mut()) };
            }
        }
    }
    if terminating {
        if chained {
            // SAFETY: the handler the program installed before, called as the
            // kernel would have called it (with the siginfo and context when
            // it asked for them).
            unsafe {
                *libc::__errno_location() = saved_errno;
                if previous.sa_flags & libc::SA_SIGINFO != 0 {
                    let f: extern "C" fn(libc::c_int, *mut libc::siginfo_t, *mut libc::c_void) =
                        std::mem::transmute(previous.sa_sigaction);
                    f(sig, info, ctx);
                } else {
                    let f: extern "C" fn(libc::c_int) = std::mem::transmute(previous.sa_sigaction);
                    f(sig);
                }
            }
            return;
        }
        if previous.sa_sigaction == libc::SIG_IGN {
            // SAFETY: restoring errno is always valid.
            unsafe { *libc::__errno_location() = saved_errno };
            return;
        }
        // SAFETY: the default disposition restored, then the signal raised
        // again: it is blocked while this handler runs, and ends the process
        // (status 128 + signal) when the handler returns.
        unsafe {
            libc::sigaction(sig, &previous, std::ptr::null_mut());
            libc::raise(sig);
        }
        return;
    }
    // SAFETY: restoring the disposition saved at installation; `info` is the
    // kernel's siginfo for this signal. A fault raised by the CPU (si_code > 0)
    // recurs when the handler returns, now reaching the previous handler (or
    // the default action: core dump) with its real siginfo; a signal sent by
    // a process, and SIGABRT, is raised again.
    unsafe {
        libc::sigaction(sig, &previous, std::ptr::null_mut());
        let from_kernel = !info.is_null() && (*info).si_code > 0;
        if !from_kernel || sig == libc::SIGABRT {
            libc::raise(sig);
        }
    }
}

/// The name of the signals the handler takes, for reasons and file names.
fn reason_of(sig: libc::c_int) -> &'static str {
    match sig {
        libc::SIGSEGV => "SIGSEGV",
        libc::SIGBUS => "SIGBUS",
        libc::SIGILL => "SIGILL",
        libc::SIGFPE => "SIGFPE",
        libc::SIGTERM => "SIGTERM",
        libc::SIGINT => "SIGINT",
        _ => "SIGABRT",
    }
}

/// Opens the snapshot directory: created (with its missing parents, `0700`)
/// if it has gone; the default private one never through a link and only if
/// it is still this user's and `0700`. -1 when it cannot be had.
fn open_dir(fatal: &Fatal) -> libc::c_int {
    let path = fatal.dir.as_ptr().cast::<libc::c_char>();
    let flags = libc::O_RDONLY | libc::O_DIRECTORY | libc::O_CLOEXEC | if fatal.private { libc::O_NOFOLLOW } else { 0 };
    // SAFETY: `dir` is NUL-terminated (made from a `CString`); `open` is
    // async-signal-safe.
    let mut fd = unsafe { libc::open(path, flags) };
    if fd < 0 && errno() == libc::ENOENT {
        mkdir_all(fatal);
        // SAFETY: as above.
        fd = unsafe { libc::open(path, flags) };
    }
    if fd < 0 {
        stderr(b"ttlog: crash snapshot not written: cannot open the directory ");
        stderr(&fatal.dir[..fatal.dir.len() - 1]);
        stderr(b"\n");
        return -1;
    }
    if fatal.private {
        // SAFETY: an all-zero `stat` is a valid value for `fstat` to fill;
        // `fd` is open; `fstat` and `geteuid` are async-signal-safe.
        let ok = unsafe {
            let mut st: libc::stat = std::mem::zeroed();
            libc::fstat(fd, &mut st) == 0 && st.st_uid == libc::geteuid() && st.st_mode & 0o777 == 0o700
        };
        if !ok {
            stderr(b"ttlog: crash snapshot not written: the directory is no longer private to this user: ");
            stderr(&fatal.dir[..fatal.dir.len() - 1]);
            stderr(b"\n");
            // SAFETY: `fd` was opened above and is closed once.
            unsafe { libc::close(fd) };
            return -1;
        }
    }
    fd
}

/// `mkdir -p` of the directory, with `mkdir(2)` (async-signal-safe) on each
/// prefix that ends before a `/`, then on the whole path; errors (a prefix
/// that exists) are left to the `open` that follows.
fn mkdir_all(fatal: &Fatal) {
    let mut buf = [0u8; 4096];
    let n = fatal.dir.len();
    if n > buf.len() {
        return;
    }
    buf[..n].copy_from_slice(&fatal.dir);
    for i in 1..n - 1 {
        if buf[i] == b'/' {
            buf[i] = 0;
            // SAFETY: `buf` is NUL-terminated at `i`.
            unsafe { libc::mkdir(buf.as_ptr().cast(), 0o700) };
            buf[i] = b'/';
        }
    }
    // SAFETY: `buf` holds the NUL-terminated directory path.
    unsafe { libc::mkdir(buf.as_ptr().cast(), 0o700) };
}

/// The snapshot of a signal handler. Async-signal-safe: no allocation, no
/// lock; the scratch space and metadata were made at installation.
fn write_signal_snapshot(fatal: &Fatal, scratch: &mut Scratch, sig: libc::c_int, info: *const libc::siginfo_t) {
    let reason = reason_of(sig);
    let now = clock::realtime_ns();
    // SAFETY: `getpid` and `gettid` have no preconditions and are
    // async-signal-safe; a child created by `fork` has its own pid.
    let (pid, tid) = unsafe { (libc::getpid() as u64, libc::gettid() as u64) };
    let dir_fd = open_dir(fatal);
    if dir_fd < 0 {
        return;
    }
    let mut fd = -1;
    let mut name_len = 0;
    for n in 1..=100 {
        let mut out = SliceOut::new(&mut scratch.name);
        put_file_name(&mut out, &fatal.program, pid, reason, now, n);
        out.put(&[0]);
        name_len = match out.bytes() {
            Some(b) => b.len() - 1,
            None => {
                stderr(b"ttlog: crash snapshot not written: the program name is too long\n");
                break;
            }
        };
        // SAFETY: `name` is NUL-terminated (checked above), `dir_fd` open;
        // `openat` is async-signal-safe. O_EXCL | O_NOFOLLOW: never through a
        // link, never over a file that exists.
        fd = unsafe {
            libc::openat(
                dir_fd,
                scratch.name.as_ptr().cast(),
                libc::O_WRONLY | libc::O_CREAT | libc::O_EXCL | libc::O_NOFOLLOW | libc::O_CLOEXEC,
                0o600 as libc::c_uint,
            )
        };
        if fd >= 0 || errno() != libc::EEXIST {
            break;
        }
    }
    // SAFETY: `dir_fd` was opened above and is closed once.
    unsafe { libc::close(dir_fd) };
    if fd < 0 {
        stderr(b"ttlog: crash snapshot not written: cannot create ");
        stderr(&fatal.dir[..fatal.dir.len() - 1]);
        stderr(b"/");
        stderr(&scratch.name[..name_len]);
        stderr(b"\n");
        return;
    }
    let mut thread_name = [0u8; registry::NAME_BYTES];
    let mut comm = [0u8; 64];
    let mut thread = registry::thread_name(tid, &mut thread_name);
    if thread.is_empty() {
        // A thread that never logged: its name as the kernel knows it.
        thread = kernel_thread_name(&mut comm);
    }
    let trigger = trigger_of(sig, info, tid, thread, storm::take_skipped());
    let ok = write_frames(fatal, scratch, fd, reason, pid, &trigger);
    // SAFETY: `fd` was opened above and is closed once.
    unsafe { libc::close(fd) };
    FATAL_WRITES.fetch_add(1, Ordering::Relaxed);
    let what: &[u8] = if TERMINATION_SIGNALS.contains(&sig) { b"termination" } else { b"crash" };
    stderr(b"ttlog: ");
    stderr(what);
    stderr(if ok { b" snapshot written to " } else { b" snapshot incomplete (write failed): " });
    stderr(&fatal.dir[..fatal.dir.len() - 1]);
    stderr(b"/");
    stderr(&scratch.name[..name_len]);
    stderr(b"\n");
}

/// The calling thread's name as the kernel has it (`/proc/thread-self/comm`,
/// which Rust's `std` sets for named threads), read with `open(2)` and
/// `read(2)`, which are async-signal-safe; "" when it cannot be read.
fn kernel_thread_name(buf: &mut [u8; 64]) -> &str {
    // SAFETY: the path is NUL-terminated; the descriptor is closed once;
    // `read` writes at most the buffer's length.
    let n = unsafe {
        let fd = libc::open(c"/proc/thread-self/comm".as_ptr(), libc::O_RDONLY | libc::O_CLOEXEC);
        if fd < 0 {
            return "";
        }
        let n = libc::read(fd, buf.as_mut_ptr().cast(), buf.len());
        libc::close(fd);
        n
    };
    let n = if n > 0 { n as usize } else { 0 };
    let text = buf[..n].strip_suffix(b"\n").unwrap_or(&buf[..n]);
    core::str::from_utf8(text).unwrap_or("")
}

fn write_frames(
    fatal: &Fatal,
    scratch: &mut Scratch,
    fd: libc::c_int,
    reason: &str,
    pid: u64,
    trigger: &TriggerRef<'_>,
) -> bool {
    let mut pre = [0u8; wire::PREAMBLE_LEN];
    wire::put_preamble(&mut SliceOut::new(&mut pre));
    if !write_all(fd, &pre) {
        return false;
    }
    let current_clock = clock::current().unwrap_or(crate::clock::Clock::Monotonic);
    let taken = ClockPoint::now(current_clock);
    let header = HeaderRef {
        program: &fatal.program,
        pid,
        host: &fatal.host,
        reason,
        clock: current_clock,
        anchor: clock::anchor().unwrap_or(taken),
        taken,
        evicted: registry::evicted_events(),
        late_dropped: registry::late_dropped(),
    };
    let calibration = clock::calibration().map(|(clock, anchor, point)| Calibration { clock, anchor, point });
    // The header, the trigger and the calibration: written before the
    // events and again after them, as ordinary snapshots have them.
    let head = |small: &mut [u8]| {
        write_small_frame(fd, small, wire::kind::HEADER, |o| header.encode(o))
            && write_small_frame(fd, small, wire::kind::TRIGGER, |o| trigger.encode(o))
            && calibration.is_none_or(|c| write_small_frame(fd, small, wire::kind::CLOCK, |o| c.encode(o)))
    };
    let head_frames = 2 + calibration.is_some() as u64;
    if !head(&mut scratch.small) || !write_all(fd, &fatal.meta) {
        return false;
    }
    let Some(late) = write_late_callsites(fatal, fd, &mut scratch.small) else { return false };
    let mut frames = 0u64;
    let mut events = 0u64;
    for (index, slot) in registry::slots().enumerate() {
        let Some((m, range, copied)) = capture_raw(slot, &mut scratch.words) else { continue };
        let words = &mut scratch.words[range];
        let (first_seq, recorded) = count_records(words);
        let flags = ThreadFlags { exited: m.exited, copied };
        let ok = write_small_frame(fd, &mut scratch.small, wire::kind::THREAD, |o| {
            let before = m.before_copy(recorded, first_seq);
            let n = ThreadCounts { recorded, overwritten: before - m.evicted, dropped: m.dropped, evicted: m.evicted };
            encode_thread(o, index as u32, m.tid, m.name_str(), flags, n)
        });
        if !ok {
            return false;
        }
        // A ring larger than a frame's payload may be goes in several RING
        // frames of whole blocks.
        for chunk in words.chunks_mut(RING_FRAME_WORDS) {
            if !write_ring_frame(fd, index as u32, chunk) {
                return false;
            }
            frames += 1;
        }
        frames += 1;
        events += recorded;
    }
    // The metadata again: damage to one copy costs no events.
    if !head(&mut scratch.small) || !write_all(fd, &fatal.meta) {
        return false;
    }
    let Some(late_again) = write_late_callsites(fatal, fd, &mut scratch.small) else { return false };
    frames += 2 * (head_frames + fatal.meta_frames()) + late + late_again;
    write_small_frame(fd, &mut scratch.small, wire::kind::END, |o| wire::End { frames, events }.encode(o))
}

/// Writes a CALLSITE_STATIC frame for each callsite made since the
/// installation (not in `fatal.meta`): the panic hook's and the bridges'.
/// Walks the lists of callsites, which are lock-free and never freed, and
/// encodes into `small`: no lock, no allocation. The number of frames, or
/// `None` if a write failed.
fn write_late_callsites(fatal: &Fatal, fd: libc::c_int, small: &mut [u8]) -> Option<u64> {
    let mut n = 0;
    for cs in crate::callsite::registered() {
        let id = crate::callsite::callsite_id(cs);
        if fatal.meta_ids.binary_search(&id).is_ok() {
            continue;
        }
        if !write_small_frame(fd, small, wire::kind::CALLSITE_STATIC, |o| CallsiteInfo::encode_static(o, id, cs, None))
        {
            return None;
        }
        n += 1;
    }
    Some(n)
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
        Captured::Copied(owner, range) => return Some((owner, range, true)),
        Captured::Failed(owner) => owner,
    };
    let small = ((2 * BLOCK / 8) as usize).min(buf.len());
    let small = &mut buf[..small];
    for _ in 0..64 {
        match slot.capture_raw(small) {
            Captured::Unowned => return None,
            Captured::Copied(owner, range) => return Some((owner, range, true)),
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
            let len =
                u32::from_le_bytes([self.meta[pos + 5], self.meta[pos + 6], self.meta[pos + 7], self.meta[pos + 8]]);
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
    let mut crc = SmallCrc::new();
    crc.update(&[kind]);
    crc.update(&(payload.len() as u32).to_le_bytes());
    crc.update(payload);
    let header = wire::frame_header(kind, payload.len() as u32, crc.finish());
    head.copy_from_slice(&header);
    let n = wire::FRAME_HEADER_LEN + payload.len();
    write_all(fd, &buf[..n])
}

/// Words of ring blocks per RING frame: whole blocks, and room for the
/// thread index and block size within [`wire::MAX_FRAME`].
const RING_FRAME_WORDS: usize = ((wire::MAX_FRAME as u64 - BLOCK) / BLOCK * BLOCK / 8) as usize;

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
    let mut crc = SmallCrc::new();
    crc.update(&[wire::kind::RING]);
    crc.update(&len.to_le_bytes());
    crc.update(&prefix[..plen]);
    crc.update(bytes);
    let header = wire::frame_header(wire::kind::RING, len, crc.finish());
    write_all(fd, &header) && write_all(fd, &prefix[..plen]) && write_all(fd, bytes)
}
