//! Concurrent threads (many alive and logging at once, then a snapshot that
//! accounts for every event) and concurrent buffers (buffers handed out over a
//! long run of short-lived threads, memory staying bounded).

use crate::machine::rss_bytes;
use crate::model::{Better, Output};
use benches::messages::ttlog_log;
use benches::{Inputs, Message};
use std::sync::{Arc, Barrier};
use std::time::Instant;

/// Stack of each spawned thread: logging needs little.
const STACK: usize = 128 << 10;

/// `threads` threads start together, each logs `events` events (twoIntegers),
/// and while all are still alive a snapshot must show, for each, recorded +
/// overwritten = `events` and nothing dropped.
pub fn concurrent_threads(threads: usize, events: u64, ring: usize) -> Output {
    let mut out = Output::default();
    ttlog::Builder::new().buffer_size(ring).init().expect("configure ttlog");
    let start = Arc::new(Barrier::new(threads + 1));
    let logged = Arc::new(Barrier::new(threads + 1));
    let exit = Arc::new(Barrier::new(threads + 1));
    let t0 = Instant::now();
    let mut handles = Vec::with_capacity(threads);
    let mut spawn_error = None;
    for i in 0..threads {
        let (start, logged, exit) = (Arc::clone(&start), Arc::clone(&logged), Arc::clone(&exit));
        let h = std::thread::Builder::new().name(format!("ct-{i}")).stack_size(STACK).spawn(move || {
            start.wait();
            ttlog_log::run(Message::TwoIntegers, events, &Inputs::NANOLOG);
            logged.wait();
            exit.wait();
        });
        match h {
            Ok(h) => handles.push(h),
            Err(e) => {
                spawn_error = Some(e);
                break;
            }
        }
    }
    if let Some(e) = spawn_error {
        // The spawned threads wait on barriers sized for all: they cannot be
        // released; the process exits with them.
        out.check(format!("concurrent threads: spawned {} of {threads} threads: {e}", handles.len()), false);
        return out;
    }
    let spawned = t0.elapsed();
    start.wait();
    logged.wait();
    let snap_t0 = Instant::now();
    let snap = ttlog::snapshot("concurrent threads");
    let snap_time = snap_t0.elapsed();
    let stats = ttlog::buffer_stats();
    exit.wait();
    for h in handles {
        let _ = h.join();
    }
    let mine: Vec<_> = snap.threads().iter().filter(|t| t.name().starts_with("ct-")).collect();
    let exact = mine.iter().filter(|t| t.recorded() + t.overwritten() == events && t.dropped() == 0).count();
    let overwritten: u64 = mine.iter().map(|t| t.overwritten()).sum();
    let recorded: u64 = mine.iter().map(|t| t.recorded()).sum();
    let alive = mine.iter().filter(|t| !t.exited()).count();
    let ok = mine.len() == threads && exact == threads && alive == threads;
    out.check(
        format!(
            "concurrent threads: {threads} threads alive and logging, snapshot accounts for all {} events \
             ({recorded} recorded + {overwritten} overwritten; {exact} of {threads} threads exact)",
            threads as u64 * events
        ),
        ok,
    );
    let config = format!(
        "{threads} threads x {events} events (twoIntegers), ring {} KiB, memory budget 256 MiB; spawn {:.2} s, snapshot {:.2} s; {} rings, {} MiB",
        ring >> 10,
        spawned.as_secs_f64(),
        snap_time.as_secs_f64(),
        stats.buffers,
        stats.bytes >> 20
    );
    out.metric(format!("concurrent_threads.{threads}"), if ok { threads as f64 } else { 0.0 }, "threads", Better::Higher, config);
    out
}

/// `total` short-lived threads, `wave` alive at a time, each logging `events`
/// events and exiting, under a memory budget of `budget` bytes of rings: counts
/// the buffers handed out, checks that every event is accounted for (kept, or
/// discarded when its exited thread's buffer went to a new thread), and that
/// resident memory stays bounded.
pub fn concurrent_buffers(total: usize, wave: usize, events: u64, ring: usize, budget: usize) -> Output {
    let mut out = Output::default();
    ttlog::Builder::new().buffer_size(ring).memory_budget(budget).init().expect("configure ttlog");
    let rss0 = rss_bytes();
    let mut rss_peak = rss0;
    let t0 = Instant::now();
    let mut started = 0usize;
    let mut spawn_failures = 0usize;
    while started < total {
        let n = wave.min(total - started);
        let mut handles = Vec::with_capacity(n);
        for i in 0..n {
            let h = std::thread::Builder::new().name(format!("cb-{}", started + i)).stack_size(STACK).spawn(move || {
                ttlog_log::run(Message::TwoIntegers, events, &Inputs::NANOLOG);
            });
            match h {
                Ok(h) => handles.push(h),
                Err(_) => spawn_failures += 1,
            }
        }
        started += n;
        for h in handles {
            let _ = h.join();
        }
        if started.is_multiple_of(wave * 16) || started == total {
            rss_peak = rss_peak.max(rss_bytes());
        }
    }
    let elapsed = t0.elapsed();
    let ran = (total - spawn_failures) as u64;
    let stats = ttlog::buffer_stats();
    let snap = ttlog::snapshot("concurrent buffers");
    let kept: u64 = snap.threads().iter().map(|t| t.recorded() + t.overwritten()).sum();
    let dropped: u64 = snap.threads().iter().map(|t| t.dropped()).sum();
    let logged = ran * events;
    let accounted = kept + stats.evicted_events + dropped;
    let ring_bytes = stats.bytes as u64;
    let growth = rss_peak.saturating_sub(rss0);
    // Bounded: the rings (at most the budget), plus the threads' stacks and the
    // allocator's arenas, which do not grow with the number of threads run.
    let bound = budget as u64 + 64 * (1 << 20);
    out.check(
        format!(
            "concurrent buffers: {ran} short-lived threads, every event accounted for \
             ({kept} kept + {} discarded on reuse + {dropped} dropped = {accounted} of {logged})",
            stats.evicted_events
        ),
        accounted == logged && spawn_failures == 0,
    );
    out.check(
        format!(
            "concurrent buffers: ring memory within the budget ({} of {} MiB) and resident memory bounded (grew {} MiB, bound {} MiB)",
            ring_bytes >> 20,
            budget >> 20,
            growth >> 20,
            bound >> 20
        ),
        ring_bytes <= budget as u64 && growth <= bound,
    );
    let config = format!(
        "{total} threads, {wave} alive at a time, {events} events each (twoIntegers), ring {} KiB, memory budget {} MiB; {:.1} s",
        ring >> 10,
        budget >> 20,
        elapsed.as_secs_f64()
    );
    out.metric("concurrent_buffers.provisioned", (ran - stats.bufferless as u64) as f64, "buffers", Better::Higher, config.clone());
    out.metric("concurrent_buffers.rings_allocated", stats.buffers as f64, "rings", Better::Neither, config.clone());
    out.metric("concurrent_buffers.ring_mib", ring_bytes as f64 / (1 << 20) as f64, "MiB", Better::Neither, config.clone());
    out.metric("concurrent_buffers.rss_growth_mib", growth as f64 / (1 << 20) as f64, "MiB", Better::Lower, config);
    out
}
