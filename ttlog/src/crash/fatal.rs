//! The fatal-signal snapshot (`SIGSEGV`, `SIGBUS`, `SIGILL`, `SIGFPE`,
//! `SIGABRT`): everything the handler needs is made at installation (the
//! directory path, the encoded metadata of every callsite, a copy buffer and
//! a stack); the handler copies each thread's ring with the same consistency
//! protocol as any snapshot, writes the ring blocks as they are (RING frames,
//! not re-encoded: that would allocate) with `write(2)`, then restores the
//! previous disposition and lets the signal take its course.

use super::stack::{HandlerStack, on_stack};
use crate::buffer::BLOCK;
use crate::clock::{self, ClockPoint};
use crate::registry::{self, Captured};
use crate::snapshot::file::{put_file_name, snapshot_dir};
use crate::wire::write::{HeaderRef, SliceOut, SmallCrc, ThreadCounts, ThreadFlags, encode_thread};
use crate::wire::{self, CallsiteInfo, Out, record};
use std::cell::UnsafeCell;
use std::ffi::CString;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use super::FATAL_SIGNALS;

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
    for cs in crate::callsite::registered() {
        payload.clear();
        CallsiteInfo::encode_static(&mut payload, crate::callsite::callsite_id(cs), cs, None);
        wire::put_frame(&mut meta, wire::kind::CALLSITE_STATIC, &payload);
    }
    let ring_words = (ring_bytes.max(crate::buffer::MIN_CAPACITY).next_power_of_two() / 8) as usize;
    let fatal = Fatal {
        dir: dir_bytes,
        program: crate::snapshot::file::program_name(),
        host: crate::snapshot::file::host_name(),
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
        libc::open(scratch.path.as_ptr().cast(), libc::O_WRONLY | libc::O_CREAT | libc::O_EXCL | libc::O_CLOEXEC, 0o644)
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
    stderr(if ok {
        b"ttlog: crash snapshot written to "
    } else {
        b"ttlog: crash snapshot incomplete (write failed): "
    });
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
        late_dropped: registry::late_dropped(),
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
