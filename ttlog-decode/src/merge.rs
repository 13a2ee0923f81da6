//! Several snapshots as one sequence of events in time order.
//!
//! Snapshots of several processes are merged by wall-clock time. Snapshots of
//! one process (the same program, pid, host and first-event calibration),
//! taken at different times, hold the same events where their windows
//! overlap: each such event comes once. Their times are computed from one
//! calibration, the latest snapshot's, so that the same event has the same
//! time in each; an event is a copy of another when its thread, callsite,
//! time and arguments are the same and it comes from another file (each
//! event of one file stands for at most one copy in each other file, so
//! events that a coarse clock gave the same time are all kept). Events
//! without a time, and those past the first 256 of one time, are never
//! taken for copies.

use crate::snapshot::{Event, Header, Snapshot};
use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// One event of the merged sequence.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Item {
    /// Index of the snapshot, in the order given.
    pub file: u32,
    /// Index of the event among that snapshot's [`Snapshot::events`].
    pub event: u32,
    /// Nanoseconds since the Unix epoch, if the clock tells time.
    pub time: Option<i128>,
}

/// A process that snapshots come from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Process {
    /// The program's name (empty without a header).
    pub program: String,
    /// Its pid (0 without a header).
    pub pid: u64,
    /// The host.
    pub host: String,
}

/// Several snapshots merged: their events in time order, copies left out.
#[derive(Debug, Default)]
pub struct Merged {
    /// The events, in time order (on equal times, in the order of the files).
    pub items: Vec<Item>,
    /// The processes, in the order their first snapshot was given.
    pub processes: Vec<Process>,
    /// By snapshot: the index of its process in [`Merged::processes`].
    pub process_of: Vec<u32>,
    /// Events left out as copies of an event of another snapshot.
    pub copies: u64,
}

/// What identifies a process: a file without a header is a process of its own.
fn process_key(h: Option<&Header>, file: usize) -> (String, u64, String, u64, u64, usize) {
    match h {
        Some(h) => (h.program.clone(), h.pid, h.host.clone(), h.anchor.ticks, h.anchor.mono_ns, usize::MAX),
        None => (String::new(), 0, String::new(), 0, 0, file),
    }
}

/// Whether `a` of `sa` and `b` of `sb` are the same event.
fn same_event(sa: &Snapshot, a: &Event, sb: &Snapshot, b: &Event) -> bool {
    if a.ticks != b.ticks {
        return false;
    }
    let thread = match (sa.thread(a), sb.thread(b)) {
        (Some(x), Some(y)) => x.tid == y.tid && x.name == y.name,
        _ => false,
    };
    let callsite = match (sa.callsite(a), sb.callsite(b)) {
        (Some(x), Some(y)) => {
            x.line == y.line
                && x.kind == y.kind
                && x.level == y.level
                && x.file == y.file
                && x.target == y.target
                && x.pieces == y.pieces
        }
        _ => false,
    };
    thread && callsite && sa.args(a) == sb.args(b)
}

/// Events of one time that are compared with each other for copies.
const MAX_SAME_TIME: usize = 256;

/// Merges `snaps` (see the module).
pub fn merge(snaps: &[Snapshot]) -> Merged {
    let mut merged = Merged::default();
    let mut keys = Vec::new();
    // By process: the snapshot whose calibration times its events (one with
    // the process's CLOCK frame, which every snapshot of it shares; else the
    // latest header's).
    let mut clocks: Vec<Option<&Snapshot>> = Vec::new();
    for (i, s) in snaps.iter().enumerate() {
        let key = process_key(s.header.as_ref(), i);
        let p = match keys.iter().position(|k| *k == key) {
            Some(p) => p,
            None => {
                keys.push(key);
                clocks.push(None);
                let (program, pid, host) = match &s.header {
                    Some(h) => (h.program.clone(), h.pid, h.host.clone()),
                    None => (String::new(), 0, String::new()),
                };
                merged.processes.push(Process { program, pid, host });
                keys.len() - 1
            }
        };
        merged.process_of.push(p as u32);
        if let Some(h) = &s.header {
            let better = clocks[p].is_none_or(|c| match (&c.calibration, &s.calibration, &c.header) {
                (Some(_), _, _) => false,
                (None, Some(_), _) => true,
                (None, None, Some(ch)) => {
                    ch.taken.ticks.wrapping_sub(h.anchor.ticks) < h.taken.ticks.wrapping_sub(h.anchor.ticks)
                }
                (None, None, None) => true,
            });
            if better {
                clocks[p] = Some(s);
            }
        }
    }
    let time_of = |file: usize, e: &Event| -> Option<i128> {
        clocks[merged.process_of[file] as usize].and_then(|s| s.unix_nanos_of(e.ticks))
    };
    // The order key: the time, or the clock reading where there is none.
    let key =
        |file: usize, e: &Event, time: Option<i128>| -> (i128, u32) { (time.unwrap_or(e.ticks as i128), file as u32) };
    let total: usize = snaps.iter().map(|s| s.events.len()).sum();
    merged.items.reserve(total);
    if let [only] = snaps {
        for (i, e) in only.events.iter().enumerate() {
            merged.items.push(Item { file: 0, event: i as u32, time: time_of(0, e) });
        }
        return merged;
    }
    let shared: Vec<bool> = (0..snaps.len())
        .map(|f| merged.process_of.iter().filter(|&&p| p == merged.process_of[f]).count() > 1)
        .collect();
    // The next event of each file.
    let mut heads: BinaryHeap<Reverse<((i128, u32), u32)>> = BinaryHeap::new();
    for (f, s) in snaps.iter().enumerate() {
        if let Some(e) = s.events.first() {
            heads.push(Reverse((key(f, e, time_of(f, e)), 0)));
        }
    }
    // Events of shared processes already taken at the current time, and the
    // files whose copy of each was left out.
    let mut now: Option<i128> = None;
    let mut recent: Vec<(Item, Vec<u32>)> = Vec::new();
    while let Some(Reverse(((k, f), idx))) = heads.pop() {
        let (file, s) = (f as usize, &snaps[f as usize]);
        let e = &s.events[idx as usize];
        let time = time_of(file, e);
        if let Some(next) = s.events.get(idx as usize + 1) {
            heads.push(Reverse((key(file, next, time_of(file, next)), idx + 1)));
        }
        let item = Item { file: f, event: idx, time };
        // Without a time (a clock that tells none) a copy cannot be told
        // from an event logged twice; past `MAX_SAME_TIME` events at one
        // time the search would cost more than it saves.
        if !shared[file] || time.is_none() || (now == Some(k) && recent.len() >= MAX_SAME_TIME) {
            merged.items.push(item);
            continue;
        }
        if now != Some(k) {
            now = Some(k);
            recent.clear();
        }
        let copy_of = recent.iter_mut().find(|(r, taken)| {
            r.file != f
                && merged.process_of[r.file as usize] == merged.process_of[file]
                && !taken.contains(&f)
                && same_event(&snaps[r.file as usize], &snaps[r.file as usize].events[r.event as usize], s, e)
        });
        match copy_of {
            Some((_, taken)) => {
                taken.push(f);
                merged.copies += 1;
            }
            None => {
                recent.push((item, Vec::new()));
                merged.items.push(item);
            }
        }
    }
    merged
}
