//! Pairing of `#[ttlog]` entries and exits, nesting and elapsed times, on
//! snapshots of real programs and on made-up event sequences that no program
//! writes: exits without entries, entries without exits, duplicate ids, exits
//! on another thread, malformed call ids and outcomes. Whatever the input, the
//! decoder answers, renders every event, and never panics.

#[path = "support/rng.rs"]
mod rng;

use rng::Rng;
use std::future::Future;
use std::pin::pin;
use std::sync::{Arc, Once};
use std::task::{Context, Poll, Wake, Waker};
use ttlog::callsite::{ArgRole, ArgType, CallsiteKind, Outcome, Spec};
use ttlog::wire::{ArgInfo, CallsiteInfo, PieceInfo, ThreadInfo};
use ttlog::{Level, ttlog};
use ttlog_decode::calls::pair;
use ttlog_decode::render::line::{json_line, text_line};
use ttlog_decode::{Event, Snapshot, Value};

fn setup() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| ttlog::set_max_level(ttlog::LevelFilter::Trace));
}

/// Renders every event as text and JSON (which must parse) and returns the
/// text lines from the level on.
fn render_all(snap: &Snapshot) -> Vec<String> {
    snap.events
        .iter()
        .map(|e| {
            let json = json_line(snap, e);
            let v: serde_json::Value = serde_json::from_str(&json).unwrap_or_else(|err| panic!("{err}: {json}"));
            assert_eq!(v["depth"].as_u64(), Some(e.depth as u64), "{json}");
            let text = text_line(snap, e);
            text.split_once(' ').map_or(text.clone(), |(_, rest)| rest.trim_start().to_owned())
        })
        .collect()
}

// ---------------------------------------------------------------------------
// Made-up sequences
// ---------------------------------------------------------------------------

fn arg(name: &str, role: ArgRole, ty: ArgType) -> ArgInfo {
    ArgInfo { name: name.into(), role, ty, specs: vec![Spec::DISPLAY] }
}

fn callsite(index: u32, kind: CallsiteKind, args: Vec<ArgInfo>) -> Option<CallsiteInfo> {
    Some(CallsiteInfo {
        index,
        level: Level::Info,
        kind,
        name: "app::work".into(),
        target: "app".into(),
        file: "src/app.rs".into(),
        line: 7,
        args,
        pieces: vec![PieceInfo::Lit(if kind == CallsiteKind::Event { "event".into() } else { "app::work".into() })],
    })
}

const ENTER: u32 = 0;
const EXIT: u32 = 1;
const EVENT: u32 = 2;
const EXIT_RET: u32 = 3;
/// An entry whose call id is a string: not a call id.
const ENTER_BAD_ID: u32 = 4;
/// An exit without an outcome argument.
const EXIT_NO_OUTCOME: u32 = 5;

