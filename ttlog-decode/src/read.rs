//! Reads a snapshot file's bytes into a [`Snapshot`]: frames, then the
//! metadata, then events, recovering from damage.
//!
//! The format is defined in [`ttlog_core::wire`]. Reading never panics: a file that
//! is not a snapshot at all (too short, wrong magic, unknown version) is an
//! [`Error`]; a snapshot that is damaged or truncated still yields every event of
//! every intact frame, and a [`Problem`] for each part it had to skip.
//!
//! The steps, one a file: [`frames`] checks each frame and finds the next
//! intact one after damage ([`crc`] keeps the checksums of the candidates from
//! costing more than a few passes over the input); [`meta`] reads the header,
//! callsites and threads;
//! [`events`] the EVENTS frames of ordinary snapshots (and [`drops`] the
//! DROPS frames of continuous logs, in file order with them) and [`ring`] the RING
//! frames of crash snapshots, both through [`args`], which decodes one
//! event's arguments. The events come out in file order: putting them in time
//! order and pairing calls come after (see [`decode`](crate::decode)).

mod args;
mod crc;
mod drops;
mod events;
mod frames;
mod meta;
mod ring;
pub(crate) mod stream;
pub(crate) mod tail;

use crate::error::Error;
use crate::snapshot::{Problem, Snapshot};
use ttlog_core::wire;

pub(crate) use frames::check_preamble;

/// A snapshot as read: its events in file order, unpaired.
pub(crate) struct Read {
    pub(crate) snap: Snapshot,
    /// Each event's time, in the same order: the sort reads these 8 bytes an
    /// event rather than the events themselves.
    pub(crate) ticks: Vec<u64>,
}

/// Reads a snapshot from its bytes.
pub(crate) fn read(bytes: &[u8]) -> Result<Read, Error> {
    check_preamble(bytes)?;
    let mut snap = Snapshot::default();
    // EVENTS and DROPS frames, in file order.
    let mut event_frames: Vec<(u64, &[u8], bool)> = Vec::new();
    let mut ring_frames: Vec<(u64, &[u8])> = Vec::new();
    let mut statics = meta::Statics::new();
    let mut frames_seen = 0u64;
    let mut after_end = false;
    // The END frame's offset, and the intact frames before it.
    let mut end_at = (0u64, 0u64);
    // At most one callsite or thread a frame.
    let max_items = bytes.len() / wire::FRAME_HEADER_LEN;
    for frame in frames::Frames::new(bytes) {
        let frame = match frame {
            Ok(f) => f,
            Err(problem) => {
                snap.problems.push(problem);
                continue;
            }
        };
        if after_end {
            snap.problems.push(Problem {
                offset: frame.offset as u64,
                message: "frame after the END frame; ignored".to_owned(),
                lost_events: 0,
            });
            continue;
        }
        frames_seen += 1;
        let base = frame.payload_offset();
        let result = match frame.kind {
            wire::kind::EVENTS | wire::kind::DROPS => {
                event_frames.push((base, frame.payload, frame.kind == wire::kind::DROPS));
                Ok(())
            }
            wire::kind::RING => {
                ring_frames.push((base, frame.payload));
                Ok(())
            }
            kind => meta::read_frame(&mut snap, &mut statics, max_items, kind, base, frame.payload),
        };
        match result {
            Ok(()) if snap.end.is_some() => {
                after_end = true;
                end_at = (frame.offset as u64, frames_seen - 1);
            }
            Ok(()) => {}
            Err(e) => snap.problems.push(Problem {
                offset: e.offset(),
                message: format!("frame at byte {} has a valid checksum but cannot be read: {e}", frame.offset),
                lost_events: 0,
            }),
        }
    }
    if snap.header.is_none() {
        snap.problems.push(Problem {
            offset: wire::PREAMBLE_LEN as u64,
            message: "the header frame is missing or damaged: timestamps cannot be converted to wall-clock time"
                .to_owned(),
            lost_events: 0,
        });
    }

    // The END frame tells how many events follow (a hint only: it may lie,
    // so the reservation is bounded by the events the frames could hold: an
    // event of an EVENTS frame takes at least two bytes, a ring record 16).
    let mut ticks: Vec<u64> = Vec::new();
    if let Some(end) = snap.end {
        let events_room = event_frames.iter().map(|(_, p, _)| p.len() / 2).sum::<usize>();
        let ring_room = ring_frames.iter().map(|(_, p)| p.len() / 16).sum::<usize>();
        let n = (end.events as usize).min(events_room + ring_room);
        snap.events.reserve(n);
        ticks.reserve(n);
        snap.values.slots.reserve(2 * n);
    }
    // Recorded text is never longer than the frames that hold it.
    snap.values.text.reserve(event_frames.iter().map(|(_, p, _)| p.len()).sum());
    let shapes = events::shapes(&snap.callsites);
    let mut empty_left = events::empty_budget(bytes.len());
    let mut marker = None;
    let mut markers = 0u64;
    for (base, payload, is_drops) in event_frames {
        if is_drops {
            markers += drops::read_frame(&mut snap, &mut ticks, &mut marker, base, payload) as u64;
        } else {
            events::read_frame(&mut snap, &mut ticks, &shapes, &mut empty_left, base, payload);
        }
    }
    let mut typed = ring::Typed::new(bytes.len());
    for (base, payload) in ring_frames {
        ring::read_frame(&mut snap, &mut ticks, &statics, &mut typed, base, payload);
    }

    check_end(&mut snap, end_at, frames_seen, bytes.len(), markers);
    Ok(Read { snap, ticks })
}

/// Compares what was read with what the END frame counts (`end_at`: the END
/// frame's offset, and the intact frames before it), and reports what is
/// missing or more, for an input of `len` bytes of which `frames_seen`
/// frames were intact and `markers` events are the drop markers of DROPS
/// frames (which END does not count).
fn check_end(snap: &mut Snapshot, end_at: (u64, u64), frames_seen: u64, len: usize, markers: u64) {
    match snap.end {
        None => snap.problems.push(Problem {
            offset: len as u64,
            message: format!("the file is truncated: no END frame after {frames_seen} intact frames"),
            lost_events: 0,
        }),
        Some(end) => {
            // Frames that went missing without damage around them (cut out
            // whole), or that came twice: nothing else reports them.
            let (at, before) = end_at;
            if end.frames != before && (before > end.frames || snap.problems.is_empty()) {
                snap.problems.push(Problem {
                    offset: at,
                    message: format!("the END frame counts {} frames before it, and {before} were read", end.frames),
                    lost_events: 0,
                });
            }
            let decoded = (snap.events.len() as u64).saturating_sub(markers);
            if decoded > end.events {
                snap.problems.push(Problem {
                    offset: at,
                    message: format!(
                        "{decoded} events decoded, more than the {} the END frame counts: frames came twice",
                        end.events
                    ),
                    lost_events: 0,
                });
            }
            let known_lost = snap.problems.iter().fold(0u64, |n, p| n.saturating_add(p.lost_events));
            if end.events > decoded.saturating_add(known_lost) {
                let missing = end.events - decoded - known_lost;
                snap.problems.push(Problem {
                    offset: len as u64,
                    message: format!("{missing} of the {} events the file holds were in damaged frames", end.events),
                    lost_events: missing,
                });
            }
        }
    }
}
