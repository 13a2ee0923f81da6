//! The continuous log: one background thread drains every thread's ring into
//! a compacted log file (the snapshot encoding, [`crate::wire`]), so that
//! application threads never format, compact or wait for a disk.
//!
//! ```text
//!  application threads         writer thread (one)                        file(s)
//!  ───────────────────         ───────────────────                        ───────
//!  info!(..) ─▶ ring  ──copy──▶ records past what it drained ─▶ encode ─▶ HEADER, CALLSITE*,
//!      ▲ block switch:          (buffer.rs reader protocol)               THREAD*, DROPS*,
//!      └ waits (Block) until ◀── drained count, stored after the write    EVENTS*, ... END
//! ```
//!
//! Turned on by [`Builder::log_file`](crate::Builder::log_file) or `TTLOG_FILE`
//! (read at the first event). The writer copies rings with the snapshot's
//! reader protocol ([`crate::buffer`]); what it has written it records per ring
//! (`drained`). In [`OnFull::Block`] mode a ring's oldest block is not reused
//! or given away before the writer has taken its events: the owner waits where
//! it opens a block, never per event. In [`OnFull::Drop`] mode the ring
//! overwrites as the flight recorder does, and the writer counts the events it
//! never saw (a jump of the owner's sequence numbers) and writes a DROPS frame
//! where they were lost, which the decoder shows as a marker line.
//!
//! With a console ([`Builder::console`](crate::Builder::console) or
//! `TTLOG_CONSOLE`), the writer also hands the bytes it writes to the
//! console's sink ([`console`]), which renders them on stderr; with no file,
//! the writer runs for the console alone and writes nowhere else.

pub mod console;
mod files;
mod writer;

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, Once};
use std::time::Duration;

/// What a thread does when its ring is full of events the continuous writer
/// has not taken yet (see [`Builder::on_full`](crate::Builder::on_full)).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum OnFull {
    /// The thread waits for the writer where it opens its next block: nothing
    /// is lost. The default.
    #[default]
    Block,
    /// The thread goes on, overwriting its oldest events; the writer counts
    /// exactly what it missed and marks the place in the file.
    Drop,
}

impl OnFull {
    fn parse(s: &str) -> Option<OnFull> {
        match s.trim().to_ascii_lowercase().as_str() {
            "block" => Some(OnFull::Block),
            "drop" => Some(OnFull::Drop),
            _ => None,
        }
    }
}

/// The continuous log's settings, as [`crate::Builder`] collects them.
#[derive(Clone, Debug, Default)]
pub(crate) struct Config {
    pub(crate) path: Option<PathBuf>,
    pub(crate) on_full: Option<OnFull>,
    pub(crate) rotate_size: Option<u64>,
    pub(crate) rotate_every: Option<Duration>,
    pub(crate) keep: Option<usize>,
    /// Also render the events on stderr.
    pub(crate) console: bool,
}

/// Why the continuous log could not be started.
#[derive(Debug)]
pub(crate) enum StartError {
    /// One is already running (started by `TTLOG_FILE` or an earlier `init`).
    Running(PathBuf),
    /// The file (or the writer thread) could not be created.
    Io(PathBuf, std::io::Error),
    /// A console was asked for, and no renderer is linked in (the `console`
    /// feature of `ttlog` is off).
    NoConsole,
}

/// Counts of the continuous log since the process started (see
/// [`log_file_stats`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct LogFileStats {
    /// Events written to the file(s).
    pub events: u64,
    /// Bytes written to the file(s).
    pub bytes: u64,
    /// Events lost (counted in DROPS frames): overwritten before the writer
    /// took them ([`OnFull::Drop`]), or never recorded by their thread.
    pub dropped: u64,
    /// Files opened (more than one when the log rotates).
    pub files: u64,
    /// CPU time of the writer thread, in nanoseconds.
    pub writer_cpu_ns: u64,
    /// Time logging threads spent waiting for the writer ([`OnFull::Block`]),
    /// all threads together, in nanoseconds.
    pub waited_ns: u64,
}

/// The counters behind [`LogFileStats`].
#[derive(Debug, Default)]
struct Counters {
    events: AtomicU64,
    bytes: AtomicU64,
    dropped: AtomicU64,
    files: AtomicU64,
    writer_cpu_ns: AtomicU64,
}

static COUNTERS: Counters = Counters {
    events: AtomicU64::new(0),
    bytes: AtomicU64::new(0),
    dropped: AtomicU64::new(0),
    files: AtomicU64::new(0),
    writer_cpu_ns: AtomicU64::new(0),
};

