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
//! through `black_box` on every call.

use benches::messages::{log_log, tracing_appender_log, tracing_log, ttlog_log};
use benches::{floor, peers, Inputs, Message};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use std::hint::black_box;
use std::time::{Duration, Instant};

fn messages(c: &mut Criterion) {
    let clock = benches::init_ttlog_from_env().unwrap_or_else(|e| panic!("TTLOG_BENCH_CLOCK: {e}"));
    peers::install_log();
    let sink = peers::tracing_fmt_sink();
    let dir = std::env::temp_dir().join(format!("ttlog-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("create a temporary directory");
    let appender = peers::TracingAppender::new(&dir.join("tracing-appender.log")).expect("open the appender's file");
    let inputs = Inputs::NANOLOG;
    let ttlog_name = format!("ttlog_{}", benches::clock_name(clock));

    for m in Message::ALL {
        let mut g = c.benchmark_group(m.name());
        g.throughput(Throughput::Elements(1));
        g.bench_function(&ttlog_name, |b| {
            b.iter_custom(|iters| {
                let t0 = Instant::now();
                ttlog_log::run(m, iters, black_box(&inputs));
                t0.elapsed()
            })
        });
        if Message::NANOLOG.contains(&m) {
            g.bench_function("floor", |b| {
                b.iter_custom(|iters| {
                    let t0 = Instant::now();
                    floor::messages::run(m, iters, black_box(&inputs));
                    t0.elapsed()
                })
            });
        }
        g.bench_function("tracing_fmt_sink", |b| {
            b.iter_custom(|iters| {
                tracing::dispatcher::with_default(&sink, || {
                    let t0 = Instant::now();
                    tracing_log::run(m, iters, black_box(&inputs));
                    t0.elapsed()
                })
            })
        });
        g.bench_function("tracing_appender_file", |b| {
            b.iter_custom(|iters| {
                // Outside the timed part: keep the file small, and let the
                // writer thread catch up so it does not steal the next sample's core.
                let _ = appender.truncate();
                std::thread::sleep(Duration::from_millis(1));
                tracing::dispatcher::with_default(&appender.dispatch, || {
                    let t0 = Instant::now();
                    tracing_appender_log::run(m, iters, black_box(&inputs));
                    t0.elapsed()
                })
            })
        });
        g.bench_function("log_string", |b| {
            b.iter_custom(|iters| {
                let t0 = Instant::now();
                log_log::run(m, iters, black_box(&inputs));
                t0.elapsed()
            })
        });
        g.finish();
    }
    let mut g = c.benchmark_group("instrument");
    g.throughput(Throughput::Elements(1));
    g.bench_function("ttlog_attr_empty_fn", |b| b.iter(benches::instrument::instrumented));
    g.bench_function("bare_empty_fn", |b| b.iter(benches::instrument::bare));
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
