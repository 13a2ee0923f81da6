//! Concurrent threads (many alive and logging at once, then a snapshot that
//! accounts for every event) and concurrent buffers (buffers handed out over a
//! long run of short-lived threads, memory staying bounded).
//!
//! Both figures are counted, not taken from the plan: the threads that were
//! alive through the snapshot and whose every event it accounted for, and the
//! buffers ttlog handed to threads (`BufferStats::buffers_handed_out`). The
//! plan's thread count is in the key (`concurrent_threads.<planned>`) and in the
//! configuration, so that a shortfall reads as "9,998 of 10,000".

use crate::hot::os_tid;
use crate::machine::{peak_rss_bytes, rss_bytes};
use crate::model::{Better, Output};
use benches::Inputs;
use benches::messages::ttlog_log;
use std::collections::HashMap;
use std::hint::black_box;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::Instant;

/// Stack of each spawned thread: logging needs little.
const STACK: usize = 128 << 10;

/// The key of the concurrent-threads figure for a run of `planned` threads.
pub fn concurrent_threads_key(planned: usize) -> String {
    format!("concurrent_threads.{planned}")
}

/// Where the threads of [`concurrent_threads`] wait for the start and, once
/// they have logged, for the snapshot to be over; and where the main thread
/// waits for them to be ready. Unlike a `Barrier`, it does not need to know
/// in advance how many threads there will be: if a spawn fails, the threads
/// that did start are still measured.
#[derive(Default)]
struct Rendezvous {
    phase: Mutex<Phase>,
    /// The spawned threads wait on it.
    threads: Condvar,
    /// The main thread waits on it.
    main: Condvar,
}

#[derive(Default)]
struct Phase {
    started: bool,
    released: bool,
    /// Threads done logging (or that panicked while logging).
    ready: usize,
}

impl Rendezvous {
    fn lock(&self) -> MutexGuard<'_, Phase> {
        self.phase.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn wait(&self, cv: &Condvar, until: impl Fn(&Phase) -> bool) {
        let mut p = self.lock();
        while !until(&p) {
            p = cv.wait(p).unwrap_or_else(|e| e.into_inner());
        }
    }

    fn open(&self, set: impl FnOnce(&mut Phase)) {
        set(&mut self.lock());
        self.threads.notify_all();
    }
}

/// Counts a thread as ready when dropped: after it logged, or while a panic
/// unwinds, so that the main thread never waits for a thread that is gone.
struct Ready<'a>(&'a Rendezvous);

impl Drop for Ready<'_> {
    fn drop(&mut self) {
        self.0.lock().ready += 1;
        self.0.main.notify_one();
    }
}

/// What a thread reports about itself when it has finished.
struct Evidence {
    tid: u64,
    /// Events it logged (calls it made).
    logged: u64,
    /// When it had logged them all and started waiting.
    ready_at: Instant,
    /// When it stopped waiting (after the snapshot).
    left_at: Instant,
}

