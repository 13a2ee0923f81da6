//! Counting events, without rendering any: by level, by thread, by callsite,
//! and the bytes their arguments take.
//!
//! ```
//! let snap = ttlog_decode::Snapshot::default();
//! let stats = ttlog_decode::stats::Stats::of(&snap);
//! assert_eq!(stats.events, 0);
//! ```

use crate::snapshot::{Event, Snapshot};
use crate::value::Value;
use ttlog_core::Level;
use ttlog_core::callsite::ArgType;

/// Counts of one callsite's events.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CallsiteCount {
    /// Events.
    pub events: u64,
    /// The bytes their arguments take as recorded: a number its size, a
    /// `bool` one byte, a `char` four, text its length.
    pub arg_bytes: u64,
}

/// What a callsite's events cost, known from its metadata.
#[derive(Clone, Debug, Default)]
struct Cost {
    /// Where its level is counted in [`Stats::by_level`] (5: unknown).
    level: usize,
    /// The bytes of its arguments of fixed size.
    fixed: u64,
    /// Its arguments that are text, whose length is read from each event.
    texts: Vec<usize>,
}

/// Counts of a snapshot's events (or some of them: see [`Stats::add`]).
#[derive(Clone, Debug, Default)]
pub struct Stats {
    /// Events counted.
    pub events: u64,
    /// Events by level, from `ERROR` to `TRACE` (see [`Level::ALL`]); the
    /// sixth entry counts events whose callsite is unknown.
    pub by_level: [u64; 6],
    /// Events by thread index (as [`Snapshot::threads`]); events of thread
    /// indices beyond the table are in [`Stats::unlisted_threads`].
    pub by_thread: Vec<u64>,
    /// Events of threads the snapshot does not list.
    pub unlisted_threads: u64,
    /// By callsite index (as [`Snapshot::callsites`]).
    pub by_callsite: Vec<CallsiteCount>,
    /// The argument bytes of all events counted (see [`CallsiteCount::arg_bytes`]).
    pub arg_bytes: u64,
    /// The earliest and the latest clock reading among the events counted.
    pub ticks: Option<(u64, u64)>,
    costs: Vec<Cost>,
}

/// The bytes a value of type `ty` takes, text aside.
fn fixed_size(ty: ArgType) -> u64 {
    match ty {
        ArgType::U8 | ArgType::I8 | ArgType::Bool => 1,
        ArgType::U16 | ArgType::I16 => 2,
        ArgType::U32 | ArgType::I32 | ArgType::F32 | ArgType::Char => 4,
        ArgType::U64 | ArgType::I64 | ArgType::F64 => 8,
        ArgType::U128 | ArgType::I128 => 16,
        _ => 0,
    }
}

impl Stats {
    /// Empty counts for the events of `snap`.
    pub fn new(snap: &Snapshot) -> Stats {
        let costs = snap
            .callsites
            .iter()
            .map(|c| match c {
                Some(c) => Cost {
                    level: Level::ALL.iter().position(|l| *l == c.level).unwrap_or(5),
                    fixed: c.args.iter().map(|a| fixed_size(a.ty)).sum(),
                    texts: c
                        .args
                        .iter()
                        .enumerate()
                        .filter(|(_, a)| matches!(a.ty, ArgType::Str | ArgType::Formatted))
                        .map(|(i, _)| i)
                        .collect(),
                },
                None => Cost { level: 5, ..Cost::default() },
            })
            .collect();
        Stats {
            by_thread: vec![0; snap.threads.len()],
            by_callsite: vec![CallsiteCount::default(); snap.callsites.len()],
            costs,
            ..Stats::default()
        }
    }

    /// The counts of every event of `snap`.
    pub fn of(snap: &Snapshot) -> Stats {
        let mut stats = Stats::new(snap);
        for e in &snap.events {
            stats.add(snap, e);
        }
        stats
    }

    /// Counts `e`, an event of the snapshot these counts were made for.
    #[inline]
    pub fn add(&mut self, snap: &Snapshot, e: &Event) {
        self.events += 1;
        self.ticks = Some(match self.ticks {
            None => (e.ticks, e.ticks),
            Some((lo, hi)) => (lo.min(e.ticks), hi.max(e.ticks)),
        });
        match self.by_thread.get_mut(e.thread as usize) {
            Some(n) => *n += 1,
            None => self.unlisted_threads += 1,
        }
        let (Some(cost), Some(count)) =
            (self.costs.get(e.callsite as usize), self.by_callsite.get_mut(e.callsite as usize))
        else {
            self.by_level[5] += 1;
            return;
        };
        self.by_level[cost.level] += 1;
        let mut bytes = cost.fixed;
        if !cost.texts.is_empty() {
            let args = snap.args(e);
            for &i in &cost.texts {
                bytes += match args.get(i) {
                    Some(Value::Str(t)) => t.text.len() as u64,
                    Some(Value::Formatted(f)) => f.iter().map(|t| t.text.len() as u64).sum(),
                    _ => 0,
                };
            }
        }
        count.events += 1;
        count.arg_bytes += bytes;
        self.arg_bytes += bytes;
    }
}