/// A snapshot with the header of a real one (so that ticks tell time) and the
/// made-up callsites, threads 0 and 1, and `events` as (ticks, thread,
/// callsite, args).
fn made_up(events: Vec<(u64, u32, u32, Vec<Value<'static>>)>) -> Snapshot {
    setup();
    let mut snap = ttlog_decode::from_bytes(&ttlog::snapshot("header").to_bytes()).unwrap();
    snap.events.clear();
    snap.callsites = vec![
        callsite(
            ENTER,
            CallsiteKind::Enter,
            vec![arg("call_id", ArgRole::CallId, ArgType::U64), arg("n", ArgRole::Field, ArgType::U32)],
        ),
        callsite(
            EXIT,
            CallsiteKind::Exit,
            vec![arg("call_id", ArgRole::CallId, ArgType::U64), arg("outcome", ArgRole::Outcome, ArgType::U8)],
        ),
        callsite(EVENT, CallsiteKind::Event, vec![]),
        callsite(
            EXIT_RET,
            CallsiteKind::Exit,
            vec![
                arg("call_id", ArgRole::CallId, ArgType::U64),
                arg("outcome", ArgRole::Outcome, ArgType::U8),
                arg("ret", ArgRole::Field, ArgType::U32),
            ],
        ),
        callsite(ENTER_BAD_ID, CallsiteKind::Enter, vec![arg("call_id", ArgRole::CallId, ArgType::Str)]),
        callsite(EXIT_NO_OUTCOME, CallsiteKind::Exit, vec![arg("call_id", ArgRole::CallId, ArgType::U64)]),
    ];
    snap.threads = (0..2)
        .map(|i| {
            Some(ThreadInfo {
                index: i,
                tid: 100 + i as u64,
                name: format!("t{i}"),
                exited: false,
                recorded: 0,
                overwritten: 0,
                dropped: 0,
                copied: true,
                evicted: 0,
            })
        })
        .collect();
    let anchor = snap.header.as_ref().unwrap().anchor.ticks;
    snap.clear_events();
    for (ticks, thread, callsite, args) in events {
        snap.push_event(anchor + ticks, thread, callsite, args);
    }
    pair(&mut snap);
    snap
}

fn enter(t: u64, thread: u32, id: u64) -> (u64, u32, u32, Vec<Value<'static>>) {
    (t, thread, ENTER, vec![Value::U64(id), Value::U32(id as u32)])
}

fn exit(t: u64, thread: u32, id: u64, outcome: u8) -> (u64, u32, u32, Vec<Value<'static>>) {
    (t, thread, EXIT, vec![Value::U64(id), Value::U8(outcome)])
}

fn event(t: u64, thread: u32) -> (u64, u32, u32, Vec<Value<'static>>) {
    (t, thread, EVENT, vec![])
}

fn depths(snap: &Snapshot) -> Vec<u32> {
    snap.events.iter().map(|e| e.depth).collect()
}

fn elapsed(snap: &Snapshot, i: usize) -> Option<u64> {
    snap.events[i].call.and_then(|c| c.elapsed_ns)
}

#[test]
fn nested_calls_pair_and_nest() {
    let snap = made_up(vec![
        enter(1_000, 0, 1),
        event(2_000, 0),
        enter(3_000, 0, 2),
        event(4_000, 0),
        (5_000, 0, EXIT_RET, vec![Value::U64(2), Value::U8(0), Value::U32(7)]),
        exit(9_000, 0, 1, 0),
        event(10_000, 0),
    ]);
    assert_eq!(depths(&snap), [0, 1, 1, 2, 1, 0, 0]);
    let lines = render_all(&snap);
    assert!(lines[3].ends_with("[t0 100]     app: event"), "{}", lines[3]);
    assert!(lines[4].contains("[t0 100]   app: ← app::work #0.2 elapsed="), "{}", lines[4]);
    assert!(lines[4].ends_with(" ret=7"), "{}", lines[4]);
    assert!(lines[0].ends_with("app: → app::work #0.1 n=1"), "{}", lines[0]);
    // Ticks are calibrated: the outer call took longer than the inner one.
    let (inner, outer) = (elapsed(&snap, 4).unwrap(), elapsed(&snap, 5).unwrap());
    assert!(outer > inner, "{outer} {inner}");
}

#[test]
fn unmatched_entries_and_exits() {
    let snap = made_up(vec![
        exit(1_000, 0, 77, 0), // its entry was overwritten
        enter(2_000, 0, 1),    // still running at the snapshot
        enter(3_000, 0, 2),    // its exit was lost
        event(4_000, 0),
        exit(5_000, 0, 1, 2), // closes 2 as well
        event(6_000, 0),
        exit(7_000, 0, 2, 0), // late: pairs, at the thread's depth
        exit(8_000, 0, 2, 0), // a second exit for one entry
        enter(9_000, 0, 3),   // never exits
        event(10_000, 0),
    ]);
    assert_eq!(depths(&snap), [0, 0, 1, 2, 0, 0, 0, 0, 0, 1]);
    assert_eq!(elapsed(&snap, 0), None);
    assert!(elapsed(&snap, 4).is_some());
    assert!(elapsed(&snap, 6).is_some());
    assert_eq!(elapsed(&snap, 7), None);
    let lines = render_all(&snap);
    assert!(lines[0].ends_with("← app::work #0.77 elapsed=?"), "{}", lines[0]);
    assert!(lines[4].ends_with(" panicked"), "{}", lines[4]);
    assert!(lines[9].contains("[t0 100]   app: event"), "{}", lines[9]);
}

#[test]
fn duplicate_ids_pair_with_the_latest_entry() {
    let snap = made_up(vec![
        enter(1_000, 0, 5),
        enter(2_000, 0, 5), // the same id again: the first entry stays unpaired
        event(3_000, 0),
        exit(4_000, 0, 5, 0),
        event(5_000, 0),
    ]);
    // The first entry no longer counts: the duplicate replaced it.
    assert_eq!(depths(&snap), [0, 0, 1, 0, 0]);
    let ns = elapsed(&snap, 3).unwrap();
    assert!(ns < elapsed_between(&snap, 0, 3), "paired with the second entry");
    render_all(&snap);
}

fn elapsed_between(snap: &Snapshot, a: usize, b: usize) -> u64 {
    let h = snap.header.as_ref().unwrap();
    (h.unix_nanos(snap.events[b].ticks).unwrap() - h.unix_nanos(snap.events[a].ticks).unwrap()) as u64
}

#[test]
fn an_exit_on_another_thread_closes_the_call_where_it_was_opened() {
    let snap = made_up(vec![
        enter(1_000, 0, 1),
        event(2_000, 1),
        event(3_000, 0),
        exit(4_000, 1, 1, 0), // the future moved to thread 1
        event(5_000, 0),
        event(6_000, 1),
    ]);
    assert_eq!(depths(&snap), [0, 0, 1, 0, 0, 0]);
    assert!(elapsed(&snap, 3).is_some());
    render_all(&snap);
}

#[test]
fn malformed_ids_and_outcomes_render() {
    let snap = made_up(vec![
        (1_000, 0, ENTER_BAD_ID, vec![Value::Str(ttlog_decode::Text::whole("not an id"))]),
        event(2_000, 0),
        enter(3_000, 0, 0), // id 0: not pairable
        exit(4_000, 0, 0, 0),
        enter(5_000, 0, 9),
        exit(6_000, 0, 9, 200), // an outcome this decoder does not know
        enter(7_000, 0, 10),
        (8_000, 0, EXIT_NO_OUTCOME, vec![Value::U64(10)]),
        (9_000, 0, 99, vec![]),     // a callsite that is missing
        (10_000, 5, EVENT, vec![]), // a thread that is missing
    ]);
    assert_eq!(depths(&snap), [0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    let call = snap.events[5].call.unwrap();
    assert_eq!((call.outcome, call.unknown_outcome), (None, Some(200)));
    assert!(call.elapsed_ns.is_some());
    let lines = render_all(&snap);
    assert!(lines[5].ends_with(" outcome=200"), "{}", lines[5]);
    assert!(lines[7].contains("← app::work #0.10 elapsed="), "{}", lines[7]);
    let json: serde_json::Value = serde_json::from_str(&json_line(&snap, &snap.events[5])).unwrap();
    assert_eq!(json["outcome"], 200);
    assert_eq!(json["kind"], "exit");
    assert_eq!(json["call_id"], 9);
    // A snapshot without a header or a CLOCK frame (no clock calibration):
    // no elapsed times.
    let mut headless = snap.clone();
    headless.header = None;
    headless.calibration = None;
    pair(&mut headless);
    assert!(headless.events.iter().all(|e| e.call.is_none_or(|c| c.elapsed_ns.is_none())));
    render_all(&headless);
}

#[test]
fn every_outcome_has_a_word() {
    let snap = made_up(vec![
        enter(1, 0, 1),
        exit(2, 0, 1, Outcome::Returned as u8),
        enter(3, 0, 2),
        exit(4, 0, 2, Outcome::Err as u8),
        enter(5, 0, 3),
        exit(6, 0, 3, Outcome::Panicked as u8),
        enter(7, 0, 4),
        exit(8, 0, 4, Outcome::Cancelled as u8),
    ]);
    let lines = render_all(&snap);
    let ends: Vec<&str> = lines.iter().skip(1).step_by(2).map(|l| l.rsplit_once("elapsed=").unwrap().1).collect();
    assert!(!ends[0].contains(' '), "{}", ends[0]);
    assert!(ends[1].ends_with(" returned Err"), "{}", ends[1]);
    assert!(ends[2].ends_with(" panicked"), "{}", ends[2]);
    assert!(ends[3].ends_with(" cancelled"), "{}", ends[3]);
    let outcomes: Vec<String> = snap
        .events
        .iter()
        .skip(1)
        .step_by(2)
        .map(|e| serde_json::from_str::<serde_json::Value>(&json_line(&snap, e)).unwrap()["outcome"].to_string())
        .collect();
    assert_eq!(outcomes, ["\"returned\"", "\"err\"", "\"panicked\"", "\"cancelled\""]);
}

#[test]
fn durations_use_the_largest_unit_they_reach() {
    let cases = [
        (0, "0ns"),
        (999, "999ns"),
        (1_000, "1.000µs"),
        (12_345, "12.345µs"),
        (1_250_000, "1.250ms"),
        (999_999_999, "999.999ms"),
        (2_000_000_000, "2.000s"),
        (u64::MAX, "18446744073.709s"),
    ];
    for (ns, text) in cases {
        let mut s = String::new();
        ttlog_decode::render::line::write_duration(&mut s, ns);
        assert_eq!(s, text);
    }
}

// ---------------------------------------------------------------------------
// Real programs
// ---------------------------------------------------------------------------

#[ttlog(level = "debug")]
fn chatty(lines: u32) {
    for i in 0..lines {
        ttlog::debug!("line {i} of a call whose entry the ring will overwrite");
    }
}

#[ttlog]
fn takes_snapshot() -> Vec<u8> {
    ttlog::info!("inside");
    ttlog::snapshot("mid-call").to_bytes()
}

/// Runs `f` on a thread named `name`; returns the thread's events in `bytes`.
fn thread_events<'a>(snap: &'a Snapshot, name: &str) -> Vec<&'a Event> {
    snap.events.iter().filter(|e| snap.thread(e).is_some_and(|t| t.name == name)).collect()
}

#[test]
fn an_overwritten_entry_leaves_an_exit_without_elapsed_time() {
    setup();
    std::thread::Builder::new().name("overwrite".into()).spawn(|| chatty(5_000)).unwrap().join().unwrap();
    let snap = ttlog_decode::from_bytes(&ttlog::snapshot("overwrite").to_bytes()).unwrap();
    let evs = thread_events(&snap, "overwrite");
    let last = evs.last().unwrap();
    let call = last.call.expect("the exit is the thread's last event");
    assert_eq!(call.kind, CallsiteKind::Exit);
    assert_eq!(call.elapsed_ns, None);
    assert!(evs.iter().all(|e| snap.callsite(e).unwrap().kind != CallsiteKind::Enter));
    assert!(text_line(&snap, last).ends_with("elapsed=?"));
}

#[test]
fn a_snapshot_taken_inside_a_call_has_its_entry_only() {
    setup();
    let bytes = std::thread::Builder::new().name("mid-call".into()).spawn(takes_snapshot).unwrap().join().unwrap();
    let snap = ttlog_decode::from_bytes(&bytes).unwrap();
    let evs = thread_events(&snap, "mid-call");
    assert_eq!(evs.len(), 2, "{evs:?}");
    assert_eq!(evs[0].call.unwrap().kind, CallsiteKind::Enter);
    assert_eq!(evs[1].depth, 1);
    render_all(&snap);
}

struct NoopWaker;

impl Wake for NoopWaker {
    fn wake(self: Arc<Self>) {}
}

/// Pending once, then ready.
struct YieldOnce(bool);

impl Future for YieldOnce {
    type Output = ();

    fn poll(mut self: std::pin::Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.0 {
            return Poll::Ready(());
        }
        self.0 = true;
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

#[ttlog(ret)]
async fn migrates(n: u32) -> u32 {
    YieldOnce(false).await;
    ttlog::info!("resumed");
    n + 1
}

#[test]
fn an_async_call_that_moves_between_threads_pairs_across_them() {
    setup();
    let fut = Box::pin(migrates(1));
    let poll_on = |name: &str, mut fut: std::pin::Pin<Box<dyn Future<Output = u32> + Send>>| {
        std::thread::Builder::new()
            .name(name.into())
            .spawn(move || {
                let waker = Waker::from(Arc::new(NoopWaker));
                let poll = pin!(&mut fut).poll(&mut Context::from_waker(&waker));
                (poll, fut)
            })
            .unwrap()
            .join()
            .unwrap()
    };
    let (first, fut) = poll_on("poll-1", fut);
    assert!(first.is_pending());
    let (second, _) = poll_on("poll-2", fut);
    assert_eq!(second, Poll::Ready(2));
    let snap = ttlog_decode::from_bytes(&ttlog::snapshot("migrates").to_bytes()).unwrap();
    let (a, b) = (thread_events(&snap, "poll-1"), thread_events(&snap, "poll-2"));
    // The entry and the suspend of the first poll on one thread; the resume,
    // the event and the exit of the second on the other, the event nested
    // under the call that logged it.
    assert_eq!((a.len(), b.len()), (2, 3), "{a:?} {b:?}");
    let kinds = |evs: &[&ttlog_decode::Event]| evs.iter().map(|e| e.call.map(|c| c.kind)).collect::<Vec<_>>();
    use ttlog::callsite::CallsiteKind::{Enter, Exit, Resume, Suspend};
    assert_eq!(kinds(&a), [Some(Enter), Some(Suspend)]);
    assert_eq!(kinds(&b), [Some(Resume), None, Some(Exit)]);
    let (entry, exit) = (a[0].call.unwrap(), b[2].call.unwrap());
    assert_eq!(entry.id, exit.id);
    assert!(exit.elapsed_ns.is_some());
    assert_eq!(a.iter().map(|e| e.depth).collect::<Vec<_>>(), [0, 0]);
    assert_eq!(b.iter().map(|e| e.depth).collect::<Vec<_>>(), [0, 1, 0]);
    render_all(&snap);
}

// ---------------------------------------------------------------------------
// Damage
// ---------------------------------------------------------------------------

#[ttlog(ret, err)]
fn step(n: u32) -> Result<u32, String> {
    ttlog::info!("step {n}");
    if n.is_multiple_of(7) {
        return Err(format!("bad {n}"));
    }
    Ok(inner_step(n) + 1)
}

#[ttlog(level = "trace")]
fn inner_step(n: u32) -> u32 {
    ttlog::trace!("doubling {n}");
    n * 2
}

#[test]
fn damaged_snapshots_with_calls_decode_and_render() {
    setup();
    std::thread::Builder::new()
        .name("damage-calls".into())
        .spawn(|| {
            for n in 0..150 {
                let _ = step(n);
            }
        })
        .unwrap()
        .join()
        .unwrap();
    let bytes = ttlog::snapshot("damage-calls").to_bytes();
    let whole = ttlog_decode::from_bytes(&bytes).unwrap();
    assert!(whole.events.iter().any(|e| e.depth == 2));
    render_all(&whole);
    let mut rng = Rng::new(0x2545_F491_4F6C_DD1D);
    for n in 0..120 {
        let mut damaged = bytes.clone();
        let at = ttlog::wire::PREAMBLE_LEN + rng.index(bytes.len() - ttlog::wire::PREAMBLE_LEN);
        if n % 3 == 0 {
            damaged.truncate(at);
        } else {
            damaged[at] ^= 1 << (n % 8);
        }
        if let Ok(snap) = ttlog_decode::from_bytes(&damaged) {
            render_all(&snap);
        }
    }
}
