//! [`Tail`]: the frames of a file that is still being written, read as they
//! become complete (see [`crate::follow`]).

use super::stream::{Scan, read_up_to};
use super::{check_preamble, drops, events, meta, ring};
use crate::error::Error;
use crate::snapshot::{Event, Problem, Snapshot};
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::Path;
use ttlog_core::wire;

/// The events of a file being written, a frame at a time, as its frames
/// become complete. It holds the metadata read so far, one frame's events
/// and the calls open: its memory does not grow with the file.
///
/// [`Tail::next_event`] yields the events of the complete frames, in file
/// order (each frame's events in time order, as [`Stream`](crate::stream::Stream)
/// yields them within a frame), the calls of `#[ttlog]` functions paired
/// (as [`calls::pair`](crate::calls::pair) pairs them, over the events in
/// that order), and returns `None` when the rest of the file,
/// if any, is not complete yet: call it again once the file is longer. A
/// frame written in part is waited for; a stretch that does not check out is
/// reported (in [`Tail::take_problems`]) once an intact frame follows it, and
/// skipped as [`Stream`](crate::stream::Stream) skips it. Once the file is
/// known to be complete (its writer went on to another file, or ended), call
/// [`Tail::end_of_input`]: what is left is then read as a finished file (a
/// cut tail is reported), and the END frame's counts are checked.
pub struct Tail {
    file: Input,
    /// Where the next frame is looked for.
    pos: u64,
    /// The file's length when it was last looked at.
    len: u64,
    /// Whether the preamble was read.
    started: bool,
    /// The metadata, and the events of the frame being yielded.
    meta: Snapshot,
    statics: meta::Statics,
    /// The callsites' layouts; `None` when callsites came since.
    shapes: Option<events::Shapes>,
    typed: ring::Typed,
    /// The callsite of DROPS markers, once there is one.
    marker: Option<u32>,
    /// The calls of `#[ttlog]` functions open after the events so far.
    pairing: crate::calls::Pairing,
    /// The next of `meta.events` to yield.
    next: usize,
    problems: Vec<Problem>,
    /// Events lost by the problems taken so far.
    lost: u64,
    /// The input is not a snapshot, or cannot be read.
    failed: Option<Error>,
    /// [`Tail::end_of_input`] was called.
    complete: bool,
    /// The END frame's counts were checked.
    finished: bool,
    /// Events yielded, drop markers not counted.
    decoded: u64,
    buf: Vec<u8>,
}

impl std::fmt::Debug for Tail {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tail")
            .field("pos", &self.pos)
            .field("len", &self.len)
            .field("callsites", &self.meta.callsites.len())
            .field("threads", &self.meta.threads.len())
            .field("ended", &self.meta.end.is_some())
            .finish_non_exhaustive()
    }
}

impl Tail {
    /// Follows the file at `path` from its start.
    pub fn open(path: impl AsRef<Path>) -> Result<Tail, Error> {
        Ok(Tail::new(File::open(path).map_err(Error::Io)?))
    }

    /// Follows `file` from its start.
    pub fn new(file: File) -> Tail {
        Tail::of(Input::File(file))
    }

    /// Follows bytes handed to it with [`Tail::push`] rather than a file
    /// (the console): it keeps only those of the frame it has not read yet,
    /// once [`Tail::discard_read`] is called.
    pub(crate) fn in_memory() -> Tail {
        Tail::of(Input::Memory(Window::default()))
    }

    fn of(file: Input) -> Tail {
        Tail {
            file,
            pos: 0,
            len: 0,
            started: false,
            meta: Snapshot::default(),
            statics: meta::Statics::new(),
            shapes: None,
            typed: ring::Typed::new(wire::MAX_FRAME as usize),
            marker: None,
            pairing: crate::calls::Pairing::new(),
            next: 0,
            problems: Vec::new(),
            lost: 0,
            failed: None,
            complete: false,
            finished: false,
            decoded: 0,
            buf: Vec::new(),
        }
    }

    /// The next event of the complete frames, with the snapshot that holds
    /// its arguments and the metadata read so far; `None` when there is no
    /// more now (call again later), or for good once [`Tail::end_of_input`]
    /// was called or [`Tail::failed`] says why.
    #[allow(clippy::should_implement_trait)] // It lends: each event borrows the tail.
    pub fn next_event(&mut self) -> Option<(&Snapshot, &Event)> {
        while self.next >= self.meta.events.len() {
            self.meta.events.clear();
            self.meta.values.clear();
            self.next = 0;
            if !self.step() {
                if self.complete {
                    self.finish();
                }
                return None;
            }
        }
        let i = self.next;
        self.next += 1;
        let e = &self.meta.events[i];
        if self.marker != Some(e.callsite) {
            self.decoded += 1;
        }
        Some((&self.meta, e))
    }

