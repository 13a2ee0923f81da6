//! EVENTS frames written in place: a frame's header and event count are
//! filled in when it closes, and the run of frames of one thread.

use super::sink::Sink;
use crate::wire;

/// The state of [`Encoder::thread_words`].
#[derive(Debug)]
pub(super) struct Run {
    pub(super) thread: u32,
    /// The open frame.
    pub(super) frame: Option<Frame>,
    /// Events in the open frame.
    pub(super) count: u32,
    /// Time of the last event.
    pub(super) prev: u64,
    pub(super) written: u64,
    pub(super) frames: u64,
    pub(super) skipped: u64,
}

impl Run {
    /// Opens a frame whose base time is `ts`.
    #[cold]
    #[inline(never)]
    pub(super) fn open(&mut self, w: &mut Sink<'_>, ts: u64) {
        let f = w.with_vec(|out| Frame::open(out, self.thread, ts));
        self.frame = Some(f);
        self.count = 0;
        self.prev = ts;
        w.set_limit(f.start + wire::EVENTS_FRAME_TARGET);
    }

    /// Closes the open frame, if any.
    #[cold]
    #[inline(never)]
    pub(super) fn close(&mut self, w: &mut Sink<'_>) {
        let count = self.count;
        self.frames += w.with_vec(|out| Frame::close(out, self.frame.take(), count));
        self.written += count as u64;
        self.count = 0;
        w.set_limit(usize::MAX);
    }
}

/// An EVENTS frame being written in place.
#[derive(Clone, Copy, Debug)]
pub(super) struct Frame {
    /// Offset of its header in the output.
    pub(super) start: usize,
    /// Offset of its event count.
    pub(super) count_at: usize,
}

impl Frame {
    /// Writes the header (filled in by `close`), the thread, a room for the
    /// count and the base timestamp.
    pub(super) fn open(out: &mut Vec<u8>, thread: u32, ts: u64) -> Frame {
        let start = out.len();
        out.extend_from_slice(&[0; wire::FRAME_HEADER_LEN]);
        wire::put_varint(out, thread as u64);
        let count_at = out.len();
        out.extend_from_slice(&[0; 4]);
        wire::put_varint(out, ts);
        Frame { start, count_at }
    }

    /// Fills in the header and event count of a frame; removes it if it holds
    /// no event. Returns the number of frames closed.
    pub(super) fn close(out: &mut Vec<u8>, frame: Option<Frame>, count: u32) -> u64 {
        let Some(Frame { start, count_at }) = frame else { return 0 };
        if count == 0 {
            out.truncate(start);
            return 0;
        }
        out[count_at..count_at + 4].copy_from_slice(&count.to_le_bytes());
        let payload = &out[start + wire::FRAME_HEADER_LEN..];
        let crc = wire::frame_crc(wire::kind::EVENTS, payload);
        let header = wire::frame_header(wire::kind::EVENTS, payload.len() as u32, crc);
        out[start..start + wire::FRAME_HEADER_LEN].copy_from_slice(&header);
        1
    }
}
