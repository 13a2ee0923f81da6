//! Timelines: Perfetto's native protobuf trace ([`Perfetto`], TrackEvent
//! packets with interned names and categories) or Chrome's trace event JSON
//! ([`ChromeJson`]), which every trace viewer opens.
//!
//! - The process and each thread are named tracks.
//! - A `#[ttlog]` call is a slice on its thread's track, from its entry to its
//!   exit, with its arguments (at the entry) and its `ret`/`err` and outcome
//!   (at the exit) as args. A call whose exit is missing (the snapshot was
//!   taken during it, or its thread crashed) is closed at the last event of
//!   its input, with the arg `ttlog.exit: "missing"`; one whose entry is
//!   missing (overwritten in the ring) begins where its thread's track was
//!   free before its exit, with `ttlog.entry: "missing"`.
//! - A call of an `async fn` that suspends, resumes or ends on another thread
//!   than it began on is an async slice of its own track (in JSON: `b`/`e`
//!   events with the call id), and its suspends and resumes are instants on
//!   the thread tracks where they happened. [`async_calls`] finds those calls
//!   (a first pass over a stream); without it every call is a thread slice.
//! - Any other event is an instant on its thread's track, named by its
//!   message's pattern (the literal text with `{name}` for each argument),
//!   with the rendered message and the arguments as args; its category is
//!   its target.
//!
//! Times are the events' Unix times in nanoseconds (the clock's ticks when
//! the file's clock does not tell time). JSON has microseconds: written with
//! three decimals, exact, though a viewer that reads them as doubles keeps
//! about a quarter of a microsecond.

use super::{Sink, Typed, typed_args};
use crate::calls::{call_id, outcome_byte};
use crate::render::line::push_json_str;
use crate::render::message::write_message;
use crate::snapshot::{CallsiteInfo, Event, PieceInfo, Snapshot};
use crate::stream::Stream;
use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;
use std::io::{self, Read, Seek, Write};
use ttlog_core::callsite::{CallsiteKind, Outcome};

/// The calls of a stream's input that are shown as async slices: those with
/// a suspend or resume event, or whose exit is on another thread than their
/// entry. Reads the whole stream.
pub fn async_calls<R: Read + Seek>(stream: &mut Stream<R>) -> HashSet<u64> {
    let mut found = HashSet::new();
    let mut open: HashMap<u64, u32> = HashMap::new();
    while let Some((snap, e)) = stream.next_event() {
        let Some(cs) = snap.callsite(e) else { continue };
        if cs.kind == CallsiteKind::Event {
            continue;
        }
        let Some(id) = call_id(cs, snap.args(e)).filter(|id| *id != 0) else { continue };
        match cs.kind {
            CallsiteKind::Enter => {
                open.insert(id, e.thread);
            }
            CallsiteKind::Exit => {
                if open.remove(&id).is_some_and(|t| t != e.thread) {
                    found.insert(id);
                }
            }
            _ => {
                found.insert(id);
            }
        }
    }
    found
}

/// Where an event is drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Track {
    /// A thread's track.
    Thread {
        /// Its id among the tracks.
        uuid: u64,
        /// Process id.
        pid: u64,
        /// OS thread id.
        tid: u64,
    },
    /// The track of one async call.
    Async {
        /// Its id among the tracks.
        uuid: u64,
        /// Process id.
        pid: u64,
        /// The call id.
        id: u64,
    },
}

impl Track {
    fn uuid(self) -> u64 {
        match self {
            Track::Thread { uuid, .. } | Track::Async { uuid, .. } => uuid,
        }
    }
}

