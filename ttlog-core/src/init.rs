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
    snapshot_on_termination: bool,
    snapshot_on_exit: bool,
    min_snapshot_interval: Option<std::time::Duration>,
    max_snapshot_files: Option<usize>,
    log_file: crate::continuous::Config,
}

/// The signal [`Builder::snapshot_on_signal`] listens to unless told otherwise.
pub const DEFAULT_SNAPSHOT_SIGNAL: i32 = libc::SIGUSR2;

impl Builder {
    /// A builder that changes nothing.
    pub fn new() -> Builder {
        Builder::default()
    }

    /// The most bytes one thread's ring grows to, rounded up to a power of two
    /// of at least 16 KiB. A ring starts at one block of
    /// [`BLOCK_BYTES`](crate::BLOCK_BYTES) and grows as its thread fills it.
    /// Applies to threads whose first event comes after `init`. Default: 64 KiB,
    /// or 256 KiB once the continuous log or the console runs (`log_file`,
    /// `console`, `TTLOG_FILE`, `TTLOG_CONSOLE`), whose writer drains a quarter
    /// of a ring at a time while its thread goes on in the rest.
    pub fn buffer_size(mut self, bytes: usize) -> Builder {
        self.buffer_size = Some(bytes as u64);
        self
    }

    /// Bytes the blocks of all rings together may take. When it is spent, a
    /// thread that needs a block takes the oldest block of the thread that
    /// exited longest ago, else of the live thread that holds the most blocks
    /// (the events lost are counted as evicted). Default: 256 MiB.
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
    /// crash capture; `init` creates it (and its parents, `0700`) if missing.
    /// Default: `TTLOG_DIR`, else `ttlog-UID` in the system's temporary
    /// directory, private to the user (see [`snapshot_dir`](crate::snapshot_dir)).
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
    /// rings hold, then let the signal end the process as it would have, core
    /// dump included. The handler does only async-signal-safe work: the
    /// snapshot has every thread's ring as it was and the callsites
    /// registered at `init`, the crashing thread, `si_code` and the faulting
    /// address, but not the event the crashing thread was in the middle of
    /// writing (README's "Crash capture" says what else it cannot include).
    pub fn capture_fatal_signals(mut self) -> Builder {
        self.capture_fatal_signals = true;
        self
    }

    /// On `SIGTERM` or `SIGINT` (systemd, Kubernetes, Ctrl-C), write what the
    /// rings hold (as for a fatal signal), then let the signal take its
    /// course: the handler the program installed before runs, else the
    /// process ends as it would have (status 143 or 130). Install the
    /// program's own handlers before `init` for ttlog to chain to them.
    pub fn snapshot_on_termination(mut self) -> Builder {
        self.snapshot_on_termination = true;
        self
    }

    /// When the process exits normally (`main` returns, or
    /// `std::process::exit`), write a snapshot (an `atexit` handler). Not part
    /// of [`crash_capture`](Self::crash_capture).
    pub fn snapshot_on_exit(mut self) -> Builder {
        self.snapshot_on_exit = true;
        self
    }

    /// The storm limit: at most one automatic snapshot (panic, on-demand
    /// signal, a termination signal that the program's own handler takes
    /// over) per `interval`; the ones skipped are counted in the next
    /// snapshot written. Fatal signals, and termination signals that end the
    /// process, always write theirs. Default: 1 s; zero: no limit.
    pub fn min_snapshot_interval(mut self, interval: std::time::Duration) -> Builder {
        self.min_snapshot_interval = Some(interval);
        self
    }

    /// The most snapshots of this program kept in the snapshot directory:
    /// the oldest files named after this program (of any of its processes)
    /// are removed, at `init` and before each snapshot that crash capture
    /// writes, so that this one and one more written by a signal handler
    /// (which cannot remove files) fit. Other files are left alone.
    /// Default: 16; 0: keep all.
    pub fn max_snapshot_files(mut self, files: usize) -> Builder {
        self.max_snapshot_files = Some(files);
        self
    }

