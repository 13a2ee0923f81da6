//! The writer thread: drains every ring, encodes what it has not written yet
//! and appends it to the log file, then tells each ring how far it got.
//!
//! Per ring it keeps the owner it last saw and the owner's count of events
//! written (`next`): a copy (the reader protocol of [`crate::buffer`], through
//! [`Slot::capture`]) holds whole blocks, each starting with the count of the
//! owner's events before it, so the records to write are those from `next`
//! on. Records the copy no longer holds (its first is past `next`) were lost:
//! overwritten in [`OnFull::Drop`](super::OnFull::Drop) mode, or taken with a
//! block when the memory budget was spent; they and the events the thread
//! could not record go into a DROPS frame before the events that follow them.

use super::files::Output;
use super::{COUNTERS, Shared, WRITER_DELAY_NS};
use crate::buffer::BLOCK;
use crate::clock::ClockPoint;
use crate::registry::{self, Captured, Slot};
use crate::snapshot::encode::Encoder;
use crate::wire::{self, CallsiteInfo, Drops, End, Header, ThreadInfo, record};
use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::time::Duration;

/// Words of a ring block.
const BLOCK_WORDS: usize = (BLOCK / 8) as usize;

/// How long the writer sleeps when no one wakes it: events reach the file (and
/// the console) within about this long.
const INTERVAL: Duration = Duration::from_millis(2);

/// Events of one drain above which the writer drains again at once rather
/// than sleeping: the threads are logging faster than it wakes up.
const BUSY: u64 = 1024;

/// Blocks of a ring of at most `cap` blocks copied, encoded and written at
/// most at a time: their owner may reuse them as soon as they are written,
/// while the writer goes on with the next ones. A quarter of the ring, from 4
/// to 16 blocks (64 KiB): larger writes cost fewer system calls a byte, and
/// the other three quarters leave the owner room to go on meanwhile.
fn chunk_blocks(cap: u64) -> u64 {
    (cap / 4).clamp(4, 16)
}

/// Chunks of one ring drained at most in one pass over the rings.
const CHUNKS_PER_PASS: usize = 8;

/// What the writer knows of one slot.
#[derive(Debug, Default)]
struct Tracked {
    /// The owner last seen (0: none yet).
    owner: u64,
    /// The owner's events written or counted as lost so far.
    next: u64,
    /// The owner's count of unrecorded events, as last seen.
    dropped: u64,
    /// The position the last copy reached (every event before it was
    /// written: the next copy starts at its block).
    head: u64,
    /// The thread's index in the open file.
    index: Option<u32>,
}

/// The open file's encoder and what it wrote.
struct FileState {
    enc: Encoder,
    /// Signatures whose CALLSITE frame is written.
    sigs_written: usize,
    /// Threads with a THREAD frame.
    threads: u32,
    frames: u64,
    events: u64,
}

impl FileState {
    fn new() -> FileState {
        FileState { enc: Encoder::new(), sigs_written: 0, threads: 0, frames: 0, events: 0 }
    }
}

/// One drain's output: metadata first, then the events (a file cut between
/// two writes has the metadata of the events it holds).
#[derive(Default)]
struct Batch {
    meta: Vec<u8>,
    events: Vec<u8>,
}

/// The writer thread's body: drains until asked to stop, then closes the file.
pub(super) fn run(mut out: Output, shared: &Shared) {
    let mut w = Writer {
        tracked: HashMap::new(),
        file: FileState::new(),
        batch: Batch::default(),
        spare: Vec::new(),
        failed: false,
    };
    w.open_file(&mut out);
    loop {
        let (asked, done, stop) = {
            let c = shared.lock();
            (c.flush_asked, c.flush_done, c.stop)
        };
        let written = w.drain(&mut out);
        if asked > done || stop {
            w.report(out.sync(), "sync");
        }
        if stop {
            w.close_file(&mut out);
            let _ = out.sync();
            crate::buffer::BLOCKING_WRITER.store(0, Ordering::Relaxed);
            crate::buffer::wake_waiters();
            COUNTERS.writer_cpu_ns.store(thread_cpu_ns(), Ordering::Relaxed);
            let mut c = shared.lock();
            c.stopped = true;
            shared.changed.notify_all();
            return;
        }
        {
            let mut c = shared.lock();
            if c.flush_done < asked {
                c.flush_done = asked;
                shared.changed.notify_all();
            }
        }
        if out.due() {
            w.close_file(&mut out);
            let rotated = out.rotate();
            w.report(rotated, "rotate to a new file");
            w.open_file(&mut out);
        }
        COUNTERS.writer_cpu_ns.store(thread_cpu_ns(), Ordering::Relaxed);
        let delay = WRITER_DELAY_NS.load(Ordering::Relaxed);
        if delay > 0 {
            std::thread::sleep(Duration::from_nanos(delay));
        }
        let pending = {
            let c = shared.lock();
            c.stop || c.flush_asked > c.flush_done
        };
        // A drain reaches every ring's head as seen when it started: while
        // threads log faster than that, it drains again at once; otherwise
        // it sleeps until a thread's ring is half full (the thread wakes it
        // at a block switch), a thread waits for room, or the interval ends.
        if !pending && written < BUSY {
            crate::buffer::WRITER_MAY_SLEEP.store(true, Ordering::Relaxed);
            std::thread::park_timeout(out.due_in().map_or(INTERVAL, |d| d.min(INTERVAL)));
            crate::buffer::WRITER_MAY_SLEEP.store(false, Ordering::Relaxed);
        }
    }
}

