//! Rings whose memory follows what threads log, under the default settings
//! (64 KiB rings at most, a 256 MiB budget), each case in a process of its own
//! (settings are per process): the test runs this binary again with
//! `TTLOG_MEMORY_CASE` set.
//!
//! - `sparse`: 10,000 threads alive at once log 10 events each. Each holds one
//!   block, and one snapshot holds all 100,000 events.
//! - `dense`: 10,000 threads alive at once log 1,000 events of 48 bytes each,
//!   more than the budget holds. Blocks move from the threads that hold the
//!   most to the ones that need them: every thread keeps its most recent
//!   events, the memory stays within the budget, and for every thread
//!   recorded + overwritten + evicted = logged, exactly.

use std::process::Command;
use std::sync::{Arc, Barrier};

const CASE: &str = "TTLOG_MEMORY_CASE";
const THREADS: usize = 10_000;

fn peak_rss_mib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kib: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0);
    kib >> 10
}

/// `THREADS` threads log `events` events each (`log(thread, i)`), all alive
/// when the snapshot is taken; returns the snapshot.
fn run(events: u64, log: fn(u32, u64)) -> ttlog::Snapshot {
    let logged = Arc::new(Barrier::new(THREADS + 1));
    let release = Arc::new(Barrier::new(THREADS + 1));
    let handles: Vec<_> = (0..THREADS)
        .map(|t| {
            let (logged, release) = (logged.clone(), release.clone());
            std::thread::Builder::new()
                .name(format!("m-{t}"))
                .stack_size(64 * 1024)
                .spawn(move || {
                    for i in 0..events {
                        log(t as u32, i);
                    }
                    logged.wait();
                    release.wait();
                })
                .expect("spawn")
        })
        .collect();
    logged.wait();
    let snap = ttlog::snapshot(if events > 100 { "dense" } else { "sparse" });
    release.wait();
    for h in handles {
        h.join().expect("a logging thread");
    }
    snap
}

/// The last events of each thread in the snapshot, decoded: for every thread
/// `m-N`, the sequence numbers its events carry, in order.
fn events_by_thread(snap: &ttlog::Snapshot) -> Vec<Vec<u64>> {
    let decoded = ttlog_decode::from_bytes(&snap.to_bytes()).expect("decodes");
    assert!(decoded.is_intact(), "{:?}", decoded.problems);
    let mut by: Vec<Vec<u64>> = vec![Vec::new(); THREADS];
    for e in &decoded.events {
        let Some(t) = decoded.thread(e).and_then(|t| t.name.strip_prefix("m-")?.parse::<usize>().ok()) else {
            continue;
        };
        let Some(ttlog_decode::Value::U64(i)) = decoded.args(e).get(1) else { panic!("no sequence number") };
        by[t].push(i);
    }
    by
}

fn sparse() {
    let snap = run(10, |t, i| ttlog::info!("thread {} event {}", t, i));
    let stats = ttlog::buffer_stats();
    let logged_rss = peak_rss_mib();
    let by = events_by_thread(&snap);
    for (t, seqs) in by.iter().enumerate() {
        assert_eq!(seqs, &(0..10).collect::<Vec<u64>>(), "thread {t}");
    }
    for th in snap.threads().iter().filter(|t| t.name().starts_with("m-")) {
        assert_eq!((th.recorded(), th.overwritten(), th.evicted(), th.dropped()), (10, 0, 0, 0), "{}", th.name());
    }
    assert_eq!(
        snap.event_count()
            - snap.threads().iter().filter(|t| !t.name().starts_with("m-")).map(|t| t.recorded()).sum::<u64>(),
        100_000
    );
    // One block per thread (and a few for the test's own threads).
    assert!(stats.blocks <= THREADS + 16, "{stats:?}");
    println!(
        "sparse: 100,000 events of 10,000 threads in the snapshot; {} blocks ({} MiB); peak RSS {logged_rss} MiB \
         with the snapshot taken, {} MiB once the test decoded it",
        stats.blocks,
        stats.bytes >> 20,
        peak_rss_mib()
    );
}

fn dense() {
    const EVENTS: u64 = 1_000;
    let snap = run(EVENTS, |t, i| ttlog::info!("thread {} event {} at {} of {}", t, i, i * 3, "dense"));
    let stats = ttlog::buffer_stats();
    let logged_rss = peak_rss_mib();
    let by = events_by_thread(&snap);
    let mut evicted = 0;
    let mut fewest = u64::MAX;
    for th in snap.threads().iter().filter(|t| t.name().starts_with("m-")) {
        let t: usize = th.name()["m-".len()..].parse().expect("a thread number");
        assert_eq!(th.dropped(), 0, "{}", th.name());
        assert_eq!(th.recorded() + th.overwritten() + th.evicted(), EVENTS, "{}", th.name());
        // The most recent events, without a gap.
        let seqs = &by[t];
        assert_eq!(seqs.len() as u64, th.recorded());
        let first = EVENTS - th.recorded();
        assert_eq!(seqs, &(first..EVENTS).collect::<Vec<u64>>(), "{}", th.name());
        assert!(th.recorded() > 0, "{} kept nothing", th.name());
        evicted += th.evicted();
        fewest = fewest.min(th.recorded());
    }
    assert!(stats.bytes <= ttlog::DEFAULT_MEMORY_BUDGET, "{stats:?}");
    assert!(evicted > 0, "the budget was never spent: {stats:?}");
    println!(
        "dense: {} blocks ({} MiB, budget {} MiB); {evicted} events evicted; every thread kept at least {fewest} of \
         its last events; peak RSS {logged_rss} MiB with the snapshot taken, {} MiB once the test decoded it",
        stats.blocks,
        stats.bytes >> 20,
        ttlog::DEFAULT_MEMORY_BUDGET >> 20,
        peak_rss_mib()
    );
}

/// Runs one case in a child process.
fn child(case: &str) {
    let out = Command::new(std::env::current_exe().expect("this test"))
        .args(["--exact", "child_entry", "--nocapture", "--test-threads=1"])
        .env(CASE, case)
        .output()
        .expect("run the child");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{case}: {}\n{stdout}\n{stderr}", out.status);
    assert!(stdout.contains(&format!("{case}: ")), "{case} did not run:\n{stdout}");
    for line in stdout.lines().filter_map(|l| l.find(&format!("{case}: ")).map(|at| &l[at..])) {
        println!("{line}");
    }
}

/// Entry point of the child process; a no-op in a normal test run.
#[test]
fn child_entry() {
    match std::env::var(CASE).as_deref() {
        Ok("sparse") => sparse(),
        Ok("dense") => dense(),
        _ => {}
    }
}

#[test]
fn ten_thousand_threads_of_ten_events_are_all_kept() {
    child("sparse");
}

#[test]
fn ten_thousand_busy_threads_share_the_budget() {
    child("dense");
}