/// `threads` threads start together, each logs `events` events (twoIntegers)
/// and waits; while all wait, one snapshot. The figure is the number of threads
/// that (by their own clocks) were alive from before the snapshot began until
/// after it ended, that the snapshot shows alive, and whose every event it
/// accounts for: recorded + overwritten = what the thread says it logged,
/// which is `events`, and nothing dropped. The check holds when that is all
/// `threads`.
pub fn concurrent_threads(threads: usize, events: u64, ring: usize) -> Output {
    let mut out = Output::default();
    ttlog::Builder::new().buffer_size(ring).init().expect("configure ttlog");
    let r = Arc::new(Rendezvous::default());
    let t0 = Instant::now();
    let mut handles = Vec::with_capacity(threads);
    let mut spawn_error = None;
    for i in 0..threads {
        let r = Arc::clone(&r);
        let h = std::thread::Builder::new().name(format!("ct-{i}")).stack_size(STACK).spawn(move || {
            let ready = Ready(&r);
            r.wait(&r.threads, |p| p.started);
            let tid = os_tid();
            let mut logged = 0u64;
            while logged < events {
                ttlog_log::two_integers(black_box(&Inputs::NANOLOG));
                logged += 1;
            }
            let ready_at = Instant::now();
            drop(ready);
            r.wait(&r.threads, |p| p.released);
            Evidence { tid, logged, ready_at, left_at: Instant::now() }
        });
        match h {
            Ok(h) => handles.push(h),
            Err(e) => {
                spawn_error = Some(e);
                break;
            }
        }
    }
    let spawned = handles.len();
    let spawn_time = t0.elapsed();
    r.open(|p| p.started = true);
    r.wait(&r.main, |p| p.ready == spawned);
    let snap_start = Instant::now();
    let snap = ttlog::snapshot("concurrent threads");
    let snap_end = Instant::now();
    let stats = ttlog::buffer_stats();
    r.open(|p| p.released = true);
    let evidence: Vec<Evidence> = handles.into_iter().filter_map(|h| h.join().ok()).collect();

    // The snapshot's view of each thread alive in it, by OS thread id.
    let alive_in_snapshot: HashMap<u64, &ttlog::ThreadSnapshot> =
        snap.threads().iter().filter(|t| !t.exited()).map(|t| (t.tid(), t)).collect();
    let (mut through, mut shown, mut exact, mut counted) = (0usize, 0usize, 0usize, 0usize);
    let (mut logged, mut recorded, mut overwritten) = (0u64, 0u64, 0u64);
    for e in &evidence {
        logged += e.logged;
        let was_alive = e.ready_at <= snap_start && e.left_at >= snap_end;
        through += was_alive as usize;
        let Some(t) = alive_in_snapshot.get(&e.tid) else { continue };
        shown += 1;
        recorded += t.recorded();
        overwritten += t.overwritten();
        let accounted = e.logged == events && t.recorded() + t.overwritten() == e.logged && t.dropped() == 0;
        exact += accounted as usize;
        counted += (was_alive && accounted) as usize;
    }
    let spawn_note = spawn_error.map_or(String::new(), |e| format!("; spawning thread {} failed: {e}", spawned + 1));
    out.check(
        format!(
            "concurrent threads: {counted} of {threads} threads alive at once through a snapshot that accounts for \
             every event of each (spawned {spawned}, reported back {}, alive from before to after the snapshot {through}, \
             alive in it {shown}, exact {exact}; {recorded} recorded + {overwritten} overwritten of {logged} logged){spawn_note}",
            evidence.len()
        ),
        counted == threads,
    );
    let config = format!(
        "{threads} threads planned x {events} events (twoIntegers), ring {} KiB, memory budget 256 MiB; spawn {:.2} s, \
         snapshot {:.2} s; {} rings, {} MiB; counted: threads alive through the snapshot (their own clocks) and shown \
         alive in it with recorded + overwritten = logged, none dropped",
        ring >> 10,
        spawn_time.as_secs_f64(),
        (snap_end - snap_start).as_secs_f64(),
        stats.buffers,
        stats.bytes >> 20
    );
    out.metric(concurrent_threads_key(threads), counted as f64, "threads", Better::Higher, config);
    out
}

