//! Severity levels and the two filters: one fixed at compile time by cargo
//! features, one changed at run time.
//!
//! An event macro first compares its level with [`STATIC_MAX_LEVEL`], a constant,
//! so a level compiled out costs nothing; then with the runtime maximum, one relaxed
//! load. The runtime maximum starts from the `TTLOG_LEVEL` environment variable
//! (read once, on first use) and can be changed at any time with
//! [`set_max_level`].

use core::fmt;
use core::str::FromStr;
use core::sync::atomic::{AtomicU8, Ordering};

/// The severity of an event. Ordered as in the `log` crate: `Error` is the lowest
/// value and `Trace` the highest, so an event is enabled when
/// `level <= max_level()`.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(u8)]
pub enum Level {
    /// Something failed.
    Error = 1,
    /// Something is wrong but the program carries on.
    Warn = 2,
    /// What the program is doing, at the pace a person can follow.
    Info = 3,
    /// Detail for someone debugging.
    Debug = 4,
    /// Everything.
    Trace = 5,
}

impl Level {
    /// `Level::Error`, in the spelling `tracing` uses: `event!(Level::ERROR, ..)`.
    pub const ERROR: Level = Level::Error;
    /// `Level::Warn`.
    pub const WARN: Level = Level::Warn;
    /// `Level::Info`.
    pub const INFO: Level = Level::Info;
    /// `Level::Debug`.
    pub const DEBUG: Level = Level::Debug;
    /// `Level::Trace`.
    pub const TRACE: Level = Level::Trace;

    /// The level's name in upper case, as the decoder prints it.
    pub const fn as_str(self) -> &'static str {
        match self {
            Level::Error => "ERROR",
            Level::Warn => "WARN",
            Level::Info => "INFO",
            Level::Debug => "DEBUG",
            Level::Trace => "TRACE",
        }
    }

    /// The level with the given wire value (1 = error .. 5 = trace).
    pub const fn from_u8(v: u8) -> Option<Level> {
        match v {
            1 => Some(Level::Error),
            2 => Some(Level::Warn),
            3 => Some(Level::Info),
            4 => Some(Level::Debug),
            5 => Some(Level::Trace),
            _ => None,
        }
    }
}

impl fmt::Debug for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// A maximum level, or `Off`.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
#[repr(u8)]
pub enum LevelFilter {
    /// Nothing is recorded.
    Off = 0,
    /// Errors only.
    Error = 1,
    /// Warnings and errors.
    Warn = 2,
    /// Info and above.
    Info = 3,
    /// Debug and above.
    Debug = 4,
    /// Everything.
    Trace = 5,
}

impl LevelFilter {
    /// The filter that lets `level` and everything more severe through.
    pub const fn from_level(level: Level) -> LevelFilter {
        match level {
            Level::Error => LevelFilter::Error,
            Level::Warn => LevelFilter::Warn,
            Level::Info => LevelFilter::Info,
            Level::Debug => LevelFilter::Debug,
            Level::Trace => LevelFilter::Trace,
        }
    }

    const fn from_u8(v: u8) -> LevelFilter {
        match v {
            0 => LevelFilter::Off,
            1 => LevelFilter::Error,
            2 => LevelFilter::Warn,
            3 => LevelFilter::Info,
            4 => LevelFilter::Debug,
            _ => LevelFilter::Trace,
        }
    }
}

impl From<Level> for LevelFilter {
    fn from(level: Level) -> Self {
        LevelFilter::from_level(level)
    }
}

/// The error of parsing a level name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseLevelError(String);

impl fmt::Display for ParseLevelError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown level `{}`: expected one of `off`, `error`, `warn`, `info`, `debug`, `trace`",
            self.0
        )
    }
}

impl std::error::Error for ParseLevelError {}

impl FromStr for LevelFilter {
    type Err = ParseLevelError;

    /// Parses `off`, `error`, `warn`, `info`, `debug` or `trace`, in any case.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim();
        Ok(match () {
            _ if t.eq_ignore_ascii_case("off") => LevelFilter::Off,
            _ if t.eq_ignore_ascii_case("error") => LevelFilter::Error,
            _ if t.eq_ignore_ascii_case("warn") || t.eq_ignore_ascii_case("warning") => {
                LevelFilter::Warn
            }
            _ if t.eq_ignore_ascii_case("info") => LevelFilter::Info,
            _ if t.eq_ignore_ascii_case("debug") => LevelFilter::Debug,
            _ if t.eq_ignore_ascii_case("trace") => LevelFilter::Trace,
            _ => return Err(ParseLevelError(s.to_owned())),
        })
    }
}

impl FromStr for Level {
    type Err = ParseLevelError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.parse::<LevelFilter>()? {
            LevelFilter::Off => Err(ParseLevelError(s.to_owned())),
            LevelFilter::Error => Ok(Level::Error),
            LevelFilter::Warn => Ok(Level::Warn),
            LevelFilter::Info => Ok(Level::Info),
            LevelFilter::Debug => Ok(Level::Debug),
            LevelFilter::Trace => Ok(Level::Trace),
        }
    }
}

