//! The continuous log (`Builder::log_file`): sustained events per second into
//! the file for NanoLog's six messages with 1 and 2 logging threads in `Block`
//! mode, with the share of the time the producers waited for the writer, the
//! writer thread's CPU and the file bytes per event; and, in `Drop` mode
//! against a deliberately slow writer, whether every lost event is counted.
//!
//! Each run is a process of its own (`--job continuous`): a process has one
//! log file. Events per second count from the first event to the return of
//! `ttlog::flush()`, so they are events in the file (page cache), not in the
//! rings.

use crate::model::{Better, Output};
use benches::messages::ttlog_log;
use benches::{Inputs, Message};
use std::path::Path;
use std::time::{Duration, Instant};

/// `threads` threads log `events` events each of every one of NanoLog's six
/// messages in turn, into a log file in `scratch`.
pub fn sustained(threads: usize, events: u64, scratch: &Path) -> Output {
    let mut out = Output::default();
    let path = scratch.join(format!("continuous-{threads}.ttlog"));
    ttlog::Builder::new()
        .log_file(&path)
        .on_full(ttlog::OnFull::Block)
        .clock(ttlog::Clock::default_for_this_machine())
        .max_level(ttlog::LevelFilter::Info)
        .init()
        .expect("start the log file");
    // Warm up: every thread's first event, the writer's first file write.
    run_threads(threads, |_| ttlog_log::run(Message::StaticString, 1000, &Inputs::NANOLOG));
    ttlog::flush();
    for m in Message::NANOLOG {
        let before = ttlog::log_file_stats();
        let t0 = Instant::now();
        run_threads(threads, |_| ttlog_log::run(m, events, &Inputs::NANOLOG));
        ttlog::flush();
        let wall = t0.elapsed();
        let after = ttlog::log_file_stats();
        let logged = events * threads as u64;
        let written = after.events - before.events;
        out.check(
            format!("continuous {threads} thread(s), {}: every event in the file ({written} of {logged})", m.name()),
            written == logged && after.dropped == before.dropped,
        );
        let secs = wall.as_secs_f64();
        let config = format!("{threads} thread(s), Block mode, {events} events each, until flush returns");
        let key = |what: &str| format!("continuous.{what}.{}.t{threads}", m.name());
        out.metric(key("events_per_sec"), logged as f64 / secs, "events/s", Better::Higher, config.clone());
        let waited = (after.waited_ns - before.waited_ns) as f64 / 1e9;
        out.metric(
            key("producer_wait_share"),
            100.0 * waited / (secs * threads as f64),
            "%",
            Better::Lower,
            config.clone(),
        );
        let cpu = (after.writer_cpu_ns - before.writer_cpu_ns) as f64 / 1e9;
        out.metric(key("writer_cpu_share"), 100.0 * cpu / secs, "% of a core", Better::Lower, config.clone());
        out.metric(
            key("file_bytes_per_event"),
            (after.bytes - before.bytes) as f64 / written.max(1) as f64,
            "bytes",
            Better::Lower,
            config,
        );
    }
    // Hundreds of MB: not kept. (The writer holds the file open until exit.)
    let _ = std::fs::remove_file(&path);
    out
}

/// `Drop` mode against a writer that sleeps 5 ms after each drain: one thread
/// logs `events` events of `twoIntegers`; the file, decoded, must hold each
/// event or count it in a drop marker.
pub fn dropping(events: u64, scratch: &Path) -> Output {
    let mut out = Output::default();
    let path = scratch.join("continuous-drop.ttlog");
    ttlog::Builder::new()
        .log_file(&path)
        .buffer_size(16 << 10)
        .on_full(ttlog::OnFull::Drop)
        .max_level(ttlog::LevelFilter::Info)
        .init()
        .expect("start the log file");
    ttlog::__set_writer_delay(Duration::from_millis(5));
    ttlog_log::run(Message::TwoIntegers, events, &Inputs::NANOLOG);
    ttlog::__set_writer_delay(Duration::ZERO);
    ttlog::flush();
    let stats = ttlog::log_file_stats();
    let snap = ttlog_decode::read_file(&path).expect("decode the log file");
    let mut in_file = 0u64;
    let mut marked = 0u64;
    for e in &snap.events {
        let marker = snap.callsite(e).is_some_and(|c| c.name == "ttlog::dropped");
        if marker {
            if let Some(ttlog_decode::Value::U64(n)) = snap.args(e).into_iter().next() {
                marked += n;
            }
        } else {
            in_file += 1;
        }
    }
    out.check(
        format!("continuous Drop mode: {in_file} events in the file + {marked} counted as dropped = {events} logged"),
        in_file + marked == events && stats.dropped == marked && stats.waited_ns == 0,
    );
    out.metric(
        "continuous.drop.dropped_share",
        100.0 * marked as f64 / events as f64,
        "%",
        Better::Lower,
        format!("1 thread, {events} twoIntegers, 16 KiB ring, writer sleeping 5 ms after each drain"),
    );
    let _ = std::fs::remove_file(&path);
    out
}

fn run_threads(threads: usize, f: impl Fn(usize) + Sync) {
    std::thread::scope(|s| {
        for t in 0..threads {
            let f = &f;
            std::thread::Builder::new().name(format!("producer-{t}")).spawn_scoped(s, move || f(t)).expect("spawn");
        }
    });
}
