//! Pairs the entry and exit events of `#[ttlog]` functions, and nests events
//! under the calls that logged them.
//!
//! Entry and exit events carry the call's id as their first argument
//! ([`ArgRole::CallId`]); an exit carries the [`Outcome`] as its second. The
//! elapsed time of a call is the time between its entry and its exit. The
//! depth of an event is the number of calls open on its thread when it was
//! recorded: an entry opens a call on its thread, and its exit closes it, with
//! any call opened inside it whose exit never came.
//!
//! Any input gives an answer: an exit without its entry (overwritten in the
//! ring, or in a damaged frame) has no elapsed time; an entry without an exit
//! (the call was still running) stays open; a second entry with the same id
//! replaces the first; an exit on another thread than its entry (an `async fn`
//! that moved) closes the call where it was opened.
//!
//! An `async fn`'s call is open on a thread only while its future is polled:
//! a suspend event (the poll returned `Pending`) closes it on its thread, with
//! what was opened inside it, and keeps it open for its elapsed time; a resume
//! event (a later poll began) opens it on the resuming thread. Events logged
//! between polls, by other tasks on the thread, are not nested under it.

use crate::snapshot::{CallsiteInfo, Snapshot};
use crate::value::{Args, Value};
use std::collections::HashMap;
use ttlog_core::callsite::{ArgRole, CallsiteKind, Outcome};

pub use crate::snapshot::Call;

/// The call id of an entry or exit event: its [`ArgRole::CallId`] argument.
pub fn call_id(cs: &CallsiteInfo, args: Args<'_>) -> Option<u64> {
    let i = cs.args.iter().position(|a| a.role == ArgRole::CallId)?;
    match args.get(i)? {
        Value::U64(v) => Some(v),
        _ => None,
    }
}

/// The outcome byte of an exit event: its [`ArgRole::Outcome`] argument.
pub fn outcome_byte(cs: &CallsiteInfo, args: Args<'_>) -> Option<u8> {
    let i = cs.args.iter().position(|a| a.role == ArgRole::Outcome)?;
    match args.get(i)? {
        Value::U8(v) => Some(v),
        _ => None,
    }
}

/// An entry whose exit has not been seen yet.
struct Open {
    thread: u32,
    ticks: u64,
    /// Which element of its thread's stack is this entry: the number of the
    /// entry among all entries.
    seq: u64,
    /// Whether the call still counts on its thread's stack: false once a call
    /// it was opened in has closed.
    on_stack: bool,
}

/// The calls opened on a thread, innermost last, with the ones that have
/// closed since left in place: an exit on another thread (an `async fn` that
/// moved) closes a call that may be deep in its stack, and taking it out
/// there would cost the stack's depth for each such exit.
#[derive(Default)]
struct Stack {
    /// (call id, [`Open::seq`]) of each entry, innermost last; an element
    /// still counts while [`Open`] of its id has its `seq` and `on_stack`.
    entries: Vec<(u64, u64)>,
    /// How many elements still count: the depth of the thread's events.
    open: u32,
}

/// Fills in [`Event::depth`](crate::Event::depth) and
/// [`Event::call`](crate::Event::call) of the snapshot's events, which must be
/// in time order. [`from_bytes`](crate::from_bytes) has done it already; call
/// it again after changing the events.
///
/// It takes time in proportion to the events, whatever their calls and ids.
pub fn pair(snap: &mut Snapshot) {
    Pairing::new().pair_next(snap);
}

/// The calls open after some events, to pair events that come in batches
/// (the frames of a log being written, [`follow`](crate::follow)): each
/// batch's events are paired as [`pair`] pairs them all at once, those of
/// one batch after those of the batches before. It holds the calls that are
/// open.
#[derive(Default)]
pub struct Pairing {
    open: HashMap<u64, Open>,
    stacks: HashMap<u32, Stack>,
    entries: u64,
}

impl std::fmt::Debug for Pairing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pairing").field("open", &self.open.len()).finish_non_exhaustive()
    }
}

impl Pairing {
    /// No call open yet.
    pub fn new() -> Pairing {
        Pairing::default()
    }

