//! Severity levels: the enum, its names, and parsing them.
//!
//! The filters that use levels live in `ttlog::level`. Parsing is here because
//! `FromStr` for [`Level`] can only be implemented in the crate that defines it.

use core::fmt;
use core::str::FromStr;

crate::wire_enum! {
    /// The severity of an event. Ordered as in the `log` crate: `Error` is the lowest
    /// value and `Trace` the highest, so an event is enabled when
    /// `level <= max_level()`.
    #[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
    pub enum Level {
        /// Something failed.
        Error = 1 => "ERROR",
        /// Something is wrong but the program carries on.
        Warn = 2 => "WARN",
        /// What the program is doing, at the pace a person can follow.
        Info = 3 => "INFO",
        /// Detail for someone debugging.
        Debug = 4 => "DEBUG",
        /// Everything.
        Trace = 5 => "TRACE",
    }
    /// The level with the given wire value (1 = error .. 5 = trace).
    pub const fn from_u8(v: u8) -> Option<Self>;
    /// Every level, from the most severe.
    pub const ALL: [Self; _];
    /// The level's name in upper case, as the decoder prints it.
    pub const fn as_str(self) -> &'static str;
    /// The variant's name, as the macros' generated code spells it.
    pub const fn variant_name(self) -> &'static str;
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

/// The error of parsing a level name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseLevelError(String);

impl fmt::Display for ParseLevelError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown level `{}`: expected one of `off`", self.0)?;
        for level in Level::ALL {
            write!(f, ", `{}`", level.as_str().to_ascii_lowercase())?;
        }
        Ok(())
    }
}

impl std::error::Error for ParseLevelError {}

impl FromStr for Level {
    type Err = ParseLevelError;

    /// Parses `error`, `warn` (or `warning`), `info`, `debug` or `trace`, in any case.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim();
        if t.eq_ignore_ascii_case("warning") {
            return Ok(Level::Warn);
        }
        Level::ALL.into_iter().find(|l| t.eq_ignore_ascii_case(l.as_str())).ok_or_else(|| ParseLevelError(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_and_names() {
        for v in 0..=u8::MAX {
            match Level::from_u8(v) {
                Some(l) => assert_eq!(l as u8, v),
                None => assert!(v == 0 || v > 5, "{v}"),
            }
        }
        assert_eq!(Level::ALL.map(Level::as_str), ["ERROR", "WARN", "INFO", "DEBUG", "TRACE"]);
        assert_eq!(Level::ALL.map(Level::variant_name), ["Error", "Warn", "Info", "Debug", "Trace"]);
        assert!(Level::ALL.is_sorted());
        assert_eq!(format!("{:?}|{:>6}", Level::Warn, Level::Info), "WARN|  INFO");
    }

    #[test]
    fn parses_names() {
        assert_eq!(" Trace ".parse::<Level>(), Ok(Level::Trace));
        assert_eq!("warning".parse::<Level>(), Ok(Level::Warn));
        assert_eq!("ERROR".parse::<Level>(), Ok(Level::Error));
        let err = " off".parse::<Level>().unwrap_err();
        assert_eq!(err, ParseLevelError(" off".to_owned()));
        assert_eq!(
            err.to_string(),
            "unknown level ` off`: expected one of `off`, `error`, `warn`, `info`, `debug`, `trace`"
        );
    }
}
