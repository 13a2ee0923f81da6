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

/// What the writer knows of one slot.
#[derive(Debug, Default)]
struct Tracked {
    /// The owner last seen (0: none yet).
    owner: u64,
    /// The owner's events written or counted as lost so far.
    next: u64,
    /// The owner's count of unrecorded events, as last seen.
    dropped: u64,
    /// The ring's head at the last drain (how much the next must copy).
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
    /// Rings to tell, once the batch is written: (slot, owner, count).
    drained: Vec<(&'static Slot, u64, u64)>,
}

/// The writer thread's body: drains until asked to stop, then closes the file.
pub(super) fn run(mut out: Output, shared: &Shared) {
    let mut w = Writer { tracked: HashMap::new(), file: FileState::new(), batch: Batch::default(), failed: false };
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
        if !pending && written < BUSY {
            std::thread::park_timeout(out.due_in().map_or(INTERVAL, |d| d.min(INTERVAL)));
        }
    }
}

struct Writer {
    tracked: HashMap<usize, Tracked>,
    file: FileState,
    batch: Batch,
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

    /// One pass over every ring, written to the file in one go; returns the
    /// events written.
    fn drain(&mut self, out: &mut Output) -> u64 {
        let before = self.file.events;
        for slot in registry::slots() {
            self.drain_slot(slot);
        }
        let written = self.file.events - before;
        let b = &mut self.batch;
        // CALLSITE frames for the signatures this drain used first.
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
        for (slot, owner, next) in b.drained.drain(..) {
            slot.ring().set_drained(owner, next);
        }
        self.report(r, "write");
        written
    }

    /// Copies one slot's ring and encodes what the file lacks.
    fn drain_slot(&mut self, slot: &'static Slot) {
        let ring = slot.ring();
        let key = slot as *const Slot as usize;
        let t = self.tracked.entry(key).or_default();
        let head = ring.head();
        let owner_now = ring.owner();
        if owner_now == 0 || (owner_now == t.owner && head == t.head && slot.dropped_now() == t.dropped) {
            return;
        }
        // The newest blocks that can hold what was not written: from the block
        // of the head seen last time, with a margin for the writer moving on
        // during the copy (a copy that comes out short is made again, whole).
        let blocks = if owner_now == t.owner {
            ((head / BLOCK).saturating_sub(t.head / BLOCK) + 3) as usize
        } else {
            usize::MAX
        };
        let (o, copy) = match slot.capture(blocks) {
            Captured::Copied(_, c) if blocks != usize::MAX && first_seq(&c.words).is_some_and(|s| s > t.next) => {
                match slot.capture(usize::MAX) {
                    Captured::Copied(o, c) => (o, c),
                    _ => return,
                }
            }
            Captured::Copied(o, c) => (o, c),
            // Unowned, or the writer kept lapping the copy: next time.
            _ => return,
        };
        if o.id != t.owner {
            *t = Tracked { owner: o.id, ..Tracked::default() };
        }
        t.head = head;
        let walk = crate::buffer::walk(&copy.words);
        let (first, end) = if walk.count > 0 {
            (walk.first_seq, walk.first_seq + walk.count)
        } else {
            // Nothing in the ring: everything the owner wrote is gone, or
            // there was nothing.
            let total = o.final_seq.unwrap_or(t.next).max(t.next);
            (total, total)
        };
        let lost_in_ring = first.saturating_sub(t.next);
        let unrecorded = o.dropped.saturating_sub(t.dropped);
        t.dropped = o.dropped;
        if end <= t.next && lost_in_ring + unrecorded == 0 {
            return;
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
        // The records from `start` on: the block that holds it, with the
        // records before `start` cut out, then the blocks after it whole.
        let mut cut_block = Vec::new();
        let mut rest: &[u64] = &[];
        let mut first_ticks = None;
        for (b, block) in record::blocks(&copy.words, BLOCK_WORDS).enumerate() {
            let n = block.records().filter(Result::is_ok).count() as u64;
            if block.seq + n <= start {
                continue;
            }
            let skip = start.saturating_sub(block.seq);
            let words = &copy.words[b * BLOCK_WORDS..((b + 1) * BLOCK_WORDS).min(copy.words.len())];
            let mut recs = block.records().map_while(Result::ok).skip(skip as usize);
            if let Some(r) = recs.next() {
                first_ticks = Some(r.ticks());
                cut_block.push(block.seq + skip);
                cut_block.extend_from_slice(&words[r.index..]);
            }
            rest = copy.words.get((b + 1) * BLOCK_WORDS..).unwrap_or_default();
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
        for words in [&cut_block[..], rest] {
            if words.is_empty() {
                continue;
            }
            let (n, frames, s) = self.file.enc.thread_words(index, words, &mut self.batch.events);
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
        self.batch.drained.push((slot, o.id, t.next));
    }
}

/// The count of the owner's events before the first record of copied words.
fn first_seq(words: &[u64]) -> Option<u64> {
    words.first().copied()
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
