//! Events of a file of any size, in time order, with bounded memory.
//!
//! [`Stream`] reads a file twice. The first pass checks every frame (sync
//! marker, length, checksum), keeps the metadata (header, callsites,
//! threads) and notes where each thread's event frames are, without keeping
//! them. Then each thread's events are decoded a frame at a time and the
//! threads merged by timestamp. What it holds at once: the metadata (once),
//! 16 bytes for each event frame of the file, and for each thread one decoded
//! EVENTS frame (the writer closes them at 8 KiB), or, in a crash snapshot,
//! the thread's ring (its RING frames, which hold the ring's blocks in any
//! order, are decoded together and sorted). [`read_file`](crate::read_file) keeps
//! everything and is simpler for files that fit in memory; both give the same
//! events in the same order for an intact file.
//!
//! ```no_run
//! let mut stream = ttlog_decode::stream::Stream::open("big.ttlog")?;
//! while let Some((snap, e)) = stream.next_event() {
//!     println!("{}", ttlog_decode::render::line::text_line(snap, e));
//! }
//! for p in stream.problems() {
//!     eprintln!("{p}");
//! }
//! # Ok::<(), ttlog_decode::Error>(())
//! ```
//!
//! Damage is handled as [`from_bytes`](crate::from_bytes) does: a frame that
//! does not check out is reported and skipped to the next one that does. The
//! search for it checks candidate frames against a budget of twice the file's
//! length in checksummed bytes; past it, the rest of the file is reported as
//! skipped rather than searched, so that no input costs more than a few
//! passes over it.

use crate::error::Error;
use crate::read::stream::{Decoder, Meta, Scan, read_up_to, thread_of};
use crate::snapshot::{Event, Problem, Snapshot};
use crate::value::Store;
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::collections::HashMap;
use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::Path;
use ttlog_core::wire;

/// An event frame: where its payload is, and what kind it is.
#[derive(Clone, Copy, Debug)]
struct FrameRef {
    /// File offset of the payload.
    offset: u64,
    len: u32,
    kind: u8,
}

/// One thread's events: its frames, and those of them decoded now.
#[derive(Debug, Default)]
struct Cursor {
    frames: Vec<FrameRef>,
    /// The next frame to decode.
    next: usize,
    /// The decoded events, in time order, and their arguments (which are
    /// swapped into the stream's snapshot to read them).
    events: Vec<Event>,
    values: Store,
    /// The next of `events` to yield.
    pos: usize,
}

/// Events of a snapshot file in time order, a frame at a time (see the
/// module).
#[derive(Debug)]
pub struct Stream<R> {
    input: R,
    /// The metadata, and no events; it holds the arguments of the cursor
    /// whose event was yielded last.
    meta: Snapshot,
    decoder: Decoder,
    cursors: Vec<Cursor>,
    /// The next event of each cursor that has one: time, cursor.
    heads: BinaryHeap<Reverse<(u64, u32)>>,
    /// The cursor whose event was yielded last, to advance at the next call.
    last: Option<u32>,
    /// The cursor whose arguments are in `meta` now (swapped with its own
    /// empty store; swapped back only when another cursor's are needed).
    held: Option<u32>,
    problems: Vec<Problem>,
    /// The input's length.
    len: u64,
    /// Whether the input has DROPS frames (a continuous log's loss markers),
    /// which this reader does not turn into events.
    drops: bool,
    decoded: u64,
    finished: bool,
}

impl Stream<BufReader<File>> {
    /// Opens the snapshot file at `path` and reads its metadata.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, Error> {
        let file = File::open(path).map_err(Error::Io)?;
        Stream::new(BufReader::with_capacity(1 << 16, file))
    }
}

