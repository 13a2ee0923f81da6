//! Snapshots: copy every thread's ring (capture), then re-encode the records
//! compactly into the file format of [`crate::wire`] (write).
//!
//! Capture copies and does not drain: writers keep writing while it runs and
//! never wait for it. Writing happens on the thread that asked for the
//! snapshot; application threads never pay for compaction.

mod capture;
pub(crate) mod encode;
pub(crate) mod file;

pub use capture::snapshot;
pub(crate) use capture::snapshot_for;

use crate::buffer::{RingCopy, Walk};
use crate::clock::{Clock, ClockPoint};

use crate::wire::{self, Calibration, CallsiteInfo, End, Header, ThreadInfo, Trigger};
use encode::Encoder;
use std::io::{self, IoSlice, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

/// A copy of every thread's recent events, taken by [`snapshot`].
#[derive(Debug)]
pub struct Snapshot {
    reason: String,
    clock: Clock,
    anchor: ClockPoint,
    taken: ClockPoint,
    threads: Vec<ThreadSnapshot>,
    evicted: u64,
    late_dropped: u64,
    trigger: Trigger,
    /// The process's calibration (`None` before its first event).
    calibration: Option<Calibration>,
}

/// One thread's part of a [`Snapshot`].
#[derive(Debug)]
pub struct ThreadSnapshot {
    tid: u64,
    name: String,
    exited: bool,
    dropped: u64,
    /// Events taken with blocks by other threads.
    evicted: u64,
    /// Events the thread wrote before the first one copied: overwritten or
    /// evicted.
    before: u64,
    copy: RingCopy,
    walk: Walk,
    /// Whether a consistent copy of the ring was made (see [`ThreadSnapshot::copied`]).
    copied: bool,
}

impl ThreadSnapshot {
    /// The OS thread id.
    pub fn tid(&self) -> u64 {
        self.tid
    }

    /// The thread's name, `""` if it had none.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Whether the thread had exited (its last events are kept until its buffer
    /// is needed by a new thread).
    pub fn exited(&self) -> bool {
        self.exited
    }

    /// Events copied into the snapshot.
    pub fn recorded(&self) -> u64 {
        self.walk.count
    }

    /// Events the thread's own ring overwrote (oldest first) before the
    /// snapshot copied it.
    /// `recorded() + overwritten() + evicted() + dropped()` is the number of
    /// events the thread logged, at one moment during the snapshot.
    pub fn overwritten(&self) -> u64 {
        self.before - self.evicted
    }

    /// Events taken from the thread's ring with its oldest blocks, for other
    /// threads, when the memory budget was spent.
    pub fn evicted(&self) -> u64 {
        self.evicted
    }

    /// Events the thread could not record at all: no buffer (memory budget
    /// spent), or logged from inside the formatting of another event's argument.
    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    /// Whether the thread's ring could be copied. A writer that overwrites its
    /// ring again and again while the snapshot copies it may defeat every
    /// attempt (the snapshot retries, with less of the ring each time); such a
    /// thread is still listed, with no events, and its counts other than
    /// [`dropped`](Self::dropped) are unknown (0).
    pub fn copied(&self) -> bool {
        self.copied
    }

    /// Bytes of ring the copied events occupied, block headers and padding
    /// included: `buffer_bytes() / recorded()` is the buffer cost per event.
    pub fn buffer_bytes(&self) -> u64 {
        self.copy.words.len() as u64 * 8
    }
}

impl Snapshot {
    /// Why the snapshot was taken.
    pub fn reason(&self) -> &str {
        &self.reason
    }

    /// What made the snapshot: the signal and its details, the thread, the
    /// panic's location (the TRIGGER frame).
    pub fn trigger(&self) -> &Trigger {
        &self.trigger
    }

    /// The threads whose buffers were copied.
    pub fn threads(&self) -> &[ThreadSnapshot] {
        &self.threads
    }

    /// Events copied, all threads together.
    pub fn event_count(&self) -> u64 {
        self.threads.iter().map(ThreadSnapshot::recorded).sum()
    }

    /// Writes the snapshot file at `path` (created `0600` if new, truncated
    /// if it exists).
    pub fn save(&self, path: impl AsRef<Path>) -> io::Result<()> {
        let mut f = std::fs::OpenOptions::new().write(true).create(true).truncate(true).mode(0o600).open(path)?;
        self.write_to(&mut f)?;
        f.sync_all()
    }

    /// Writes the snapshot to a new file in [`snapshot_dir`](crate::snapshot_dir)
    /// (created if missing, see there), named
    /// `PROGRAM-PID-REASON-YYYYMMDDTHHMMSSZ.ttlog`, and returns its path.
    ///
    /// The file is created `0600` (only the user can read it), never through
    /// a symbolic link and never over an existing file: a name that is taken
    /// gets a `-2`, `-3`, ... suffix. It appears under its name complete: it
    /// is written under a temporary name (ending `.part`), then linked to its
    /// name.
    pub fn save_to_dir(&self) -> io::Result<std::path::PathBuf> {
        let dir = file::prepare_dir()?;
        let now = crate::clock::realtime_ns();
        for n in 1..=1000 {
            let path = file::snapshot_path(&dir, &self.reason, now, n);
            let mut part = path.clone().into_os_string();
            part.push(".part");
            let part = std::path::PathBuf::from(part);
            let mut f = match file::create_new(&part) {
                Ok(f) => f,
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(e),
            };
            let written = self.write_to(&mut f).and_then(|()| f.sync_all());
            drop(f);
            // `link` never replaces an existing name (`rename` would); where
            // the file system has no links, `rename` to a name seen free.
            let linked = written.and_then(|()| match std::fs::hard_link(&part, &path) {
                Err(e) if e.kind() != io::ErrorKind::AlreadyExists && std::fs::symlink_metadata(&path).is_err() => {
                    std::fs::rename(&part, &path)
                }
                other => other,
            });
            let _ = std::fs::remove_file(&part);
            match linked {
                Ok(()) => return Ok(path),
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(e),
            }
        }
        Err(io::Error::new(io::ErrorKind::AlreadyExists, "1000 snapshot names in a row are taken"))
    }

    /// Writes the snapshot file to `w`.
    pub fn write_to<W: Write>(&self, mut w: W) -> io::Result<()> {
        let encoded = self.encode();
        let mut slices = encoded.parts().map(IoSlice::new);
        let mut bufs = &mut slices[..];
        // One vectored write (one system call for a file) where the writer
        // takes them all.
        IoSlice::advance_slices(&mut bufs, 0);
        while !bufs.is_empty() {
            match w.write_vectored(bufs) {
                Ok(0) => return Err(io::Error::from(io::ErrorKind::WriteZero)),
                Ok(n) => IoSlice::advance_slices(&mut bufs, n),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        w.flush()
    }

    /// The snapshot file's bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        self.encode().parts().concat()
    }

    fn header(&self) -> Header {
        Header {
            program: file::cached(&file::PROGRAM, file::program_name),
            pid: std::process::id() as u64,
            host: file::cached(&file::HOST, file::host_name),
            reason: self.reason.clone(),
            ttlog_version: env!("CARGO_PKG_VERSION").to_owned(),
            clock: self.clock,
            anchor: self.anchor,
            taken: self.taken,
            evicted: self.evicted,
            late_dropped: self.late_dropped,
        }
    }

    fn encode(&self) -> Encoded {
        let mut enc = Encoder::new();
        // Room for events as large as the rings (they are smaller unless their
        // arguments are mostly large integers): one allocation, no copying.
        let ring_bytes: usize = self.threads.iter().map(|t| t.copy.words.len() * 8).sum();
        let mut events_frames = Vec::with_capacity(ring_bytes + 1024);
        let mut thread_infos = Vec::with_capacity(self.threads.len());
        let mut frames = 0u64;
        let mut total = 0u64;
        for (index, t) in self.threads.iter().enumerate() {
            let (written, nframes, skipped) = enc.thread_events(index as u32, &t.copy, &mut events_frames);
            frames += nframes;
            total += written;
            thread_infos.push(ThreadInfo {
                index: index as u32,
                tid: t.tid,
                name: t.name.clone(),
                exited: t.exited,
                recorded: written,
                overwritten: t.overwritten(),
                // Records that could not be re-encoded count as dropped.
                dropped: t.dropped + skipped + t.walk.malformed,
                copied: t.copied,
                evicted: t.evicted,
            });
        }

        let mut preamble = Vec::with_capacity(wire::PREAMBLE_LEN);
        wire::put_preamble(&mut preamble);
        // The metadata goes in twice, before and after the events, so that
        // damage to one copy costs no events (see `wire`).
        let mut meta = Vec::new();
        let mut payload = Vec::new();
        self.header().encode(&mut payload);
        wire::put_frame(&mut meta, wire::kind::HEADER, &payload);
        payload.clear();
        self.trigger.encode(&mut payload);
        wire::put_frame(&mut meta, wire::kind::TRIGGER, &payload);
        if let Some(c) = &self.calibration {
            payload.clear();
            c.encode(&mut payload);
            wire::put_frame(&mut meta, wire::kind::CLOCK, &payload);
        }
        for (index, sig) in enc.sigs.iter().enumerate() {
            payload.clear();
            CallsiteInfo::encode_static(&mut payload, index as u32, sig.cs, Some(&sig.types));
            wire::put_frame(&mut meta, wire::kind::CALLSITE, &payload);
        }
        let types = wire::types::put_type_frames(&mut meta);
        for t in &thread_infos {
            payload.clear();
            t.encode(&mut payload);
            wire::put_frame(&mut meta, wire::kind::THREAD, &payload);
        }
        let meta_frames =
            2 + self.calibration.is_some() as u64 + enc.sigs.len() as u64 + types + thread_infos.len() as u64;
        frames += 2 * meta_frames;
        let mut end = Vec::new();
        payload.clear();
        End { frames, events: total }.encode(&mut payload);
        wire::put_frame(&mut end, wire::kind::END, &payload);
        Encoded { preamble, meta, events: events_frames, end }
    }
}

/// A snapshot file in pieces: preamble, metadata, events, metadata again, END.
struct Encoded {
    preamble: Vec<u8>,
    meta: Vec<u8>,
    events: Vec<u8>,
    end: Vec<u8>,
}

impl Encoded {
    fn parts(&self) -> [&[u8]; 5] {
        [&self.preamble, &self.meta, &self.events, &self.meta, &self.end]
    }
}
