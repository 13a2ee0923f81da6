//! Capture: copies every thread's ring, consistently, while the threads keep
//! writing (the protocol is [`crate::buffer`]'s and [`crate::registry`]'s).

use super::{Snapshot, ThreadSnapshot};
use crate::buffer::RingCopy;
use crate::clock::ClockPoint;
use crate::registry::{self, Captured};
use crate::wire::{Calibration, Trigger};

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
    let (tid, thread) = crate::write::thread_identity();
    snapshot_for(reason, Trigger { tid, thread, ..Trigger::default() })
}

/// [`snapshot`], made by `trigger` (a signal, a panic: the crash paths).
pub(crate) fn snapshot_for(reason: &str, trigger: Trigger) -> Snapshot {
    let clock = crate::clock::clock();
    let anchor = crate::clock::anchor();
    let mut threads = Vec::new();
    for slot in registry::slots() {
        let (owner, copy) = match capture(slot) {
            Some(c) => c,
            None => continue,
        };
        let walk = copy.copy.walk();
        threads.push(ThreadSnapshot {
            tid: owner.tid,
            name: owner.name_str().to_owned(),
            exited: owner.exited,
            dropped: owner.dropped,
            evicted: if copy.copied { owner.evicted } else { 0 },
            before: if copy.copied { owner.before_copy(walk.count, walk.first_seq) } else { 0 },
            copied: copy.copied,
            copy: copy.copy,
            walk,
        });
    }
    // Oldest threads first: the registry lists the newest first.
    threads.reverse();
    let taken = ClockPoint::now(clock);
    Snapshot {
        reason: reason.to_owned(),
        clock,
        anchor: anchor.unwrap_or(taken),
        taken,
        threads,
        evicted: registry::evicted_events(),
        late_dropped: registry::late_dropped(),
        trigger,
        calibration: crate::clock::calibration().map(|(clock, anchor, point)| Calibration { clock, anchor, point }),
    }
}

/// A thread's ring as a capture copied it.
struct Copy {
    copy: RingCopy,
    /// `false` when no consistent copy could be made at all (`copy` is empty).
    copied: bool,
}

/// Captures a slot: `None` if no thread ever owned it. A writer that goes
/// round its whole ring during every copy (a reader descheduled while the
/// ring turns over, again and again) gets its newest two blocks copied
/// instead, which it cannot lap unless it fills its whole ring during a copy
/// of 8 KiB;
/// if even that fails after many tries, the thread is listed with no events
/// and marked as not copied, never left out.
fn capture(slot: &registry::Slot) -> Option<(registry::Owner, Copy)> {
    match slot.capture(usize::MAX) {
        Captured::Unowned => return None,
        Captured::Copied(owner, copy) => return Some((owner, Copy { copy, copied: true })),
        Captured::Failed(_) => {}
    }
    let mut last = None;
    for _ in 0..64 {
        match slot.capture(2) {
            Captured::Unowned => return None,
            Captured::Copied(owner, copy) => return Some((owner, Copy { copy, copied: true })),
            Captured::Failed(owner) => last = Some(owner),
        }
        std::thread::yield_now();
    }
    last.map(|owner| (owner, Copy { copy: RingCopy::default(), copied: false }))
}