struct Writer {
    tracked: HashMap<usize, Tracked>,
    file: FileState,
    batch: Batch,
    /// The vector the next copy of a ring goes into.
    spare: Vec<u64>,
    /// An I/O error was reported (once).
    failed: bool,
}

impl Writer {
    /// Reports the first I/O error on stderr; the writer goes on (threads in
    /// `Block` mode must not wait for a disk that fails).
    fn report(&mut self, r: std::io::Result<()>, what: &str) {
        if let Err(e) = r
            && !self.failed
        {
            self.failed = true;
            eprintln!("ttlog: the log file writer could not {what}: {e}; later errors are not reported");
        }
    }

    /// Starts a file: preamble and HEADER; threads get new indices.
    fn open_file(&mut self, out: &mut Output) {
        self.file = FileState::new();
        for t in self.tracked.values_mut() {
            t.index = None;
        }
        let mut bytes = Vec::new();
        wire::put_preamble(&mut bytes);
        let clock = crate::clock::clock();
        let taken = ClockPoint::now(clock);
        let header = Header {
            program: crate::snapshot::file::cached(
                &crate::snapshot::file::PROGRAM,
                crate::snapshot::file::program_name,
            ),
            pid: std::process::id() as u64,
            host: crate::snapshot::file::cached(&crate::snapshot::file::HOST, crate::snapshot::file::host_name),
            reason: "continuous".to_owned(),
            ttlog_version: env!("CARGO_PKG_VERSION").to_owned(),
            clock,
            anchor: crate::clock::anchor().unwrap_or(taken),
            taken,
            evicted: 0,
            late_dropped: 0,
        };
        let mut payload = Vec::new();
        header.encode(&mut payload);
        wire::put_frame(&mut bytes, wire::kind::HEADER, &payload);
        self.file.frames += 1 + wire::types::put_type_frames(&mut bytes);
        let r = out.write(&[&bytes]);
        self.report(r, "write");
        COUNTERS.files.fetch_add(1, Ordering::Relaxed);
        COUNTERS.bytes.fetch_add(bytes.len() as u64, Ordering::Relaxed);
    }

    /// Ends the open file with its END frame.
    fn close_file(&mut self, out: &mut Output) {
        let mut payload = Vec::new();
        End { frames: self.file.frames, events: self.file.events }.encode(&mut payload);
        let mut bytes = Vec::new();
        wire::put_frame(&mut bytes, wire::kind::END, &payload);
        let r = out.write(&[&bytes]).and_then(|()| out.sync());
        self.report(r, "close the file");
        COUNTERS.bytes.fetch_add(bytes.len() as u64, Ordering::Relaxed);
    }

    /// Drains every ring up to its head as seen when the drain reaches it;
    /// returns the events written. Each ring's events are written as soon
    /// as they are encoded, a chunk at a time, and its blocks released right
    /// after (a thread that waits for room waits for its own ring only). A
    /// ring that holds more than a pass takes is visited again after the
    /// others, until it reached that head: a flush, or the last drain before
    /// the file is closed, takes everything logged before it.
    fn drain(&mut self, out: &mut Output) -> u64 {
        let before = self.file.events;
        let mut left = Vec::new();
        for slot in registry::slots() {
            let target = slot.ring().head();
            if self.drain_chunks(out, slot, target) {
                left.push((slot, target));
            }
        }
        while !left.is_empty() {
            left.retain(|&(slot, target)| self.drain_chunks(out, slot, target));
        }
        // Frames of rings that had nothing new to release (a THREAD frame,
        // drops of a ring that held no events).
        self.write_batch(out, None);
        out.end_drain();
        self.file.events - before
    }

