//! Snapshots of full buffers with 1, 2 and 64 threads: capture and write (to
//! memory), decode to typed events, decode and render to text.
//!
//! The threads stay alive, blocked, holding full rings (the six messages in
//! turn); the benchmark thread itself never logs, so a snapshot holds exactly
//! the rings of those threads. Throughput is events in the snapshot.
//!
//! ```text
//! cargo bench -p benches --bench snapshot
//! ```

use benches::pool::{Job, Pool};
use benches::Inputs;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;
use ttlog_decode::render::line::write_text_line;

/// Events each thread logs: more than its ring holds, so the ring is full.
const FILL_EVENTS: u64 = 10_000;

fn snapshot(c: &mut Criterion) {
    benches::init_ttlog_from_env().unwrap_or_else(|e| panic!("TTLOG_BENCH_CLOCK: {e}"));
    let mut pools: Vec<Pool> = Vec::new();
    let mut alive = 0;
    let mut g = c.benchmark_group("snapshot");
    for n in [1usize, 2, 64] {
        // Threads are added, never removed: the snapshot of step n holds the
        // rings of exactly n threads.
        let pool = Pool::new(n - alive, &format!("fill{n}")).expect("spawn the threads");
        let job: Job = Arc::new(|_| benches::fill_ring(FILL_EVENTS, &Inputs::NANOLOG));
        pool.run(job);
        pools.push(pool);
        alive = n;

        let snap = ttlog::snapshot("bench");
        assert_eq!(snap.threads().len(), n, "the snapshot holds the rings of the benchmark's threads only");
        let events = snap.event_count();
        let bytes = snap.to_bytes();
        g.throughput(Throughput::Elements(events));

        let mut out = Vec::with_capacity(bytes.len() * 2);
        g.bench_function(BenchmarkId::new("capture_write", n), |b| {
            b.iter(|| {
                out.clear();
                let s = ttlog::snapshot("bench");
                s.write_to(&mut out).expect("write to memory");
                black_box(out.len())
            })
        });
        g.bench_function(BenchmarkId::new("decode_typed", n), |b| {
            b.iter(|| {
                let s = ttlog_decode::from_bytes(black_box(&bytes)).expect("decode");
                black_box(s.events.len())
            })
        });
        let mut line = String::with_capacity(256);
        g.bench_function(BenchmarkId::new("decode_text", n), |b| {
            b.iter(|| {
                let s = ttlog_decode::from_bytes(black_box(&bytes)).expect("decode");
                let mut total = 0;
                for e in &s.events {
                    line.clear();
                    write_text_line(&mut line, &s, e);
                    total += line.len();
                }
                black_box(total)
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
