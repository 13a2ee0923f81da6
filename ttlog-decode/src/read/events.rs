//! EVENTS frames (ordinary snapshots): a thread's events, compacted, each an
//! index into the callsites, a time delta and the arguments.

use super::args::{self, Shape};
use crate::snapshot::{ArgRange, CallsiteInfo, Event, Problem, Snapshot};
use ttlog_core::callsite::ArgType;
use ttlog_core::wire::{Reader, WireError};

/// What the event loop reads of each callsite, by callsite index, rather
/// than its full metadata.
pub(super) type Shapes = Vec<Option<Layout>>;

/// A callsite's arguments as events hold them.
pub(super) struct Layout {
    /// Their types and slot counts, packed.
    shape: Box<Shape>,
    /// How many of them an event holds in no bytes at all: formatted with no
    /// spec, so with no text (the writer makes none).
    empty: usize,
}

/// The layouts of `callsites`.
pub(super) fn shapes(callsites: &[Option<CallsiteInfo>]) -> Shapes {
    let layout = |c: &CallsiteInfo| {
        let shape: Box<Shape> = c.args.iter().map(|a| (a.ty, a.specs.len())).collect();
        let empty = shape.iter().filter(|&&(ty, slots)| ty == ArgType::Formatted && slots == 0).count();
        Layout { shape, empty }
    };
    callsites.iter().map(|c| c.as_ref().map(layout)).collect()
}

/// The arguments of no bytes (see [`Layout::empty`]) that the events of an
/// input of `len` bytes may have together. Each takes a slot of the store, and
/// a callsite may have millions of them: without a bound, events of two bytes
/// would each take megabytes. The bound is the input's length: one slot a
/// byte, as arguments that take bytes have at most.
pub(super) fn empty_budget(len: usize) -> usize {
    len
}

/// Decodes one EVENTS frame, whose payload starts at file offset `base`,
/// appending its events to `snap` and their times to `times`. An event that
/// cannot be decoded ends the frame (events have no length prefix); the rest
/// of the frame is reported lost. `empty_left` is what is left of the
/// [`empty_budget`].
pub(super) fn read_frame(
    snap: &mut Snapshot,
    times: &mut Vec<u64>,
    shapes: &Shapes,
    empty_left: &mut usize,
    base: u64,
    payload: &[u8],
) {
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
            message: format!(
                "events frame of thread {thread}, whose thread frame is missing: events kept without thread name"
            ),
            lost_events: 0,
        });
    }
    let b = payload;
    let mut pos = (r.offset() - base) as usize;
    let events = &mut snap.events;
    let store = &mut snap.values;
    // Room for the frame's events (each takes two bytes at least), so that
    // the loop's pushes never grow the vectors.
    let room = (count as usize).min(b.len().saturating_sub(pos) / 2);
    events.reserve(room);
    times.reserve(room);
    for i in 0..count {
        let at = pos;
        let mark = store.mark();
        let start = store.slots.len();
        let decoded = (|| {
            let callsite = args::varint_u32(b, &mut pos)?;
            let layout = shapes.get(callsite as usize)?.as_ref()?;
            if layout.empty > *empty_left {
                return None;
            }
            let delta = args::varint(b, &mut pos)?;
            args::decode(b, &mut pos, &layout.shape, store)?;
            let args = ArgRange::new(u32::try_from(start).ok()?, layout.shape.len() as u32);
            Some((callsite, delta, args, layout.empty))
        })();
        match decoded {
            Some((callsite, delta, args, empty)) => {
                *empty_left -= empty;
                ticks = ticks.wrapping_add(delta);
                events.push(Event { ticks, thread, callsite, args, depth: 0, call: None });
                times.push(ticks);
            }
            None => {
                store.undo(mark);
                let e = explain_event(b, at, base, shapes, *empty_left, start);
                let lost = count - i;
                snap.problems.push(Problem {
                    offset: base + at as u64,
                    message: format!(
                        "cannot decode event {i} of the frame ({e}); the frame's last {lost} events are lost"
                    ),
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
fn explain_event(b: &[u8], at: usize, base: u64, shapes: &Shapes, empty_left: usize, start: usize) -> WireError {
    let mut r = Reader::new(b.get(at..).unwrap_or_default(), base + at as u64);
    let offset = r.offset();
    let explained = (|| {
        let callsite = r.varint_u32()?;
        let Some(Some(layout)) = shapes.get(callsite as usize) else {
            return Err(WireError::malformed(offset, format!("event refers to callsite {callsite}, which is missing")));
        };
        if layout.empty > empty_left {
            let what = format!(
                "event of callsite {callsite}, whose {} arguments of no bytes are more than the {empty_left} \
                 left of what a file of this size may hold",
                layout.empty,
            );
            return Err(WireError::malformed(offset, what));
        }
        r.varint()?;
        args::explain(&mut r, &layout.shape)
    })();
    match explained {
        Err(e) => e,
        Ok(()) if u32::try_from(start).is_err() => {
            WireError::malformed(offset, "the snapshot holds more arguments than this decoder can index")
        }
        Ok(()) => WireError::malformed(offset, "event cannot be decoded"),
    }
}
