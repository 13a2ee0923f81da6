//! Choosing events: by level, thread, target, callsite, field value and time.
//!
//! A [`Filter`] says what to keep; [`Filter::compile`] resolves it against
//! one snapshot's metadata once (which callsites and threads pass, where each
//! field is among a callsite's arguments), so that testing an event is a few
//! table lookups. Only a field condition renders anything, and only the
//! field's value.
//!
//! ```
//! use ttlog_decode::filter::Filter;
//!
//! let filter = Filter { min_level: Some(ttlog::Level::Warn), ..Filter::default() };
//! let snap = ttlog_decode::Snapshot::default();
//! let compiled = filter.compile(&snap);
//! let kept = snap.events.iter().filter(|e| compiled.matches(&snap, e, snap.unix_nanos(e))).count();
//! assert_eq!(kept, 0);
//! ```

use crate::render::message::write_arg;
use crate::snapshot::{CallsiteInfo, Event, Snapshot, ThreadInfo};
use std::fmt;
use ttlog_core::Level;

/// A source location, `FILE:LINE`: a callsite's file is matched whole or by
/// its last path components (`server.rs:31` and `src/server.rs:31` both find
/// `app/src/server.rs` line 31).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Location {
    /// The file, or the end of its path.
    pub file: String,
    /// The line.
    pub line: u32,
}

impl Location {
    /// Whether `cs` is at this location.
    pub fn matches(&self, cs: &CallsiteInfo) -> bool {
        cs.line == self.line && path_ends_with(&cs.file, &self.file)
    }
}

/// Whether `path` is `suffix` or ends with `/suffix` (or `\suffix`).
fn path_ends_with(path: &str, suffix: &str) -> bool {
    match path.strip_suffix(suffix) {
        Some("") => true,
        Some(rest) => rest.ends_with('/') || rest.ends_with('\\'),
        None => false,
    }
}

impl std::str::FromStr for Location {
    type Err = String;

    fn from_str(s: &str) -> Result<Location, String> {
        let (file, line) =
            s.rsplit_once(':').ok_or_else(|| format!("expected `FILE:LINE`, as in `src/server.rs:31`, found `{s}`"))?;
        let line = line.parse().map_err(|_| format!("expected a line number after `{file}:`, found `{line}`"))?;
        if file.is_empty() {
            return Err(format!("expected a file name before `:{line}`"));
        }
        Ok(Location { file: file.to_owned(), line })
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.file, self.line)
    }
}

/// What to keep; every condition that is set must hold (`threads` and
/// `fields` are each a list: a thread that matches any entry, and every field).
#[derive(Clone, Debug, Default)]
pub struct Filter {
    /// Events of this level and the more severe ones.
    pub min_level: Option<Level>,
    /// Threads by name or by id (decimal).
    pub threads: Vec<String>,
    /// Targets that start with this (`app` keeps `app` and `app::db`, and
    /// also `apple`: a prefix of the text).
    pub target: Option<String>,
    /// Events of the callsite at this location.
    pub callsite: Option<Location>,
    /// Arguments by name whose value, rendered as the message renders it,
    /// is this text.
    pub fields: Vec<(String, String)>,
    /// Events at or after this time (nanoseconds since the Unix epoch).
    pub since: Option<i128>,
    /// Events at or before this time (nanoseconds since the Unix epoch).
    pub until: Option<i128>,
}

impl Filter {
    /// Whether the filter keeps every event.
    pub fn is_empty(&self) -> bool {
        self.min_level.is_none()
            && self.threads.is_empty()
            && self.target.is_none()
            && self.callsite.is_none()
            && self.fields.is_empty()
            && self.since.is_none()
            && self.until.is_none()
    }

