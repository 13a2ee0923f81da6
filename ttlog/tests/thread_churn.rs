//! 100,000 short-lived threads, over a thousand alive at a time, under a memory
//! budget far below what a buffer per thread would take. The number of buffers
//! and the resident memory stay bounded, and snapshots taken all along are
//! consistent: no event attributed to the wrong thread, no gap, every loss
//! counted.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

const TOTAL: usize = 100_000;
const ALIVE: usize = 1_000;
const RING: usize = 16 * 1024;
const BUDGET: usize = 2_048 * RING; // 32 MiB: room for 2,048 buffers

fn rss_kib(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// Checks one snapshot: each thread's events name that thread, and run on
/// contiguously from its count of overwritten events.
fn check(snap: &ttlog::Snapshot) -> usize {
    let decoded = ttlog_decode::from_bytes(&snap.to_bytes()).unwrap();
    assert!(decoded.is_intact(), "{:?}", decoded.problems);
    let mut per_thread: HashMap<u32, Vec<u64>> = HashMap::new();
    for e in &decoded.events {
        let th = decoded.thread(e).unwrap();
        let Some(id) = th.name.strip_prefix("churn-") else { continue };
        let msg = ttlog_decode::render::message::message(decoded.callsite(e).unwrap(), decoded.args(e));
        let (who, seq) = msg.strip_prefix("churn thread ").and_then(|r| r.split_once(" event ")).unwrap();
        assert_eq!(who, id, "an event of thread {who} attributed to thread {id}");
        per_thread.entry(e.thread).or_default().push(seq.parse().unwrap());
    }
    for (index, seqs) in &per_thread {
        let th = decoded.threads[*index as usize].as_ref().unwrap();
        assert_eq!(seqs.len() as u64, th.recorded);
        for (k, s) in seqs.iter().enumerate() {
            assert_eq!(*s, th.overwritten + th.evicted + k as u64, "{}: gap or duplicate", th.name);
        }
    }
    per_thread.len()
}

#[test]
fn a_hundred_thousand_short_threads_stay_within_the_budget() {
    ttlog::Builder::new().buffer_size(RING).memory_budget(BUDGET).init().unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let checker = {
        let stop = stop.clone();
        std::thread::Builder::new()
            .name("checker".into())
            .spawn(move || {
                let mut snaps = 0;
                let mut threads_seen = 0;
                while !stop.load(Ordering::Relaxed) {
                    threads_seen += check(&ttlog::snapshot("churn"));
                    snaps += 1;
                }
                (snaps, threads_seen)
            })
            .unwrap()
    };

    let started = Instant::now();
    let mut alive = VecDeque::with_capacity(ALIVE + 1);
    let mut max_buffers = 0;
    for n in 0..TOTAL {
        let h = std::thread::Builder::new()
            .name(format!("churn-{n}"))
            .stack_size(64 * 1024)
            .spawn(move || {
                // Some threads fill their ring; most log a little.
                let events = if n % 100 == 0 { 2_000 } else { 20 };
                for i in 0..events {
                    ttlog::info!("churn thread {} event {}", n as u32, i as u64);
                }
                std::thread::sleep(std::time::Duration::from_micros(200));
            })
            .expect("spawn");
        alive.push_back(h);
        if alive.len() > ALIVE {
            alive.pop_front().unwrap().join().unwrap();
        }
        if n % 10_000 == 0 {
            max_buffers = max_buffers.max(ttlog::buffer_stats().buffers);
        }
    }
    for h in alive {
        h.join().unwrap();
    }
    let elapsed = started.elapsed();
    stop.store(true, Ordering::Relaxed);
    let (snaps, threads_seen) = checker.join().unwrap();
    let stats = ttlog::buffer_stats();
    let final_threads = check(&ttlog::snapshot("churn-end"));
    let peak = rss_kib("VmHWM:");

    // Every block ever made fits in the budget; exited threads' blocks were
    // taken rather than new ones made.
    assert!(stats.blocks <= BUDGET / ttlog::BLOCK_BYTES, "{stats:?}");
    assert_eq!(stats.bytes, stats.blocks * ttlog::BLOCK_BYTES);
    assert!(stats.evicted_events > 0, "blocks of exited threads were never taken: {stats:?}");
    assert_eq!(stats.buffers_handed_out, TOTAL as u64, "{stats:?}");
    // Without reuse, 100,000 rings would take 1.6 GB; the process stays far
    // below: the budget plus stacks of the live threads and snapshot copies.
    assert!(peak < 128 << 10, "peak RSS {} MiB", peak >> 10);
    assert!(snaps >= 2, "the checker took only {snaps} snapshots");
    println!(
        "{TOTAL} threads ({ALIVE} alive at a time) in {elapsed:?}: {} blocks ({} MiB) held by {} threads, \
         {} buffer-less, {} events evicted; {snaps} concurrent snapshots checked ({threads_seen} thread copies), \
         {final_threads} threads in the last; peak RSS {} MiB",
        stats.blocks,
        stats.bytes >> 20,
        stats.buffers,
        stats.bufferless,
        stats.evicted_events,
        peak >> 10
    );
}