    /// Drains a few chunks of one ring (the next ring's owner may be
    /// waiting); returns whether the ring holds more before `target` (a
    /// logical position of its owner). Each chunk ends further on: a whole
    /// block at least, or the head.
    fn drain_chunks(&mut self, out: &mut Output, slot: &'static Slot, target: u64) -> bool {
        for _ in 0..CHUNKS_PER_PASS {
            let Some(drained) = self.drain_slot(slot) else { return false };
            let more = drained.more && drained.at < target;
            self.write_batch(out, Some(drained));
            if !more {
                return false;
            }
        }
        true
    }

    /// Writes the batch (CALLSITE frames for the signatures it uses first,
    /// then its frames), then tells the ring how far it was drained.
    fn write_batch(&mut self, out: &mut Output, drained: Option<Drained>) {
        let b = &mut self.batch;
        let mut payload = Vec::new();
        for (index, sig) in self.file.enc.sigs.iter().enumerate().skip(self.file.sigs_written) {
            payload.clear();
            CallsiteInfo::encode_static(&mut payload, index as u32, sig.cs, Some(&sig.types));
            wire::put_frame(&mut b.meta, wire::kind::CALLSITE, &payload);
            self.file.frames += 1;
        }
        self.file.sigs_written = self.file.enc.sigs.len();
        let mut r = Ok(());
        if !b.meta.is_empty() || !b.events.is_empty() {
            r = out.write(&[&b.meta, &b.events]);
            COUNTERS.bytes.fetch_add((b.meta.len() + b.events.len()) as u64, Ordering::Relaxed);
            b.meta.clear();
            b.events.clear();
        }
        // The events are with the kernel (a killed process loses none of
        // them): their blocks may be written again.
        if let Some(d) = drained {
            d.slot.ring().set_drained(d.owner, d.next, d.at);
        }
        self.report(r, "write");
    }

