//! Reads a snapshot file: frames, then events, recovering from damage.
//!
//! The format is defined in [`ttlog::wire`]. Reading never panics: a file that
//! is not a snapshot at all (too short, wrong magic, unknown version) is an
//! [`Error`]; a snapshot that is damaged or truncated still yields every event of
//! every intact frame, and a [`Problem`] for each part it had to skip.

mod args;

use crate::value::{Args, Store, Value};
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::collections::HashMap;
use std::fmt;
use std::path::Path;
use ttlog::callsite::ArgType;
use ttlog::wire::{self, record, CallsiteInfo, End, Header, Reader, ThreadInfo, WireError};

/// Why a file could not be read as a snapshot at all.
#[derive(Debug)]
pub enum Error {
    /// The file could not be read.
    Io(std::io::Error),
    /// The input ended before `offset` bytes, the least a snapshot has.
    UnexpectedEof {
        /// Bytes needed.
        offset: u64,
    },
    /// The input does not start like a snapshot.
    NotASnapshot {
        /// Byte offset of the mismatch.
        offset: u64,
        /// What was found.
        what: String,
    },
    /// A snapshot of a format version this decoder does not read.
    UnsupportedVersion {
        /// Byte offset of the version field.
        offset: u64,
        /// The file's version.
        found: u16,
        /// The version this decoder reads.
        supported: u16,
    },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Io(e) => write!(f, "cannot read the file: {e}"),
            Error::UnexpectedEof { offset } => {
                write!(f, "not a ttlog snapshot: the input ends before byte {offset} (a snapshot starts with a {}-byte preamble)", wire::PREAMBLE_LEN)
            }
            Error::NotASnapshot { offset, what } => write!(f, "not a ttlog snapshot: {what} at byte {offset}"),
            Error::UnsupportedVersion { offset, found, supported } => write!(
                f,
                "unsupported snapshot format version {found} at byte {offset}: this decoder reads version {supported}"
            ),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Io(e) => Some(e),
            _ => None,
        }
    }
}

/// A part of a snapshot that could not be read, and what that cost.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// Byte offset where the problem starts.
    pub offset: u64,
    /// What is wrong, and what was skipped.
    pub message: String,
    /// Events known to be lost to it, when the file tells.
    pub lost_events: u64,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "byte {}: {}", self.offset, self.message)
    }
}

/// One decoded event.
#[derive(Clone, Debug, PartialEq)]
pub struct Event {
    /// The event clock's reading.
    pub ticks: u64,
    /// Index into [`Snapshot::threads`].
    pub thread: u32,
    /// Index into [`Snapshot::callsites`].
    pub callsite: u32,
    /// Where the arguments are among the snapshot's: see [`Snapshot::args`].
    pub args: ArgRange,
    /// How many `#[ttlog]` calls were open on the event's thread when it was
    /// recorded (an entry and its exit are at the depth of the caller).
    pub depth: u32,
    /// For the entry or exit event of a `#[ttlog]` function: its call id and,
    /// for an exit, the outcome and elapsed time.
    pub call: Option<crate::calls::Call>,
}

/// The place of an event's arguments among those of all events of its
/// snapshot (which [`Snapshot::args`] looks up).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ArgRange {
    start: u32,
    len: u32,
}

impl ArgRange {
    /// The range, as indices into the snapshot's arguments.
    pub fn range(self) -> core::ops::Range<usize> {
        self.start as usize..self.start as usize + self.len as usize
    }
}

/// A decoded snapshot.
#[derive(Clone, Debug, Default)]
pub struct Snapshot {
    /// The header, if its frame was intact.
    pub header: Option<Header>,
    /// Callsites by index (`None` where the frame was lost).
    pub callsites: Vec<Option<CallsiteInfo>>,
    /// Threads by index (`None` where the frame was lost).
    pub threads: Vec<Option<ThreadInfo>>,
    /// Events of all threads, in timestamp order (each thread's own order kept).
    pub events: Vec<Event>,
    /// The arguments of all events, one after the other, and their text: see
    /// [`Snapshot::args`].
    pub(crate) values: Store,
    /// The END frame, if the file was complete.
    pub end: Option<End>,
    /// What could not be read.
    pub problems: Vec<Problem>,
}