impl<R: Read + Seek> Stream<R> {
    /// A stream over a snapshot read from `input` (from its start), whose
    /// metadata it reads now.
    pub fn new(mut input: R) -> Result<Self, Error> {
        let len = input.seek(SeekFrom::End(0)).map_err(Error::Io)?;
        input.seek(SeekFrom::Start(0)).map_err(Error::Io)?;
        let mut preamble = [0u8; wire::PREAMBLE_LEN];
        let got = read_up_to(&mut input, &mut preamble).map_err(Error::Io)?;
        crate::read::check_preamble(&preamble[..got])?;
        let mut meta = Meta::default();
        // By thread index, in the order of their first frames.
        let mut by_thread: Vec<Vec<FrameRef>> = Vec::new();
        let mut thread_at: HashMap<u32, usize> = HashMap::new();
        let mut problems = Vec::new();
        let mut drops = false;
        let mut scan = Scan::new(len);
        let mut buf = Vec::new();
        let max_items = (len / wire::FRAME_HEADER_LEN as u64) as usize;
        while let Some(found) = scan.next(&mut input, &mut buf).map_err(Error::Io)? {
            let frame = match found {
                Ok(f) => f,
                Err(p) => {
                    problems.push(p);
                    continue;
                }
            };
            if meta.snap.end.is_some() {
                problems.push(Problem {
                    offset: frame.offset,
                    message: "frame after the END frame; ignored".to_owned(),
                    lost_events: 0,
                });
                continue;
            }
            let base = frame.offset + wire::FRAME_HEADER_LEN as u64;
            match frame.kind {
                wire::kind::DROPS => drops = true,
                wire::kind::EVENTS | wire::kind::RING => {
                    let thread = thread_of(&buf).unwrap_or(u32::MAX);
                    let r = FrameRef { offset: base, len: buf.len() as u32, kind: frame.kind };
                    let at = *thread_at.entry(thread).or_insert_with(|| {
                        by_thread.push(Vec::new());
                        by_thread.len() - 1
                    });
                    by_thread[at].push(r);
                }
                kind => {
                    if let Err(e) = meta.read(max_items, kind, base, &buf) {
                        problems.push(Problem {
                            offset: e.offset(),
                            message: format!(
                                "frame at byte {} has a valid checksum but cannot be read: {e}",
                                frame.offset
                            ),
                            lost_events: 0,
                        });
                    }
                }
            }
        }
        let (mut meta, decoder) = meta.decoder(len);
        problems.append(&mut meta.problems);
        if meta.header.is_none() {
            problems.push(Problem {
                offset: wire::PREAMBLE_LEN as u64,
                message: "the header frame is missing or damaged: timestamps cannot be converted to wall-clock time"
                    .to_owned(),
                lost_events: 0,
            });
        }
        let cursors = by_thread.into_iter().map(|frames| Cursor { frames, ..Cursor::default() }).collect();
        let mut stream = Stream {
            input,
            meta,
            decoder,
            cursors,
            heads: BinaryHeap::new(),
            last: None,
            held: None,
            problems,
            len,
            drops,
            decoded: 0,
            finished: false,
        };
        for c in 0..stream.cursors.len() {
            stream.refill(c as u32).map_err(Error::Io)?;
        }
        Ok(stream)
    }

    /// The header, callsites and threads, without events.
    pub fn metadata(&self) -> &Snapshot {
        &self.meta
    }

    /// Whether the file has callsites of `#[ttlog]` functions. The stream
    /// does not pair their entries and exits: its events have depth 0 and
    /// no [`Call`](crate::snapshot::Call) (what [`calls::pair`](crate::calls::pair)
    /// fills in over a whole snapshot).
    pub fn has_calls(&self) -> bool {
        self.decoder.has_calls(&self.meta.callsites)
    }

    /// Whether the input has DROPS frames: a continuous log's markers of lost
    /// events, which this reader skips ([`read_file`](crate::read_file)
    /// shows each as a WARN event where it happened).
    pub fn has_drops(&self) -> bool {
        self.drops
    }

    /// What could not be read so far (all of it, once [`Stream::next_event`]
    /// has returned `None`).
    pub fn problems(&self) -> &[Problem] {
        &self.problems
    }