/// What the continuous log did so far: events and bytes written, losses, the
/// writer's CPU time and how long logging threads waited for it. All zero when
/// no log file was turned on.
pub fn log_file_stats() -> LogFileStats {
    LogFileStats {
        events: COUNTERS.events.load(Ordering::Relaxed),
        bytes: COUNTERS.bytes.load(Ordering::Relaxed),
        dropped: COUNTERS.dropped.load(Ordering::Relaxed),
        files: COUNTERS.files.load(Ordering::Relaxed),
        writer_cpu_ns: COUNTERS.writer_cpu_ns.load(Ordering::Relaxed),
        waited_ns: crate::buffer::WAITED_NS.load(Ordering::Relaxed),
    }
}

/// Requests from other threads to the writer, and its answers.
#[derive(Debug, Default)]
struct Control {
    /// Flushes asked for so far, and done so far.
    flush_asked: u64,
    flush_done: u64,
    /// Asked to write what is left and close the file.
    stop: bool,
    /// The writer closed its file and ended.
    stopped: bool,
}

/// The state shared by the writer thread and the threads that talk to it.
#[derive(Debug, Default)]
struct Shared {
    control: Mutex<Control>,
    changed: Condvar,
}

impl Shared {
    fn lock(&self) -> std::sync::MutexGuard<'_, Control> {
        self.control.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The running writer, if one was started.
struct Running {
    shared: Arc<Shared>,
    thread: std::thread::Thread,
    path: PathBuf,
    /// The process the writer runs in: a child of `fork` has none.
    pid: u32,
}

static RUNNING: Mutex<Option<Running>> = Mutex::new(None);
static WRITER_THREAD: std::sync::OnceLock<std::thread::Thread> = std::sync::OnceLock::new();
/// Nanoseconds the writer sleeps after each drain (tests and the report's
/// "slow writer" use it; 0 otherwise).
static WRITER_DELAY_NS: AtomicU64 = AtomicU64::new(0);
/// `TTLOG_FILE` is read once; threads whose first event comes meanwhile wait
/// until the writer runs (so that their rings already keep what it has not
/// drained).
static FROM_ENV: Once = Once::new();

fn running() -> std::sync::MutexGuard<'static, Option<Running>> {
    RUNNING.lock().unwrap_or_else(|e| e.into_inner())
}

/// The writer's shared state, if it runs in this process (waking it).
fn this_process_writer() -> Option<Arc<Shared>> {
    let r = running();
    let r = r.as_ref().filter(|r| r.pid == std::process::id())?;
    r.thread.unpark();
    Some(r.shared.clone())
}

/// Starts the writer for `config` (whose `path` is set, or `console`).
/// `TTLOG_ON_FULL` applies where `config` does not choose, and
/// `TTLOG_CONSOLE`'s colour choice to a console.
pub(crate) fn start(mut config: Config) -> Result<(), StartError> {
    let path = config.path.clone().unwrap_or_default();
    let mut slot = running();
    if let Some(r) = slot.as_ref() {
        return Err(StartError::Running(r.path.clone()));
    }
    if config.on_full.is_none() {
        config.on_full = env_on_full();
    }
    let sink = if config.console {
        let colour = env_console().flatten().unwrap_or_default();
        Some(console::make(colour).ok_or(StartError::NoConsole)?)
    } else {
        None
    };
    let out = files::Output::open(&config, sink).map_err(|e| StartError::Io(path.clone(), e))?;
    let shared = Arc::new(Shared::default());
    let policy = config.on_full.unwrap_or_default();
    let handle = {
        let shared = shared.clone();
        std::thread::Builder::new()
            .name("ttlog-writer".into())
            .spawn(move || writer::run(out, &shared))
            .map_err(|e| StartError::Io(path.clone(), e))?
    };
    let thread = handle.thread().clone();
    crate::settings::use_continuous_buffer_size();
    let _ = WRITER_THREAD.set(thread.clone());
    let _ = crate::buffer::WAKE_WRITER.set(wake);
    if policy == OnFull::Block {
        crate::buffer::BLOCKING_WRITER.store(std::process::id(), Ordering::Relaxed);
    }
    *slot = Some(Running { shared, thread, path, pid: std::process::id() });
    drop(slot);
    // Returning from `main` and `std::process::exit` run `atexit` handlers.
    // SAFETY: `at_exit` is an `extern "C" fn()` that does not unwind (it
    // catches panics), as `atexit` requires.
    unsafe { libc::atexit(at_exit) };
    Ok(())
}