    /// The problems found since the last call (each stretch that was
    /// skipped, with its offset).
    pub fn take_problems(&mut self) -> Vec<Problem> {
        let taken = std::mem::take(&mut self.problems);
        self.lost = taken.iter().fold(self.lost, |n, p| n.saturating_add(p.lost_events));
        taken
    }

    /// Why the file cannot be followed: it is not a snapshot (or of a
    /// version this decoder does not read), or cannot be read.
    pub fn failed(&self) -> Option<&Error> {
        self.failed.as_ref()
    }

    /// Whether the END frame was read: its writer closed the file.
    pub fn ended(&self) -> bool {
        self.meta.end.is_some()
    }

    /// The offset just past the last frame read (or skipped).
    pub fn position(&self) -> u64 {
        self.pos
    }

    /// The header, callsites and threads read so far.
    pub fn metadata(&self) -> &Snapshot {
        &self.meta
    }

    /// The file will not grow any more: what is left of it is read as a
    /// finished file by the next calls of [`Tail::next_event`], a tail cut
    /// off reported, and then the END frame's counts checked.
    pub fn end_of_input(&mut self) {
        if !self.complete {
            self.complete = true;
            self.look();
        }
    }

    /// Appends `bytes` to what an in-memory tail reads (see
    /// [`Tail::in_memory`]; a file's tail ignores them).
    pub(crate) fn push(&mut self, bytes: &[u8]) {
        if let Input::Memory(w) = &mut self.file {
            w.bytes.extend_from_slice(bytes);
        }
    }

    /// Lets an in-memory tail forget the bytes of the frames it has read.
    pub(crate) fn discard_read(&mut self) {
        if let Input::Memory(w) = &mut self.file
            && self.started
        {
            w.discard_before(self.pos);
        }
    }

    /// The bytes an in-memory tail keeps (0 for a file's).
    #[cfg(test)]
    pub(crate) fn kept(&self) -> usize {
        match &self.file {
            Input::Memory(w) => w.bytes.len(),
            Input::File(_) => 0,
        }
    }

    /// Notes the file's length now; whether it grew.
    fn look(&mut self) -> bool {
        match self.file.len() {
            Ok(len) if len > self.len => {
                self.len = len;
                true
            }
            Ok(_) => false,
            Err(e) => {
                self.failed = Some(Error::Io(e));
                false
            }
        }
    }

    /// Reads the next frame (or the next stretch that does not check out);
    /// whether there was one.
    fn step(&mut self) -> bool {
        if self.failed.is_some() || self.finished {
            return false;
        }
        if !self.started && !self.start() {
            return false;
        }
        let mut looked = self.complete;
        loop {
            let mut scan = Scan::at(self.pos, self.len, !self.complete);
            let found = match scan.next(&mut self.file, &mut self.buf) {
                Ok(found) => found,
                Err(e) => {
                    self.problems.push(Problem {
                        offset: self.pos,
                        message: format!("cannot read the file: {e}"),
                        lost_events: 0,
                    });
                    self.failed = Some(Error::Io(e));
                    return false;
                }
            };
            self.pos = scan.pos();
            match found {
                Some(Ok(frame)) => {
                    self.frame(frame.offset, frame.kind);
                    return true;
                }
                Some(Err(problem)) => {
                    self.problems.push(problem);
                    return true;
                }
                // Nothing complete at `pos` yet: once more if the file grew.
                None if !looked && self.look() => looked = true,
                None => return false,
            }
        }
    }

    /// Reads and checks the preamble; whether it is there (a file shorter
    /// than it, still being written, is waited for).
    fn start(&mut self) -> bool {
        self.look();
        let mut preamble = [0u8; wire::PREAMBLE_LEN];
        let got = match self.file.seek(SeekFrom::Start(0)).and_then(|_| read_up_to(&mut self.file, &mut preamble)) {
            Ok(got) => got,
            Err(e) => {
                self.failed = Some(Error::Io(e));
                return false;
            }
        };
        match check_preamble(&preamble[..got]) {
            Ok(()) => {
                self.started = true;
                self.pos = wire::PREAMBLE_LEN as u64;
                true
            }
            Err(Error::UnexpectedEof { .. }) if !self.complete => false,
            Err(e) => {
                self.failed = Some(e);
                false
            }
        }
    }

