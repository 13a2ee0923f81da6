//! Severity levels and the two filters: one fixed at compile time by cargo
//! features, one changed at run time.
//!
//! An event macro first compares its level with [`STATIC_MAX_LEVEL`], a constant,
//! so a level compiled out costs nothing; then with the runtime maximum, one relaxed
//! load. The runtime maximum starts from the `TTLOG_LEVEL` environment variable
//! (read once, when the program starts; where the platform has no initialisers,
//! by the first event, before that event's arguments are evaluated) and can be
//! changed at any time with [`set_max_level`].

use core::str::FromStr;
use core::sync::atomic::{AtomicU8, Ordering};

// Defined with the macros, which check the levels that calls name.
pub use ttlog_spec::{Level, ParseLevelError};

ttlog_spec::wire_enum! {
    /// A maximum level, or `Off`.
    #[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
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
    /// The filter with the given value.
    const fn from_tag(tag: u8) -> Option<Self>;
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

    /// The filter with the given value; `Trace` for any value above.
    const fn from_u8(v: u8) -> LevelFilter {
        match LevelFilter::from_tag(v) {
            Some(filter) => filter,
            None => LevelFilter::Trace,
        }
    }
}

impl From<Level> for LevelFilter {
    fn from(level: Level) -> Self {
        LevelFilter::from_level(level)
    }
}

impl FromStr for LevelFilter {
    type Err = ParseLevelError;

    /// Parses `off`, `error`, `warn` (or `warning`), `info`, `debug` or `trace`, in any case.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.trim().eq_ignore_ascii_case("off") {
            return Ok(LevelFilter::Off);
        }
        s.parse::<Level>().map(LevelFilter::from_level)
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

/// The runtime maximum, stored as the filter's value plus one, so that the
/// one compare of [`enabled`] lets an event through exactly when its level is
/// at most the filter. `UNSET` (0) lets no level through.
///
/// `TTLOG_LEVEL` is read before `main`, by an initialiser the loader runs
/// ([`READ_LEVEL_AT_START`]), where the platform has them (every platform
/// `inventory` supports, which the callsites need anyway): the level is set
/// before any thread can log, and an event logged before it (by another
/// initialiser) is disabled, its arguments not evaluated. Elsewhere every
/// event takes [`enabled_cold`] while the level is unset, which reads
/// `TTLOG_LEVEL` before the event's arguments are evaluated.
const UNSET: u8 = 0;
static MAX_LEVEL: AtomicU8 = AtomicU8::new(UNSET);

/// Whether this platform runs [`READ_LEVEL_AT_START`].
const READ_AT_START: bool = cfg!(any(
    target_os = "linux",
    target_os = "android",
    target_os = "freebsd",
    target_os = "netbsd",
    target_os = "openbsd",
    target_os = "dragonfly",
    target_os = "illumos",
    target_vendor = "apple",
    windows
));

/// Reads `TTLOG_LEVEL` when the program starts, before `main`.
#[cfg_attr(
    any(
        target_os = "linux",
        target_os = "android",
        target_os = "freebsd",
        target_os = "netbsd",
        target_os = "openbsd",
        target_os = "dragonfly",
        target_os = "illumos"
    ),
    unsafe(link_section = ".init_array")
)]
#[cfg_attr(target_vendor = "apple", unsafe(link_section = "__DATA,__mod_init_func"))]
#[cfg_attr(windows, unsafe(link_section = ".CRT$XCU"))]
#[used]
static READ_LEVEL_AT_START: extern "C" fn() = {
    // The loader calls it once, with no arguments, before `main`; it only
    // reads an environment variable and stores an atomic, which needs nothing
    // that is set up later.
    extern "C" fn read_level() {
        init_max_level();
    }
    read_level
};

/// Whether an event at `level` passes the runtime filter: one relaxed load and
/// a compare.
#[inline(always)]
pub fn enabled(level: Level) -> bool {
    let max = MAX_LEVEL.load(Ordering::Relaxed);
    if (level as u8) < max { true } else { !READ_AT_START && max == UNSET && enabled_cold(level) }
}

/// [`enabled`] before the runtime filter is set, where it is not set at
/// start-up: reads `TTLOG_LEVEL`.
#[cold]
#[inline(never)]
fn enabled_cold(level: Level) -> bool {
    level as u8 <= init_max_level()
}

/// The current runtime maximum level.
pub fn max_level() -> LevelFilter {
    LevelFilter::from_u8(init_max_level())
}

/// Sets the runtime maximum level: events above it are skipped from now on, on
/// every thread. Overrides `TTLOG_LEVEL`.
pub fn set_max_level(filter: LevelFilter) {
    init_max_level();
    MAX_LEVEL.store(filter as u8 + 1, Ordering::Relaxed);
    #[cfg(feature = "log")]
    crate::bridge::log::follow(filter);
}

/// Reads `TTLOG_LEVEL` the first time it is called and returns the filter's
/// value.
///
/// An unparsable `TTLOG_LEVEL` is reported once on stderr and ignored.
#[cold]
pub(crate) fn init_max_level() -> u8 {
    let current = MAX_LEVEL.load(Ordering::Relaxed);
    if current != UNSET {
        return current - 1;
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
    match MAX_LEVEL.compare_exchange(UNSET, from_env as u8 + 1, Ordering::Relaxed, Ordering::Relaxed) {
        Ok(_) => from_env as u8,
        Err(v) => v - 1,
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
