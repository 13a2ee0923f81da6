//! Snapshot performance (capture, capture and write, decode to typed events,
//! decode to text) and bytes per event (in the buffer, in the file).

use crate::hot::os_tid;
use crate::model::{Better, Output};
use crate::stats::{Workload, interleaved, thread_cpu};
use benches::messages::ttlog_log;
use benches::pool::Pool;
use benches::snapshots::{self, SnapshotFile};
use benches::{Inputs, Message};
use std::path::Path;
use std::time::Duration;

/// `threads` threads fill their rings with the six messages in turn and stay
/// alive; this thread, which logs nothing, measures snapshots of them.
pub fn snapshot(threads: usize, rounds: usize, batch: Duration, scratch: &Path) -> Output {
    let mut out = Output::default();
    let pool = Pool::new(threads, "snap").expect("spawn the threads");
    pool.run(snapshots::fill_job());

    let first = ttlog::snapshot("bench");
    let events = first.event_count();
    let bytes = first.to_bytes();
    let n_threads = first.threads().len();
    drop(first);

    let mut file =
        SnapshotFile::create(&scratch.join(format!("snapshot-{threads}.ttlog"))).expect("create the snapshot file");
    let mut w = vec![
        Workload::timed("capture", |n| {
            snapshots::capture(n);
        }),
        Workload::custom("capture_write", |n| {
            let _ = file.empty();
            let t0 = thread_cpu();
            file.capture_write(n).expect("write the snapshot file");
            thread_cpu().saturating_sub(t0)
        }),
        Workload::timed("decode_typed", |n| {
            snapshots::decode_typed(n, &bytes);
        }),
        Workload::timed("decode_text", |n| {
            snapshots::decode_text(n, &bytes);
        }),
    ];
    let summaries = interleaved(&mut w, rounds, batch);
    drop(w);
    drop(file);

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
