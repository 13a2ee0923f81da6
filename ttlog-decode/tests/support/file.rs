//! Snapshot files made by hand from the format (`ttlog::wire` and
//! `ttlog::wire::record`), and the frames of a file.
// Each test crate uses a part of it.
#![allow(dead_code)]

use ttlog::callsite::{ArgType, Callsite};
use ttlog::clock::{Clock, ClockPoint};
use ttlog::wire::{self, CallsiteInfo, End, Header, record};

/// A frame of a file: where it starts, its kind, and its length with the
/// frame header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FrameAt {
    pub offset: usize,
    pub kind: u8,
    pub len: usize,
}

impl FrameAt {
    /// The offset just past the frame.
    pub fn end(&self) -> usize {
        self.offset + self.len
    }

    /// Its payload in `bytes`.
    pub fn payload<'a>(&self, bytes: &'a [u8]) -> &'a [u8] {
        &bytes[self.offset + wire::FRAME_HEADER_LEN..self.end()]
    }
}

/// The frames of a valid file, in order.
pub fn frames(bytes: &[u8]) -> Vec<FrameAt> {
    let mut out = Vec::new();
    let mut pos = wire::PREAMBLE_LEN;
    while pos < bytes.len() {
        assert_eq!(bytes[pos..pos + 4], wire::SYNC, "a frame at byte {pos}");
        let len = u32::from_le_bytes(bytes[pos + 5..pos + 9].try_into().unwrap()) as usize;
        out.push(FrameAt { offset: pos, kind: bytes[pos + 4], len: wire::FRAME_HEADER_LEN + len });
        pos += wire::FRAME_HEADER_LEN + len;
    }
    out
}

/// The header every hand-made file has: a monotonic clock, one tick a
/// nanosecond.
pub fn header() -> Header {
    let point = |ticks| ClockPoint { ticks, mono_ns: ticks, real_ns: 1_795_694_400_000_000_000 + ticks };
    Header {
        program: "hand-made".into(),
        pid: 1,
        host: "here".into(),
        reason: "test".into(),
        ttlog_version: "0".into(),
        clock: Clock::Monotonic,
        anchor: point(0),
        taken: point(1_000_000),
        evicted: 0,
        late_dropped: 0,
    }
}

/// A file being written: the preamble, then frames.
#[derive(Clone, Debug)]
pub struct File {
    pub bytes: Vec<u8>,
    frames: u64,
}

impl File {
    pub fn new() -> File {
        let mut bytes = Vec::new();
        wire::put_preamble(&mut bytes);
        File { bytes, frames: 0 }
    }

    /// Appends a frame; its offset.
    pub fn frame(&mut self, kind: u8, payload: &[u8]) -> usize {
        let at = self.bytes.len();
        wire::put_frame(&mut self.bytes, kind, payload);
        self.frames += 1;
        at
    }

    pub fn header(&mut self) -> usize {
        let mut p = Vec::new();
        header().encode(&mut p);
        self.frame(wire::kind::HEADER, &p)
    }

    /// A CALLSITE_STATIC frame: `cs` under the runtime id `id`.
    pub fn static_callsite(&mut self, id: u32, cs: &Callsite) -> usize {
        let mut p = Vec::new();
        CallsiteInfo::encode_static(&mut p, id, cs, None);
        self.frame(wire::kind::CALLSITE_STATIC, &p)
    }

    /// A CALLSITE frame: `cs` with these argument types at index `index`.
    pub fn callsite(&mut self, index: u32, cs: &Callsite, types: &[ArgType]) -> usize {
        let mut p = Vec::new();
        CallsiteInfo::encode_static(&mut p, index, cs, Some(types));
        self.frame(wire::kind::CALLSITE, &p)
    }

    pub fn thread(&mut self, index: u32, name: &str) -> usize {
        let p = thread_payload(index, name);
        self.frame(wire::kind::THREAD, &p)
    }

    /// A RING frame of `thread` with blocks of `block` bytes: the words.
    pub fn ring(&mut self, thread: u64, block: u64, words: &[u64]) -> usize {
        let bytes: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
        self.ring_bytes(thread, block, &bytes)
    }

    /// A RING frame with any bytes after its thread and block size.
    pub fn ring_bytes(&mut self, thread: u64, block: u64, bytes: &[u8]) -> usize {
        let mut p = Vec::new();
        wire::put_varint(&mut p, thread);
        wire::put_varint(&mut p, block);
        p.extend_from_slice(bytes);
        self.frame(wire::kind::RING, &p)
    }

    /// The END frame, for a file of `events` events.
    pub fn end(&mut self, events: u64) -> usize {
        let mut p = Vec::new();
        End { frames: self.frames, events }.encode(&mut p);
        self.frame(wire::kind::END, &p)
    }
}

/// A THREAD payload as the format spells it: index, tid, name, flags (none),
/// recorded, overwritten and dropped counts (0).
pub fn thread_payload(index: u32, name: &str) -> Vec<u8> {
    let mut p = Vec::new();
    wire::put_varint(&mut p, index as u64);
    wire::put_varint(&mut p, 1000 + index as u64);
    wire::put_str(&mut p, name);
    p.extend_from_slice(&[0, 0, 0, 0]);
    p
}

/// A ring block being written: the sequence number, then records.
#[derive(Clone, Debug)]
pub struct Block {
    words: Vec<u64>,
    size: usize,
}

impl Block {
    /// A block of `size` words.
    pub fn new(size: usize) -> Block {
        Block { words: vec![7], size }
    }

    /// A record of callsite `id` at `ticks`, with arguments of types `tags`
    /// whose bytes (the ring's encoding) are `args`.
    pub fn record(&mut self, id: u32, ticks: u64, tags: &[ArgType], args: &[u8]) -> &mut Block {
        let inline = tags.iter().take(record::INLINE_TAGS).enumerate().fold(0, |w, (i, t)| w | (*t as u64) << (4 * i));
        let ext: Vec<u64> = tags
            .get(record::INLINE_TAGS..)
            .unwrap_or(&[])
            .chunks(record::TAGS_PER_WORD)
            .map(|c| c.iter().enumerate().fold(0, |w, (i, t)| w | (*t as u64) << (4 * i)))
            .collect();
        let arg_words = args.len().div_ceil(8);
        let len = 2 + ext.len() + arg_words;
        self.words.push(record::header_word(id, len as u64, inline));
        self.words.push(ticks);
        self.words.extend(ext);
        let mut padded = args.to_vec();
        padded.resize(arg_words * 8, 0);
        self.words.extend(padded.chunks(8).map(|c| u64::from_le_bytes(c.try_into().unwrap())));
        self
    }

    /// Any words, as they are.
    pub fn raw(&mut self, words: &[u64]) -> &mut Block {
        self.words.extend_from_slice(words);
        self
    }

    /// The block's words, zeros (a pad word and unused room) up to its size.
    pub fn words(&self) -> Vec<u64> {
        let mut w = self.words.clone();
        w.resize(self.size.max(w.len()), 0);
        w
    }
}

/// The ring encoding of a `u64` argument.
pub fn u64_arg(v: u64) -> Vec<u8> {
    v.to_le_bytes().to_vec()
}

/// The ring encoding of a whole `str` argument that starts at a word
/// boundary: its length, zeros to the next word, the bytes.
pub fn str_arg(s: &str) -> Vec<u8> {
    let mut b = (s.len() as u16).to_le_bytes().to_vec();
    b.resize(8, 0);
    b.extend_from_slice(s.as_bytes());
    b
}
