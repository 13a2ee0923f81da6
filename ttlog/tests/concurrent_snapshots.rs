//! Eight threads log at full speed into small rings while two other threads
//! take snapshots continuously. Every decoded event must be intact (its arguments are exactly
//! what its thread logged at that sequence number), each thread's events must
//! be a contiguous run of its sequence, and the counts must add up:
//! recorded + overwritten = logged up to the snapshot.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

const THREADS: u64 = 8;

/// Formatted at the call, so that the formatted path is exercised too.
struct Tag(u64);

impl fmt::Display for Tag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "tag-{:x}", self.0)
    }
}

const PAD: &str = "0123456789abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";

fn log_one(thread: u64, seq: u64) {
    // Records of varying length, so that blocks end at varying offsets.
    match seq % 4 {
        0 => ttlog::info!("t{} seq {}", thread, seq),
        1 => ttlog::info!("t{} seq {} pad {}", thread, seq, &PAD[..(seq % 70) as usize]),
        2 => ttlog::info!("t{} seq {} {}", thread, seq, Tag(seq)),
        _ => ttlog::info!("t{} seq {} check {}", thread, seq, seq.wrapping_mul(0x9E37_79B9_7F4A_7C15)),
    }
}

/// What a decoded event must look like for `(thread, seq)`.
fn expected(thread: u64, seq: u64) -> String {
    match seq % 4 {
        0 => format!("t{thread} seq {seq}"),
        1 => format!("t{thread} seq {seq} pad {}", &PAD[..(seq % 70) as usize]),
        2 => format!("t{thread} seq {seq} {}", Tag(seq)),
        _ => format!("t{thread} seq {seq} check {}", seq.wrapping_mul(0x9E37_79B9_7F4A_7C15)),
    }
}

fn parse(msg: &str) -> (u64, u64) {
    let mut it = msg.split(' ');
    let t = it.next().unwrap().trim_start_matches('t').parse().unwrap();
    assert_eq!(it.next(), Some("seq"), "{msg}");
    let s = it.next().unwrap().parse().unwrap();
    (t, s)
}

/// Takes one snapshot and checks it; returns (events checked, thread copies
/// with overwritten events).
fn snapshot_and_check(logged: &[AtomicU64]) -> (u64, u64) {
    let mut events_checked = 0;
    let mut lapped = 0;
    // What each thread had logged before the snapshot started: a lower bound.
    let before: Vec<u64> = logged.iter().map(|a| a.load(Ordering::Relaxed)).collect();
    let snap = ttlog::snapshot("stress");
    let after: Vec<u64> = logged.iter().map(|a| a.load(Ordering::Relaxed)).collect();
    let decoded = ttlog_decode::from_bytes(&snap.to_bytes()).unwrap();
    assert!(decoded.is_intact(), "{:?}", decoded.problems);

    let mut per_thread: HashMap<u64, Vec<u64>> = HashMap::new();
    for e in &decoded.events {
        let cs = decoded.callsite(e).unwrap();
        let msg = ttlog_decode::render::message::message(cs, decoded.args(e));
        let (t, s) = parse(&msg);
        assert_eq!(msg, expected(t, s), "torn or wrong event");
        let name = &decoded.thread(e).unwrap().name;
        assert_eq!(name, &format!("writer-{t}"));
        per_thread.entry(t).or_default().push(s);
        events_checked += 1;
    }
    for th in decoded.threads.iter().flatten() {
        let Some(t) = th.name.strip_prefix("writer-").and_then(|n| n.parse::<u64>().ok()) else {
            continue;
        };
        let seqs = per_thread.remove(&t).unwrap_or_default();
        assert_eq!(seqs.len() as u64, th.recorded);
        // The events a thread's copy holds are a contiguous run of its
        // sequence, starting right after the overwritten ones: none missing,
        // none twice.
        for (k, s) in seqs.iter().enumerate() {
            assert_eq!(*s, th.overwritten + k as u64, "thread {t}: gap or duplicate");
        }
        let total = th.recorded + th.overwritten;
        // Logged up to the snapshot: at least what was counted before it, at
        // most what was counted after it (counts advance every 64 events).
        assert!(total + 64 > before[t as usize], "thread {t}: {total} < {}", before[t as usize]);
        assert!(total <= after[t as usize] + 64, "thread {t}: {total} > {}", after[t as usize]);
        assert_eq!(th.dropped, 0);
        if th.overwritten > 0 {
            lapped += 1;
        }
    }
    (events_checked, lapped)
}

#[test]
fn snapshots_during_writes_are_consistent() {
    ttlog::Builder::new().buffer_size(16 * 1024).init().unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let logged: Arc<Vec<AtomicU64>> = Arc::new((0..THREADS).map(|_| AtomicU64::new(0)).collect());
    let writers: Vec<_> = (0..THREADS)
        .map(|t| {
            let stop = stop.clone();
            let logged = logged.clone();
            std::thread::Builder::new()
                .name(format!("writer-{t}"))
                .spawn(move || {
                    let mut seq = 0;
                    while !stop.load(Ordering::Relaxed) {
                        for _ in 0..64 {
                            log_one(t, seq);
                            seq += 1;
                        }
                        logged[t as usize].store(seq, Ordering::Relaxed);
                    }
                    seq
                })
                .unwrap()
        })
        .collect();

    // Two threads take snapshots continuously while the writers run.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(3);
    let snapshotters: Vec<_> = (0..2)
        .map(|k| {
            let logged = logged.clone();
            std::thread::Builder::new()
                .name(format!("snapshotter-{k}"))
                .spawn(move || {
                    let mut totals = (0u64, 0u64, 0u64);
                    while std::time::Instant::now() < deadline || totals.0 < 10 {
                        let (events, lapped) = snapshot_and_check(&logged);
                        totals = (totals.0 + 1, totals.1 + events, totals.2 + lapped);
                    }
                    totals
                })
                .unwrap()
        })
        .collect();
    let (mut snapshots, mut events_checked, mut lapped) = (0, 0, 0);
    for s in snapshotters {
        let (n, e, l) = s.join().unwrap();
        snapshots += n;
        events_checked += e;
        lapped += l;
    }
    stop.store(true, Ordering::Relaxed);
    for w in writers {
        w.join().unwrap();
    }
    assert!(lapped > 0, "the rings never wrapped: the test did not test overwriting");
    println!("{snapshots} snapshots, {events_checked} events checked, {lapped} thread copies with overwritten events");
}
