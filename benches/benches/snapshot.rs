//! Snapshots of full buffers with 1, 2 and 64 threads: capture, capture and
//! write to a file, decode to typed events, decode and render to text (the
//! workloads of `benches::snapshots`, which the report measures too).
//!
//! The threads stay alive, blocked, holding full rings (the six messages in
//! turn); the benchmark thread itself never logs, so a snapshot holds exactly
//! the rings of those threads. Throughput is events in the snapshot.
//!
//! ```text
//! cargo bench -p benches --bench snapshot
//! ```

use benches::pool::Pool;
use benches::snapshots::{self, SnapshotFile};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use std::time::{Duration, Instant};

fn snapshot(c: &mut Criterion) {
    benches::init_ttlog_from_env().unwrap_or_else(|e| panic!("TTLOG_BENCH_CLOCK: {e}"));
    let path = std::env::temp_dir().join(format!("ttlog-bench-snapshot-{}.ttlog", std::process::id()));
    let mut file = SnapshotFile::create(&path).expect("create the snapshot file");
    let mut pools: Vec<Pool> = Vec::new();
    let mut alive = 0;
    let mut g = c.benchmark_group("snapshot");
    for n in [1usize, 2, 64] {
        // Threads are added, never removed: the snapshot of step n holds the
        // rings of exactly n threads.
        let pool = Pool::new(n - alive, &format!("fill{n}")).expect("spawn the threads");
        pool.run(snapshots::fill_job());
        pools.push(pool);
        alive = n;

        let snap = ttlog::snapshot("bench");
        assert_eq!(snap.threads().len(), n, "the snapshot holds the rings of the benchmark's threads only");
        let events = snap.event_count();
        let bytes = snap.to_bytes();
        g.throughput(Throughput::Elements(events));

        g.bench_function(BenchmarkId::new("capture", n), |b| {
            b.iter_custom(|iters| {
                let t0 = Instant::now();
                snapshots::capture(iters);
                t0.elapsed()
            })
        });
        g.bench_function(BenchmarkId::new("capture_write", n), |b| {
            b.iter_custom(|iters| {
                file.empty().expect("empty the snapshot file");
                let t0 = Instant::now();
                file.capture_write(iters).expect("write the snapshot file");
                t0.elapsed()
            })
        });
        g.bench_function(BenchmarkId::new("decode_typed", n), |b| {
            b.iter_custom(|iters| {
                let t0 = Instant::now();
                snapshots::decode_typed(iters, &bytes);
                t0.elapsed()
            })
        });
        g.bench_function(BenchmarkId::new("decode_text", n), |b| {
            b.iter_custom(|iters| {
                let t0 = Instant::now();
                snapshots::decode_text(iters, &bytes);
                t0.elapsed()
            })
        });
    }
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3))
        .sample_size(20);
    targets = snapshot
}
criterion_main!(benches);