    /// Fills in [`Event::depth`](crate::Event::depth) and
    /// [`Event::call`](crate::Event::call) of `snap`'s events (in time
    /// order), which follow the events paired so far.
    pub fn pair_next(&mut self, snap: &mut Snapshot) {
        let Snapshot { events, callsites, .. } = snap;
        // Most snapshots hold no `#[ttlog]` call: nothing to pair.
        if !has_calls(callsites) {
            for e in events.iter_mut() {
                e.depth = 0;
                e.call = None;
            }
            return;
        }
        let open = std::mem::take(&mut self.open);
        let stacks = std::mem::take(&mut self.stacks);
        let (open, stacks, entries) = pair_with(snap, open, stacks, self.entries);
        (self.open, self.stacks, self.entries) = (open, stacks, entries);
    }
}

/// Pairs the events of `snap`, which has callsites of calls, after the state
/// of the events before them: the open calls, the threads' stacks and the
/// entries so far; returns the state after them.
fn pair_with(
    snap: &mut Snapshot,
    mut open: HashMap<u64, Open>,
    mut stacks: HashMap<u32, Stack>,
    mut entries: u64,
) -> (HashMap<u64, Open>, HashMap<u32, Stack>, u64) {
    let Snapshot { events, callsites, header, calibration, values, .. } = snap;
    let calibration = &*calibration;
    let elapsed = |from: u64, to: u64| -> Option<u64> {
        let at = |ticks: u64| match calibration {
            Some(c) => c.unix_nanos(ticks),
            None => header.as_ref()?.unix_nanos(ticks),
        };
        u64::try_from(at(to)? - at(from)?).ok()
    };
    let depth = |stacks: &HashMap<u32, Stack>, thread: u32| stacks.get(&thread).map_or(0, |s| s.open);
    for e in events.iter_mut() {
        e.call = None;
        let Some(cs) = callsites.get(e.callsite as usize).and_then(Option::as_ref) else {
            e.depth = depth(&stacks, e.thread);
            continue;
        };
        match cs.kind {
            CallsiteKind::Event => e.depth = depth(&stacks, e.thread),
            CallsiteKind::Enter => {
                let id = call_id(cs, values.args(e.args.range())).unwrap_or(0);
                e.call = Some(Call { id, kind: cs.kind, outcome: None, unknown_outcome: None, elapsed_ns: None });
                if id == 0 {
                    e.depth = depth(&stacks, e.thread);
                    continue;
                }
                entries += 1;
                let entry = Open { thread: e.thread, ticks: e.ticks, seq: entries, on_stack: true };
                // A second entry with the same id replaces the first, which
                // no longer counts where it was opened.
                if let Some(prev) = open.insert(id, entry)
                    && prev.on_stack
                    && let Some(s) = stacks.get_mut(&prev.thread)
                {
                    s.open = s.open.saturating_sub(1);
                }
                e.depth = depth(&stacks, e.thread);
                let stack = stacks.entry(e.thread).or_default();
                stack.entries.push((id, entries));
                stack.open += 1;
            }
            CallsiteKind::Suspend => {
                // The call leaves the thread where it is open, and stays open.
                let id = call_id(cs, values.args(e.args.range())).unwrap_or(0);
                if let Some(entry) = open.get(&id).filter(|_| id != 0).map(|o| (o.thread, o.seq, o.on_stack)) {
                    let (thread, seq, on_stack) = entry;
                    let probe = Open { thread, ticks: 0, seq, on_stack };
                    close(&mut stacks, &mut open, id, &probe, thread == e.thread);
                    if let Some(o) = open.get_mut(&id) {
                        o.on_stack = false;
                    }
                }
                e.depth = depth(&stacks, e.thread);
                e.call = Some(Call { id, kind: cs.kind, outcome: None, unknown_outcome: None, elapsed_ns: None });
            }
            CallsiteKind::Resume => {
                // The call is open on this thread again, its entry's time kept.
                let id = call_id(cs, values.args(e.args.range())).unwrap_or(0);
                e.depth = depth(&stacks, e.thread);
                e.call = Some(Call { id, kind: cs.kind, outcome: None, unknown_outcome: None, elapsed_ns: None });
                if let Some(o) = open.get_mut(&id).filter(|_| id != 0) {
                    if o.on_stack {
                        // Resumed without a suspend seen (it was lost): it
                        // leaves where it was first.
                        let probe = Open { thread: o.thread, ticks: 0, seq: o.seq, on_stack: true };
                        close(&mut stacks, &mut open, id, &probe, false);
                    }
                    entries += 1;
                    let o = open.get_mut(&id).expect("looked up above");
                    o.thread = e.thread;
                    o.seq = entries;
                    o.on_stack = true;
                    let stack = stacks.entry(e.thread).or_default();
                    stack.entries.push((id, entries));
                    stack.open += 1;
                }
            }
            CallsiteKind::Exit => {
                let args = values.args(e.args.range());
                let id = call_id(cs, args).unwrap_or(0);
                let byte = outcome_byte(cs, args);
                let outcome = byte.and_then(Outcome::from_u8);
                let mut elapsed_ns = None;
                if let Some(entry) = open.remove(&id).filter(|_| id != 0) {
                    elapsed_ns = elapsed(entry.ticks, e.ticks);
                    close(&mut stacks, &mut open, id, &entry, entry.thread == e.thread);
                }
                e.depth = depth(&stacks, e.thread);
                e.call = Some(Call {
                    id,
                    kind: cs.kind,
                    outcome,
                    unknown_outcome: byte.filter(|_| outcome.is_none()),
                    elapsed_ns,
                });
            }
        }
    }
    (open, stacks, entries)
}

