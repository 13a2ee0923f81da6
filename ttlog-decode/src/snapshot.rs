//! The decoded snapshot: what the reader fills in, what the time order and
//! [`calls`](crate::calls) rearrange and annotate, and what the renderer reads.
//!
//! The metadata types come from the wire format ([`ttlog_core::wire`]) as they are
//! and are re-exported here; the events and their arguments are the decoder's
//! own.

use crate::value::{Args, Store, Value};
use std::fmt;
use ttlog_core::callsite::{CallsiteKind, Outcome};

pub use ttlog_core::wire::{ArgInfo, Calibration, CallsiteInfo, End, Header, PieceInfo, ThreadInfo, Trigger};

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
    pub call: Option<Call>,
}

/// What the decoder found out about an entry or exit event (see
/// [`calls`](crate::calls), which fills it in).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Call {
    /// The call id, 0 when the event does not carry one.
    pub id: u64,
    /// [`CallsiteKind::Enter`], [`CallsiteKind::Exit`], [`CallsiteKind::Suspend`] or [`CallsiteKind::Resume`].
    pub kind: CallsiteKind,
    /// For an exit: how the call ended, if the event says so.
    pub outcome: Option<Outcome>,
    /// For an exit: the raw outcome byte, when it is not one this decoder knows.
    pub unknown_outcome: Option<u8>,
    /// For an exit: nanoseconds since the entry, when the entry is in the
    /// snapshot and the clock tells time.
    pub elapsed_ns: Option<u64>,
}

/// The place of an event's arguments among those of all events of its
/// snapshot (which [`Snapshot::args`] looks up).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ArgRange {
    start: u32,
    len: u32,
}

impl ArgRange {
    /// The range `start..start + len` of the snapshot's arguments.
    pub(crate) const fn new(start: u32, len: u32) -> ArgRange {
        ArgRange { start, len }
    }

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
    /// What made the snapshot (signal, thread, fault address, panic
    /// location), if the file has a TRIGGER frame (ttlog 0.1 and later).
    pub trigger: Option<Trigger>,
    /// The process's clock calibration, if the file has a CLOCK frame: the
    /// same in every snapshot of the process, and preferred to the header's.
    pub calibration: Option<Calibration>,
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
    pub fn push_event<'v>(
        &mut self,
        ticks: u64,
        thread: u32,
        callsite: u32,
        args: impl IntoIterator<Item = Value<'v>>,
    ) {
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
        self.unix_nanos_of(e.ticks)
    }

    /// Nanoseconds since the Unix epoch of an event clock reading: from the
    /// process's calibration when the file has one, else from the header.
    pub fn unix_nanos_of(&self, ticks: u64) -> Option<i128> {
        match &self.calibration {
            Some(c) => c.unix_nanos(ticks),
            None => self.header.as_ref()?.unix_nanos(ticks),
        }
    }

    /// The thread that crashed, panicked or asked for the snapshot, as the
    /// TRIGGER frame names it, if it is among the snapshot's threads (the
    /// live one with that id).
    pub fn trigger_thread(&self) -> Option<&ThreadInfo> {
        let t = self.trigger.as_ref()?;
        let mut with_tid = self.threads.iter().flatten().filter(|th| th.tid == t.tid && t.tid != 0);
        let first = with_tid.next()?;
        Some(with_tid.find(|th| !th.exited).map_or(first, |live| if first.exited { live } else { first }))
    }

    /// Whether the whole file was read without problems.
    pub fn is_intact(&self) -> bool {
        self.problems.is_empty()
    }
}