    /// Whether `cs` passes the callsite conditions (level, target, location),
    /// and has an argument of each field's name.
    pub fn keeps_callsite(&self, cs: &CallsiteInfo) -> bool {
        self.min_level.is_none_or(|l| cs.level <= l)
            && self.target.as_deref().is_none_or(|t| cs.target.starts_with(t))
            && self.callsite.as_ref().is_none_or(|l| l.matches(cs))
            && self.fields.iter().all(|(name, _)| cs.args.iter().any(|a| a.name == *name))
    }

    /// Whether `t` passes the thread condition.
    pub fn keeps_thread(&self, t: &ThreadInfo) -> bool {
        self.threads.is_empty() || self.threads.iter().any(|s| *s == t.name || s.parse() == Ok(t.tid))
    }

    /// The filter resolved against `snap`'s callsites and threads.
    pub fn compile<'f>(&'f self, snap: &Snapshot) -> Compiled<'f> {
        // Without metadata nothing but the time can be tested: such events
        // pass only a filter with no other condition.
        let no_meta =
            self.min_level.is_none() && self.target.is_none() && self.callsite.is_none() && self.fields.is_empty();
        let callsites = snap.callsites.iter().map(|c| c.as_ref().map_or(no_meta, |c| self.keeps_callsite(c))).collect();
        let threads =
            snap.threads.iter().map(|t| t.as_ref().map_or(self.threads.is_empty(), |t| self.keeps_thread(t))).collect();
        Compiled { filter: self, callsites, threads, no_meta }
    }
}

/// A [`Filter`] resolved against one snapshot (see [`Filter::compile`]).
#[derive(Debug)]
pub struct Compiled<'f> {
    filter: &'f Filter,
    /// By callsite index: whether its events may pass.
    callsites: Vec<bool>,
    /// By thread index.
    threads: Vec<bool>,
    /// Whether events of a callsite the snapshot does not list pass.
    no_meta: bool,
}

impl Compiled<'_> {
    /// Whether the filter keeps `e`, an event of the snapshot it was compiled
    /// for, at `time` (nanoseconds since the Unix epoch, if known: an event
    /// without a time passes no time condition).
    #[inline]
    pub fn matches(&self, snap: &Snapshot, e: &Event, time: Option<i128>) -> bool {
        let f = self.filter;
        if !self.callsites.get(e.callsite as usize).copied().unwrap_or(self.no_meta)
            || !self.threads.get(e.thread as usize).copied().unwrap_or(f.threads.is_empty())
        {
            return false;
        }
        if f.since.is_some() || f.until.is_some() {
            let Some(t) = time else { return false };
            if f.since.is_some_and(|s| t < s) || f.until.is_some_and(|u| t > u) {
                return false;
            }
        }
        f.fields.is_empty() || self.fields_match(snap, e)
    }

    /// Whether every field condition holds for `e`.
    fn fields_match(&self, snap: &Snapshot, e: &Event) -> bool {
        let Some(cs) = snap.callsite(e) else { return false };
        let mut value = String::new();
        self.filter.fields.iter().all(|(name, want)| {
            cs.args.iter().enumerate().filter(|(_, a)| a.name == *name).any(|(i, _)| {
                value.clear();
                write_arg(&mut value, cs, snap.args(e), i, 0);
                value == *want
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_parse_and_match_by_path_suffix() {
        let l: Location = "server.rs:31".parse().unwrap();
        assert_eq!(l, Location { file: "server.rs".into(), line: 31 });
        assert!(path_ends_with("app/src/server.rs", "server.rs"));
        assert!(path_ends_with("app/src/server.rs", "src/server.rs"));
        assert!(path_ends_with("server.rs", "server.rs"));
        assert!(!path_ends_with("app/src/myserver.rs", "server.rs"));
        assert!("server.rs".parse::<Location>().unwrap_err().contains("FILE:LINE"));
        assert!("server.rs:x".parse::<Location>().unwrap_err().contains("line number"));
        assert!(":3".parse::<Location>().unwrap_err().contains("file name"));
        assert!("C:\\a.rs:3".parse::<Location>().is_ok());
    }
}
