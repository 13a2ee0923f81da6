//! The reader's steps for [`Stream`](crate::stream::Stream), which has the
//! file's bytes a frame at a time: [`Scan`] finds and checks the frames of
//! an input it reads, [`Meta`] keeps the metadata, [`Decoder`] decodes one
//! thread's event frames.

use super::events::{self, Shapes};
use super::meta::{self, Statics};
use super::ring::{self, Typed};
use crate::snapshot::{Problem, Snapshot};
use std::io::{self, Read, Seek, SeekFrom};
use ttlog_core::wire;

/// A frame that checked out: its payload is in the scan's buffer.
pub(crate) struct FrameAt {
    /// Offset of its sync marker.
    pub(crate) offset: u64,
    pub(crate) kind: u8,
}

/// The frames of an input, checked one after the other.
pub(crate) struct Scan {
    pos: u64,
    len: u64,
    /// Bytes that failed checks may still cost (see the stream's module).
    budget: u64,
    chunk: Vec<u8>,
    /// The input is still being written (see [`Scan::following`]).
    follow: bool,
}

impl Scan {
    /// The frames of an input of `len` bytes, after its preamble.
    pub(crate) fn new(len: u64) -> Scan {
        Scan {
            pos: wire::PREAMBLE_LEN as u64,
            len,
            budget: len.saturating_mul(2).saturating_add(1 << 20),
            chunk: Vec::new(),
            follow: false,
        }
    }

    /// The frames from `pos` of an input of `len` bytes so far, that is
    /// still being written: a stretch at `pos` that does not check out with
    /// no intact frame after it before `len` (a frame written in part, or
    /// damage whose extent is not known yet) ends the scan without a
    /// problem and without moving past it, to be scanned again once the
    /// input is longer. With `follow` false, as [`Scan::new`] from `pos`.
    pub(crate) fn at(pos: u64, len: u64, follow: bool) -> Scan {
        Scan { pos, follow, ..Scan::new(len) }
    }

    /// Where the next frame is looked for.
    pub(crate) fn pos(&self) -> u64 {
        self.pos
    }

    /// The next frame (its payload in `buf`), or the problem of a stretch
    /// that did not check out, which is skipped; `None` at the end.
    pub(crate) fn next(
        &mut self,
        input: &mut (impl Read + Seek),
        buf: &mut Vec<u8>,
    ) -> io::Result<Option<Result<FrameAt, Problem>>> {
        if self.pos >= self.len {
            return Ok(None);
        }
        let pos = self.pos;
        match self.frame_at(input, pos, buf)? {
            Ok(kind) => {
                self.pos = pos + wire::FRAME_HEADER_LEN as u64 + buf.len() as u64;
                Ok(Some(Ok(FrameAt { offset: pos, kind })))
            }
            Err(why) => {
                let next = self.resync(input, pos + 1, buf)?;
                if self.follow && next >= self.len {
                    return Ok(None);
                }
                let skipped = next - pos;
                let message = if next >= self.len {
                    format!("{why}; skipped the remaining {skipped} bytes")
                } else {
                    format!("{why}; skipped {skipped} bytes to the next intact frame at byte {next}")
                };
                self.pos = next;
                Ok(Some(Err(Problem { offset: pos, message, lost_events: 0 })))
            }
        }
    }

    /// Checks the frame at `pos`, reading its payload into `buf`.
    fn frame_at(
        &mut self,
        input: &mut (impl Read + Seek),
        pos: u64,
        buf: &mut Vec<u8>,
    ) -> io::Result<Result<u8, String>> {
        let mut head = [0u8; wire::FRAME_HEADER_LEN];
        input.seek(SeekFrom::Start(pos))?;
        let got = read_up_to(input, &mut head)?;
        if got < head.len() {
            if head[..got.min(4)] == wire::SYNC[..got.min(4)] {
                return Ok(Err(format!("truncated frame header ({got} of {} bytes)", wire::FRAME_HEADER_LEN)));
            }
            return Ok(Err("expected a frame".to_owned()));
        }
        if head[..4] != wire::SYNC {
            return Ok(Err("expected a frame (no sync marker)".to_owned()));
        }
        let kind = head[4];
        let len = u32::from_le_bytes([head[5], head[6], head[7], head[8]]);
        let crc = u32::from_le_bytes([head[9], head[10], head[11], head[12]]);
        if len > wire::MAX_FRAME {
            return Ok(Err(format!("frame length {len} exceeds the maximum {}", wire::MAX_FRAME)));
        }
        let present = self.len.saturating_sub(pos + wire::FRAME_HEADER_LEN as u64);
        if u64::from(len) > present {
            return Ok(Err(format!("truncated frame: {len} payload bytes announced, {present} present")));
        }
        // Only bytes that are there are allocated.
        buf.clear();
        buf.resize(len as usize, 0);
        input.read_exact(buf)?;
        let mut h = crc32fast::Hasher::new();
        h.update(&[kind]);
        h.update(&len.to_le_bytes());
        h.update(buf);
        if h.finalize() != crc {
            self.budget = self.budget.saturating_sub(u64::from(len) + wire::FRAME_HEADER_LEN as u64);
            return Ok(Err("damaged frame (checksum mismatch)".to_owned()));
        }
        Ok(Ok(kind))
    }