/// `TTLOG_ON_FULL`, if set; an unknown value is reported once and ignored.
fn env_on_full() -> Option<OnFull> {
    let v = std::env::var("TTLOG_ON_FULL").ok()?;
    let p = OnFull::parse(&v);
    if p.is_none() {
        eprintln!("ttlog: ignoring TTLOG_ON_FULL={v:?}: expected `block` or `drop`");
    }
    p
}

/// `TTLOG_CONSOLE`: `None` when unset, empty or `0` (or not understood,
/// which is reported on stderr); `Some(colour)` to turn the console on, with
/// the colour choice it names (`None`: `1` and the like, which choose nothing).
fn env_console() -> Option<Option<console::Colour>> {
    let v = std::env::var("TTLOG_CONSOLE").ok()?;
    match v.trim().to_ascii_lowercase().as_str() {
        "" | "0" | "false" | "no" | "off" => None,
        "1" | "true" | "yes" | "on" => Some(None),
        "auto" => Some(Some(console::Colour::Auto)),
        "always" => Some(Some(console::Colour::Always)),
        "never" => Some(Some(console::Colour::Never)),
        _ => {
            static TOLD: Once = Once::new();
            TOLD.call_once(|| {
                eprintln!("ttlog: ignoring TTLOG_CONSOLE={v:?}: expected `1`, `auto`, `always`, `never` or `0`");
            });
            None
        }
    }
}

/// Starts the writer if `TTLOG_FILE` or `TTLOG_CONSOLE` asks for one and none
/// runs: called by a thread's first event (cold path), once per process.
pub(crate) fn start_from_env() {
    FROM_ENV.call_once(|| {
        let path = std::env::var_os("TTLOG_FILE").filter(|p| !p.is_empty()).map(PathBuf::from);
        let console = env_console().is_some();
        if path.is_none() && !console {
            return;
        }
        let config = Config { path: path.clone(), console, ..Config::default() };
        match start(config) {
            // `Builder::log_file` or `Builder::console` started one before: it wins.
            Ok(()) | Err(StartError::Running(_)) => {}
            Err(StartError::Io(p, e)) if path.is_some() => {
                eprintln!("ttlog: cannot open TTLOG_FILE {}: {e}", p.display())
            }
            Err(StartError::Io(_, e)) => eprintln!("ttlog: cannot start the console's writer thread: {e}"),
            Err(StartError::NoConsole) => {
                eprintln!("ttlog: ignoring TTLOG_CONSOLE: {}", console::MISSING);
                // The file, as without TTLOG_CONSOLE.
                if let Some(path) = path
                    && let Err(StartError::Io(p, e)) = start(Config { path: Some(path), ..Config::default() })
                {
                    eprintln!("ttlog: cannot open TTLOG_FILE {}: {e}", p.display());
                }
            }
        }
    });
}

/// Wakes the writer (a thread that waits for room calls this).
fn wake() {
    if let Some(t) = WRITER_THREAD.get() {
        t.unpark();
    }
}

/// Returns when every event logged before the call, by any thread, is in the
/// log file and synced to disk. Returns at once when no log file is on, it
/// was closed at exit, or this is a child of `fork` (which has no writer).
///
/// ```
/// ttlog::info!("written before flush returns, if a log file is on");
/// ttlog::flush();
/// ```
pub fn flush() {
    let Some(shared) = this_process_writer() else { return };
    let mut c = shared.lock();
    c.flush_asked += 1;
    let ticket = c.flush_asked;
    wake();
    while c.flush_done < ticket && !c.stopped {
        c = shared.changed.wait(c).unwrap_or_else(|e| e.into_inner());
    }
}

/// Writes what is left, closes the file and ends the writer; threads that
/// log after it no longer wait. Runs at exit.
fn shutdown() {
    let Some(shared) = this_process_writer() else { return };
    let mut c = shared.lock();
    c.stop = true;
    wake();
    while !c.stopped {
        c = shared.changed.wait(c).unwrap_or_else(|e| e.into_inner());
    }
}

extern "C" fn at_exit() {
    let _ = std::panic::catch_unwind(shutdown);
}

/// Makes the writer sleep `delay` after each drain: a deliberately slow
/// writer, for tests and measurements of the [`OnFull`] policies.
#[doc(hidden)]
pub fn __set_writer_delay(delay: Duration) {
    WRITER_DELAY_NS.store(delay.as_nanos() as u64, Ordering::Relaxed);
    wake();
}