impl Snapshot {
    /// Appends an event with these arguments (for tools that build or filter
    /// snapshots; [`calls::pair`](crate::calls::pair) recomputes the nesting).
    ///
    /// The arguments' text is copied into the snapshot.
    pub fn push_event<'v>(&mut self, ticks: u64, thread: u32, callsite: u32, args: impl IntoIterator<Item = Value<'v>>) {
        let start = self.values.slots.len();
        for v in args {
            let slot = self.values.push_value(v);
            self.values.slots.push(slot);
        }
        let len = self.values.slots.len() - start;
        let args = ArgRange { start: start as u32, len: len as u32 };
        self.events.push(Event { ticks, thread, callsite, args, depth: 0, call: None });
    }

    /// Removes every event and its arguments (the metadata stays).
    pub fn clear_events(&mut self) {
        self.events.clear();
        self.values.clear();
    }

    /// An event's arguments, in its callsite's order.
    ///
    /// ```
    /// # let snap = ttlog_decode::Snapshot::default();
    /// use ttlog_decode::Value;
    ///
    /// for e in &snap.events {
    ///     for v in snap.args(e) {
    ///         match v {
    ///             Value::U64(n) => println!("a u64: {n}"),
    ///             Value::Str(s) => println!("text: {}", s.text),
    ///             other => println!("a {}", other.type_name()),
    ///         }
    ///     }
    /// }
    /// ```
    #[inline]
    pub fn args(&self, e: &Event) -> Args<'_> {
        self.values.args(e.args.range())
    }

    /// The callsite of an event, if its frame was intact.
    pub fn callsite(&self, e: &Event) -> Option<&CallsiteInfo> {
        self.callsites.get(e.callsite as usize)?.as_ref()
    }

    /// The thread of an event, if its frame was intact.
    pub fn thread(&self, e: &Event) -> Option<&ThreadInfo> {
        self.threads.get(e.thread as usize)?.as_ref()
    }

    /// Nanoseconds since the Unix epoch of an event, if the clock tells time.
    pub fn unix_nanos(&self, e: &Event) -> Option<i128> {
        self.header.as_ref()?.unix_nanos(e.ticks)
    }

    /// Whether the whole file was read without problems.
    pub fn is_intact(&self) -> bool {
        self.problems.is_empty()
    }
}

/// Reads and decodes the snapshot file at `path`.
pub fn read_file(path: impl AsRef<Path>) -> Result<Snapshot, Error> {
    let bytes = std::fs::read(path).map_err(Error::Io)?;
    from_bytes(&bytes)
}