    /// The offset of the next intact frame at or after `from`, or the end
    /// (also once the budget is spent).
    fn resync(&mut self, input: &mut (impl Read + Seek), from: u64, buf: &mut Vec<u8>) -> io::Result<u64> {
        const CHUNK: usize = 1 << 16;
        let mut at = from;
        let mut chunk = std::mem::take(&mut self.chunk);
        while at + 4 <= self.len && self.budget > 0 {
            input.seek(SeekFrom::Start(at))?;
            chunk.resize(CHUNK, 0);
            let got = read_up_to(input, &mut chunk)?;
            chunk.truncate(got);
            if got < 4 {
                break;
            }
            let mut i = 0;
            while let Some(k) = chunk[i..].windows(4).position(|w| w == wire::SYNC) {
                let cand = at + (i + k) as u64;
                if self.frame_at(input, cand, buf)?.is_ok() {
                    self.chunk = chunk;
                    return Ok(cand);
                }
                if self.budget == 0 {
                    break;
                }
                i += k + 1;
            }
            // The last three bytes may start a marker that the next chunk ends.
            at += (got - 3) as u64;
        }
        self.chunk = chunk;
        Ok(self.len)
    }
}

/// Reads as much of `buf` as the input has.
pub(crate) fn read_up_to(input: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut got = 0;
    while got < buf.len() {
        match input.read(&mut buf[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(got)
}

/// The thread index an EVENTS or RING payload starts with.
pub(crate) fn thread_of(payload: &[u8]) -> Option<u32> {
    let mut pos = 0;
    super::args::varint_u32(payload, &mut pos)
}

/// The metadata read so far.
#[derive(Default)]
pub(crate) struct Meta {
    pub(crate) snap: Snapshot,
    statics: Statics,
}

impl std::fmt::Debug for Meta {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Meta").field("snap", &self.snap).field("statics", &self.statics.len()).finish()
    }
}

impl Meta {
    /// Reads a metadata frame (see `meta::read_frame`).
    pub(crate) fn read(
        &mut self,
        max_items: usize,
        kind: u8,
        base: u64,
        payload: &[u8],
    ) -> Result<(), wire::WireError> {
        meta::read_frame(&mut self.snap, &mut self.statics, max_items, kind, base, payload)
    }

    /// The decoder of event frames of an input of `len` bytes, once the
    /// metadata is complete.
    pub(crate) fn decoder(self, len: u64) -> (Snapshot, Decoder) {
        let shapes = events::shapes(&self.snap.callsites);
        let typed = Typed::new(usize::try_from(len).unwrap_or(usize::MAX));
        (self.snap, Decoder { statics: self.statics, shapes, typed })
    }
}

/// Decodes event frames against the metadata.
pub(crate) struct Decoder {
    statics: Statics,
    shapes: Shapes,
    /// The callsites made for ring records' type signatures, for the whole
    /// file (as `from_bytes` has one for the whole file).
    typed: Typed,
}

impl std::fmt::Debug for Decoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Decoder").field("callsites", &self.shapes.len()).finish()
    }
}

impl Decoder {
    /// Whether the file has callsites of `#[ttlog]` functions (entries and
    /// exits), ordinary or static.
    pub(crate) fn has_calls(&self, callsites: &[Option<crate::snapshot::CallsiteInfo>]) -> bool {
        crate::calls::has_calls(callsites)
            || self.statics.values().any(|s| s.info.kind != ttlog_core::callsite::CallsiteKind::Event)
    }

    /// Decodes an EVENTS frame into `snap`, its times into `ticks`.
    pub(crate) fn events(&self, snap: &mut Snapshot, ticks: &mut Vec<u64>, base: u64, payload: &[u8]) {
        let mut empty_left = events::empty_budget(payload.len());
        events::read_frame(snap, ticks, &self.shapes, &mut empty_left, base, payload);
    }

    /// Decodes RING frames (`frames`: each payload's offset and bytes) into
    /// `snap`, their times into `ticks`.
    pub(crate) fn rings(&mut self, snap: &mut Snapshot, ticks: &mut Vec<u64>, frames: &[(u64, &[u8])]) {
        for (base, payload) in frames {
            ring::read_frame(snap, ticks, &self.statics, &mut self.typed, *base, payload);
        }
    }
}
