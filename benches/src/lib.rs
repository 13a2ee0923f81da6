//! ttlog's measuring instruments: the workloads, the hand-written floor, the
//! peers, and a thread pool, shared by the criterion benches (`benches/`) and
//! the report (`src/bin/report`). A workload the two both measure is defined
//! here once ([`loggers`], [`threads`], [`snapshots`]), so that the same name
//! means the same code in both.
//!
//! ```text
//! cargo bench -p benches                         # criterion, every bench
//! cargo run --release -p benches --bin report    # the headline metrics, one run
//! ```

pub mod floor;
pub mod instrument;
pub mod loggers;
pub mod messages;
pub mod peers;
pub mod pool;
pub mod snapshots;
pub mod threads;

pub use loggers::{Logger, Loggers};
pub use messages::{Inputs, Message};

/// Sets ttlog's clock from the `TTLOG_BENCH_CLOCK` environment variable
/// (`tsc`, `monotonic`, `coarse`, `none`; unset: the default for this machine)
/// and the maximum level to INFO. Call it before the process's first event.
pub fn init_ttlog_from_env() -> Result<ttlog::Clock, String> {
    let clock = match std::env::var("TTLOG_BENCH_CLOCK").ok().as_deref() {
        None | Some("") => ttlog::Clock::default_for_this_machine(),
        Some(name) => parse_clock(name)?,
    };
    ttlog::Builder::new().clock(clock).max_level(ttlog::LevelFilter::Info).init().map_err(|e| e.to_string())?;
    Ok(clock)
}

/// Parses a clock name: `tsc`, `monotonic`, `coarse`, `none`.
pub fn parse_clock(name: &str) -> Result<ttlog::Clock, String> {
    match name {
        "tsc" => Ok(ttlog::Clock::Tsc),
        "monotonic" => Ok(ttlog::Clock::Monotonic),
        "coarse" => Ok(ttlog::Clock::Coarse),
        "none" => Ok(ttlog::Clock::None),
        other => Err(format!("unknown clock `{other}`: expected `tsc`, `monotonic`, `coarse` or `none`")),
    }
}

/// The short name of a clock, as [`parse_clock`] reads it.
pub fn clock_name(clock: ttlog::Clock) -> &'static str {
    match clock {
        ttlog::Clock::Tsc => "tsc",
        ttlog::Clock::Monotonic => "monotonic",
        ttlog::Clock::Coarse => "coarse",
        ttlog::Clock::None => "none",
    }
}