    /// Reads the frame at `offset`, whose payload is in `buf`: metadata into
    /// the snapshot, events into its events.
    fn frame(&mut self, offset: u64, kind: u8) {
        if self.meta.end.is_some() {
            self.problems.push(Problem {
                offset,
                message: "frame after the END frame; ignored".to_owned(),
                lost_events: 0,
            });
            return;
        }
        let base = offset + wire::FRAME_HEADER_LEN as u64;
        let payload = self.buf.as_slice();
        let snap = &mut self.meta;
        let mut ticks = Vec::new();
        match kind {
            wire::kind::EVENTS => {
                let shapes = self.shapes.get_or_insert_with(|| events::shapes(&snap.callsites));
                let mut empty_left = events::empty_budget(payload.len());
                events::read_frame(snap, &mut ticks, shapes, &mut empty_left, base, payload);
            }
            wire::kind::DROPS => {
                drops::read_frame(snap, &mut ticks, &mut self.marker, base, payload);
                // The marker's callsite may be new.
                self.shapes = None;
            }
            wire::kind::RING => {
                ring::read_frame(snap, &mut ticks, &self.statics, &mut self.typed, base, payload);
                self.shapes = None;
            }
            kind => {
                // The drop marker's callsite, which the reader added after
                // the callsites then known, moves after this frame's: the
                // writer numbers its callsites from where they were.
                let marker = if kind == wire::kind::CALLSITE { self.marker.take() } else { None };
                if let Some(m) = marker {
                    if snap.callsites.len() == m as usize + 1 {
                        snap.callsites.pop();
                    } else if let Some(c) = snap.callsites.get_mut(m as usize) {
                        *c = None;
                    }
                }
                let max_items = (self.len / wire::FRAME_HEADER_LEN as u64) as usize;
                if let Err(e) = meta::read_frame(snap, &mut self.statics, max_items, kind, base, payload) {
                    snap.problems.push(Problem {
                        offset: e.offset(),
                        message: format!("frame at byte {offset} has a valid checksum but cannot be read: {e}"),
                        lost_events: 0,
                    });
                }
                if marker.is_some() {
                    let m = snap.callsites.len() as u32;
                    snap.callsites.push(Some(drops::marker(m)));
                    self.marker = Some(m);
                }
                self.shapes = None;
            }
        }
        if !snap.events.is_empty() {
            crate::order::sort_by_time(&mut snap.events, &ticks);
            self.pairing.pair_next(snap);
        }
        self.problems.append(&mut snap.problems);
    }

    /// At the end of a complete file: compares what was read with the END
    /// frame's counts.
    fn finish(&mut self) {
        if self.finished || self.failed.is_some() {
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
                let known_lost = self.problems.iter().fold(self.lost, |n, p| n.saturating_add(p.lost_events));
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

/// What a tail reads: a file, or the bytes it was handed.
enum Input {
    File(File),
    Memory(Window),
}

impl Input {
    /// The input's length so far.
    fn len(&self) -> io::Result<u64> {
        match self {
            Input::File(f) => f.metadata().map(|m| m.len()),
            Input::Memory(w) => Ok(w.base + w.bytes.len() as u64),
        }
    }
}

impl Read for Input {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Input::File(f) => f.read(buf),
            Input::Memory(w) => w.read(buf),
        }
    }
}

impl Seek for Input {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        match self {
            Input::File(f) => f.seek(to),
            Input::Memory(w) => w.seek(to),
        }
    }
}

/// The bytes of an input from `base` on (those before were read and
/// discarded), read from `at`.
#[derive(Default)]
struct Window {
    base: u64,
    bytes: Vec<u8>,
    at: u64,
}

impl Window {
    /// Forgets the bytes before `pos`.
    fn discard_before(&mut self, pos: u64) {
        let n = pos.saturating_sub(self.base).min(self.bytes.len() as u64);
        self.bytes.drain(..n as usize);
        self.base += n;
    }
}

impl Read for Window {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let Some(from) = self.at.checked_sub(self.base) else {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, "read before the bytes kept"));
        };
        let rest = self.bytes.get(from as usize..).unwrap_or_default();
        let n = rest.len().min(buf.len());
        buf[..n].copy_from_slice(&rest[..n]);
        self.at += n as u64;
        Ok(n)
    }
}

impl Seek for Window {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        let end = self.base + self.bytes.len() as u64;
        let at = match to {
            SeekFrom::Start(n) => Some(n),
            SeekFrom::End(d) => end.checked_add_signed(d),
            SeekFrom::Current(d) => self.at.checked_add_signed(d),
        };
        self.at = at.ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "seek before the start"))?;
        Ok(self.at)
    }
}