    /// [`capture_panics`](Self::capture_panics),
    /// [`capture_fatal_signals`](Self::capture_fatal_signals),
    /// [`snapshot_on_termination`](Self::snapshot_on_termination) and
    /// [`snapshot_on_signal`](Self::snapshot_on_signal)`(SIGUSR2)`.
    pub fn crash_capture(self) -> Builder {
        self.capture_panics()
            .capture_fatal_signals()
            .snapshot_on_termination()
            .snapshot_on_signal(DEFAULT_SNAPSHOT_SIGNAL)
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

    /// Renders the events on stderr as text lines while the program runs,
    /// as `ttlog-decode` prints them, for development: the continuous log's
    /// writer thread (started for the console alone when there is no
    /// [`log_file`](Self::log_file)) decodes and formats the events it
    /// drains, never the logging threads. Levels are coloured when stderr is
    /// a terminal and `NO_COLOR` is unset or empty (`TTLOG_CONSOLE=always`
    /// or `never` chooses). Without this call, `TTLOG_CONSOLE=1` does the
    /// same at the first event. [`on_full`](Self::on_full) applies as to
    /// the file: by default a thread whose ring is full waits for the
    /// writer, and so for stderr.
    ///
    /// Needs the `console` feature of the `ttlog` crate: without it
    /// [`init`](Self::init) fails with [`InitError::NoConsole`].
    pub fn console(mut self) -> Builder {
        self.log_file.console = true;
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
    /// another one, when the snapshot directory cannot be created (or the
    /// default one is not private to the user), or when a signal handler
    /// cannot be installed; the settings before the failing one are applied.
    pub fn init(self) -> Result<(), InitError> {
        if let Some(b) = self.buffer_size {
            settings::set_buffer_size(b);
        }
        if self.log_file.path.is_some() || self.log_file.console {
            // Before the crash handlers, which size their copy of a ring by it.
            settings::use_continuous_buffer_size();
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
        if let Some(i) = self.min_snapshot_interval {
            settings::set_min_snapshot_interval_ns(u64::try_from(i.as_nanos()).unwrap_or(u64::MAX));
        }
        if let Some(n) = self.max_snapshot_files {
            settings::set_max_snapshot_files(n);
        }
        let configured_dir = self.snapshot_dir.is_some();
        if let Some(dir) = self.snapshot_dir {
            crate::snapshot::file::set_dir(dir);
        }
        let captures = self.capture_panics
            || self.on_demand_signal.is_some()
            || self.capture_fatal_signals
            || self.snapshot_on_termination
            || self.snapshot_on_exit;
        if configured_dir || captures {
            // The first crash of a fresh deployment finds its directory.
            let dir = crate::snapshot::file::prepare_dir().map_err(|e| InitError::SnapshotDir {
                path: crate::snapshot::file::snapshot_dir(),
                error: e.to_string(),
            })?;
            crate::snapshot::file::make_room(&dir, 1);
        }
        if captures {
            crate::crash::fork::register();
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
        if self.snapshot_on_termination {
            crate::crash::install_termination(settings::current().buffer_size)
                .map_err(|e| InitError::Signal { what: "termination-signal handlers".into(), error: e.to_string() })?;
        }
        if self.snapshot_on_exit {
            crate::crash::install_exit()
                .map_err(|e| InitError::Signal { what: "exit snapshot".into(), error: e.to_string() })?;
        }
        if self.log_file.path.is_some() || self.log_file.console {
            crate::continuous::start(self.log_file).map_err(|e| match e {
                crate::continuous::StartError::Running(path) => InitError::LogFileRunning { path },
                crate::continuous::StartError::Io(path, error) => InitError::LogFile { path, error: error.to_string() },
                crate::continuous::StartError::NoConsole => InitError::NoConsole,
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
    /// The snapshot directory could not be created, or the default one is
    /// not private to the user.
    SnapshotDir {
        /// The directory.
        path: std::path::PathBuf,
        /// What is wrong.
        error: String,
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
    /// [`Builder::console`] was asked for in a build without the `console`
    /// feature of the `ttlog` crate (nothing was started).
    NoConsole,
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
            // The error names the directory already.
            InitError::SnapshotDir { error, .. } => f.write_str(error),
            InitError::LogFileRunning { path } if path.as_os_str().is_empty() => {
                f.write_str("the continuous log's writer is already running (for a console without a file)")
            }
            InitError::LogFileRunning { path } => {
                write!(f, "a log file is already being written: {}", path.display())
            }
            InitError::NoConsole => f.write_str(crate::continuous::console::MISSING),
            InitError::LogFile { path, error } => write!(f, "cannot write the log file {}: {error}", path.display()),
        }
    }
}

impl std::error::Error for InitError {}
