//! Snapshots: copy every thread's ring (capture), then re-encode the records
//! compactly into the file format of [`crate::wire`] (write).
//!
//! Capture copies and does not drain: writers keep writing while it runs and
//! never wait for it. Writing happens on the thread that asked for the
//! snapshot; application threads never pay for compaction.

use crate::buffer::{self, RingCopy, Walk};
use crate::callsite::{ArgType, Callsite};
use crate::clock::{Clock, ClockPoint};
use crate::registry;
use crate::wire::{self, record, CallsiteInfo, End, Header, ThreadInfo};
use std::collections::HashMap;
use std::io::{self, Write};
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
}

/// One thread's part of a [`Snapshot`].
#[derive(Debug)]
pub struct ThreadSnapshot {
    tid: u64,
    name: String,
    exited: bool,
    dropped: u64,
    copy: Option<RingCopy>,
    walk: Walk,
    unreadable: bool,
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

    /// Events the ring overwrote (oldest first) before the snapshot copied it.
    /// `recorded() + overwritten()` is the number of events the thread logged up
    /// to the snapshot.
    pub fn overwritten(&self) -> u64 {
        self.walk.first_seq
    }

    /// Events the thread could not record at all: no buffer (memory budget
    /// spent), or logged from inside the formatting of another event's argument.
    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    /// Bytes of ring the copied events occupied, block headers and padding
    /// included: `buffer_bytes() / recorded()` is the buffer cost per event.
    pub fn buffer_bytes(&self) -> u64 {
        self.copy.as_ref().map_or(0, |c| c.words.len() as u64 * 8)
    }
}

/// Copies every thread's buffer, including the buffers of exited threads that
/// have not been reused yet. Threads keep logging meanwhile; each thread's copy
/// is consistent (no torn events) and ends at some point during the call.
///
/// `reason` is stored in the file ("manual", "panic", ...).
///
/// ```
/// ttlog::info!("about to take a snapshot");
/// let snap = ttlog::snapshot("manual");
/// assert!(snap.event_count() >= 1);
/// let mut file = Vec::new();
/// snap.write_to(&mut file)?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn snapshot(reason: &str) -> Snapshot {
    let clock = crate::clock::clock();
    let anchor = crate::clock::anchor();
    let mut threads = Vec::new();
    for slot in registry::slots() {
        let Some(cap) = slot.capture() else {
            threads.push(ThreadSnapshot {
                tid: 0,
                name: String::new(),
                exited: false,
                dropped: 0,
                copy: None,
                walk: Walk::default(),
                unreadable: true,
            });
            continue;
        };
        let walk = cap.copy.as_ref().map(RingCopy::walk).unwrap_or_default();
        threads.push(ThreadSnapshot {
            tid: cap.tid,
            name: cap.name,
            exited: cap.exited,
            dropped: cap.dropped,
            copy: cap.copy,
            walk,
            unreadable: false,
        });
    }
    // Oldest threads first: the registry lists the newest first.
    threads.reverse();
    threads.retain(|t| !t.unreadable || t.recorded() > 0);
    let taken = ClockPoint::now(clock);
    Snapshot {
        reason: reason.to_owned(),
        clock,
        anchor: anchor.unwrap_or(taken),
        taken,
        threads,
        evicted: registry::evicted_events(),
        late_dropped: crate::write::late_dropped(),
    }
}

impl Snapshot {
    /// Why the snapshot was taken.
    pub fn reason(&self) -> &str {
        &self.reason
    }

    /// The threads whose buffers were copied.
    pub fn threads(&self) -> &[ThreadSnapshot] {
        &self.threads
    }

    /// Events copied, all threads together.
    pub fn event_count(&self) -> u64 {
        self.threads.iter().map(ThreadSnapshot::recorded).sum()
    }

    /// Writes the snapshot file at `path` (created or truncated).
    pub fn save(&self, path: impl AsRef<Path>) -> io::Result<()> {
        let mut f = std::fs::File::create(path)?;
        self.write_to(&mut f)?;
        f.sync_all()
    }

