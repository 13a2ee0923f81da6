//! The snapshot workloads, defined once for the report (its timings and its
//! instruction counts) and the criterion bench `snapshot`: fill the rings,
//! capture, capture and write to a file, decode to typed events, decode and
//! render to text.

use crate::messages::{Inputs, Message};
use crate::pool::Job;
use std::fs::{File, OpenOptions};
use std::hint::black_box;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use ttlog_decode::render::line::write_text_line;

/// Events each thread logs to fill its ring: more than a 64 KiB ring holds.
pub const FILL_EVENTS: u64 = 10_000;

/// Fills the calling thread's ttlog ring: logs the six messages in turn until
/// `events` events were logged.
pub fn fill_ring(events: u64, inputs: &Inputs) {
    let mut left = events;
    while left > 0 {
        for m in Message::NANOLOG {
            if left == 0 {
                break;
            }
            crate::messages::ttlog_log::run(m, 1, inputs);
            left -= 1;
        }
    }
}

/// A [`Pool`](crate::pool::Pool) job that fills each thread's ring with
/// [`FILL_EVENTS`] events.
pub fn fill_job() -> Job {
    Arc::new(|_| fill_ring(FILL_EVENTS, &Inputs::NANOLOG))
}

/// Captures `n` snapshots of every ring; returns the events of the last.
pub fn capture(n: u64) -> u64 {
    let mut events = 0;
    for _ in 0..n {
        events = black_box(ttlog::snapshot("bench").event_count());
    }
    events
}

/// The file the capture-and-write workload writes snapshots to; removed when
/// dropped.
#[derive(Debug)]
pub struct SnapshotFile {
    file: File,
    path: PathBuf,
}

impl SnapshotFile {
    /// Creates (or empties) the file at `path`.
    pub fn create(path: &Path) -> io::Result<SnapshotFile> {
        let file = OpenOptions::new().create(true).append(true).open(path)?;
        file.set_len(0)?;
        Ok(SnapshotFile { file, path: path.to_owned() })
    }

    /// Empties the file, so that a long run does not fill the disk. Call it
    /// before a batch, outside the timed part.
    pub fn empty(&self) -> io::Result<()> {
        self.file.set_len(0)
    }

    /// Captures `n` snapshots and writes each to the file (no `fsync`).
    pub fn capture_write(&mut self, n: u64) -> io::Result<()> {
        for _ in 0..n {
            ttlog::snapshot("bench").write_to(&mut self.file)?;
        }
        Ok(())
    }
}

impl Drop for SnapshotFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Decodes `bytes` to typed events `n` times; returns the events of the last.
pub fn decode_typed(n: u64, bytes: &[u8]) -> usize {
    let mut events = 0;
    for _ in 0..n {
        let s = ttlog_decode::from_bytes(black_box(bytes)).expect("decode the snapshot");
        events = black_box(s.events.len());
    }
    events
}

/// Decodes `bytes` and renders every event as a text line, `n` times; returns
/// the bytes of text of the last.
pub fn decode_text(n: u64, bytes: &[u8]) -> usize {
    let mut line = String::with_capacity(256);
    let mut total = 0;
    for _ in 0..n {
        let s = ttlog_decode::from_bytes(black_box(bytes)).expect("decode the snapshot");
        total = 0;
        for e in &s.events {
            line.clear();
            write_text_line(&mut line, &s, e);
            total += line.len();
        }
        black_box(total);
    }
    total
}

/// Decodes `bytes` to typed events with the streaming reader, `n` times;
/// returns the events of the last.
pub fn decode_stream(n: u64, bytes: &[u8]) -> usize {
    let mut events = 0;
    for _ in 0..n {
        let mut s = ttlog_decode::stream::Stream::new(io::Cursor::new(black_box(bytes))).expect("read the snapshot");
        events = 0;
        while let Some((_, e)) = s.next_event() {
            black_box(e);
            events += 1;
        }
    }
    events
}

/// Counts the events of a decoded snapshot by level, thread and callsite
/// (`ttlog-decode stats`), `n` times; returns the events counted.
pub fn stats(n: u64, snap: &ttlog_decode::Snapshot) -> u64 {
    let mut events = 0;
    for _ in 0..n {
        events = black_box(ttlog_decode::stats::Stats::of(black_box(snap))).events;
    }
    events
}

/// The callsite whose first argument `agg` summarises: the first with an
/// integer first argument.
pub fn agg_callsite(snap: &ttlog_decode::Snapshot) -> Option<u32> {
    let integer = |c: &ttlog_decode::snapshot::CallsiteInfo| {
        c.args.first().is_some_and(|a| matches!(a.ty, ttlog::callsite::ArgType::U64 | ttlog::callsite::ArgType::I32))
    };
    snap.callsites.iter().flatten().find(|c| integer(c)).map(|c| c.index)
}

/// Summarises the first argument of `callsite` over every event of a
/// decoded snapshot (`ttlog-decode agg`), `n` times; returns the count.
pub fn agg(n: u64, snap: &ttlog_decode::Snapshot, callsite: u32) -> u64 {
    let mut count = 0;
    for _ in 0..n {
        let mut values = Vec::new();
        for e in &black_box(snap).events {
            if e.callsite == callsite
                && let Some(v) = snap.args(e).get(0).as_ref().and_then(ttlog_decode::agg::number)
            {
                values.push(v);
            }
        }
        count = ttlog_decode::agg::Summary::of(values).map_or(0, |s| s.count);
        black_box(count);
    }
    count
}
