//! The peers ttlog is measured against, set up as the issue asks:
//!
//! - `tracing` with the fmt subscriber writing to `io::sink()`: formats every
//!   event (timestamp, level, target, message) and throws the bytes away;
//! - `tracing` with `tracing-appender`'s non-blocking writer to a file: formats on
//!   the calling thread and hands the line to a background thread that writes the
//!   file (lossy when its queue of 128,000 lines is full, the default);
//! - `log` with [`StringLogger`], which formats level, target and message into a
//!   thread-local `String`;
//! - ttlog's own bridges, for users who keep their `log` and `tracing` calls:
//!   `log` through `ttlog::bridge::log` ([`log_to_ttlog`]) and `tracing` with
//!   `ttlog::bridge::tracing::layer()` ([`tracing_ttlog_layer`]).
//!
//! The two tracing set-ups are [`Dispatch`]es that the benchmarks install on the
//! measuring thread with [`tracing::dispatcher::with_default`], so that both
//! can be measured in one process.

use std::cell::RefCell;
use std::fmt::Write as _;
use std::fs::{File, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use tracing::Dispatch;
use tracing_appender::non_blocking::{ErrorCounter, WorkerGuard};

/// A `log` logger that formats each record into a thread-local `String`.
///
/// It writes no timestamp: the `log` peer is the cheapest formatting logger,
/// not a realistic one.
#[derive(Debug)]
pub struct StringLogger;

thread_local! {
    static LINE: RefCell<String> = const { RefCell::new(String::new()) };
}

impl log::Log for StringLogger {
    fn enabled(&self, metadata: &log::Metadata<'_>) -> bool {
        metadata.level() <= log::max_level()
    }

    fn log(&self, record: &log::Record<'_>) {
        LINE.with(|line| {
            let mut line = line.borrow_mut();
            line.clear();
            let _ = write!(line, "{} {}: {}", record.level(), record.target(), record.args());
            std::hint::black_box(line.as_str());
        });
    }

    fn flush(&self) {}
}

/// The line [`StringLogger`] formatted last on this thread.
pub fn last_log_line() -> String {
    LINE.with(|l| l.borrow().clone())
}

/// Where [`PeerLogger`] sends records: to [`StringLogger`], or (when set) to
/// ttlog's bridge.
static TO_TTLOG: AtomicBool = AtomicBool::new(false);

/// `log`'s logger in the benchmarks: [`StringLogger`] (the `log` peer), or
/// ttlog's bridge (`ttlog::bridge::log::Logger`) while [`log_to_ttlog`] says
/// so. A process has one `log` logger, and the report measures both.
#[derive(Debug)]
pub struct PeerLogger;

impl log::Log for PeerLogger {
    fn enabled(&self, metadata: &log::Metadata<'_>) -> bool {
        metadata.level() <= log::max_level()
    }

    #[inline]
    fn log(&self, record: &log::Record<'_>) {
        if TO_TTLOG.load(Ordering::Relaxed) { ttlog::bridge::log::Logger.log(record) } else { StringLogger.log(record) }
    }

    fn flush(&self) {}
}

/// Sends `log` records to ttlog's bridge (`true`) or to [`StringLogger`].
pub fn log_to_ttlog(on: bool) {
    TO_TTLOG.store(on, Ordering::Relaxed);
}

/// Installs [`PeerLogger`] as the global `log` logger at level INFO. Only the
/// first call in a process installs it; later calls change nothing.
pub fn install_log() {
    static LOGGER: PeerLogger = PeerLogger;
    if log::set_logger(&LOGGER).is_ok() {
        log::set_max_level(log::LevelFilter::Info);
    }
}

/// `tracing` with ttlog's layer (`ttlog::bridge::tracing::layer()`) on
/// tracing-subscriber's registry.
pub fn tracing_ttlog_layer() -> Dispatch {
    use tracing_subscriber::layer::SubscriberExt;
    Dispatch::new(tracing_subscriber::registry().with(ttlog::bridge::tracing::layer()))
}

/// `tracing`'s fmt subscriber at level INFO writing to `io::sink()`.
pub fn tracing_fmt_sink() -> Dispatch {
    let subscriber = tracing_subscriber::fmt().with_max_level(tracing::Level::INFO).with_writer(io::sink).finish();
    Dispatch::new(subscriber)
}

/// `tracing`'s fmt subscriber at level INFO writing through `tracing-appender`'s
/// non-blocking writer to a file.
#[derive(Debug)]
pub struct TracingAppender {
    /// The dispatch to install.
    pub dispatch: Dispatch,
    /// The file the background thread writes.
    pub path: PathBuf,
    file: File,
    dropped: ErrorCounter,
    _guard: WorkerGuard,
}

impl TracingAppender {
    /// Creates (or truncates) `path` and starts the appender's writer thread.
    pub fn new(path: &Path) -> io::Result<TracingAppender> {
        // Append mode, so that truncating the file between measurements (see
        // `truncate`) makes the writer start again at offset 0 instead of
        // leaving a sparse file that keeps growing.
        let file = OpenOptions::new().create(true).append(true).open(path)?;
        file.set_len(0)?;
        let (writer, guard) = tracing_appender::non_blocking(file.try_clone()?);
        let dropped = writer.error_counter();
        let subscriber = tracing_subscriber::fmt().with_max_level(tracing::Level::INFO).with_writer(writer).finish();
        Ok(TracingAppender { dispatch: Dispatch::new(subscriber), path: path.to_owned(), file, dropped, _guard: guard })
    }

    /// Empties the file, so that long runs do not fill the disk. Call it between
    /// measurements, not inside one.
    pub fn truncate(&self) -> io::Result<()> {
        self.file.set_len(0)
    }

    /// Lines the writer dropped because its queue was full (the default,
    /// lossy, behaviour): those were formatted, but never written.
    pub fn dropped_lines(&self) -> usize {
        self.dropped.dropped_lines()
    }

    /// Bytes in the file now.
    pub fn file_len(&self) -> io::Result<u64> {
        Ok(self.file.metadata()?.len())
    }
}