/// Decodes a snapshot from its bytes.
pub fn from_bytes(bytes: &[u8]) -> Result<Snapshot, Error> {
    check_preamble(bytes)?;
    let mut snap = Snapshot::default();
    let mut event_frames: Vec<(u64, &[u8])> = Vec::new();
    let mut ring_frames: Vec<(u64, &[u8])> = Vec::new();
    let mut statics: HashMap<u32, CallsiteInfo> = HashMap::new();
    let mut frames_seen = 0u64;
    let mut pos = wire::PREAMBLE_LEN;
    let mut after_end = false;
    while pos < bytes.len() {
        let frame = match frame_at(bytes, pos) {
            Ok(f) => f,
            Err(why) => {
                let next = resync(bytes, pos + 1);
                let skipped = next - pos;
                let message = match next {
                    n if n >= bytes.len() => format!("{why}; skipped the remaining {skipped} bytes"),
                    n => format!("{why}; skipped {skipped} bytes to the next intact frame at byte {n}"),
                };
                snap.problems.push(Problem { offset: pos as u64, message, lost_events: 0 });
                pos = next;
                continue;
            }
        };
        if after_end {
            snap.problems.push(Problem {
                offset: pos as u64,
                message: "frame after the END frame; ignored".to_owned(),
                lost_events: 0,
            });
            pos = frame.next;
            continue;
        }
        frames_seen += 1;
        let base = (pos + wire::FRAME_HEADER_LEN) as u64;
        let mut r = Reader::new(frame.payload, base);
        let result = match frame.kind {
            wire::kind::HEADER => Header::decode(&mut r).and_then(|h| match &snap.header {
                None => {
                    snap.header = Some(h);
                    Ok(())
                }
                Some(first) if *first == h => Ok(()),
                Some(_) => Err(WireError::malformed(base, "second header differs from the first")),
            }),
            wire::kind::CALLSITE => CallsiteInfo::decode(&mut r).and_then(|c| place(&mut snap.callsites, c.index, c, base)),
            wire::kind::THREAD => ThreadInfo::decode(&mut r).and_then(|t| place(&mut snap.threads, t.index, t, base)),
            wire::kind::EVENTS => {
                event_frames.push((base, frame.payload));
                Ok(())
            }
            wire::kind::CALLSITE_STATIC => CallsiteInfo::decode_untyped(&mut r).and_then(|c| {
                match statics.get(&c.index) {
                    Some(first) if *first != c => Err(WireError::malformed(base, format!("two different callsites with id {}", c.index))),
                    _ => {
                        statics.insert(c.index, c);
                        Ok(())
                    }
                }
            }),
            wire::kind::RING => {
                ring_frames.push((base, frame.payload));
                Ok(())
            }
            wire::kind::END => End::decode(&mut r).map(|e| {
                snap.end = Some(e);
                after_end = true;
            }),
            // A kind from a newer writer: skip it.
            _ => Ok(()),
        };
        if let Err(e) = result {
            snap.problems.push(Problem {
                offset: e.offset(),
                message: format!("frame at byte {pos} has a valid checksum but cannot be read: {e}"),
                lost_events: 0,
            });
        }
        pos = frame.next;
    }
    if snap.header.is_none() {
        snap.problems.push(Problem {
            offset: wire::PREAMBLE_LEN as u64,
            message: "the header frame is missing or damaged: timestamps cannot be converted to wall-clock time".to_owned(),
            lost_events: 0,
        });
    }

    // The END frame tells how many events follow (a hint only: it may lie,
    // so the reservation is bounded by the input's size).
    // Each event's time, beside the events: the sort reads these 8 bytes an
    // event rather than the events themselves.
    let mut ticks: Vec<u64> = Vec::new();
    if let Some(end) = snap.end {
        let n = (end.events as usize).min(bytes.len());
        snap.events.reserve(n);
        ticks.reserve(n);
        snap.values.slots.reserve(2 * n);
    }
    // Recorded text is never longer than the frames that hold it.
    snap.values.text.reserve(event_frames.iter().map(|(_, p)| p.len()).sum());
    // Each callsite's argument types and slot counts, packed: the event loop
    // reads these rather than the callsites' full metadata.
    let shapes: Vec<Option<Box<args::Shape>>> = snap
        .callsites
        .iter()
        .map(|c| c.as_ref().map(|c| c.args.iter().map(|a| (a.ty, a.specs.len())).collect()))
        .collect();
    for (base, payload) in event_frames {
        decode_events(&mut snap, &mut ticks, &shapes, base, payload);
    }
    let mut signatures = HashMap::new();
    for (base, payload) in ring_frames {
        decode_ring(&mut snap, &mut ticks, &statics, &mut signatures, base, payload);
    }
    sort_by_time(&mut snap.events, &ticks);
    drop(ticks);
    // Events are decoded at depth 0 and without a call: only `#[ttlog]`
    // callsites change that.
    if crate::calls::has_calls(&snap.callsites) {
        crate::calls::pair(&mut snap);
    }

    match snap.end {
        None => snap.problems.push(Problem {
            offset: bytes.len() as u64,
            message: format!("the file is truncated: no END frame after {frames_seen} intact frames"),
            lost_events: 0,
        }),
        Some(end) => {
            let decoded = snap.events.len() as u64;
            let known_lost: u64 = snap.problems.iter().map(|p| p.lost_events).sum();
            if end.events > decoded + known_lost {
                let missing = end.events - decoded - known_lost;
                snap.problems.push(Problem {
                    offset: bytes.len() as u64,
                    message: format!(
                        "{missing} of the {} events the file holds were in damaged frames",
                        end.events
                    ),
                    lost_events: missing,
                });
            }
        }
    }
    Ok(snap)
}

