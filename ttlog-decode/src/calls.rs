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

use crate::snapshot::{CallsiteInfo, Snapshot};
use crate::value::{Args, Value};
use std::collections::HashMap;
use ttlog::callsite::{ArgRole, CallsiteKind, Outcome};

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
}

/// Fills in [`Event::depth`](crate::Event::depth) and
/// [`Event::call`](crate::Event::call) of the snapshot's events, which must be
/// in time order. [`from_bytes`](crate::from_bytes) has done it already; call
/// it again after changing the events.
pub fn pair(snap: &mut Snapshot) {
    let Snapshot { events, callsites, header, values, .. } = snap;
    // Most snapshots hold no `#[ttlog]` call: nothing to pair.
    if !has_calls(callsites) {
        for e in events.iter_mut() {
            e.depth = 0;
            e.call = None;
        }
        return;
    }
    let mut open: HashMap<u64, Open> = HashMap::new();
    // Ids of the calls open on each thread, innermost last.
    let mut stacks: HashMap<u32, Vec<u64>> = HashMap::new();
    let elapsed = |from: u64, to: u64| -> Option<u64> {
        let h = header.as_ref()?;
        u64::try_from(h.unix_nanos(to)? - h.unix_nanos(from)?).ok()
    };
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
                if let Some(prev) = open.insert(id, Open { thread: e.thread, ticks: e.ticks }) {
                    close(&mut stacks, prev.thread, id, false);
                }
                e.depth = depth(&stacks, e.thread);
                stacks.entry(e.thread).or_default().push(id);
            }
            CallsiteKind::Exit => {
                let args = values.args(e.args.range());
                let id = call_id(cs, args).unwrap_or(0);
                let byte = outcome_byte(cs, args);
                let outcome = byte.and_then(Outcome::from_u8);
                let mut elapsed_ns = None;
                if let Some(entry) = open.remove(&id).filter(|_| id != 0) {
                    elapsed_ns = elapsed(entry.ticks, e.ticks);
                    close(&mut stacks, entry.thread, id, entry.thread == e.thread);
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
}

/// Whether any callsite is the entry or exit of a `#[ttlog]` function.
pub(crate) fn has_calls(callsites: &[Option<CallsiteInfo>]) -> bool {
    callsites.iter().flatten().any(|cs| cs.kind != CallsiteKind::Event)
}

fn depth(stacks: &HashMap<u32, Vec<u64>>, thread: u32) -> u32 {
    stacks.get(&thread).map_or(0, |s| s.len() as u32)
}

/// Takes call `id` off `thread`'s stack; with `inner`, the calls opened inside
/// it go too (their exits did not come before its own).
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