/// Closes call `id`, whose entry (already out of `open`) was `entry`; with
/// `inner`, the calls opened inside it close too (their exits did not come
/// before its own), and the stack loses every element above it. Each element
/// is taken off a stack once, so this costs nothing more, over all exits, than
/// the entries did.
fn close(stacks: &mut HashMap<u32, Stack>, open: &mut HashMap<u64, Open>, id: u64, entry: &Open, inner: bool) {
    if !entry.on_stack {
        return;
    }
    let Some(stack) = stacks.get_mut(&entry.thread) else { return };
    stack.open = stack.open.saturating_sub(1);
    if !inner {
        // Its element stays and no longer counts.
        return;
    }
    while let Some((above, seq)) = stack.entries.pop() {
        if (above, seq) == (id, entry.seq) {
            break;
        }
        if let Some(o) = open.get_mut(&above)
            && o.seq == seq
            && o.on_stack
        {
            o.on_stack = false;
            stack.open = stack.open.saturating_sub(1);
        }
    }
}

/// Whether any callsite is the entry or exit of a `#[ttlog]` function.
pub(crate) fn has_calls(callsites: &[Option<CallsiteInfo>]) -> bool {
    callsites.iter().flatten().any(|cs| cs.kind != CallsiteKind::Event)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Rng;
    use crate::snapshot::{ArgInfo, Header, PieceInfo};
    use std::time::Duration;
    use ttlog_core::callsite::{ArgType, Spec};
    use ttlog_core::clock::{Clock, ClockPoint};

    const ENTER: u32 = 0;
    const EXIT: u32 = 1;
    const EVENT: u32 = 2;
    /// An entry whose call id is a string.
    const ENTER_BAD_ID: u32 = 3;
    const SUSPEND: u32 = 4;
    const RESUME: u32 = 5;
    /// A callsite index with no callsite.
    const MISSING: u32 = 9;

    fn snapshot() -> Snapshot {
        let arg = |name: &str, role, ty| ArgInfo { name: name.into(), role, ty, specs: vec![Spec::DISPLAY] };
        let callsite = |index, kind, args| {
            Some(CallsiteInfo {
                index,
                level: ttlog_core::Level::Info,
                kind,
                name: "f".into(),
                target: "t".into(),
                file: "f.rs".into(),
                line: 1,
                args,
                pieces: vec![PieceInfo::Lit("f".into())],
            })
        };
        let callsites = vec![
            callsite(ENTER, CallsiteKind::Enter, vec![arg("id", ArgRole::CallId, ArgType::U64)]),
            callsite(
                EXIT,
                CallsiteKind::Exit,
                vec![arg("id", ArgRole::CallId, ArgType::U64), arg("outcome", ArgRole::Outcome, ArgType::U8)],
            ),
            callsite(EVENT, CallsiteKind::Event, vec![]),
            callsite(ENTER_BAD_ID, CallsiteKind::Enter, vec![arg("id", ArgRole::CallId, ArgType::Str)]),
            callsite(SUSPEND, CallsiteKind::Suspend, vec![arg("id", ArgRole::CallId, ArgType::U64)]),
            callsite(RESUME, CallsiteKind::Resume, vec![arg("id", ArgRole::CallId, ArgType::U64)]),
        ];
        let point = |ticks| ClockPoint { ticks, mono_ns: ticks, real_ns: 1_000_000 + ticks };
        let header = Some(Header {
            program: "p".into(),
            pid: 1,
            host: "h".into(),
            reason: "r".into(),
            ttlog_version: "0".into(),
            clock: Clock::Monotonic,
            anchor: point(0),
            taken: point(1_000),
            evicted: 0,
            late_dropped: 0,
        });
        Snapshot { callsites, header, ..Snapshot::default() }
    }

    /// The pairing as first written, which takes a call off the middle of a
    /// stack where it is: the reference for the one above.
    fn reference(snap: &Snapshot) -> Vec<(u32, Option<Call>)> {
        fn close(stacks: &mut HashMap<u32, Vec<u64>>, thread: u32, id: u64, inner: bool) {
            let Some(stack) = stacks.get_mut(&thread) else { return };
            if let Some(pos) = stack.iter().rposition(|&x| x == id) {
                if inner {
                    stack.truncate(pos);
                } else {
                    stack.remove(pos);
                }
            }
        }
        let depth = |stacks: &HashMap<u32, Vec<u64>>, t: u32| stacks.get(&t).map_or(0, |s| s.len() as u32);
        let mut open: HashMap<u64, (u32, u64)> = HashMap::new();
        let mut stacks: HashMap<u32, Vec<u64>> = HashMap::new();
        let header = snap.header.as_ref().unwrap();
        let mut out = Vec::new();
        for e in &snap.events {
            let Some(cs) = snap.callsite(e) else {
                out.push((depth(&stacks, e.thread), None));
                continue;
            };
            let args = snap.args(e);
            let id = call_id(cs, args).unwrap_or(0);
            match cs.kind {
                CallsiteKind::Event => out.push((depth(&stacks, e.thread), None)),
                CallsiteKind::Enter => {
                    let call = Some(Call { id, kind: cs.kind, outcome: None, unknown_outcome: None, elapsed_ns: None });
                    if id != 0 {
                        if let Some((thread, _)) = open.insert(id, (e.thread, e.ticks)) {
                            close(&mut stacks, thread, id, false);
                        }
                        out.push((depth(&stacks, e.thread), call));
                        stacks.entry(e.thread).or_default().push(id);
                    } else {
                        out.push((depth(&stacks, e.thread), call));
                    }
                }
                CallsiteKind::Suspend => {
                    // Off the stack it is on, with what it opened; still open.
                    if let Some(&(thread, _)) = open.get(&id).filter(|_| id != 0) {
                        close(&mut stacks, thread, id, thread == e.thread);
                    }
                    let call = Some(Call { id, kind: cs.kind, outcome: None, unknown_outcome: None, elapsed_ns: None });
                    out.push((depth(&stacks, e.thread), call));
                }
                CallsiteKind::Resume => {
                    let call = Some(Call { id, kind: cs.kind, outcome: None, unknown_outcome: None, elapsed_ns: None });
                    out.push((depth(&stacks, e.thread), call));
                    if let Some(entry) = open.get_mut(&id).filter(|_| id != 0) {
                        close(&mut stacks, entry.0, id, false);
                        entry.0 = e.thread;
                        stacks.entry(e.thread).or_default().push(id);
                    }
                }
                CallsiteKind::Exit => {
                    let byte = outcome_byte(cs, args);
                    let outcome = byte.and_then(Outcome::from_u8);
                    let mut elapsed_ns = None;
                    if let Some((thread, ticks)) = open.remove(&id).filter(|_| id != 0) {
                        let ns = header.unix_nanos(e.ticks).unwrap() - header.unix_nanos(ticks).unwrap();
                        elapsed_ns = u64::try_from(ns).ok();
                        close(&mut stacks, thread, id, thread == e.thread);
                    }
                    let unknown_outcome = byte.filter(|_| outcome.is_none());
                    let call = Some(Call { id, kind: cs.kind, outcome, unknown_outcome, elapsed_ns });
                    out.push((depth(&stacks, e.thread), call));
                }
            }
        }
        out
    }

    /// Random sequences of entries, exits, suspends, resumes and events on a
    /// few threads, with
    /// few ids (so that they repeat), id 0, exits before entries, exits on
    /// other threads, callsites that are missing: the same depths and calls
    /// as the reference.
    #[test]
    fn pairing_matches_the_reference() {
        let mut rng = Rng::new(0x6A09_E667_F3BC_C908);
        for round in 0..5_000 {
            let mut snap = snapshot();
            let n = rng.below(80);
            let ids = 1 + rng.below(8);
            let threads = 1 + rng.below(3) as u32;
            let mut ticks = 0;
            for _ in 0..n {
                ticks += rng.below(3);
                let thread = rng.below(threads as u64) as u32;
                let id = rng.below(ids);
                match rng.below(14) {
                    0..=3 => snap.push_event(ticks, thread, ENTER, [Value::U64(id)]),
                    4..=7 => snap.push_event(ticks, thread, EXIT, [Value::U64(id), Value::U8(rng.below(6) as u8)]),
                    8 => snap.push_event(ticks, thread, if rng.one_in(2) { EVENT } else { MISSING }, []),
                    10 | 11 => snap.push_event(ticks, thread, SUSPEND, [Value::U64(id)]),
                    12 | 13 => snap.push_event(ticks, thread, RESUME, [Value::U64(id)]),
                    _ => snap.push_event(ticks, thread, ENTER_BAD_ID, [Value::Str(crate::Text::whole("x"))]),
                }
            }
            let expected = reference(&snap);
            pair(&mut snap);
            let got: Vec<(u32, Option<Call>)> = snap.events.iter().map(|e| (e.depth, e.call)).collect();
            assert_eq!(got, expected, "round {round}");
        }
    }

    /// The same random sequences cut into batches, each paired by one
    /// [`Pairing`] after the ones before: the same depths and calls as all
    /// at once.
    #[test]
    fn pairing_in_batches_matches_pairing_at_once() {
        let mut rng = Rng::new(0xBB67_AE85_84CA_A73B);
        for round in 0..2_000 {
            let mut whole = snapshot();
            let mut batches = vec![snapshot()];
            let (ids, threads) = (1 + rng.below(6), 1 + rng.below(3) as u32);
            let mut ticks = 0;
            for _ in 0..rng.below(60) {
                if rng.one_in(8) {
                    batches.push(snapshot());
                }
                ticks += rng.below(3);
                let thread = rng.below(threads as u64) as u32;
                let id = rng.below(ids);
                let event = rng.one_in(9);
                let batch = batches.last_mut().unwrap();
                for snap in [&mut whole, batch] {
                    match id % 4 {
                        _ if event => snap.push_event(ticks, thread, EVENT, []),
                        0 | 1 => snap.push_event(ticks, thread, ENTER, [Value::U64(id)]),
                        2 => snap.push_event(ticks, thread, EXIT, [Value::U64(id / 2), Value::U8(0)]),
                        _ => snap.push_event(ticks, thread, SUSPEND, [Value::U64(id / 3)]),
                    }
                }
            }
            pair(&mut whole);
            let expected: Vec<(u32, Option<Call>)> = whole.events.iter().map(|e| (e.depth, e.call)).collect();
            let mut pairing = Pairing::new();
            let mut got = Vec::new();
            for mut b in batches {
                pairing.pair_next(&mut b);
                got.extend(b.events.iter().map(|e| (e.depth, e.call)));
            }
            assert_eq!(got, expected, "round {round}");
        }
    }

    /// An `async fn` that moved: the entries of many calls on one thread and
    /// their exits, in the order of the entries, on another. Taking each call
    /// off the middle of the first thread's stack took the square of their
    /// number (over three minutes for these in a debug build, 2 s for a tenth
    /// of them); pairing takes time in proportion to the events.
    #[test]
    fn exits_deep_in_another_threads_stack_take_linear_time() {
        const CALLS: u64 = 200_000;
        let mut snap = snapshot();
        for id in 1..=CALLS {
            snap.push_event(id, 0, ENTER, [Value::U64(id)]);
        }
        for id in 1..=CALLS {
            snap.push_event(CALLS + id, 1, EXIT, [Value::U64(id), Value::U8(0)]);
        }
        let (done, finished) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            pair(&mut snap);
            let _ = done.send(snap);
        });
        let snap = finished.recv_timeout(Duration::from_secs(60)).expect("pairing finishes");
        let depths: Vec<u32> = snap.events.iter().map(|e| e.depth).collect();
        assert_eq!(depths[CALLS as usize - 1], CALLS as u32 - 1);
        assert!(depths[CALLS as usize..].iter().all(|&d| d == 0));
        assert!(snap.events.iter().all(|e| e.call.is_some()));
        assert_eq!(snap.events.last().unwrap().call.unwrap().elapsed_ns, Some(CALLS));
    }
}
