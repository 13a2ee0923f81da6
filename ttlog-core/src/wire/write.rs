//! What only this crate's writers use: a buffer that never allocates, a CRC
//! that needs almost no stack, and the borrowed forms of payloads (for the
//! fatal-signal path, which must not allocate).

use super::primitives::{Out, put_point, put_str, put_varint, zigzag};
use super::{THREAD_EXITED, THREAD_NOT_COPIED};
use crate::clock::{Clock, ClockPoint};

/// A fixed buffer that never allocates; what does not fit is dropped and
/// remembered.
#[derive(Debug)]
pub(crate) struct SliceOut<'a> {
    buf: &'a mut [u8],
    len: usize,
    overflowed: bool,
}

impl<'a> SliceOut<'a> {
    /// Writes into `buf` from its start.
    pub(crate) fn new(buf: &'a mut [u8]) -> SliceOut<'a> {
        SliceOut { buf, len: 0, overflowed: false }
    }

    /// The bytes written, or `None` if some did not fit.
    pub(crate) fn bytes(&self) -> Option<&[u8]> {
        if self.overflowed { None } else { Some(&self.buf[..self.len]) }
    }
}

impl Out for SliceOut<'_> {
    fn put(&mut self, bytes: &[u8]) {
        match self.buf.get_mut(self.len..self.len + bytes.len()) {
            Some(dst) => {
                dst.copy_from_slice(bytes);
                self.len += bytes.len();
            }
            None => self.overflowed = true,
        }
    }
}

/// CRC-32 (IEEE 802.3, reflected, polynomial 0xEDB88320: the CRC of zlib and
/// `crc32fast`) by table lookup: slower than `crc32fast`'s SIMD, but it needs
/// almost no stack, which the fatal-signal handler (running on a small
/// alternate signal stack) requires.
#[derive(Clone, Copy, Debug)]
pub(crate) struct SmallCrc(u32);

const CRC_TABLE: [u32; 256] = {
    let mut t = [0u32; 256];
    let mut i = 0;
    while i < 256 {
        let mut c = i as u32;
        let mut k = 0;
        while k < 8 {
            c = if c & 1 != 0 { 0xEDB8_8320 ^ (c >> 1) } else { c >> 1 };
            k += 1;
        }
        t[i] = c;
        i += 1;
    }
    t
};

impl SmallCrc {
    /// A CRC of nothing yet.
    pub(crate) const fn new() -> SmallCrc {
        SmallCrc(!0)
    }

    /// Adds bytes.
    pub(crate) fn update(&mut self, bytes: &[u8]) {
        let mut c = self.0;
        for &b in bytes {
            c = CRC_TABLE[((c ^ b as u32) & 0xff) as usize] ^ (c >> 8);
        }
        self.0 = c;
    }

    /// The CRC of the bytes added.
    pub(crate) const fn finish(self) -> u32 {
        !self.0
    }
}

impl Default for SmallCrc {
    fn default() -> Self {
        SmallCrc::new()
    }
}

/// The fields of a HEADER frame, borrowed: what the crash path encodes without
/// allocating.
#[derive(Clone, Copy, Debug)]
pub(crate) struct HeaderRef<'a> {
    /// The program's name.
    pub(crate) program: &'a str,
    /// Its process id.
    pub(crate) pid: u64,
    /// The host name.
    pub(crate) host: &'a str,
    /// Why the snapshot was taken.
    pub(crate) reason: &'a str,
    /// The event clock.
    pub(crate) clock: Clock,
    /// Calibration point at the first event.
    pub(crate) anchor: ClockPoint,
    /// Calibration point when the snapshot was taken.
    pub(crate) taken: ClockPoint,
    /// Events of exited threads discarded for reuse.
    pub(crate) evicted: u64,
    /// Events dropped by ending threads.
    pub(crate) late_dropped: u64,
}

impl HeaderRef<'_> {
    /// Encodes the payload, with this crate's version.
    pub(crate) fn encode(&self, out: &mut impl Out) {
        self.encode_with_version(out, env!("CARGO_PKG_VERSION"));
    }

    /// Encodes the payload, with `version` as the writer's version.
    pub(crate) fn encode_with_version(&self, out: &mut impl Out, version: &str) {
        put_str(out, self.program);
        put_varint(out, self.pid);
        put_str(out, self.host);
        put_str(out, self.reason);
        put_str(out, version);
        out.put(&[self.clock as u8]);
        put_point(out, &self.anchor);
        put_point(out, &self.taken);
        put_varint(out, self.evicted);
        put_varint(out, self.late_dropped);
    }
}

/// The flags of a THREAD frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ThreadFlags {
    /// [`ThreadInfo::exited`].
    pub(crate) exited: bool,
    /// [`ThreadInfo::copied`].
    pub(crate) copied: bool,
}

impl ThreadFlags {
    fn byte(self) -> u8 {
        (if self.exited { THREAD_EXITED } else { 0 }) | (if self.copied { 0 } else { THREAD_NOT_COPIED })
    }
}

/// A thread's counts of events, as a THREAD frame carries them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct ThreadCounts {
    pub(crate) recorded: u64,
    pub(crate) overwritten: u64,
    pub(crate) dropped: u64,
    pub(crate) evicted: u64,
}

/// Encodes a THREAD payload from its parts (the crash path has no `String`).
pub(crate) fn encode_thread(out: &mut impl Out, index: u32, tid: u64, name: &str, flags: ThreadFlags, n: ThreadCounts) {
    put_varint(out, index as u64);
    put_varint(out, tid);
    put_str(out, name);
    out.put(&[flags.byte()]);
    put_varint(out, n.recorded);
    put_varint(out, n.overwritten);
    put_varint(out, n.dropped);
    put_varint(out, n.evicted);
}

/// The fields of a TRIGGER frame, borrowed (the crash path has no `String`).
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct TriggerRef<'a> {
    pub(crate) signal: u32,
    pub(crate) code: i32,
    pub(crate) addr: u64,
    pub(crate) sender_pid: u32,
    pub(crate) tid: u64,
    pub(crate) thread: &'a str,
    pub(crate) panic_file: &'a str,
    pub(crate) panic_line: u32,
    pub(crate) panic_column: u32,
    pub(crate) skipped: u64,
}

impl TriggerRef<'_> {
    /// Encodes the payload.
    pub(crate) fn encode(&self, out: &mut impl Out) {
        put_varint(out, self.signal as u64);
        put_varint(out, zigzag(self.code as i64));
        put_varint(out, self.addr);
        put_varint(out, self.sender_pid as u64);
        put_varint(out, self.tid);
        put_str(out, self.thread);
        put_str(out, self.panic_file);
        put_varint(out, self.panic_line as u64);
        put_varint(out, self.panic_column as u64);
        put_varint(out, self.skipped);
    }
}
