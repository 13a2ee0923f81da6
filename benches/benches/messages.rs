//! The hot path, one thread: NanoLog's six messages, a disabled-level event and
//! a `Debug`-formatted struct, through `ttlog::info!`, the hand-written floor,
//! and the peers, side by side in one group per message; and `#[ttlog]` on an
//! empty function against the bare function.
//!
//! ```text
//! cargo bench -p benches --bench messages
//! TTLOG_BENCH_CLOCK=coarse cargo bench -p benches --bench messages -- ttlog   # another clock
//! ```
//!
//! Each iteration is one event; the arguments come from an `Inputs` passed
//! through `black_box` on every call. A sample is one batch of
//! `benches::Loggers::batch`, the code the report's hot path measures under the
//! same names.

use benches::{Inputs, Logger, Loggers, Message, floor};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use std::time::{Duration, Instant};

fn messages(c: &mut Criterion) {
    let clock = benches::init_ttlog_from_env().unwrap_or_else(|e| panic!("TTLOG_BENCH_CLOCK: {e}"));
    let dir = std::env::temp_dir().join(format!("ttlog-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("create a temporary directory");
    let loggers = Loggers::with_peers(&dir.join("tracing-appender.log")).expect("open the appender's file");
    let inputs = Inputs::NANOLOG;
    let ttlog_name = format!("{}_{}", Logger::Ttlog.key(), benches::clock_name(clock));

    for m in Message::ALL {
        let mut g = c.benchmark_group(m.name());
        g.throughput(Throughput::Elements(1));
        for l in Logger::ALL.into_iter().filter(|l| l.logs(m)) {
            let name = if l == Logger::Ttlog { ttlog_name.clone() } else { l.key().to_owned() };
            g.bench_function(name, |b| {
                b.iter_custom(|iters| {
                    loggers
                        .batch(l, m, iters, &inputs, |f| {
                            let t0 = Instant::now();
                            f();
                            t0.elapsed()
                        })
                        .expect("every logger is set up")
                })
            });
        }
        g.finish();
    }
    let mut g = c.benchmark_group("instrument");
    g.throughput(Throughput::Elements(1));
    g.bench_function("ttlog_attr_empty_fn", |b| b.iter(benches::instrument::instrumented));
    g.bench_function("bare_empty_fn", |b| b.iter(benches::instrument::bare));
    g.bench_function("ttlog_attr_args_ret_fn", |b| {
        b.iter(|| benches::instrument::instrumented_args(black_box(42), black_box("/index.html")))
    });
    g.finish();

    black_box(floor::digest());
    let _ = std::fs::remove_dir_all(&dir);
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .sample_size(50);
    targets = messages
}
criterion_main!(benches);
