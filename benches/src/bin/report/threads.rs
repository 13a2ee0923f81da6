//! Events per second with several threads logging at once, and raw buffer
//! operations per second with a snapshot reader running.

use crate::model::{Better, Output};
use crate::stats::median;
use benches::messages::ttlog_log;
use benches::pool::{Job, Pool};
use benches::threads::{MESSAGE, counts, job};
use benches::{Inputs, Logger, Message};
use std::hint::black_box;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

pub struct Options {
    pub rounds: usize,
    /// Wall time one round of one configuration should take.
    pub target: Duration,
}

/// Events per second, ttlog (twoIntegers) and the floor, for each thread count;
/// the counts take turns round after round.
pub fn events_per_second(o: &Options) -> Output {
    let mut out = Output::default();
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let counts = counts(cores);
    let m = MESSAGE;

    // Per-thread events per round, from a one-thread estimate.
    let probe = Pool::new(1, "probe").expect("spawn a thread");
    let n0 = 200_000u64;
    let t = probe.run(job(Logger::Ttlog, n0).expect("ttlog's job"));
    drop(probe);
    let per_event = t.as_secs_f64() / n0 as f64;
    let total_per_round = ((o.target.as_secs_f64() / per_event) as u64).max(10_000);

    struct Config {
        n: usize,
        pool: Pool,
        per_thread: u64,
        ttlog: Vec<f64>,
        floor: Vec<f64>,
    }
    let mut configs: Vec<Config> = counts
        .iter()
        .map(|&n| {
            let pool = Pool::new(n, &format!("eps{n}")).expect("spawn the threads");
            // Each thread's first event sets up its ring: before measuring.
            pool.run(Arc::new(|_| ttlog_log::run(Message::StaticString, 1, &Inputs::NANOLOG)));
            let per_thread = (total_per_round * n.min(cores) as u64 / n as u64).max(1000);
            Config { n, pool, per_thread, ttlog: Vec::new(), floor: Vec::new() }
        })
        .collect();

    for _ in 0..o.rounds {
        for c in configs.iter_mut() {
            let k = c.per_thread;
            let t = c.pool.run(job(Logger::Ttlog, k).expect("ttlog's job"));
            c.ttlog.push((c.n as u64 * k) as f64 / t.as_secs_f64());
            if c.n <= cores {
                let t = c.pool.run(job(Logger::Floor, k).expect("the floor's job"));
                c.floor.push((c.n as u64 * k) as f64 / t.as_secs_f64());
            }
        }
    }

    let one = configs.iter().find(|c| c.n == 1).map(|c| median(&c.ttlog));
    let one_floor = configs.iter().find(|c| c.n == 1).map(|c| median(&c.floor));
    for c in &configs {
        let config = format!(
            "{} thread(s) on {cores} cores, {m}, default clock, 64 KiB rings, {} events per thread per round, wall time, median of {} rounds",
            c.n, c.per_thread, o.rounds
        );
        let eps = median(&c.ttlog);
        out.metric(format!("eps.ttlog.{}_threads", c.n), eps, "events/s", Better::Higher, config.clone());
        if !c.floor.is_empty() {
            out.metric(
                format!("eps.floor.{}_threads", c.n),
                median(&c.floor),
                "events/s",
                Better::Neither,
                config.clone(),
            );
        }
        if c.n > 1 && c.n <= cores {
            if let Some(one) = one {
                out.metric(format!("eps.ttlog.scaling_{}_over_1", c.n), eps / one, "x", Better::Higher, config.clone());
            }
            if let Some(one) = one_floor {
                out.metric(
                    format!("eps.floor.scaling_{}_over_1", c.n),
                    median(&c.floor) / one,
                    "x",
                    Better::Neither,
                    config,
                );
            }
        }
    }

    // Every event of every thread is in a snapshot (recorded or overwritten).
    let snap = ttlog::snapshot("threads");
    let mut ok = true;
    for c in &configs {
        let rounds = o.rounds as u64;
        let expected = 1 + rounds * c.per_thread;
        let prefix = format!("eps{}-", c.n);
        let mine: Vec<_> = snap.threads().iter().filter(|t| t.name().starts_with(&prefix)).collect();
        ok &= mine.len() == c.n && mine.iter().all(|t| t.recorded() + t.overwritten() == expected && t.dropped() == 0);
    }
    out.check("events per second: a snapshot accounts for every event of every thread", ok);
    drop(configs);
    out
}