fn check_preamble(bytes: &[u8]) -> Result<(), Error> {
    let magic_len = wire::MAGIC.len();
    let n = bytes.len().min(magic_len);
    if bytes[..n] != wire::MAGIC[..n] {
        let at = bytes.iter().zip(wire::MAGIC.iter()).position(|(a, b)| a != b).unwrap_or(0);
        return Err(Error::NotASnapshot {
            offset: at as u64,
            what: format!("the file does not start with the magic bytes {:?}", String::from_utf8_lossy(&wire::MAGIC)),
        });
    }
    if bytes.len() < wire::PREAMBLE_LEN {
        return Err(Error::UnexpectedEof { offset: wire::PREAMBLE_LEN as u64 });
    }
    let version = u16::from_le_bytes([bytes[8], bytes[9]]);
    if version != wire::VERSION {
        return Err(Error::UnsupportedVersion { offset: 8, found: version, supported: wire::VERSION });
    }
    Ok(())
}

/// A frame that checked out.
struct Frame<'a> {
    kind: u8,
    payload: &'a [u8],
    /// Offset just past the frame.
    next: usize,
}

/// Validates the frame at `pos`: sync marker, length in bounds, checksum.
fn frame_at(bytes: &[u8], pos: usize) -> Result<Frame<'_>, String> {
    let rest = &bytes[pos..];
    if rest.len() < wire::FRAME_HEADER_LEN {
        if rest.starts_with(&wire::SYNC[..rest.len().min(4)]) {
            return Err(format!("truncated frame header ({} of {} bytes)", rest.len(), wire::FRAME_HEADER_LEN));
        }
        return Err("expected a frame".to_owned());
    }
    if rest[..4] != wire::SYNC {
        return Err("expected a frame (no sync marker)".to_owned());
    }
    let kind = rest[4];
    let len = u32::from_le_bytes([rest[5], rest[6], rest[7], rest[8]]);
    let crc = u32::from_le_bytes([rest[9], rest[10], rest[11], rest[12]]);
    if len > wire::MAX_FRAME {
        return Err(format!("frame length {len} exceeds the maximum {}", wire::MAX_FRAME));
    }
    let end = wire::FRAME_HEADER_LEN + len as usize;
    if rest.len() < end {
        return Err(format!(
            "truncated frame: {len} payload bytes announced, {} present",
            rest.len() - wire::FRAME_HEADER_LEN
        ));
    }
    let payload = &rest[wire::FRAME_HEADER_LEN..end];
    if wire::frame_crc(kind, payload) != crc {
        return Err("damaged frame (checksum mismatch)".to_owned());
    }
    Ok(Frame { kind, payload, next: pos + end })
}

/// The offset of the next intact frame at or after `from`, or the end.
fn resync(bytes: &[u8], from: usize) -> usize {
    let mut i = from;
    while i + 4 <= bytes.len() {
        match bytes[i..].windows(4).position(|w| w == wire::SYNC) {
            None => break,
            Some(k) => {
                let at = i + k;
                if frame_at(bytes, at).is_ok() {
                    return at;
                }
                i = at + 1;
            }
        }
    }
    bytes.len()
}

/// Puts an item at its index, growing the table. The metadata is written twice:
/// a second copy must equal the first.
fn place<T: PartialEq>(table: &mut Vec<Option<T>>, index: u32, item: T, offset: u64) -> Result<(), WireError> {
    let i = index as usize;
    // Indices are dense: one far beyond the table's size is damage, not data.
    if i > table.len() + (1 << 16) {
        return Err(WireError::malformed(offset, format!("index {index} out of range")));
    }
    if table.len() <= i {
        table.resize_with(i + 1, || None);
    }
    match &table[i] {
        None => {
            table[i] = Some(item);
            Ok(())
        }
        Some(first) if *first == item => Ok(()),
        Some(_) => Err(WireError::malformed(offset, format!("two different items with index {index}"))),
    }
}

