//! [`Builder::init`]: applies the settings, installs the crash handlers and
//! starts the threads they need. Optional: nothing needs to be set up before
//! logging.

use crate::clock::Clock;
use crate::level::LevelFilter;
use crate::settings;
use core::fmt;

/// Sets what the defaults do not suit. Every setting is optional.
///
/// ```
/// use ttlog::{Builder, LevelFilter};
///
/// Builder::new()
///     .buffer_size(256 * 1024)       // per thread
///     .memory_budget(64 << 20)       // all threads together
///     .max_level(LevelFilter::Debug)
///     .init()
///     .expect("ttlog configured before the first event");
/// ```
#[derive(Clone, Debug, Default)]
#[must_use = "a Builder does nothing until `init` is called"]
pub struct Builder {
    buffer_size: Option<u64>,
    memory_budget: Option<usize>,
    max_level: Option<LevelFilter>,
    clock: Option<Clock>,
    snapshot_dir: Option<std::path::PathBuf>,
    capture_panics: bool,
    on_demand_signal: Option<i32>,
    capture_fatal_signals: bool,
    log_file: crate::continuous::Config,
}

/// The signal [`Builder::snapshot_on_signal`] listens to unless told otherwise.
pub const DEFAULT_SNAPSHOT_SIGNAL: i32 = libc::SIGUSR2;

impl Builder {
    /// A builder that changes nothing.
    pub fn new() -> Builder {
        Builder::default()
    }

    /// Bytes of each thread's ring, rounded up to a power of two of at least
    /// 16 KiB. Applies to threads whose first event comes after `init`.
    /// Default: 64 KiB.
    pub fn buffer_size(mut self, bytes: usize) -> Builder {
        self.buffer_size = Some(bytes as u64);
        self
    }

    /// Bytes all rings together may take. When it is spent, a new thread takes
    /// over the buffer of the thread that exited longest ago; if no thread has
    /// exited, the new thread's events are counted as dropped. Default: 256 MiB.
    pub fn memory_budget(mut self, bytes: usize) -> Builder {
        self.memory_budget = Some(bytes);
        self
    }

    /// The runtime maximum level; the same as [`set_max_level`](crate::set_max_level).
    pub fn max_level(mut self, filter: LevelFilter) -> Builder {
        self.max_level = Some(filter);
        self
    }

    /// The clock events are stamped with. Must be chosen before the first event.
    pub fn clock(mut self, clock: Clock) -> Builder {
        self.clock = Some(clock);
        self
    }

    /// The directory snapshots are saved in by [`Snapshot::save_to_dir`] and by
    /// crash capture. Default: `TTLOG_DIR`, else the system's temporary directory.
    ///
    /// [`Snapshot::save_to_dir`]: crate::Snapshot::save_to_dir
    pub fn snapshot_dir(mut self, dir: impl Into<std::path::PathBuf>) -> Builder {
        self.snapshot_dir = Some(dir.into());
        self
    }

    /// On a panic in any thread, record the panic as an ERROR event and write a
    /// snapshot, then run the panic hook that was installed before.
    pub fn capture_panics(mut self) -> Builder {
        self.capture_panics = true;
        self
    }

    /// Write a snapshot when the process receives `signal` (for example
    /// [`DEFAULT_SNAPSHOT_SIGNAL`], `SIGUSR2`): `kill -USR2 PID` shows what a
    /// running service is doing. Starts one thread that waits for the signal.
    pub fn snapshot_on_signal(mut self, signal: i32) -> Builder {
        self.on_demand_signal = Some(signal);
        self
    }

    /// On `SIGSEGV`, `SIGBUS`, `SIGILL`, `SIGFPE` or `SIGABRT`, write what the
    /// rings hold (async-signal-safe: see the crate docs for what such a
    /// snapshot includes), then let the signal end the process as it would
    /// have, core dump included.
    pub fn capture_fatal_signals(mut self) -> Builder {
        self.capture_fatal_signals = true;
        self
    }

    /// All three: [`capture_panics`](Self::capture_panics),
    /// [`capture_fatal_signals`](Self::capture_fatal_signals) and
    /// [`snapshot_on_signal`](Self::snapshot_on_signal)`(SIGUSR2)`.
    pub fn crash_capture(self) -> Builder {
        self.capture_panics().capture_fatal_signals().snapshot_on_signal(DEFAULT_SNAPSHOT_SIGNAL)
    }

    /// Turns on the continuous log: one background thread drains every
    /// thread's ring into the log file at `path` (created or truncated), in
    /// the snapshot encoding that `ttlog-decode` reads, so that logging
    /// threads never format, compact or write. Without this call,
    /// `TTLOG_FILE=path` does the same at the first event. The flight recorder
    /// and crash capture keep working beside it. See [`on_full`](Self::on_full),
    /// [`rotate_size`](Self::rotate_size), [`rotate_every`](Self::rotate_every),
    /// [`keep`](Self::keep) and [`flush`](crate::flush).
    pub fn log_file(mut self, path: impl Into<std::path::PathBuf>) -> Builder {
        self.log_file.path = Some(path.into());
        self
    }

