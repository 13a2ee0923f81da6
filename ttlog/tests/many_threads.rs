//! 10,000 threads alive at once, all logging past the capacity of their rings,
//! then one snapshot: for every thread, recorded + overwritten = logged,
//! exactly, and the recorded events are the thread's last ones. Memory is the
//! sum of the rings.

use std::sync::{Arc, Barrier};
use std::time::Instant;

const THREADS: usize = 10_000;
const EVENTS: u64 = 1_000;
const RING: usize = 16 * 1024;

fn peak_rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

#[test]
fn ten_thousand_threads_every_event_accounted_for() {
    ttlog::Builder::new().buffer_size(RING).memory_budget(THREADS * RING + (8 << 20)).init().unwrap();
    let logged = Arc::new(Barrier::new(THREADS + 1));
    let release = Arc::new(Barrier::new(THREADS + 1));
    let started = Instant::now();
    let handles: Vec<_> = (0..THREADS)
        .map(|t| {
            let logged = logged.clone();
            let release = release.clone();
            std::thread::Builder::new()
                .name(format!("t-{t}"))
                .stack_size(64 * 1024)
                .spawn(move || {
                    for i in 0..EVENTS {
                        ttlog::info!("thread {} event {}", t as u32, i);
                    }
                    logged.wait();
                    release.wait();
                })
                .expect("spawn")
        })
        .collect();
    logged.wait();
    let spawned = started.elapsed();

    // Every thread is alive and has logged all its events.
    let t0 = Instant::now();
    let snap = ttlog::snapshot("ten-thousand");
    let capture = t0.elapsed();
    let t1 = Instant::now();
    let bytes = snap.to_bytes();
    let write = t1.elapsed();

    let stats = ttlog::buffer_stats();
    let mut seen = 0;
    let mut recorded_total = 0u64;
    for th in snap.threads() {
        let Some(t) = th.name().strip_prefix("t-") else { continue };
        let _: usize = t.parse().unwrap();
        assert!(!th.exited(), "{}", th.name());
        assert_eq!(th.dropped(), 0, "{}", th.name());
        assert_eq!(
            th.recorded() + th.overwritten(),
            EVENTS,
            "{}: recorded {} overwritten {}",
            th.name(),
            th.recorded(),
            th.overwritten()
        );
        assert!(th.overwritten() > 0, "the ring should have wrapped");
        recorded_total += th.recorded();
        seen += 1;
    }
    assert_eq!(seen, THREADS);
    assert_eq!(stats.buffers, THREADS, "one buffer per thread, no more");
    assert_eq!(stats.bytes, THREADS * RING);
    assert_eq!(stats.active_threads, THREADS);
    let rss_recorder = peak_rss_kib();
    release.wait();
    for h in handles {
        h.join().unwrap();
    }

    // Spot-check the file: it decodes, and a thread's events are its last ones.
    let decoded = ttlog_decode::from_bytes(&bytes).unwrap();
    assert!(decoded.is_intact(), "{:?}", decoded.problems);
    assert_eq!(decoded.events.len() as u64, recorded_total);
    let last = decoded
        .events
        .iter()
        .rfind(|e| decoded.thread(e).is_some_and(|t| t.name == "t-4242"))
        .map(|e| ttlog_decode::render::message::message(decoded.callsite(e).unwrap(), decoded.args(e)));
    assert_eq!(last.as_deref(), Some("thread 4242 event 999"));

    println!(
        "{THREADS} threads: spawned and logged in {spawned:?}; snapshot capture {capture:?}, write {write:?} \
         ({recorded_total} events, {} bytes); ring memory {} MiB; peak RSS {} MiB with the snapshot \
         taken and written, {} MiB after decoding it all",
        bytes.len(),
        stats.bytes >> 20,
        rss_recorder >> 10,
        peak_rss_kib() >> 10
    );
}
