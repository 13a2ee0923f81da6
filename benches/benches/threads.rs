//! Events per second with 1, 2 (all cores here) and 64 threads logging at once
//! (twoIntegers), and the floor with 1 and 2 threads for comparison.
//!
//! One iteration is one event on each thread; the throughput is all threads'
//! events together. The threads live across samples (a pool), so neither thread
//! creation nor a thread's first event is measured.
//!
//! ```text
//! cargo bench -p benches --bench threads
//! ```

use benches::messages::ttlog_log;
use benches::pool::{Job, Pool};
use benches::{floor, Inputs, Message};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use std::sync::Arc;
use std::time::Duration;

fn threads(c: &mut Criterion) {
    benches::init_ttlog_from_env().unwrap_or_else(|e| panic!("TTLOG_BENCH_CLOCK: {e}"));
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut counts = vec![1, 2, cores, 64];
    counts.sort_unstable();
    counts.dedup();

    let mut g = c.benchmark_group("threads");
    for n in counts {
        let pool = Pool::new(n, "bench").expect("spawn the threads");
        g.throughput(Throughput::Elements(n as u64));
        g.bench_function(BenchmarkId::new("ttlog_twoIntegers", n), |b| {
            b.iter_custom(|iters| {
                let job: Job = Arc::new(move |_| ttlog_log::run(Message::TwoIntegers, iters, &Inputs::NANOLOG));
                pool.run(job)
            })
        });
        if n <= cores {
            g.bench_function(BenchmarkId::new("floor_twoIntegers", n), |b| {
                b.iter_custom(|iters| {
                    let job: Job = Arc::new(move |_| {
                        floor::messages::run(Message::TwoIntegers, iters, &Inputs::NANOLOG);
                    });
                    pool.run(job)
                })
            });
        }
    }
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3))
        .sample_size(30);
    targets = threads
}
criterion_main!(benches);
