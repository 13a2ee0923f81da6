//! Snapshot performance (capture, capture and write, decode to typed events,
//! decode to text) and bytes per event (in the buffer, in the file).

use crate::hot::os_tid;
use crate::model::{Better, Output};
use crate::stats::{interleaved, thread_cpu, Workload};
use benches::messages::ttlog_log;
use benches::pool::{Job, Pool};
use benches::{Inputs, Message};
use std::fs::OpenOptions;
use std::hint::black_box;
use std::io::Write as _;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use ttlog_decode::render::line::write_text_line;

/// Events each thread logs to fill its ring (more than a 64 KiB ring holds).
const FILL_EVENTS: u64 = 10_000;

/// `threads` threads fill their rings with the six messages in turn and stay
/// alive; this thread, which logs nothing, measures snapshots of them.
pub fn snapshot(threads: usize, rounds: usize, batch: Duration, scratch: &Path) -> Output {
    let mut out = Output::default();
    let pool = Pool::new(threads, "snap").expect("spawn the threads");
    let job: Job = Arc::new(|_| benches::fill_ring(FILL_EVENTS, &Inputs::NANOLOG));
    pool.run(job);

    let first = ttlog::snapshot("bench");
    let events = first.event_count();
    let bytes = first.to_bytes();
    let n_threads = first.threads().len();
    drop(first);

    let path = scratch.join(format!("snapshot-{threads}.ttlog"));
    let mut file = OpenOptions::new().create(true).append(true).open(&path).expect("open the snapshot file");
    let mut w = vec![
        Workload::timed("capture", |n| {
            for _ in 0..n {
                black_box(ttlog::snapshot("bench").event_count());
            }
        }),
        Workload::custom("capture_write", |n| {
            let _ = file.set_len(0);
            let t0 = thread_cpu();
            for _ in 0..n {
                let s = ttlog::snapshot("bench");
                s.write_to(&mut file).expect("write the snapshot file");
            }
            let t = thread_cpu().saturating_sub(t0);
            let _ = file.flush();
            t
        }),
        Workload::timed("decode_typed", |n| {
            for _ in 0..n {
                let s = ttlog_decode::from_bytes(black_box(&bytes)).expect("decode");
                black_box(s.events.len());
            }
        }),
        Workload::timed("decode_text", |n| {
            let mut line = String::with_capacity(256);
            for _ in 0..n {
                let s = ttlog_decode::from_bytes(black_box(&bytes)).expect("decode");
                let mut total = 0;
                for e in &s.events {
                    line.clear();
                    write_text_line(&mut line, &s, e);
                    total += line.len();
                }
                black_box(total);
            }
        }),
    ];
    let summaries = interleaved(&mut w, rounds, batch);
    drop(w);
    let _ = std::fs::remove_file(&path);

    let decoded = ttlog_decode::from_bytes(&bytes).map(|s| (s.events.len() as u64, s.problems.len()));
    out.check(
        format!("snapshot ({threads} threads): holds exactly the rings of the benchmark's threads ({n_threads}) and decodes whole"),
        n_threads == threads && decoded.as_ref().is_ok_and(|&(e, p)| e == events && p == 0),
    );
    for s in &summaries {
        let config = format!(
            "{threads} thread(s), full 64 KiB rings (the six messages in turn), {events} events, {} KiB file; \
             file written without fsync; median of {} rounds, thread CPU time (spread {:.0}%)",
            bytes.len() >> 10,
            s.rounds,
            s.spread_pct()
        );
        let eps = events as f64 / (s.median * 1e-9);
        out.metric(format!("snapshot.{}.{threads}_threads", s.key), eps, "events/s", Better::Higher, config);
    }
    drop(pool);
    out
}

/// For each message, in its own thread: buffer bytes per event
/// (`buffer_bytes / recorded`) and snapshot file bytes per event (the growth of
/// the file when `events` more events are logged, divided by `events`).
pub fn bytes_per_event(events: u64) -> Output {
    let mut out = Output::default();
    // Large enough that nothing is overwritten.
    let ring = 4 << 20;
    ttlog::Builder::new().buffer_size(ring).init().expect("configure ttlog");
    for m in Message::ALL {
        if m == Message::Disabled {
            continue;
        }
        let name = format!("bpe-{m}");
        let r = std::thread::Builder::new()
            .name(name.clone())
            .spawn(move || {
                let tid = os_tid();
                ttlog_log::run(m, events, &Inputs::NANOLOG);
                let a = ttlog::snapshot("bytes");
                let size_a = a.to_bytes().len() as u64;
                let t = a.threads().iter().find(|t| t.tid() == tid).map(|t| (t.buffer_bytes(), t.recorded()));
                ttlog_log::run(m, events, &Inputs::NANOLOG);
                let size_b = ttlog::snapshot("bytes").to_bytes().len() as u64;
                (t, size_b.saturating_sub(size_a))
            })
            .expect("spawn a thread")
            .join();
        let Ok((Some((buffer, recorded)), growth)) = r else {
            out.check(format!("bytes per event: {m} measured"), false);
            continue;
        };
        out.check(format!("bytes per event: {m}: all {events} events in the buffer"), recorded == events);
        let config = format!("{events} events of {m} on one thread, ring {} MiB, nothing overwritten", ring >> 20);
        out.metric(format!("bytes.buffer.{m}"), buffer as f64 / recorded as f64, "bytes/event", Better::Lower, config);
        out.metric(
            format!("bytes.file.{m}"),
            growth as f64 / events as f64,
            "bytes/event",
            Better::Lower,
            format!("growth of the snapshot file when {events} more events of {m} are logged, divided by {events} (frames and CRCs included, header and metadata excluded)"),
        );
    }
    out
}