    /// Copies one slot's ring and encodes what the file lacks into the
    /// batch; returns what to tell the ring once the batch is written.
    fn drain_slot(&mut self, slot: &'static Slot) -> Option<Drained> {
        let ring = slot.ring();
        let key = slot as *const Slot as usize;
        let t = self.tracked.entry(key).or_default();
        let head = ring.head();
        let owner_now = ring.owner();
        if owner_now == 0 || (owner_now == t.owner && head == t.head && slot.dropped_now() == t.dropped) {
            return None;
        }
        // The blocks that can hold what was not written: from the block of
        // the position the last copy reached on (every event before it was
        // written), all of them for a new owner; a chunk of them at most.
        let from = if owner_now == t.owner { t.head / BLOCK } else { 0 };
        let (o, mut copy) = match slot.capture_from(from, chunk_blocks, &mut self.spare) {
            Captured::Copied(o, c) => (o, c),
            // Unowned, or the writer kept lapping the copy: next time.
            _ => return None,
        };
        if o.id != t.owner {
            if from != 0 {
                // The owner changed between the look and the copy: the copy
                // started at the old owner's block.
                *t = Tracked { owner: o.id, ..Tracked::default() };
                self.spare = copy.words;
                return None;
            }
            *t = Tracked { owner: o.id, ..Tracked::default() };
        }
        let (first, end) = match span(&copy.words) {
            Some(s) => s,
            // Nothing in the ring: everything the owner wrote is gone, or
            // there was nothing.
            None => {
                let total = o.final_seq.unwrap_or(t.next).max(t.next);
                (total, total)
            }
        };
        let lost_in_ring = first.saturating_sub(t.next);
        let unrecorded = o.dropped.saturating_sub(t.dropped);
        t.dropped = o.dropped;
        // A copy that stopped at its chunk's end leaves more to drain.
        let more = copy.end < head;
        t.head = if copy.end == 0 { head } else { copy.end };
        if end <= t.next && lost_in_ring + unrecorded == 0 {
            // Nothing new in this chunk (the block where the last copy
            // ended): the drain goes on with the next, if there is one.
            self.spare = copy.words;
            return more.then_some(Drained { slot, owner: o.id, next: t.next, at: t.head, more });
        }
        let index = match t.index {
            Some(i) => i,
            None => {
                let i = self.file.threads;
                self.file.threads += 1;
                t.index = Some(i);
                let mut payload = Vec::new();
                ThreadInfo {
                    index: i,
                    tid: o.tid,
                    name: o.name_str().to_owned(),
                    exited: false,
                    recorded: 0,
                    overwritten: 0,
                    dropped: 0,
                    copied: true,
                    evicted: 0,
                }
                .encode(&mut payload);
                wire::put_frame(&mut self.batch.meta, wire::kind::THREAD, &payload);
                self.file.frames += 1;
                i
            }
        };
        let start = t.next.max(first);
        // The records from `start` on: the block that holds it, from the word
        // before its record `start` (which the encoder takes for the block's
        // header and skips), then the blocks after it whole.
        let words = &mut copy.words[..];
        let mut cut: (usize, usize) = (0, 0);
        let mut rest = words.len();
        let mut first_ticks = None;
        let blocks = words.len().div_ceil(BLOCK_WORDS);
        for b in 0..blocks {
            let at = b * BLOCK_WORDS;
            let next_seq = words.get(at + BLOCK_WORDS).copied();
            if next_seq.is_some_and(|n| n <= start) {
                continue;
            }
            let block_end = (at + BLOCK_WORDS).min(words.len());
            let Some(block) = record::blocks(&words[at..block_end], BLOCK_WORDS).next() else { break };
            let skip = start.saturating_sub(block.seq);
            if let Some(r) = block.records().map_while(Result::ok).nth(skip as usize) {
                first_ticks = Some(r.ticks());
                cut = (at + r.index - 1, block_end);
            }
            rest = block_end;
            break;
        }
        let mut skipped = 0;
        let mut written = 0;
        let lost = lost_in_ring + unrecorded;
        if lost > 0 {
            let ticks = first_ticks.unwrap_or_else(|| ClockPoint::now(crate::clock::clock()).ticks);
            let mut payload = Vec::new();
            Drops { thread: index, ticks, count: lost }.encode(&mut payload);
            wire::put_frame(&mut self.batch.events, wire::kind::DROPS, &payload);
            self.file.frames += 1;
        }
        for part in [&words[cut.0..cut.1], &words[rest..]] {
            if part.is_empty() {
                continue;
            }
            let (n, frames, s) = self.file.enc.thread_words(index, part, &mut self.batch.events);
            written += n;
            self.file.frames += frames;
            skipped += s;
        }
        if skipped > 0 {
            // Records the encoder could not read (an unknown callsite): lost too.
            let mut payload = Vec::new();
            let ticks = ClockPoint::now(crate::clock::clock()).ticks;
            Drops { thread: index, ticks, count: skipped }.encode(&mut payload);
            wire::put_frame(&mut self.batch.events, wire::kind::DROPS, &payload);
            self.file.frames += 1;
        }
        self.file.events += written;
        COUNTERS.events.fetch_add(written, Ordering::Relaxed);
        COUNTERS.dropped.fetch_add(lost + skipped, Ordering::Relaxed);
        t.next = end.max(t.next);
        self.spare = copy.words;
        Some(Drained { slot, owner: o.id, next: t.next, at: t.head, more })
    }
}

/// What to tell a ring once its events are written: the owner, its count of
/// events written or counted as lost, and a position at or before their end.
struct Drained {
    slot: &'static Slot,
    owner: u64,
    next: u64,
    at: u64,
    /// The copy stopped before the ring's head.
    more: bool,
}

/// The owner's events that copied words (whole blocks from a block boundary)
/// hold: the count before the first record and the count after the last,
/// `None` if they hold no record. The blocks run on from each other (the
/// copy protocol), so the last block's header and records give the end.
fn span(words: &[u64]) -> Option<(u64, u64)> {
    let first = *words.first()?;
    let last_at = (words.len() - 1) / BLOCK_WORDS * BLOCK_WORDS;
    let last = record::blocks(&words[last_at..], BLOCK_WORDS).next()?;
    let end = last.seq + last.records().filter(Result::is_ok).count() as u64;
    (end > first).then_some((first, end))
}

/// CPU time of the calling thread, in nanoseconds.
fn thread_cpu_ns() -> u64 {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: `ts` is a valid, writable `timespec`; the call only writes it.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    if rc != 0 {
        return 0;
    }
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}
