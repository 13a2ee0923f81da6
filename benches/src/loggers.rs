//! One batch of a hot-path workload, for every logger: what the report's hot
//! path and the criterion bench `messages` both measure, defined once.
//!
//! A batch is `n` events of one [`Message`] through one [`Logger`]. What must
//! not be timed (emptying the appender's file, letting its writer thread
//! drain) happens before the timed part; the caller's timer (thread CPU time
//! in the report, wall time in criterion) wraps only the loop that logs.

use crate::messages::{Inputs, Message, log_log, tracing_appender_log, tracing_log, ttlog_log};
use crate::{floor, peers};
use std::hint::black_box;
use std::io;
use std::path::Path;
use std::time::Duration;
use tracing::Dispatch;

/// A logger of the hot-path comparison.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Logger {
    /// `ttlog::info!`, with the process's clock.
    Ttlog,
    /// The hand-written floor ([`crate::floor`]).
    Floor,
    /// `tracing`'s fmt subscriber writing to `io::sink()`.
    TracingFmtSink,
    /// `tracing`'s fmt subscriber through `tracing-appender` to a file.
    TracingAppenderFile,
    /// `log` with [`peers::StringLogger`].
    LogString,
    /// `log` through ttlog's bridge (`ttlog::bridge::log`).
    LogBridge,
    /// `tracing` with ttlog's layer (`ttlog::bridge::tracing::layer()`).
    TracingLayer,
}

impl Logger {
    /// Every logger, ttlog first.
    pub const ALL: [Logger; 7] = [
        Logger::Ttlog,
        Logger::Floor,
        Logger::TracingFmtSink,
        Logger::TracingAppenderFile,
        Logger::LogString,
        Logger::LogBridge,
        Logger::TracingLayer,
    ];

    /// The peers: the loggers measured only where [`Loggers::with_peers`] set
    /// them up (ttlog's bridges among them: they need `log`'s logger and a
    /// tracing dispatch).
    pub const PEERS: [Logger; 5] = [
        Logger::TracingFmtSink,
        Logger::TracingAppenderFile,
        Logger::LogString,
        Logger::LogBridge,
        Logger::TracingLayer,
    ];

    /// The loggers whose events go into ttlog's rings.
    pub const INTO_TTLOG: [Logger; 3] = [Logger::Ttlog, Logger::LogBridge, Logger::TracingLayer];

    /// The name in the report's keys and in criterion's bench ids.
    pub const fn key(self) -> &'static str {
        match self {
            Logger::Ttlog => "ttlog",
            Logger::Floor => "floor",
            Logger::TracingFmtSink => "tracing_fmt_sink",
            Logger::TracingAppenderFile => "tracing_appender_file",
            Logger::LogString => "log_string",
            Logger::LogBridge => "log_bridge",
            Logger::TracingLayer => "tracing_layer",
        }
    }

    /// Whether the logger has a counterpart of `m`: the floor has none for the
    /// disabled level and the `Debug` struct.
    pub fn logs(self, m: Message) -> bool {
        self != Logger::Floor || Message::RAW.contains(&m)
    }
}

/// The tracing peers' two dispatches.
#[derive(Debug)]
struct Tracing {
    sink: Dispatch,
    appender: peers::TracingAppender,
    layer: Dispatch,
}

/// The loggers set up in this process: ttlog and the floor always, the peers
/// when asked for.
#[derive(Debug)]
pub struct Loggers {
    tracing: Option<Tracing>,
}

impl Loggers {
    /// ttlog and the floor only.
    pub fn own() -> Loggers {
        Loggers { tracing: None }
    }

    /// ttlog, the floor and the peers: installs [`peers::StringLogger`] as
    /// `log`'s logger, and starts the appender's writer on `appender_file`.
    pub fn with_peers(appender_file: &Path) -> io::Result<Loggers> {
        peers::install_log();
        let tracing = Tracing {
            sink: peers::tracing_fmt_sink(),
            appender: peers::TracingAppender::new(appender_file)?,
            layer: peers::tracing_ttlog_layer(),
        };
        Ok(Loggers { tracing: Some(tracing) })
    }

    /// Whether `l` can be measured here.
    pub fn has(&self, l: Logger) -> bool {
        !Logger::PEERS.contains(&l) || self.tracing.is_some()
    }

    /// The appender peer, when set up.
    pub fn appender(&self) -> Option<&peers::TracingAppender> {
        self.tracing.as_ref().map(|t| &t.appender)
    }

    /// One batch: `n` events of `m` through `l`, each with `inputs` passed
    /// through `black_box`. `time` is called once with the logging loop, runs
    /// it and says how long it took. `None` when `l` has no counterpart of `m`
    /// or is not set up here.
    pub fn batch<D>(
        &self,
        l: Logger,
        m: Message,
        n: u64,
        inputs: &Inputs,
        time: impl FnOnce(&mut dyn FnMut()) -> D,
    ) -> Option<D> {
        if !l.logs(m) || !self.has(l) {
            return None;
        }
        let inputs = black_box(inputs);
        Some(match l {
            Logger::Ttlog => time(&mut || ttlog_log::run(m, n, inputs)),
            Logger::Floor => time(&mut || {
                floor::messages::run(m, n, inputs);
            }),
            Logger::LogString => time(&mut || log_log::run(m, n, inputs)),
            Logger::LogBridge => {
                self.tracing.as_ref()?;
                peers::log_to_ttlog(true);
                let d = time(&mut || log_log::run(m, n, inputs));
                peers::log_to_ttlog(false);
                d
            }
            Logger::TracingLayer => {
                let t = self.tracing.as_ref()?;
                tracing::dispatcher::with_default(&t.layer, || time(&mut || tracing_log::run(m, n, inputs)))
            }
            Logger::TracingFmtSink => {
                let t = self.tracing.as_ref()?;
                tracing::dispatcher::with_default(&t.sink, || time(&mut || tracing_log::run(m, n, inputs)))
            }
            Logger::TracingAppenderFile => {
                let t = self.tracing.as_ref()?;
                // Outside the timed part: keep the file small, and give the
                // writer thread a moment to drain so that it does not take the
                // next batch's core.
                let _ = t.appender.truncate();
                std::thread::sleep(Duration::from_millis(1));
                tracing::dispatcher::with_default(&t.appender.dispatch, || {
                    time(&mut || tracing_appender_log::run(m, n, inputs))
                })
            }
        })
    }
}
