//! The preamble and the frames: each frame checked (sync marker, length,
//! checksum), and after damage the search for the next intact one.
//!
//! Every frame is checked once on the way through an intact file. After
//! damage, each sync marker is a candidate; the search reads each byte once,
//! and [`Checksums`] keeps the candidates' checksums from costing more than a
//! few passes over the input, however many there are.

use super::crc::Checksums;
use crate::error::Error;
use crate::snapshot::Problem;
use ttlog_core::wire;

/// Checks the preamble: magic and format version.
pub(crate) fn check_preamble(bytes: &[u8]) -> Result<(), Error> {
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
pub(super) struct Frame<'a> {
    /// Offset of the frame's sync marker.
    pub(super) offset: usize,
    pub(super) kind: u8,
    pub(super) payload: &'a [u8],
    /// Offset just past the frame.
    next: usize,
}

impl Frame<'_> {
    /// File offset of the payload's first byte.
    pub(super) fn payload_offset(&self) -> u64 {
        (self.offset + wire::FRAME_HEADER_LEN) as u64
    }
}

/// The frames after the preamble, in file order: each item is a frame that
/// checked out, or the problem of a stretch that did not, which is skipped up
/// to the next frame that does.
pub(super) struct Frames<'a> {
    bytes: &'a [u8],
    pos: usize,
    checksums: Checksums,
}

impl<'a> Frames<'a> {
    /// The frames of `bytes`, whose preamble [`check_preamble`] accepted.
    pub(super) fn new(bytes: &'a [u8]) -> Frames<'a> {
        Frames { bytes, pos: wire::PREAMBLE_LEN, checksums: Checksums::new(bytes.len()) }
    }
}

impl<'a> Iterator for Frames<'a> {
    type Item = Result<Frame<'a>, Problem>;

    fn next(&mut self) -> Option<Self::Item> {
        let (bytes, pos) = (self.bytes, self.pos);
        if pos >= bytes.len() {
            return None;
        }
        match frame_at(bytes, pos, &mut self.checksums) {
            Ok(frame) => {
                self.pos = frame.next;
                Some(Ok(frame))
            }
            Err(why) => {
                let next = resync(bytes, pos + 1, &mut self.checksums);
                let skipped = next - pos;
                let message = match next {
                    n if n >= bytes.len() => format!("{why}; skipped the remaining {skipped} bytes"),
                    n => format!("{why}; skipped {skipped} bytes to the next intact frame at byte {n}"),
                };
                self.pos = next;
                Some(Err(Problem { offset: pos as u64, message, lost_events: 0 }))
            }
        }
    }
}

/// Validates the frame at `pos`: sync marker, length in bounds, checksum.
fn frame_at<'a>(bytes: &'a [u8], pos: usize, checksums: &mut Checksums) -> Result<Frame<'a>, String> {
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
    if !checksums.matches(bytes, pos, kind, len as usize, crc) {
        return Err("damaged frame (checksum mismatch)".to_owned());
    }
    let payload = &rest[wire::FRAME_HEADER_LEN..end];
    Ok(Frame { offset: pos, kind, payload, next: pos + end })
}

/// The offset of the next intact frame at or after `from`, or the end.
fn resync(bytes: &[u8], from: usize, checksums: &mut Checksums) -> usize {
    let mut i = from;
    while i + 4 <= bytes.len() {
        match bytes[i..].windows(4).position(|w| w == wire::SYNC) {
            None => break,
            Some(k) => {
                let at = i + k;
                if frame_at(bytes, at, checksums).is_ok() {
                    return at;
                }
                i = at + 1;
            }
        }
    }
    bytes.len()
}
