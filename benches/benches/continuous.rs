//! The continuous log's writer: events per second from the logging thread into
//! the log file (`Builder::log_file`, `Block` mode), for NanoLog's six
//! messages. An iteration is one event; a sample ends with `ttlog::flush()`,
//! so what is timed is events in the file, not in the ring.
//!
//! ```text
//! cargo bench -p benches --bench continuous
//! ```

use benches::messages::ttlog_log;
use benches::{Inputs, Message};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::time::{Duration, Instant};

fn continuous(c: &mut Criterion) {
    let dir = std::env::temp_dir().join(format!("ttlog-bench-continuous-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("create a temporary directory");
    // Rotation keeps the disk use bounded over a long run.
    ttlog::Builder::new()
        .log_file(dir.join("bench.ttlog"))
        .rotate_size(64 << 20)
        .keep(2)
        .max_level(ttlog::LevelFilter::Info)
        .init()
        .expect("start the log file");
    let inputs = Inputs::NANOLOG;
    let mut g = c.benchmark_group("continuous");
    g.throughput(Throughput::Elements(1));
    for m in Message::NANOLOG {
        g.bench_function(m.name(), |b| {
            b.iter_custom(|iters| {
                let t0 = Instant::now();
                ttlog_log::run(m, iters, &inputs);
                ttlog::flush();
                t0.elapsed()
            })
        });
    }
    g.finish();
    let _ = std::fs::remove_dir_all(&dir);
}

criterion_group! {
    name = benches;
    config = Criterion::default().measurement_time(Duration::from_secs(2)).warm_up_time(Duration::from_millis(500));
    targets = continuous
}
criterion_main!(benches);