/// What a timeline is drawn with: the two output formats.
trait Draw {
    fn process(&mut self, uuid: u64, pid: u64, name: &str) -> io::Result<()>;
    fn thread(&mut self, track: Track, parent: u64, name: &str) -> io::Result<()>;
    fn async_track(&mut self, track: Track, parent: u64, name: &str) -> io::Result<()>;
    #[allow(clippy::too_many_arguments)]
    fn event(
        &mut self,
        kind: Kind,
        track: Track,
        ts: u64,
        name: &str,
        cat: &str,
        args: &[(String, Typed<'_>)],
    ) -> io::Result<()>;
    fn finish(&mut self) -> io::Result<()>;
}

/// The kinds of drawn events.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Begin,
    End,
    Instant,
}

/// A call drawn as begun and not yet ended.
#[derive(Debug)]
struct Open {
    id: u64,
    name: String,
    cat: String,
    track: Track,
    begin: u64,
}

#[derive(Debug)]
struct ThreadState {
    track: Track,
    stack: Vec<Open>,
    /// When the thread's track was last free at the depth of the stack: the
    /// latest end drawn on it, or its first event.
    free_since: u64,
}

/// The state shared by both formats.
#[derive(Debug, Default)]
struct Timeline {
    /// Inputs begun so far.
    inputs: u64,
    pid: u64,
    process_uuid: u64,
    threads: HashMap<u32, ThreadState>,
    async_ids: HashSet<u64>,
    async_open: HashMap<u64, Open>,
    /// Names of the instants by callsite index.
    patterns: Vec<Option<String>>,
    first: Option<u64>,
    last: u64,
    args: Vec<(String, Typed<'static>)>,
}

/// Mixes the parts of a track's id.
fn track_uuid(input: u64, kind: u64, n: u64) -> u64 {
    let mut z = input.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ kind.wrapping_mul(0xbf58_476d_1ce4_e5b9) ^ n;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    (z ^ (z >> 31)).max(1)
}

/// The pattern of a callsite's message: its literal text, and `{name}` for
/// each argument.
fn pattern(cs: &CallsiteInfo) -> String {
    let mut s = String::new();
    for p in &cs.pieces {
        match p {
            PieceInfo::Lit(l) => s.push_str(l),
            PieceInfo::Arg { arg, .. } => {
                s.push('{');
                s.push_str(cs.args.get(*arg as usize).map_or("?", |a| a.name.as_str()));
                s.push('}');
            }
        }
    }
    if s.is_empty() { cs.name.clone() } else { s }
}

fn owned(v: Typed<'_>) -> Typed<'static> {
    match v {
        Typed::Int(n) => Typed::Int(n),
        Typed::Float(x) => Typed::Float(x),
        Typed::Bool(b) => Typed::Bool(b),
        Typed::Str(s) => Typed::Str(s.into_owned().into()),
    }
}

impl Timeline {
    fn begin(&mut self, meta: &Snapshot, draw: &mut dyn Draw) -> io::Result<()> {
        self.inputs += 1;
        self.threads.clear();
        self.async_open.clear();
        self.patterns.clear();
        self.first = None;
        self.last = 0;
        self.pid = meta.header.as_ref().map_or(0, |h| h.pid);
        self.process_uuid = track_uuid(self.inputs, 0, 0);
        let name = meta.header.as_ref().map_or("?", |h| h.program.as_str());
        draw.process(self.process_uuid, self.pid, name)
    }

    fn thread(&mut self, snap: &Snapshot, e: &Event, ts: u64, draw: &mut dyn Draw) -> io::Result<&mut ThreadState> {
        if !self.threads.contains_key(&e.thread) {
            let info = snap.thread(e);
            let tid = info.map_or(u64::from(e.thread), |t| t.tid);
            let track = Track::Thread { uuid: track_uuid(self.inputs, 1, e.thread.into()), pid: self.pid, tid };
            let name = match info {
                Some(t) if !t.name.is_empty() => t.name.clone(),
                _ => format!("thread {tid}"),
            };
            draw.thread(track, self.process_uuid, &name)?;
            self.threads.insert(e.thread, ThreadState { track, stack: Vec::new(), free_since: ts });
        }
        Ok(self.threads.get_mut(&e.thread).expect("inserted above"))
    }

    fn event(&mut self, snap: &Snapshot, e: &Event, draw: &mut dyn Draw) -> io::Result<()> {
        let Some(cs) = snap.callsite(e) else { return Ok(()) };
        let ts = snap.unix_nanos(e).and_then(|ns| u64::try_from(ns).ok()).unwrap_or(e.ticks);
        self.first.get_or_insert(ts);
        self.last = self.last.max(ts);
        let args = snap.args(e);
        self.args.clear();
        self.args.extend(typed_args(cs, args).map(|(n, v)| (n.to_owned(), owned(v))));
        let id = call_id(cs, args).unwrap_or(0);
        let is_async = id != 0 && self.async_ids.contains(&id);
        match cs.kind {
            CallsiteKind::Event => {
                let i = e.callsite as usize;
                if self.patterns.len() <= i {
                    self.patterns.resize(i + 1, None);
                }
                let name = self.patterns[i].get_or_insert_with(|| pattern(cs)).clone();
                let mut message = String::new();
                write_message(&mut message, cs, args);
                self.args.insert(0, ("message".to_owned(), Typed::Str(message.into())));
                let track = self.thread(snap, e, ts, draw)?.track;
                draw.event(Kind::Instant, track, ts, &name, &cs.target, &self.args)
            }
            CallsiteKind::Enter if is_async => {
                let track = Track::Async { uuid: track_uuid(self.inputs, 2, id), pid: self.pid, id };
                draw.async_track(track, self.process_uuid, &cs.name)?;
                self.args.push(("call_id".to_owned(), Typed::Str(id.to_string().into())));
                draw.event(Kind::Begin, track, ts, &cs.name, &cs.target, &self.args)?;
                let open = Open { id, name: cs.name.clone(), cat: cs.target.clone(), track, begin: ts };
                if let Some(prev) = self.async_open.insert(id, open) {
                    // A second entry with the same id: the first ends here.
                    let args = [("ttlog.exit".to_owned(), Typed::Str("missing".into()))];
                    draw.event(Kind::End, prev.track, ts, &prev.name, &prev.cat, &args)?;
                }
                Ok(())
            }
            CallsiteKind::Enter => {
                let thread = self.thread(snap, e, ts, draw)?;
                let track = thread.track;
                thread.stack.push(Open { id, name: cs.name.clone(), cat: cs.target.clone(), track, begin: ts });
                draw.event(Kind::Begin, track, ts, &cs.name, &cs.target, &self.args)
            }
            CallsiteKind::Suspend | CallsiteKind::Resume => {
                let track = self.thread(snap, e, ts, draw)?.track;
                let what = if cs.kind == CallsiteKind::Suspend { "suspend " } else { "resume " };
                self.args.push(("call_id".to_owned(), Typed::Str(id.to_string().into())));
                draw.event(Kind::Instant, track, ts, &format!("{what}{}", cs.name), &cs.target, &self.args)
            }
            CallsiteKind::Exit => {
                let outcome = outcome_byte(cs, args);
                let outcome = match outcome.map(|b| (b, Outcome::from_u8(b))) {
                    Some((_, Some(o))) => Outcome::name(o).to_owned(),
                    Some((b, None)) => format!("unknown ({b})"),
                    None => "unknown".to_owned(),
                };
                self.args.push(("outcome".to_owned(), Typed::Str(outcome.into())));
                if is_async {
                    let first = self.first.unwrap_or(ts);
                    let open = self.async_open.remove(&id);
                    let track = match &open {
                        Some(o) => o.track,
                        None => {
                            let track = Track::Async { uuid: track_uuid(self.inputs, 2, id), pid: self.pid, id };
                            draw.async_track(track, self.process_uuid, &cs.name)?;
                            let args = [
                                ("ttlog.entry".to_owned(), Typed::Str("missing".into())),
                                ("call_id".to_owned(), Typed::Str(id.to_string().into())),
                            ];
                            draw.event(Kind::Begin, track, first, &cs.name, &cs.target, &args)?;
                            track
                        }
                    };
                    return draw.event(Kind::End, track, ts, &cs.name, &cs.target, &self.args);
                }
                self.exit(snap, e, ts, id, cs, draw)
            }
        }
    }

    /// The exit of a call drawn on its thread.
    fn exit(
        &mut self,
        snap: &Snapshot,
        e: &Event,
        ts: u64,
        id: u64,
        cs: &CallsiteInfo,
        draw: &mut dyn Draw,
    ) -> io::Result<()> {
        let args = std::mem::take(&mut self.args);
        let thread = self.thread(snap, e, ts, draw)?;
        let missing = [("ttlog.exit".to_owned(), Typed::Str("missing".into()))];
        let found = thread.stack.iter().rposition(|o| o.id == id && id != 0);
        let result = match found {
            Some(at) => {
                // The calls opened inside it whose exits never came end with it.
                while thread.stack.len() > at + 1 {
                    let inner = thread.stack.pop().expect("longer than at + 1");
                    draw.event(Kind::End, inner.track, ts, &inner.name, &inner.cat, &missing)?;
                }
                let call = thread.stack.pop().expect("found at `at`");
                draw.event(Kind::End, call.track, ts, &call.name, &call.cat, &args)
            }
            None => {
                let since = thread.stack.last().map_or(thread.free_since, |o| o.begin.max(thread.free_since));
                let begin_args = [("ttlog.entry".to_owned(), Typed::Str("missing".into()))];
                draw.event(Kind::Begin, thread.track, since.min(ts), &cs.name, &cs.target, &begin_args)?;
                draw.event(Kind::End, thread.track, ts, &cs.name, &cs.target, &args)
            }
        };
        thread.free_since = ts;
        self.args = args;
        result
    }

    /// At the end of an input: the calls still open end at its last event.
    fn end(&mut self, draw: &mut dyn Draw) -> io::Result<()> {
        let missing = [("ttlog.exit".to_owned(), Typed::Str("missing".into()))];
        let mut threads: Vec<_> = self.threads.drain().collect();
        threads.sort_by_key(|(i, _)| *i);
        for (_, mut t) in threads {
            while let Some(o) = t.stack.pop() {
                draw.event(Kind::End, o.track, self.last, &o.name, &o.cat, &missing)?;
            }
        }
        let mut open: Vec<_> = self.async_open.drain().map(|(_, o)| o).collect();
        open.sort_by_key(|o| o.id);
        for o in open {
            draw.event(Kind::End, o.track, self.last, &o.name, &o.cat, &missing)?;
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------
// Protobuf
// ---------------------------------------------------------------------------

/// Protobuf encoding: varints and length-delimited fields.
mod pb {
    pub(super) fn varint(out: &mut Vec<u8>, mut v: u64) {
        while v >= 0x80 {
            out.push((v as u8) | 0x80);
            v >>= 7;
        }
        out.push(v as u8);
    }

    fn key(out: &mut Vec<u8>, field: u32, wire: u8) {
        varint(out, (u64::from(field) << 3) | u64::from(wire));
    }

    pub(super) fn uint(out: &mut Vec<u8>, field: u32, v: u64) {
        key(out, field, 0);
        varint(out, v);
    }

    pub(super) fn int(out: &mut Vec<u8>, field: u32, v: i64) {
        uint(out, field, v as u64);
    }

    pub(super) fn double(out: &mut Vec<u8>, field: u32, v: f64) {
        key(out, field, 1);
        out.extend_from_slice(&v.to_le_bytes());
    }

    pub(super) fn bytes(out: &mut Vec<u8>, field: u32, v: &[u8]) {
        key(out, field, 2);
        varint(out, v.len() as u64);
        out.extend_from_slice(v);
    }

    /// A message field whose body `f` writes (into a scratch buffer).
    pub(super) fn message(out: &mut Vec<u8>, field: u32, f: impl FnOnce(&mut Vec<u8>)) {
        let mut body = Vec::new();
        f(&mut body);
        bytes(out, field, &body);
    }
}

/// TracePacket fields.
const PACKET_TIMESTAMP: u32 = 8;
const PACKET_SEQUENCE_ID: u32 = 10;
const PACKET_TRACK_EVENT: u32 = 11;
const PACKET_INTERNED_DATA: u32 = 12;
const PACKET_SEQUENCE_FLAGS: u32 = 13;
const PACKET_TRACK_DESCRIPTOR: u32 = 60;
const SEQ_INCREMENTAL_STATE_CLEARED: u64 = 1;
const SEQ_NEEDS_INCREMENTAL_STATE: u64 = 2;
/// The one sequence of the packets.
const SEQUENCE: u64 = 1;

/// Writes Perfetto's protobuf trace to `W` (see the module).
#[derive(Debug)]
pub struct Perfetto<W: Write> {
    timeline: Timeline,
    enc: Encoder<W>,
}

#[derive(Debug)]
struct Encoder<W: Write> {
    out: W,
    packet: Vec<u8>,
    framed: Vec<u8>,
    names: HashMap<String, u64>,
    categories: HashMap<String, u64>,
    cleared: bool,
}

impl<W: Write> Encoder<W> {
    /// Writes `packet` as a `Trace.packet` field.
    fn write_packet(&mut self) -> io::Result<()> {
        self.framed.clear();
        pb::bytes(&mut self.framed, 1, &self.packet);
        self.packet.clear();
        self.out.write_all(&self.framed)
    }

    fn descriptor(&mut self, f: impl FnOnce(&mut Vec<u8>)) -> io::Result<()> {
        self.packet.clear();
        pb::uint(&mut self.packet, PACKET_SEQUENCE_ID, SEQUENCE);
        if !self.cleared {
            self.cleared = true;
            pb::uint(&mut self.packet, PACKET_SEQUENCE_FLAGS, SEQ_INCREMENTAL_STATE_CLEARED);
        }
        pb::message(&mut self.packet, PACKET_TRACK_DESCRIPTOR, f);
        self.write_packet()
    }

    /// The interned id of `s` in `table`, and whether it is new.
    fn intern(table: &mut HashMap<String, u64>, s: &str) -> (u64, bool) {
        if let Some(&iid) = table.get(s) {
            return (iid, false);
        }
        let iid = table.len() as u64 + 1;
        table.insert(s.to_owned(), iid);
        (iid, true)
    }
}

impl<W: Write> Perfetto<W> {
    /// A writer to `out`.
    pub fn new(out: W) -> Perfetto<W> {
        let enc = Encoder {
            out,
            packet: Vec::new(),
            framed: Vec::new(),
            names: HashMap::new(),
            categories: HashMap::new(),
            cleared: false,
        };
        Perfetto { timeline: Timeline::default(), enc }
    }

    /// The calls of the next input to draw as async slices (see
    /// [`async_calls`]); call it before [`Sink::begin`].
    pub fn set_async_calls(&mut self, ids: HashSet<u64>) {
        self.timeline.async_ids = ids;
    }

    /// The output, once [`Sink::finish`] has written everything.
    pub fn into_inner(self) -> W {
        self.enc.out
    }
}

fn annotation(out: &mut Vec<u8>, name: &str, v: &Typed<'_>) {
    pb::message(out, 4, |a| {
        pb::bytes(a, 10, name.as_bytes());
        match v {
            Typed::Int(n) => pb::int(a, 4, *n),
            Typed::Float(x) => pb::double(a, 5, *x),
            Typed::Bool(b) => pb::uint(a, 2, u64::from(*b)),
            Typed::Str(s) => pb::bytes(a, 6, s.as_bytes()),
        }
    });
}

impl<W: Write> Draw for Encoder<W> {
    fn process(&mut self, uuid: u64, pid: u64, name: &str) -> io::Result<()> {
        self.descriptor(|d| {
            pb::uint(d, 1, uuid);
            pb::message(d, 3, |p| {
                pb::int(p, 1, i64::from(pid as i32));
                pb::bytes(p, 6, name.as_bytes());
            });
        })
    }

    fn thread(&mut self, track: Track, parent: u64, name: &str) -> io::Result<()> {
        let Track::Thread { uuid, pid, tid } = track else { return Ok(()) };
        self.descriptor(|d| {
            pb::uint(d, 1, uuid);
            pb::uint(d, 5, parent);
            pb::message(d, 4, |t| {
                pb::int(t, 1, i64::from(pid as i32));
                pb::int(t, 2, i64::from(tid as i32));
                pb::bytes(t, 5, name.as_bytes());
            });
        })
    }

    fn async_track(&mut self, track: Track, parent: u64, name: &str) -> io::Result<()> {
        self.descriptor(|d| {
            pb::uint(d, 1, track.uuid());
            pb::uint(d, 5, parent);
            pb::bytes(d, 2, name.as_bytes());
        })
    }

    fn event(
        &mut self,
        kind: Kind,
        track: Track,
        ts: u64,
        name: &str,
        cat: &str,
        args: &[(String, Typed<'_>)],
    ) -> io::Result<()> {
        let mut packet = std::mem::take(&mut self.packet);
        packet.clear();
        pb::uint(&mut packet, PACKET_TIMESTAMP, ts);
        pb::uint(&mut packet, PACKET_SEQUENCE_ID, SEQUENCE);
        pb::uint(&mut packet, PACKET_SEQUENCE_FLAGS, SEQ_NEEDS_INCREMENTAL_STATE);
        let (name_iid, new_name) =
            if kind == Kind::End { (0, false) } else { Encoder::<W>::intern(&mut self.names, name) };
        let (cat_iid, new_cat) =
            if kind == Kind::End { (0, false) } else { Encoder::<W>::intern(&mut self.categories, cat) };
        if new_name || new_cat {
            pb::message(&mut packet, PACKET_INTERNED_DATA, |d| {
                if new_cat {
                    pb::message(d, 1, |c| {
                        pb::uint(c, 1, cat_iid);
                        pb::bytes(c, 2, cat.as_bytes());
                    });
                }
                if new_name {
                    pb::message(d, 2, |n| {
                        pb::uint(n, 1, name_iid);
                        pb::bytes(n, 2, name.as_bytes());
                    });
                }
            });
        }
        pb::message(&mut packet, PACKET_TRACK_EVENT, |t| {
            pb::uint(
                t,
                9,
                match kind {
                    Kind::Begin => 1,
                    Kind::End => 2,
                    Kind::Instant => 3,
                },
            );
            pb::uint(t, 11, track.uuid());
            if kind != Kind::End {
                pb::uint(t, 3, cat_iid);
                pb::uint(t, 10, name_iid);
            }
            for (k, v) in args {
                annotation(t, k, v);
            }
        });
        self.packet = packet;
        self.write_packet()
    }

    fn finish(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

impl<W: Write> Sink for Perfetto<W> {
    fn begin(&mut self, meta: &Snapshot) -> io::Result<()> {
        self.timeline.begin(meta, &mut self.enc)
    }

    fn event(&mut self, snap: &Snapshot, e: &Event) -> io::Result<()> {
        self.timeline.event(snap, e, &mut self.enc)
    }

    fn end(&mut self, _meta: &Snapshot) -> io::Result<()> {
        self.timeline.end(&mut self.enc)?;
        self.timeline.async_ids.clear();
        Ok(())
    }

    fn finish(&mut self) -> io::Result<()> {
        self.enc.finish()
    }
}

// ---------------------------------------------------------------------------
// Chrome trace event JSON
// ---------------------------------------------------------------------------

/// Writes Chrome's trace event JSON to `W` (see the module): one object,
/// `{"displayTimeUnit":"ns","traceEvents":[...]}`, an event a line.
#[derive(Debug)]
pub struct ChromeJson<W: Write> {
    timeline: Timeline,
    enc: JsonEncoder<W>,
}

#[derive(Debug)]
struct JsonEncoder<W: Write> {
    out: W,
    line: String,
    started: bool,
    events: u64,
}

impl<W: Write> ChromeJson<W> {
    /// A writer to `out`.
    pub fn new(out: W) -> ChromeJson<W> {
        ChromeJson {
            timeline: Timeline::default(),
            enc: JsonEncoder { out, line: String::new(), started: false, events: 0 },
        }
    }

    /// The calls of the next input to draw as async slices (see
    /// [`async_calls`]); call it before [`Sink::begin`].
    pub fn set_async_calls(&mut self, ids: HashSet<u64>) {
        self.timeline.async_ids = ids;
    }

    /// The output, once [`Sink::finish`] has written everything.
    pub fn into_inner(self) -> W {
        self.enc.out
    }
}

fn push_json_typed(out: &mut String, v: &Typed<'_>) {
    match v {
        Typed::Int(n) => {
            let _ = write!(out, "{n}");
        }
        Typed::Float(x) if x.is_finite() => {
            let _ = write!(out, "{x:?}");
        }
        Typed::Float(x) => push_json_str(out, &x.to_string()),
        Typed::Bool(b) => {
            let _ = write!(out, "{b}");
        }
        Typed::Str(s) => push_json_str(out, s),
    }
}

impl<W: Write> JsonEncoder<W> {
    fn write(&mut self) -> io::Result<()> {
        if !self.started {
            self.started = true;
            self.out.write_all(b"{\"displayTimeUnit\":\"ns\",\"traceEvents\":[\n")?;
        } else {
            self.out.write_all(b",\n")?;
        }
        self.events += 1;
        self.out.write_all(self.line.as_bytes())
    }

    fn metadata(&mut self, what: &str, pid: u64, tid: Option<u64>, name: &str) -> io::Result<()> {
        let l = &mut self.line;
        l.clear();
        let _ = write!(l, "{{\"ph\":\"M\",\"name\":\"{what}\",\"pid\":{pid}");
        if let Some(tid) = tid {
            let _ = write!(l, ",\"tid\":{tid}");
        }
        l.push_str(",\"args\":{\"name\":");
        push_json_str(l, name);
        l.push_str("}}");
        self.write()
    }
}

impl<W: Write> Draw for JsonEncoder<W> {
    fn process(&mut self, _uuid: u64, pid: u64, name: &str) -> io::Result<()> {
        self.metadata("process_name", pid, None, name)
    }

    fn thread(&mut self, track: Track, _parent: u64, name: &str) -> io::Result<()> {
        let Track::Thread { pid, tid, .. } = track else { return Ok(()) };
        self.metadata("thread_name", pid, Some(tid), name)
    }

    fn async_track(&mut self, _track: Track, _parent: u64, _name: &str) -> io::Result<()> {
        Ok(())
    }

    fn event(
        &mut self,
        kind: Kind,
        track: Track,
        ts: u64,
        name: &str,
        cat: &str,
        args: &[(String, Typed<'_>)],
    ) -> io::Result<()> {
        let l = &mut self.line;
        l.clear();
        let ph = match (kind, track) {
            (Kind::Begin, Track::Thread { .. }) => "B",
            (Kind::End, Track::Thread { .. }) => "E",
            (Kind::Begin, Track::Async { .. }) => "b",
            (Kind::End, Track::Async { .. }) => "e",
            (Kind::Instant, _) => "i",
        };
        let _ = write!(l, "{{\"ph\":\"{ph}\",\"ts\":{}.{:03},\"name\":", ts / 1000, ts % 1000);
        push_json_str(l, name);
        l.push_str(",\"cat\":");
        push_json_str(l, cat);
        match track {
            Track::Thread { pid, tid, .. } => {
                let _ = write!(l, ",\"pid\":{pid},\"tid\":{tid}");
            }
            Track::Async { pid, id, .. } => {
                let _ = write!(l, ",\"pid\":{pid},\"tid\":0,\"id\":\"{id:#x}\"");
            }
        }
        if kind == Kind::Instant {
            l.push_str(",\"s\":\"t\"");
        }
        l.push_str(",\"args\":{");
        for (i, (k, v)) in args.iter().enumerate() {
            if i > 0 {
                l.push(',');
            }
            push_json_str(l, k);
            l.push(':');
            push_json_typed(l, v);
        }
        l.push_str("}}");
        self.write()
    }

    fn finish(&mut self) -> io::Result<()> {
        if !self.started {
            self.started = true;
            self.out.write_all(b"{\"displayTimeUnit\":\"ns\",\"traceEvents\":[\n")?;
        }
        self.out.write_all(b"\n]}\n")?;
        self.out.flush()
    }
}

impl<W: Write> Sink for ChromeJson<W> {
    fn begin(&mut self, meta: &Snapshot) -> io::Result<()> {
        self.timeline.begin(meta, &mut self.enc)
    }

    fn event(&mut self, snap: &Snapshot, e: &Event) -> io::Result<()> {
        self.timeline.event(snap, e, &mut self.enc)
    }

    fn end(&mut self, _meta: &Snapshot) -> io::Result<()> {
        self.timeline.end(&mut self.enc)?;
        self.timeline.async_ids.clear();
        Ok(())
    }

    fn finish(&mut self) -> io::Result<()> {
        self.enc.finish()
    }
}
