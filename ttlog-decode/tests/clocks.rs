//! Every clock, end to end. The clock is chosen once per process, so each runs in
//! a child process (this test binary again, with `TTLOG_CLOCK_CHILD` naming the
//! clock): two threads log around a pause, the child saves a snapshot, and the
//! parent checks that the decoded times fall inside the wall-clock window of the
//! child's run, keep each thread's order, and show the pause.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

const CHILD: &str = "TTLOG_CLOCK_CHILD";
const OUT: &str = "TTLOG_CLOCK_TEST_FILE";
const PAUSE: Duration = Duration::from_millis(60);

fn clock_named(name: &str) -> ttlog::Clock {
    match name {
        "tsc" => ttlog::Clock::Tsc,
        "monotonic" => ttlog::Clock::Monotonic,
        "coarse" => ttlog::Clock::Coarse,
        "none" => ttlog::Clock::None,
        other => panic!("unknown clock {other}"),
    }
}

fn child(name: &str, out: &Path) {
    ttlog::Builder::new().clock(clock_named(name)).init().expect("the clock is chosen before any event");
    let worker = std::thread::Builder::new()
        .name("clock-worker".into())
        .spawn(|| {
            for i in 0..100u32 {
                ttlog::info!("worker before {}", i);
            }
            std::thread::sleep(PAUSE);
            ttlog::info!("worker after");
        })
        .unwrap();
    ttlog::info!("main before");
    std::thread::sleep(PAUSE);
    ttlog::info!("main after");
    worker.join().unwrap();
    assert_eq!(ttlog::clock::clock(), clock_named(name));
    ttlog::snapshot("clock test").save(out).unwrap();
}

/// Entry point of the child process: run only by the tests below, as a child.
#[test]
#[ignore = "run as a child process by the clock tests"]
fn clock_child() {
    let name = std::env::var(CHILD).expect("run as a child by the clock tests");
    let out = std::env::var(OUT).expect("run as a child by the clock tests");
    child(&name, Path::new(&out));
}

fn unix_now() -> i128 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_nanos() as i128
}

/// Runs the child for `name`; returns its snapshot and the wall-clock window
/// around the child's run.
fn run(name: &str) -> (ttlog_decode::Snapshot, i128, i128) {
    let file: PathBuf = std::env::temp_dir().join(format!("ttlog-clock-{}-{name}.ttlog", std::process::id()));
    let _ = std::fs::remove_file(&file);
    let before = unix_now();
    let out = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "clock_child", "--include-ignored", "--nocapture", "--test-threads=1"])
        .env(CHILD, name)
        .env(OUT, &file)
        .output()
        .unwrap();
    let after = unix_now();
    assert!(out.status.success(), "{name}: child failed\n{}", String::from_utf8_lossy(&out.stderr));
    let snap = ttlog_decode::read_file(&file).unwrap_or_else(|e| panic!("{name}: {e}"));
    let _ = std::fs::remove_file(&file);
    assert!(snap.is_intact(), "{name}: {:?}", snap.problems);
    assert_eq!(snap.header.as_ref().unwrap().clock, clock_named(name));
    (snap, before, after)
}

fn message(snap: &ttlog_decode::Snapshot, e: &ttlog_decode::Event) -> String {
    ttlog_decode::render::message::message(snap.callsite(e).unwrap(), snap.args(e))
}

/// The decoded time of the one event whose message is `m`.
fn time_of(snap: &ttlog_decode::Snapshot, m: &str) -> i128 {
    let e = snap.events.iter().find(|e| message(snap, e) == m).unwrap_or_else(|| panic!("no event {m:?}"));
    snap.unix_nanos(e).unwrap_or_else(|| panic!("event {m:?} has no time"))
}

fn check_timed(name: &str, slack: Duration) {
    let (snap, before, after) = run(name);
    assert_eq!(snap.events.len(), 103, "{name}");
    let slack = slack.as_nanos() as i128;
    for e in &snap.events {
        let t = snap.unix_nanos(e).unwrap_or_else(|| panic!("{name}: an event without a time"));
        assert!(
            (before - slack..=after + slack).contains(&t),
            "{name}: event {:?} at {t}, outside the child's run {before}..={after}",
            message(&snap, e)
        );
    }
    // Each thread's events in the order they were logged, times never going back.
    for thread in 0..snap.threads.len() as u32 {
        let times: Vec<i128> =
            snap.events.iter().filter(|e| e.thread == thread).filter_map(|e| snap.unix_nanos(e)).collect();
        assert!(times.windows(2).all(|w| w[0] <= w[1]), "{name}: thread {thread} goes back in time: {times:?}");
    }
    // The pause shows, less what a coarse clock may lag by.
    let pause = PAUSE.as_nanos() as i128 - slack;
    let main = time_of(&snap, "main after") - time_of(&snap, "main before");
    let worker = time_of(&snap, "worker after") - time_of(&snap, "worker before 99");
    assert!(main >= pause, "{name}: main's pause measured {main} ns");
    assert!(worker >= pause, "{name}: the worker's pause measured {worker} ns");
}

#[test]
fn tsc_times_decode_to_wall_clock() {
    if ttlog::Clock::default_for_this_machine() == ttlog::Clock::Tsc {
        check_timed("tsc", Duration::from_millis(1));
    } else {
        eprintln!("the time-stamp counter is not invariant on this machine: the tsc clock is not checked");
    }
}

#[test]
fn monotonic_times_decode_to_wall_clock() {
    check_timed("monotonic", Duration::from_millis(1));
}

#[test]
fn coarse_times_decode_to_wall_clock() {
    // The ticker stores the time every millisecond; on a loaded machine its
    // thread may wait for a core longer than that.
    check_timed("coarse", Duration::from_millis(25));
}

#[test]
fn no_clock_keeps_order_without_times() {
    let (snap, _, _) = run("none");
    assert_eq!(snap.events.len(), 103);
    assert!(snap.events.iter().all(|e| snap.unix_nanos(e).is_none()));
    let worker: Vec<String> = snap
        .events
        .iter()
        .filter(|e| snap.thread(e).is_some_and(|t| t.name == "clock-worker"))
        .map(|e| message(&snap, e))
        .collect();
    let expected: Vec<String> =
        (0..100).map(|i| format!("worker before {i}")).chain(std::iter::once("worker after".to_owned())).collect();
    assert_eq!(worker, expected);
}
