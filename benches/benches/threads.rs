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

use benches::Logger;
use benches::pool::Pool;
use benches::threads::{MESSAGE, counts, job};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use std::time::Duration;

fn threads(c: &mut Criterion) {
    benches::init_ttlog_from_env().unwrap_or_else(|e| panic!("TTLOG_BENCH_CLOCK: {e}"));
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());

    let mut g = c.benchmark_group("threads");
    for n in counts(cores) {
        let pool = Pool::new(n, "bench").expect("spawn the threads");
        g.throughput(Throughput::Elements(n as u64));
        for l in [Logger::Ttlog, Logger::Floor] {
            // The floor only up to the cores: its point is to show what the
            // machine gives, not how threads share it.
            if l == Logger::Floor && n > cores {
                continue;
            }
            g.bench_function(BenchmarkId::new(format!("{}_{MESSAGE}", l.key()), n), |b| {
                b.iter_custom(|iters| pool.run(job(l, iters).expect("a job for ttlog and the floor")))
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
