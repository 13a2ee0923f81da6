//! What `#[ttlog]` costs: an empty function, bare and instrumented, called in
//! turns in one process; the median over several rounds of the time per call.
//!
//! ```text
//! cargo run --release -p ttlog --example instrument_cost
//! cargo run --release -p ttlog --example instrument_cost --features max_level_off   # compiled out
//! ```
//!
//! Rows: the bare function; instrumented at INFO (entry and exit events
//! recorded, unless compiled out); instrumented at TRACE (off at run time, the
//! default level being INFO); with an argument and `ret`, against the same
//! function bare; and, for reference, plain events. The thread's ring is the
//! default 64 KiB, so the recorder runs in its steady state, overwriting its
//! oldest events.

use std::hint::black_box;
use std::time::Instant;
use ttlog::ttlog;

#[inline(never)]
fn bare() {
    black_box(());
}

#[ttlog]
#[inline(never)]
fn instrumented() {
    black_box(());
}

#[ttlog(level = "trace")]
#[inline(never)]
fn disabled() {
    black_box(());
}

#[ttlog(ret)]
#[inline(never)]
fn with_ret(x: u64) -> u64 {
    black_box(x)
}

#[inline(never)]
fn bare_arg(x: u64) -> u64 {
    black_box(x)
}

const CALLS: u32 = 200_000;
const ROUNDS: usize = 21;

/// Nanoseconds per call of `f`, over `CALLS` calls.
fn time(f: &dyn Fn()) -> f64 {
    let start = Instant::now();
    for _ in 0..CALLS {
        f();
    }
    start.elapsed().as_nanos() as f64 / CALLS as f64
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let cases: [(&str, &dyn Fn()); 7] = [
        ("bare fn()", &|| bare()),
        ("#[ttlog] fn()  (INFO)", &|| instrumented()),
        ("#[ttlog(level = \"trace\")] fn()  (TRACE)", &|| disabled()),
        ("bare fn(u64) -> u64", &|| {
            black_box(bare_arg(black_box(7)));
        }),
        ("#[ttlog(ret)] fn(u64) -> u64  (INFO)", &|| {
            black_box(with_ret(black_box(7)));
        }),
        ("reference: info!(\"x\")", &|| ttlog::info!("x")),
        ("reference: info!(\"x {}\", u64) twice", &|| {
            ttlog::info!("x {}", black_box(1u64));
            ttlog::info!("x {}", black_box(1u64));
        }),
    ];
    // Warm up: the thread's buffer, the clock calibration, the caches.
    for (_, f) in &cases {
        time(*f);
    }
    let mut samples = vec![Vec::with_capacity(ROUNDS); cases.len()];
    for _ in 0..ROUNDS {
        for (i, (_, f)) in cases.iter().enumerate() {
            samples[i].push(time(*f));
        }
    }
    let medians: Vec<f64> = samples.iter_mut().map(|s| median(s)).collect();
    println!("static max level {:?}, runtime max level {:?}", ttlog::STATIC_MAX_LEVEL, ttlog::max_level());
    println!("median of {ROUNDS} rounds of {CALLS} calls, ns per call:");
    for (i, (name, _)) in cases.iter().enumerate() {
        let base = match i {
            0..3 => medians[0],
            3..5 => medians[3],
            _ => 0.0,
        };
        println!("  {name:<44} {:>7.2} ns   ({:+.2} ns)", medians[i], medians[i] - base);
    }
    let snap = ttlog::snapshot("instrument_cost");
    println!("{} events in the snapshot", snap.event_count());
}