    /// Writes the snapshot to a new file in [`snapshot_dir`](crate::snapshot_dir)
    /// (created if missing), named `PROGRAM-PID-REASON-YYYYMMDDTHHMMSSZ.ttlog`,
    /// and returns its path.
    pub fn save_to_dir(&self) -> io::Result<std::path::PathBuf> {
        let dir = crate::crash::snapshot_dir();
        std::fs::create_dir_all(&dir)?;
        let path = crate::crash::snapshot_path(&dir, &self.reason);
        self.save(&path)?;
        Ok(path)
    }

    /// Writes the snapshot file to `w`.
    pub fn write_to<W: Write>(&self, mut w: W) -> io::Result<()> {
        for part in self.encode().parts() {
            w.write_all(part)?;
        }
        w.flush()
    }

    /// The snapshot file's bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        self.encode().parts().concat()
    }

    fn header(&self) -> Header {
        Header {
            program: program_name(),
            pid: std::process::id() as u64,
            host: host_name(),
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
        let mut events_frames = Vec::new();
        let mut thread_infos = Vec::with_capacity(self.threads.len());
        let mut frames = 0u64;
        let mut total = 0u64;
        for (index, t) in self.threads.iter().enumerate() {
            let (written, nframes, skipped) = match &t.copy {
                Some(copy) => enc.thread_events(index as u32, copy, &mut events_frames),
                None => (0, 0, 0),
            };
            frames += nframes;
            total += written;
            thread_infos.push(ThreadInfo {
                index: index as u32,
                tid: t.tid,
                name: t.name.clone(),
                exited: t.exited,
                recorded: written,
                overwritten: t.walk.first_seq,
                // Records that could not be re-encoded count as dropped.
                dropped: t.dropped + skipped + t.walk.malformed,
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
        for (index, (cs, types)) in enc.signatures.iter().enumerate() {
            payload.clear();
            CallsiteInfo::encode_static(&mut payload, index as u32, cs, Some(types));
            wire::put_frame(&mut meta, wire::kind::CALLSITE, &payload);
        }
        for t in &thread_infos {
            payload.clear();
            t.encode(&mut payload);
            wire::put_frame(&mut meta, wire::kind::THREAD, &payload);
        }
        let meta_frames = 1 + enc.signatures.len() as u64 + thread_infos.len() as u64;
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

/// Maps callsite ids to the statics registered through `inventory`.
fn callsite_table() -> HashMap<u32, &'static Callsite, Fx> {
    inventory::iter::<crate::__private::Registration>
        .into_iter()
        .map(|r| (crate::write::callsite_id(r.0), r.0))
        .collect()
}

/// A fast hash for the encoder's small integer keys (multiply and rotate, as
/// in rustc's FxHash): SipHash's resistance to chosen keys buys nothing for
/// callsite ids, and costs much of the per-event budget.
type Fx = std::hash::BuildHasherDefault<FxHasher>;

#[derive(Default, Clone, Copy)]
struct FxHasher(u64);

impl FxHasher {
    #[inline]
    fn add(&mut self, v: u64) {
        self.0 = (self.0.rotate_left(5) ^ v).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

impl std::hash::Hasher for FxHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut a = [0u8; 8];
            a[..chunk.len()].copy_from_slice(chunk);
            self.add(u64::from_le_bytes(a));
        }
    }
    #[inline]
    fn write_u32(&mut self, v: u32) {
        self.add(v as u64);
    }
    #[inline]
    fn write_u64(&mut self, v: u64) {
        self.add(v);
    }
    #[inline]
    fn write_usize(&mut self, v: usize) {
        self.add(v as u64);
    }
    #[inline]
    fn finish(&self) -> u64 {
        self.0
    }
}

/// Re-encodes records: interns (callsite, types) pairs and writes events frames.
struct Encoder {
    table: HashMap<u32, &'static Callsite, Fx>,
    /// (callsite, concrete types) in index order.
    signatures: Vec<(&'static Callsite, Vec<ArgType>)>,
    /// (id, packed type words) -> index into `signatures`: the header word's
    /// types alone for callsites of at most five arguments, which need no
    /// allocation to look up.
    index: HashMap<(u32, u64), u32, Fx>,
    index_ext: HashMap<(u32, Vec<u64>), u32, Fx>,
    /// Direct-mapped cache in front of `index`: (id, header types, signature)
    /// of callsites with at most five arguments; interleaved callsites hit it.
    recent: [(u32, u64, u32); 64],
    /// Bytes of the record being decoded.
    scratch: Vec<u8>,
}

impl Encoder {
    fn new() -> Encoder {
        Encoder {
            table: callsite_table(),
            signatures: Vec::new(),
            index: HashMap::default(),
            index_ext: HashMap::default(),
            recent: [(0, 0, 0); 64],
            scratch: Vec::with_capacity(buffer::BLOCK as usize),
        }
    }

    /// The signature index of a record, interning it on first sight.
    fn signature(&mut self, id: u32, type_words: &[u64]) -> Option<u32> {
        let found = match type_words {
            [inline] => self.index.get(&(id, *inline)),
            _ => self.index_ext.get(&(id, type_words.to_vec())),
        };
        if let Some(&i) = found {
            return Some(i);
        }
        let cs = *self.table.get(&id)?;
        let n = cs.args.len();
        let mut types = Vec::with_capacity(n);
        for i in 0..n {
            let (word, shift) = if i < record::INLINE_TAGS {
                (type_words[0], 4 * i)
            } else {
                let k = i - record::INLINE_TAGS;
                (*type_words.get(1 + k / record::TAGS_PER_WORD)?, 4 * (k % record::TAGS_PER_WORD))
            };
            types.push(ArgType::from_tag(((word >> shift) & 0xf) as u8)?);
        }
        let idx = self.signatures.len() as u32;
        self.signatures.push((cs, types));
        match type_words {
            [inline] => self.index.insert((id, *inline), idx),
            _ => self.index_ext.insert((id, type_words.to_vec()), idx),
        };
        Some(idx)
    }

    /// Writes the EVENTS frames of one thread straight into `out` (each frame's
    /// header and event count are filled in when it closes); returns (events
    /// written, frames, records skipped as malformed).
    fn thread_events(&mut self, thread: u32, copy: &RingCopy, out: &mut Vec<u8>) -> (u64, u64, u64) {
        let (mut written, mut frames, mut skipped) = (0u64, 0u64, 0u64);
        // (offset of the frame header in `out`, offset of the count, events).
        let mut frame: Option<(usize, usize, u32)> = None;
        let mut prev = 0u64;
        let mut last: Option<(u32, u64, u32)> = None;
        for rec in copy.records() {
            let words = rec.words;
            let (id, _, inline) = record::split_header(words[0]);
            let ts = words[1];
            // Fast path: a callsite (with its types) seen recently. Id 0 is
            // never a callsite, so an empty cache entry never matches.
            let slot = ((id as u64 ^ inline.rotate_left(29)).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 58) as usize;
            let (cid, ctags, csig) = self.recent[slot];
            let sig = match last {
                Some((lid, ltags, sig)) if lid == id && ltags == inline && self.nargs(sig) <= record::INLINE_TAGS => {
                    Some(sig)
                }
                _ if cid == id && ctags == inline => Some(csig),
                _ => {
                    let nargs = self.table.get(&id).map_or(0, |c| c.args.len());
                    let ext_words = (record::ext_tag_bytes(nargs) / 8) as usize;
                    if 2 + ext_words > words.len() {
                        None
                    } else if ext_words == 0 {
                        let sig = self.signature(id, &[inline]);
                        if let Some(sig) = sig {
                            self.recent[slot] = (id, inline, sig);
                        }
                        sig
                    } else {
                        let mut tw = Vec::with_capacity(1 + ext_words);
                        tw.push(inline);
                        tw.extend_from_slice(&words[2..2 + ext_words]);
                        self.signature(id, &tw)
                    }
                }
            };
            let Some(sig) = sig else {
                skipped += 1;
                continue;
            };
            last = Some((id, inline, sig));
            let (start, count_at, count) = *frame.get_or_insert_with(|| {
                let start = out.len();
                out.extend_from_slice(&[0; wire::FRAME_HEADER_LEN]);
                wire::put_varint(out, thread as u64);
                let count_at = out.len();
                out.extend_from_slice(&[0; 4]);
                wire::put_varint(out, ts);
                prev = ts;
                (start, count_at, 0)
            });
            let (cs, types) = &self.signatures[sig as usize];
            let ext_words = (record::ext_tag_bytes(types.len()) / 8) as usize;
            let args = le_bytes(&words[2 + ext_words..], &mut self.scratch);
            let slots = |i: usize| cs.args.get(i).map(|a| a.specs.len());
            // The event goes straight into spare capacity reserved for its
            // largest encoding: no capacity check per byte.
            out.reserve(2 * 10 + wire::transcode_bound(args.len()));
            let mut spare = Spare::new(out.spare_capacity_mut());
            wire::put_varint(&mut spare, sig as u64);
            wire::put_varint(&mut spare, ts.wrapping_sub(prev));
            if wire::transcode_args(types, slots, args, &mut spare).is_none() || spare.overflowed {
                skipped += 1;
                continue;
            }
            let n = spare.len;
            // SAFETY: `Spare` initialised the first `n` bytes of the spare
            // capacity (it never writes past it, and `overflowed` is false).
            unsafe { out.set_len(out.len() + n) };
            prev = ts;
            written += 1;
            frame = Some((start, count_at, count + 1));
            if out.len() - start >= wire::EVENTS_FRAME_TARGET {
                frames += close_events_frame(out, frame.take());
            }
        }
        frames += close_events_frame(out, frame);
        (written, frames, skipped)
    }

    fn nargs(&self, sig: u32) -> usize {
        self.signatures[sig as usize].1.len()
    }
}

/// Writes bytes into a vector's spare capacity, checking against its end but
/// not growing it.
struct Spare<'a> {
    buf: &'a mut [core::mem::MaybeUninit<u8>],
    len: usize,
    overflowed: bool,
}

impl<'a> Spare<'a> {
    fn new(buf: &'a mut [core::mem::MaybeUninit<u8>]) -> Spare<'a> {
        Spare { buf, len: 0, overflowed: false }
    }
}

impl wire::Out for Spare<'_> {
    #[inline]
    fn put(&mut self, bytes: &[u8]) {
        match self.buf.get_mut(self.len..self.len + bytes.len()) {
            Some(dst) => {
                for (d, s) in dst.iter_mut().zip(bytes) {
                    d.write(*s);
                }
                self.len += bytes.len();
            }
            None => self.overflowed = true,
        }
    }

    #[inline(always)]
    fn put_byte(&mut self, b: u8) {
        match self.buf.get_mut(self.len) {
            Some(d) => {
                d.write(b);
                self.len += 1;
            }
            None => self.overflowed = true,
        }
    }
}

/// Fills in the header and event count of an EVENTS frame written in place;
/// removes it if it holds no event. Returns the number of frames closed.
fn close_events_frame(out: &mut Vec<u8>, frame: Option<(usize, usize, u32)>) -> u64 {
    let Some((start, count_at, count)) = frame else { return 0 };
    if count == 0 {
        out.truncate(start);
        return 0;
    }
    out[count_at..count_at + 4].copy_from_slice(&count.to_le_bytes());
    let payload = &out[start + wire::FRAME_HEADER_LEN..];
    let header = wire::frame_header(wire::kind::EVENTS, payload.len() as u32, wire::frame_crc(wire::kind::EVENTS, payload));
    out[start..start + wire::FRAME_HEADER_LEN].copy_from_slice(&header);
    1
}

/// The bytes of ring words, in the ring's (little-endian) byte order.
#[cfg(target_endian = "little")]
fn le_bytes<'a>(words: &'a [u64], _scratch: &'a mut Vec<u8>) -> &'a [u8] {
    // SAFETY: `u64` has no padding and `u8` no alignment requirement; on a
    // little-endian target the in-memory bytes are the record's bytes.
    unsafe { core::slice::from_raw_parts(words.as_ptr().cast::<u8>(), words.len() * 8) }
}

/// The bytes of ring words, in the ring's (little-endian) byte order.
#[cfg(not(target_endian = "little"))]
fn le_bytes<'a>(words: &'a [u64], scratch: &'a mut Vec<u8>) -> &'a [u8] {
    scratch.clear();
    for w in words {
        scratch.extend_from_slice(&w.to_le_bytes());
    }
    scratch
}

pub(crate) fn program_name() -> String {
    std::env::current_exe()
        .ok()
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .or_else(|| std::env::args().next())
        .unwrap_or_default()
}

pub(crate) fn host_name() -> String {
    let mut buf = [0u8; 256];
    // SAFETY: `buf` is writable for its whole length, which is what we pass.
    let rc = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) };
    if rc != 0 {
        return String::new();
    }
    let n = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
    String::from_utf8_lossy(&buf[..n]).into_owned()
}