/// Raw reserve+commit operations per second on the calling threads' rings,
/// with and without a thread that takes snapshots in a loop.
pub fn buffer_ops(o: &Options) -> Output {
    let mut out = Output::default();
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let writers = cores.saturating_sub(1).max(1);
    let pool = Pool::new(writers, "ops").expect("spawn the writers");
    pool.run(Arc::new(|_| {
        ttlog::__private::raw_reserve_commit();
    }));

    let reading = Arc::new(AtomicBool::new(false));
    let stop = Arc::new(AtomicBool::new(false));
    let snapshots = Arc::new(AtomicU64::new(0));
    let reader = {
        let (reading, stop, snapshots) = (Arc::clone(&reading), Arc::clone(&stop), Arc::clone(&snapshots));
        std::thread::Builder::new()
            .name("snapshot-reader".into())
            .spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    if reading.load(Ordering::Relaxed) {
                        let s = ttlog::snapshot("reader");
                        black_box(s.event_count());
                        snapshots.fetch_add(1, Ordering::Relaxed);
                    } else {
                        std::thread::sleep(Duration::from_micros(200));
                    }
                }
            })
            .expect("spawn the reader")
    };

    let k0 = 1_000_000u64;
    let t = pool.run(Arc::new(move |_| {
        for _ in 0..k0 {
            black_box(ttlog::__private::raw_reserve_commit());
        }
    }));
    let k = ((o.target.as_secs_f64() / (t.as_secs_f64() / k0 as f64)) as u64).max(100_000);

    let wrote = Arc::new(AtomicU64::new(0));
    let mut with = Vec::new();
    let mut without = Vec::new();
    let mut reader_time = Duration::ZERO;
    let mut reader_snaps = 0;
    for _ in 0..o.rounds {
        for on in [true, false] {
            reading.store(on, Ordering::Relaxed);
            if on {
                // Let the reader get going before the writers start.
                std::thread::sleep(Duration::from_millis(2));
            }
            let s0 = snapshots.load(Ordering::Relaxed);
            let w = Arc::clone(&wrote);
            let job: Job = Arc::new(move |_| {
                let mut ok = 0u64;
                for _ in 0..k {
                    ok += ttlog::__private::raw_reserve_commit() as u64;
                }
                w.fetch_add(ok, Ordering::Relaxed);
            });
            let t0 = Instant::now();
            let t = pool.run(job);
            let ops = (writers as u64 * k) as f64 / t.as_secs_f64();
            if on {
                reader_time += t0.elapsed();
                reader_snaps += snapshots.load(Ordering::Relaxed) - s0;
                with.push(ops);
            } else {
                without.push(ops);
            }
            reading.store(false, Ordering::Relaxed);
        }
    }
    stop.store(true, Ordering::Relaxed);
    let _ = reader.join();
    drop(pool);

    let config = format!(
        "{writers} writer thread(s) + 1 snapshot thread on {cores} cores, 64 KiB rings, {k} ops per writer per round, median of {} rounds",
        o.rounds
    );
    out.metric("buffer_ops.with_reader", median(&with), "ops/s", Better::Higher, config.clone());
    out.metric("buffer_ops.without_reader", median(&without), "ops/s", Better::Neither, config.clone());
    out.metric(
        "buffer_ops.reader_snapshots_per_s",
        reader_snaps as f64 / reader_time.as_secs_f64().max(1e-9),
        "snapshots/s",
        Better::Neither,
        config,
    );
    let expected = 2 * o.rounds as u64 * k * writers as u64;
    out.check(
        format!(
            "buffer operations: every raw reserve+commit wrote ({} of {expected}), while {reader_snaps} snapshots were taken",
            wrote.load(Ordering::Relaxed)
        ),
        wrote.load(Ordering::Relaxed) == expected && reader_snaps > 0,
    );
    out
}