    /// What a thread does when its ring is full of events the log file's
    /// writer has not taken yet: [`OnFull::Block`](crate::OnFull::Block) (the
    /// default: it waits, nothing is lost) or [`OnFull::Drop`](crate::OnFull::Drop)
    /// (it goes on; the file marks and counts what was lost). Without this
    /// call, `TTLOG_ON_FULL=block|drop` chooses. The check happens where a
    /// thread opens a new 4 KiB block, never per event.
    pub fn on_full(mut self, policy: crate::OnFull) -> Builder {
        self.log_file.on_full = Some(policy);
        self
    }

    /// Starts a new log file once the open one holds at least `bytes` bytes
    /// (checked after each drain, so a file may exceed it by one drain's
    /// output). Rotated files are named after the log file's path with the
    /// time they were opened and a count, so that a directory listing sorts
    /// them in time order: `app.ttlog` gives `app-20261203T122545.123Z-0001.ttlog`.
    pub fn rotate_size(mut self, bytes: u64) -> Builder {
        self.log_file.rotate_size = Some(bytes);
        self
    }

    /// Starts a new log file once the open one is `every` old (named as for
    /// [`rotate_size`](Self::rotate_size)).
    pub fn rotate_every(mut self, every: std::time::Duration) -> Builder {
        self.log_file.rotate_every = Some(every);
        self
    }

    /// With rotation, keeps at most `n` log files: when a new one is opened,
    /// the oldest of the log's rotated files in its directory are removed.
    pub fn keep(mut self, n: usize) -> Builder {
        self.log_file.keep = Some(n);
        self
    }

    /// Applies the settings.
    ///
    /// Fails when a clock is chosen after events were already stamped with
    /// another one, or when a signal handler cannot be installed; the settings
    /// before the failing one are applied.
    pub fn init(self) -> Result<(), InitError> {
        if let Some(b) = self.buffer_size {
            settings::set_buffer_size(b);
        }
        if let Some(b) = self.memory_budget {
            settings::set_memory_budget(b);
        }
        if let Some(l) = self.max_level {
            crate::level::set_max_level(l);
        }
        if let Some(c) = self.clock {
            crate::clock::set_clock(c).map_err(|current| InitError::ClockInUse { requested: c, current })?;
        }
        if let Some(dir) = self.snapshot_dir {
            crate::snapshot::file::set_dir(dir);
        }
        if self.capture_panics {
            crate::crash::install_panic_hook();
        }
        if let Some(sig) = self.on_demand_signal {
            crate::crash::install_on_demand(sig)
                .map_err(|e| InitError::Signal { what: format!("snapshot signal {sig}"), error: e.to_string() })?;
        }
        if self.capture_fatal_signals {
            crate::crash::install_fatal(settings::current().buffer_size)
                .map_err(|e| InitError::Signal { what: "fatal-signal handlers".into(), error: e.to_string() })?;
        }
        if self.log_file.path.is_some() {
            crate::continuous::start(self.log_file).map_err(|e| match e {
                crate::continuous::StartError::Running(path) => InitError::LogFileRunning { path },
                crate::continuous::StartError::Io(path, error) => InitError::LogFile { path, error: error.to_string() },
            })?;
        }
        Ok(())
    }
}

/// Why [`Builder::init`] failed.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum InitError {
    /// Events were already stamped with another clock.
    ClockInUse {
        /// The clock asked for.
        requested: Clock,
        /// The clock in use.
        current: Clock,
    },
    /// A log file is already being written (started by `TTLOG_FILE` at the
    /// first event, or by an earlier `init`).
    LogFileRunning {
        /// The file being written.
        path: std::path::PathBuf,
    },
    /// The log file or its writer thread could not be created.
    LogFile {
        /// The file asked for.
        path: std::path::PathBuf,
        /// The system's error.
        error: String,
    },
    /// A signal handler could not be installed.
    Signal {
        /// Which.
        what: String,
        /// The system's error.
        error: String,
    },
}

impl fmt::Display for InitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InitError::ClockInUse { requested, current } => {
                write!(f, "cannot switch the clock to {requested:?}: events are already stamped with {current:?}")
            }
            InitError::Signal { what, error } => write!(f, "cannot install the {what}: {error}"),
            InitError::LogFileRunning { path } => {
                write!(f, "a log file is already being written: {}", path.display())
            }
            InitError::LogFile { path, error } => write!(f, "cannot write the log file {}: {error}", path.display()),
        }
    }
}

impl std::error::Error for InitError {}