/// `total` short-lived threads, `wave` alive at a time, each logging `events`
/// events and exiting, under a memory budget of `budget` bytes of rings. The
/// figure is the number of buffers ttlog handed to these threads (new rings and
/// rings of exited threads reused), from its own counter; beside it the peak
/// resident memory. Checks that every thread that ran got a buffer, that every
/// event is accounted for (kept, or discarded when its exited thread's buffer
/// went to a new thread), and that memory stays bounded.
pub fn concurrent_buffers(total: usize, wave: usize, events: u64, ring: usize, budget: usize) -> Output {
    let mut out = Output::default();
    ttlog::Builder::new().buffer_size(ring).memory_budget(budget).init().expect("configure ttlog");
    let rss0 = rss_bytes();
    let stats0 = ttlog::buffer_stats();
    let ran = Arc::new(AtomicUsize::new(0));
    let logged = Arc::new(AtomicU64::new(0));
    let t0 = Instant::now();
    let mut started = 0usize;
    let mut spawn_failures = 0usize;
    while started < total {
        let n = wave.min(total - started);
        let mut handles = Vec::with_capacity(n);
        for i in 0..n {
            let (ran, logged) = (Arc::clone(&ran), Arc::clone(&logged));
            let h =
                std::thread::Builder::new().name(format!("cb-{}", started + i)).stack_size(STACK).spawn(move || {
                    let mut k = 0u64;
                    while k < events {
                        ttlog_log::two_integers(black_box(&Inputs::NANOLOG));
                        k += 1;
                    }
                    logged.fetch_add(k, Ordering::Relaxed);
                    ran.fetch_add(1, Ordering::Relaxed);
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
    }
    let elapsed = t0.elapsed();
    let ran = ran.load(Ordering::Relaxed);
    let logged = logged.load(Ordering::Relaxed);
    let stats = ttlog::buffer_stats();
    let handed = stats.buffers_handed_out - stats0.buffers_handed_out;
    let fresh = (stats.buffers - stats0.buffers) as u64;
    let reused = handed.saturating_sub(fresh);
    let peak = peak_rss_bytes();
    let snap = ttlog::snapshot("concurrent buffers");
    let kept: u64 = snap.threads().iter().map(|t| t.recorded() + t.overwritten()).sum();
    let dropped: u64 = snap.threads().iter().map(|t| t.dropped()).sum();
    let accounted = kept + stats.evicted_events + dropped;
    let ring_bytes = stats.bytes as u64;
    let growth = peak.saturating_sub(rss0);
    // Bounded: the rings (at most the budget), plus the threads' stacks and the
    // allocator's arenas, which do not grow with the number of threads run.
    let bound = budget as u64 + 64 * (1 << 20);
    let mib = |b: u64| b as f64 / (1 << 20) as f64;
    out.check(
        format!(
            "concurrent buffers: {ran} of {total} short-lived threads ran{}, and {handed} of them got a buffer \
             ({fresh} new rings, {reused} reused from exited threads)",
            if spawn_failures > 0 { format!(" ({spawn_failures} could not be spawned)") } else { String::new() }
        ),
        ran == total && handed == ran as u64,
    );
    out.check(
        format!(
            "concurrent buffers: every event accounted for \
             ({kept} kept + {} discarded on reuse + {dropped} dropped = {accounted} of {logged} logged)",
            stats.evicted_events
        ),
        accounted == logged && logged == ran as u64 * events,
    );
    out.check(
        format!(
            "concurrent buffers: ring memory within the budget ({} of {} MiB) and resident memory bounded \
             (peak {:.0} MiB, grew {:.0} MiB, bound {} MiB)",
            ring_bytes >> 20,
            budget >> 20,
            mib(peak),
            mib(growth),
            bound >> 20
        ),
        ring_bytes <= budget as u64 && growth <= bound,
    );
    let config = format!(
        "{total} threads planned, {wave} alive at a time, {events} events each (twoIntegers), ring {} KiB, memory budget \
         {} MiB; {:.1} s; buffers counted by ttlog (BufferStats::buffers_handed_out), peak memory is the process's VmHWM",
        ring >> 10,
        budget >> 20,
        elapsed.as_secs_f64()
    );
    out.metric("concurrent_buffers.provisioned", handed as f64, "buffers", Better::Higher, config.clone());
    out.metric("concurrent_buffers.threads_run", ran as f64, "threads", Better::Neither, config.clone());
    out.metric("concurrent_buffers.rings_allocated", stats.buffers as f64, "rings", Better::Neither, config.clone());
    out.metric("concurrent_buffers.rings_reused", reused as f64, "rings", Better::Neither, config.clone());
    out.metric("concurrent_buffers.ring_mib", mib(ring_bytes), "MiB", Better::Neither, config.clone());
    out.metric("concurrent_buffers.rss_peak_mib", mib(peak), "MiB", Better::Neither, config.clone());
    out.metric("concurrent_buffers.rss_growth_mib", mib(growth), "MiB", Better::Lower, config);
    out
}