/// Decodes one EVENTS frame. An event that cannot be decoded ends the frame
/// (events have no length prefix); the rest of the frame is reported lost.
fn decode_events(snap: &mut Snapshot, times: &mut Vec<u64>, shapes: &[Option<Box<args::Shape>>], base: u64, payload: &[u8]) {
    let mut r = Reader::new(payload, base);
    let header = (|| -> Result<(u32, u64, u64), WireError> {
        Ok((r.varint_u32()?, u32::from_le_bytes(r.array()?) as u64, r.varint()?))
    })();
    let (thread, count, mut ticks) = match header {
        Ok(h) => h,
        Err(e) => {
            snap.problems.push(Problem { offset: e.offset(), message: format!("events frame: {e}"), lost_events: 0 });
            return;
        }
    };
    if snap.threads.get(thread as usize).is_none_or(|t| t.is_none()) {
        snap.problems.push(Problem {
            offset: base,
            message: format!("events frame of thread {thread}, whose thread frame is missing: events kept without thread name"),
            lost_events: 0,
        });
    }
    let b = payload;
    let mut pos = (r.offset() - base) as usize;
    let events = &mut snap.events;
    let store = &mut snap.values;
    for i in 0..count {
        let at = pos;
        let mark = store.mark();
        let start = store.slots.len();
        let decoded = (|| {
            let callsite = args::varint_u32(b, &mut pos)?;
            let shape = shapes.get(callsite as usize)?.as_deref()?;
            let delta = args::varint(b, &mut pos)?;
            args::decode(b, &mut pos, shape, store)?;
            let args = ArgRange { start: u32::try_from(start).ok()?, len: shape.len() as u32 };
            Some((callsite, delta, args))
        })();
        match decoded {
            Some((callsite, delta, args)) => {
                ticks = ticks.wrapping_add(delta);
                events.push(Event { ticks, thread, callsite, args, depth: 0, call: None });
                times.push(ticks);
            }
            None => {
                store.undo(mark);
                let e = explain_event(b, at, base, shapes, start);
                let lost = count - i;
                snap.problems.push(Problem {
                    offset: base + at as u64,
                    message: format!("cannot decode event {i} of the frame ({e}); the frame's last {lost} events are lost"),
                    lost_events: lost,
                });
                return;
            }
        }
    }
    if pos != b.len() {
        snap.problems.push(Problem {
            offset: base + pos as u64,
            message: format!("{} unexpected bytes after the frame's {count} events", b.len() - pos),
            lost_events: 0,
        });
    }
}

/// Why the event at `at` of an EVENTS frame's payload `b` (at file offset
/// `base`) could not be decoded.
#[cold]
fn explain_event(b: &[u8], at: usize, base: u64, shapes: &[Option<Box<args::Shape>>], start: usize) -> WireError {
    let mut r = Reader::new(b.get(at..).unwrap_or_default(), base + at as u64);
    let offset = r.offset();
    let explained = (|| {
        let callsite = r.varint_u32()?;
        let Some(Some(shape)) = shapes.get(callsite as usize) else {
            return Err(WireError::malformed(offset, format!("event refers to callsite {callsite}, which is missing")));
        };
        r.varint()?;
        args::explain(&mut r, shape)
    })();
    match explained {
        Err(e) => e,
        Ok(()) if u32::try_from(start).is_err() => {
            WireError::malformed(offset, "the snapshot holds more arguments than this decoder can index")
        }
        Ok(()) => WireError::malformed(offset, "event cannot be decoded"),
    }
}

/// Puts events in time order: stable, so events with equal timestamps keep
/// their file order, which keeps each thread's own order.
///
/// Each thread's events come in runs already in order: the runs are merged
/// into a permutation (four bytes an event, where a sort would copy the events
/// themselves), which then moves each event in place. The merge takes from
/// the run whose next event is earliest all the events that come before every
/// other run's next one, at once: one heap operation for each stretch of a
/// run, not for each event (with 64 threads' rings, the heap operation for
/// each event took three quarters of the time of the sort).
///
/// `ticks` holds the events' times in the same order (a copy: 8 bytes an
/// event, where the events take 64, so that finding and merging the runs
/// reads an eighth of the memory). Without one of the right length, the
/// times are taken from the events.
fn sort_by_time(events: &mut [Event], ticks: &[u64]) {
    let copied;
    let ticks = if ticks.len() == events.len() {
        ticks
    } else {
        copied = events.iter().map(|e| e.ticks).collect::<Vec<u64>>();
        &copied
    };
    // Maximal runs of non-decreasing time, in file order.
    let mut runs: Vec<core::ops::Range<usize>> = Vec::new();
    let mut start = 0;
    for i in 1..ticks.len() {
        if ticks[i] < ticks[i - 1] {
            runs.push(start..i);
            start = i;
        }
    }
    if runs.is_empty() {
        return;
    }
    runs.push(start..ticks.len());
    // Positions are `u32`, and `u32::MAX` marks a finished entry of `order`.
    if events.len() >= u32::MAX as usize {
        events.sort_by_key(|e| e.ticks);
        return;
    }
    // The next event of each run, smallest time first; on equal times, the
    // earlier position (file order).
    let mut heads: BinaryHeap<Reverse<(u64, u32, u32)>> =
        runs.iter().map(|r| Reverse((ticks[r.start], r.start as u32, r.end as u32))).collect();
    // `order[i]`: the index of the event that goes to `i`.
    let mut order: Vec<u32> = Vec::with_capacity(events.len());
    while let Some(Reverse((_, at, end))) = heads.pop() {
        // `at` is the earliest event of all; the ones after it in its run
        // follow as long as they come before the next run's head.
        let stop = match heads.peek() {
            Some(&Reverse((t, p, _))) => {
                let mut i = at + 1;
                while i < end && (ticks[i as usize], i) < (t, p) {
                    i += 1;
                }
                i
            }
            None => end,
        };
        order.extend(at..stop);
        if stop < end {
            heads.push(Reverse((ticks[stop as usize], stop, end)));
        }
    }
    permute(events, &mut order);
}