    /// The next event in time order, with the snapshot that holds its
    /// arguments and metadata (to render it, or read its arguments); `None`
    /// at the end. A read error of the input ends the stream, with a problem.
    #[allow(clippy::should_implement_trait)] // It lends: each event borrows the stream.
    pub fn next_event(&mut self) -> Option<(&Snapshot, &Event)> {
        if let Some(c) = self.last.take() {
            self.cursors[c as usize].pos += 1;
            if let Err(e) = self.refill(c) {
                let cursor = &self.cursors[c as usize];
                let at = cursor.frames.get(cursor.next.saturating_sub(1)).map_or(0, |f| f.offset);
                self.problems.push(Problem {
                    offset: at,
                    message: format!("cannot read the file: {e}; the rest of its events are lost"),
                    lost_events: 0,
                });
                self.heads.clear();
            }
        }
        let Some(Reverse((_, c))) = self.heads.pop() else {
            self.finish();
            return None;
        };
        self.last = Some(c);
        self.decoded += 1;
        if self.held != Some(c) {
            self.release();
            std::mem::swap(&mut self.meta.values, &mut self.cursors[c as usize].values);
            self.held = Some(c);
        }
        let cursor = &self.cursors[c as usize];
        Some((&self.meta, &cursor.events[cursor.pos]))
    }

    /// Gives the held cursor its arguments back.
    fn release(&mut self) {
        if let Some(h) = self.held.take() {
            std::mem::swap(&mut self.meta.values, &mut self.cursors[h as usize].values);
        }
    }

    /// Puts cursor `c`'s next event among the heads, decoding its next
    /// frames when its decoded events are used up: an EVENTS frame, or all
    /// of a ring's RING frames.
    fn refill(&mut self, c: u32) -> std::io::Result<()> {
        if self.cursors[c as usize].pos >= self.cursors[c as usize].events.len() {
            // Its arguments are about to be replaced: in its own store.
            self.release();
        }
        let cursor = &mut self.cursors[c as usize];
        while cursor.pos >= cursor.events.len() {
            let Some(&first) = cursor.frames.get(cursor.next) else {
                // Done: its memory goes back.
                *cursor = Cursor::default();
                return Ok(());
            };
            let take = if first.kind == wire::kind::EVENTS {
                1
            } else {
                cursor.frames[cursor.next..].iter().take_while(|f| f.kind == first.kind).count()
            };
            let mut payloads = Vec::with_capacity(take);
            for f in &cursor.frames[cursor.next..cursor.next + take] {
                self.input.seek(SeekFrom::Start(f.offset))?;
                let mut buf = vec![0u8; f.len as usize];
                self.input.read_exact(&mut buf)?;
                payloads.push((f.offset, buf));
            }
            cursor.next += take;
            cursor.pos = 0;
            // Decoded into the stream's snapshot, which has the metadata,
            // with the cursor's (emptied) events and arguments.
            let snap = &mut self.meta;
            cursor.events.clear();
            cursor.values.clear();
            std::mem::swap(&mut snap.events, &mut cursor.events);
            std::mem::swap(&mut snap.values, &mut cursor.values);
            let mut ticks = Vec::new();
            if first.kind == wire::kind::EVENTS {
                let (base, payload) = &payloads[0];
                self.decoder.events(snap, &mut ticks, *base, payload);
            } else {
                let frames: Vec<(u64, &[u8])> = payloads.iter().map(|(b, p)| (*b, p.as_slice())).collect();
                self.decoder.rings(snap, &mut ticks, &frames);
            }
            crate::order::sort_by_time(&mut snap.events, &ticks);
            std::mem::swap(&mut snap.events, &mut cursor.events);
            std::mem::swap(&mut snap.values, &mut cursor.values);
            self.problems.append(&mut snap.problems);
        }
        let e = &cursor.events[cursor.pos];
        self.heads.push(Reverse((e.ticks, c)));
        Ok(())
    }

    /// At the end: compares what was read with the END frame's counts.
    fn finish(&mut self) {
        if self.finished {
            return;
        }
        self.finished = true;
        match self.meta.end {
            None => self.problems.push(Problem {
                offset: self.len,
                message: "the file is truncated: no END frame".to_owned(),
                lost_events: 0,
            }),
            Some(end) => {
                let known_lost = self.problems.iter().fold(0u64, |n, p| n.saturating_add(p.lost_events));
                if end.events > self.decoded.saturating_add(known_lost) {
                    let missing = end.events - self.decoded - known_lost;
                    self.problems.push(Problem {
                        offset: self.len,
                        message: format!(
                            "{missing} of the {} events the file holds were in damaged frames",
                            end.events
                        ),
                        lost_events: missing,
                    });
                }
            }
        }
    }
}