/// The most verbose level compiled in, chosen by cargo features as in the `log`
/// crate: `max_level_off` .. `max_level_trace`, and `release_max_level_*` for
/// builds without debug assertions. Events above it are removed by the compiler.
pub const STATIC_MAX_LEVEL: LevelFilter = static_max_level();

const fn static_max_level() -> LevelFilter {
    if cfg!(not(debug_assertions)) {
        if cfg!(feature = "release_max_level_off") {
            return LevelFilter::Off;
        } else if cfg!(feature = "release_max_level_error") {
            return LevelFilter::Error;
        } else if cfg!(feature = "release_max_level_warn") {
            return LevelFilter::Warn;
        } else if cfg!(feature = "release_max_level_info") {
            return LevelFilter::Info;
        } else if cfg!(feature = "release_max_level_debug") {
            return LevelFilter::Debug;
        } else if cfg!(feature = "release_max_level_trace") {
            return LevelFilter::Trace;
        }
    }
    if cfg!(feature = "max_level_off") {
        LevelFilter::Off
    } else if cfg!(feature = "max_level_error") {
        LevelFilter::Error
    } else if cfg!(feature = "max_level_warn") {
        LevelFilter::Warn
    } else if cfg!(feature = "max_level_info") {
        LevelFilter::Info
    } else if cfg!(feature = "max_level_debug") {
        LevelFilter::Debug
    } else {
        LevelFilter::Trace
    }
}

/// The runtime maximum level when neither `TTLOG_LEVEL` nor [`set_max_level`] says
/// otherwise.
pub const DEFAULT_MAX_LEVEL: LevelFilter = LevelFilter::Info;

/// `UNSET` lets every level through to the cold path, which reads `TTLOG_LEVEL`
/// once and then decides; after that the value is a `LevelFilter`.
const UNSET: u8 = u8::MAX;
static MAX_LEVEL: AtomicU8 = AtomicU8::new(UNSET);

/// Whether an event at `level` passes the runtime filter: one relaxed load.
///
/// Before the filter has been initialised this returns `true`, and the event's
/// cold path (which reads `TTLOG_LEVEL`) asks again.
#[inline(always)]
pub fn enabled(level: Level) -> bool {
    level as u8 <= MAX_LEVEL.load(Ordering::Relaxed)
}

/// The current runtime maximum level.
pub fn max_level() -> LevelFilter {
    LevelFilter::from_u8(init_max_level())
}

/// Sets the runtime maximum level: events above it are skipped from now on, on
/// every thread. Overrides `TTLOG_LEVEL`.
pub fn set_max_level(filter: LevelFilter) {
    init_max_level();
    MAX_LEVEL.store(filter as u8, Ordering::Relaxed);
}

/// Reads `TTLOG_LEVEL` the first time it is called and returns the filter.
///
/// An unparsable `TTLOG_LEVEL` is reported once on stderr and ignored.
#[cold]
pub(crate) fn init_max_level() -> u8 {
    let current = MAX_LEVEL.load(Ordering::Relaxed);
    if current != UNSET {
        return current;
    }
    let from_env = match std::env::var("TTLOG_LEVEL") {
        Ok(v) => match v.parse::<LevelFilter>() {
            Ok(f) => f,
            Err(e) => {
                eprintln!("ttlog: ignoring TTLOG_LEVEL: {e}");
                DEFAULT_MAX_LEVEL
            }
        },
        Err(_) => DEFAULT_MAX_LEVEL,
    };
    // Another thread may have initialised it meanwhile, or `set_max_level` run:
    // keep theirs.
    match MAX_LEVEL.compare_exchange(UNSET, from_env as u8, Ordering::Relaxed, Ordering::Relaxed) {
        Ok(_) => from_env as u8,
        Err(v) => v,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_follows_verbosity() {
        assert!(Level::Error < Level::Warn);
        assert!(Level::Debug < Level::Trace);
        assert!(LevelFilter::Off < LevelFilter::Error);
        assert!((Level::Info as u8) <= LevelFilter::Info as u8);
        assert!((Level::Debug as u8) > LevelFilter::Info as u8);
    }

    #[test]
    fn parses_names() {
        assert_eq!("WARN".parse::<LevelFilter>().unwrap(), LevelFilter::Warn);
        assert_eq!(" trace ".parse::<LevelFilter>().unwrap(), LevelFilter::Trace);
        assert_eq!("off".parse::<LevelFilter>().unwrap(), LevelFilter::Off);
        assert!("off".parse::<Level>().is_err());
        let err = "loud".parse::<LevelFilter>().unwrap_err().to_string();
        assert!(err.contains("`loud`"), "{err}");
    }

    #[test]
    fn display_pads_like_a_string() {
        assert_eq!(format!("{:>5}", Level::Info), " INFO");
        assert_eq!(format!("{:<6}|", Level::Warn), "WARN  |");
    }
}