/// Moves `items[order[i]]` to `i` for every `i`, following the permutation's
/// cycles; `order` is used up (every entry ends as `u32::MAX`). An `order`
/// that is not a permutation of `0..items.len()` moves some items to wrong
/// places, never panics.
fn permute<T>(items: &mut [T], order: &mut [u32]) {
    const DONE: u32 = u32::MAX;
    for i in 0..order.len() {
        let mut j = i;
        loop {
            let k = order[j];
            order[j] = DONE;
            if k == DONE || k as usize == i {
                break;
            }
            if let (true, true) = (j < items.len(), (k as usize) < items.len()) {
                items.swap(j, k as usize);
            }
            j = k as usize;
            if j >= order.len() {
                break;
            }
        }
    }
}

/// The callsites made for (callsite id, argument types) pairs of ring
/// records: index into [`Snapshot::callsites`], and shape.
type Signatures = HashMap<(u32, Vec<ArgType>), (u32, Box<args::Shape>)>;

/// Decodes a RING frame (crash snapshots): ring blocks as they were in memory.
/// Records carry their length, so a record that cannot be decoded costs only
/// itself.
fn decode_ring(
    snap: &mut Snapshot,
    times: &mut Vec<u64>,
    statics: &HashMap<u32, CallsiteInfo>,
    signatures: &mut Signatures,
    base: u64,
    payload: &[u8],
) {
    let mut r = Reader::new(payload, base);
    let head = (|| -> Result<(u32, u64), WireError> { Ok((r.varint_u32()?, r.varint()?)) })();
    let (thread, block) = match head {
        Ok(h) => h,
        Err(e) => {
            snap.problems.push(Problem { offset: e.offset(), message: format!("ring frame: {e}"), lost_events: 0 });
            return;
        }
    };
    if !block.is_power_of_two() || !(64..=1 << 20).contains(&block) || !r.remaining().is_multiple_of(8) {
        snap.problems.push(Problem {
            offset: base,
            message: format!("ring frame with block size {block} and {} bytes of words: skipped", r.remaining()),
            lost_events: 0,
        });
        return;
    }
    let words_at = r.offset();
    let Ok(bytes) = r.bytes(r.remaining()) else { return };
    let words: Vec<u64> = bytes.chunks_exact(8).map(|c| u64::from_le_bytes(c.try_into().unwrap_or([0; 8]))).collect();
    let block_words = (block / 8) as usize;
    let mut scratch = Vec::new();
    let mut compact = Vec::new();
    for (b, blk) in record::blocks(&words, block_words).enumerate() {
        for rec in blk.records() {
            let Ok(rec) = rec else {
                snap.problems.push(Problem {
                    offset: words_at + (b * block_words * 8) as u64,
                    message: "ring block with a record that overruns it: the rest of the block skipped".to_owned(),
                    lost_events: 0,
                });
                break;
            };
            let at = words_at + ((b * block_words + rec.index) * 8) as u64;
            let Some(cs) = statics.get(&rec.id) else {
                snap.problems.push(Problem {
                    offset: at,
                    message: format!("record of unknown callsite id {}: skipped", rec.id),
                    lost_events: 1,
                });
                continue;
            };
            let types: Option<Vec<ArgType>> =
                (0..cs.args.len()).map(|i| record::type_tag(rec.words, i).and_then(ArgType::from_tag)).collect();
            let (Some(types), Some(arg_words)) = (types, rec.arg_words(cs.args.len())) else {
                snap.problems.push(Problem { offset: at, message: "record too short for its types: skipped".into(), lost_events: 1 });
                continue;
            };
            scratch.clear();
            for w in arg_words {
                scratch.extend_from_slice(&w.to_le_bytes());
            }
            compact.clear();
            let slots = |i: usize| cs.args.get(i).map(|a| a.specs.len());
            if wire::transcode_args(&types, slots, &scratch, &mut compact).is_none() {
                snap.problems.push(Problem { offset: at, message: "record arguments do not match their types: skipped".into(), lost_events: 1 });
                continue;
            }
            let key = (rec.id, types);
            let (index, shape) = match signatures.get(&key) {
                Some((i, shape)) => (*i, shape),
                None => {
                    let i = snap.callsites.len() as u32;
                    let mut typed = cs.clone();
                    typed.index = i;
                    for (a, t) in typed.args.iter_mut().zip(&key.1) {
                        a.ty = *t;
                    }
                    let shape: Box<args::Shape> = typed.args.iter().map(|a| (a.ty, a.specs.len())).collect();
                    snap.callsites.push(Some(typed));
                    let (i, shape) = signatures.entry(key).or_insert((i, shape));
                    (*i, &*shape)
                }
            };
            let store = &mut snap.values;
            let mark = store.mark();
            let start = store.slots.len();
            let mut pos = 0;
            let decoded = args::decode(&compact, &mut pos, shape, store)
                .and_then(|()| Some(ArgRange { start: u32::try_from(start).ok()?, len: shape.len() as u32 }));
            match decoded {
                Some(args) => {
                    snap.events.push(Event { ticks: rec.ticks(), thread, callsite: index, args, depth: 0, call: None });
                    times.push(rec.ticks());
                }
                None => {
                    store.undo(mark);
                    let e = match args::explain(&mut Reader::new(&compact, at), shape) {
                        Err(e) => e,
                        Ok(()) => WireError::malformed(at, "the snapshot holds more arguments than this decoder can index"),
                    };
                    snap.problems.push(Problem { offset: at, message: format!("record: {e}"), lost_events: 1 });
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(ticks: u64, callsite: u32) -> Event {
        Event { ticks, thread: 0, callsite, args: ArgRange::default(), depth: 0, call: None }
    }

    /// The merge of runs orders exactly as a stable sort does, ties included.
    #[test]
    fn sort_by_time_is_a_stable_sort() {
        let mut seed = 0x2545_F491_4F6C_DD1Du64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for round in 0..2_000 {
            let n = (next() % 300) as usize;
            let runs = 1 + next() % 8;
            let spread = 1 + next() % 50;
            // A few threads' ascending runs one after the other, with ties,
            // sometimes a step back inside a run.
            let mut events = Vec::new();
            for i in 0..n {
                let run = i as u64 * runs / n.max(1) as u64;
                let base = if next() % 20 == 0 { next() % 1000 } else { i as u64 * 3 / runs.max(1) };
                events.push(event(base + next() % spread + run, i as u32));
            }
            let mut expected = events.clone();
            expected.sort_by_key(|e| e.ticks);
            let ticks: Vec<u64> = events.iter().map(|e| e.ticks).collect();
            sort_by_time(&mut events, &ticks);
            assert_eq!(events, expected, "round {round}");
        }
        let mut empty: Vec<Event> = Vec::new();
        sort_by_time(&mut empty, &[]);
        let mut reversed: Vec<Event> = (0..100).rev().map(|t| event(t, t as u32)).collect();
        sort_by_time(&mut reversed, &[]);
        assert!(reversed.iter().enumerate().all(|(i, e)| e.ticks == i as u64));
    }

    #[test]
    fn permute_survives_orders_that_are_not_permutations() {
        let mut items = [0, 1, 2, 3];
        permute(&mut items, &mut [3, 0, 1, 2]);
        assert_eq!(items, [3, 0, 1, 2]);
        for mut order in [vec![0, 0, 0, 0], vec![9, 9], vec![1, 2, 3, 4, 5, 6], vec![u32::MAX, 2, 1]] {
            let mut items = [0, 1, 2, 3];
            permute(&mut items, &mut order);
            let mut sorted = items;
            sorted.sort();
            assert_eq!(sorted, [0, 1, 2, 3], "{order:?}");
        }
    }
}
