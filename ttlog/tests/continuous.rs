//! The continuous log, end to end: each test runs a child process (this test
//! binary again, with `TTLOG_TEST_CHILD` naming what it does) that logs into
//! a log file through the real macros and exits; the parent decodes the
//! file(s) with `ttlog-decode` and checks every event.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;
use ttlog_decode::{Snapshot, Value};

const CHILD: &str = "TTLOG_TEST_CHILD";
const DIR: &str = "TTLOG_TEST_LOG_DIR";

/// Events per thread (CI under a sanitizer sets fewer).
fn events_per_thread(default: u64) -> u64 {
    std::env::var("TTLOG_TEST_EVENTS").ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// A fresh directory for one test's files.
fn fresh_dir(kind: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ttlog-continuous-{}-{kind}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn child(kind: &str, dir: &Path, envs: &[(&str, &str)]) -> Command {
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.args(["--exact", "child_entry", "--nocapture", "--test-threads=1"]).env(CHILD, kind).env(DIR, dir);
    for (k, v) in envs {
        cmd.env(k, v);
    }
    cmd
}

fn run(kind: &str, dir: &Path, envs: &[(&str, &str)]) -> Output {
    let out = child(kind, dir, envs).output().unwrap();
    assert!(out.status.success(), "{kind}: {:?}\n{}", out.status, String::from_utf8_lossy(&out.stderr));
    out
}

/// The (thread, seq) fields of an event of `log_event`, or the count of a
/// drop marker.
enum Item {
    Event(u64, u64),
    Dropped(u32, u64),
}

fn items(snap: &Snapshot) -> Vec<Item> {
    snap.events
        .iter()
        .map(|e| {
            let cs = snap.callsite(e).expect("callsite");
            let args: Vec<Value<'_>> = snap.args(e).into_iter().collect();
            match (cs.name.as_str(), &args[..]) {
                ("ttlog::dropped", [Value::U64(n)]) => Item::Dropped(e.thread, *n),
                (_, [Value::U64(i), Value::U64(t)]) => Item::Event(*t, *i),
                _ => panic!("unexpected event {cs:?}"),
            }
        })
        .collect()
}

/// The child's events: thread `t`, sequence `i`.
fn log_event(t: u64, i: u64) {
    ttlog::info!("event {} of thread {}", i, t);
}

fn spawn_loggers(threads: u64, n: u64) {
    let hs: Vec<_> = (0..threads)
        .map(|t| {
            std::thread::Builder::new()
                .name(format!("logger-{t}"))
                .spawn(move || {
                    for i in 0..n {
                        log_event(t, i);
                    }
                })
                .unwrap()
        })
        .collect();
    for h in hs {
        h.join().unwrap();
    }
}

/// What the children do.
#[test]
fn child_entry() {
    let Ok(kind) = std::env::var(CHILD) else { return };
    let dir = PathBuf::from(std::env::var_os(DIR).unwrap());
    let small = || ttlog::Builder::new().buffer_size(16 << 10);
    match kind.as_str() {
        "block" => {
            small().log_file(dir.join("app.ttlog")).init().unwrap();
            spawn_loggers(8, events_per_thread(150_000));
            // Returning from the test and the process exiting flush.
        }
        "drop" => {
            small().log_file(dir.join("app.ttlog")).on_full(ttlog::OnFull::Drop).init().unwrap();
            ttlog::__set_writer_delay(Duration::from_millis(30));
            spawn_loggers(2, events_per_thread(40_000));
            let stats = ttlog::log_file_stats();
            assert_eq!(stats.waited_ns, 0, "no thread waits in Drop mode");
            ttlog::__set_writer_delay(Duration::ZERO);
            ttlog::flush();
            let stats = ttlog::log_file_stats();
            println!("STATS events={} dropped={}", stats.events, stats.dropped);
        }
        "rotate" => {
            small().log_file(dir.join("app.ttlog")).rotate_size(32 << 10).keep(3).init().unwrap();
            for i in 0..60_000 {
                log_event(0, i);
                if i % 5_000 == 0 {
                    ttlog::flush();
                }
            }
        }
        "rotate_every" => {
            small().log_file(dir.join("app.ttlog")).rotate_every(Duration::from_millis(40)).init().unwrap();
            for i in 0..20 {
                log_event(0, i);
                std::thread::sleep(Duration::from_millis(10));
            }
        }
        "kill" => {
            // Turned on by TTLOG_FILE and TTLOG_ON_FULL at the first event.
            // Logs until killed (at most 20 s), slowly once the parent knows
            // that the file has events.
            let start = std::time::Instant::now();
            std::thread::scope(|s| {
                for t in 0..2 {
                    s.spawn(move || {
                        for i in 0.. {
                            log_event(t, i);
                            if t == 0 && i == 20_000 {
                                ttlog::flush();
                                println!("ready");
                            }
                            if i > 20_000 && i % 1_000 == 0 {
                                std::thread::sleep(Duration::from_millis(1));
                                if start.elapsed() > Duration::from_secs(20) {
                                    return;
                                }
                            }
                        }
                    });
                }
            });
        }
        "flush" => {
            let path = dir.join("app.ttlog");
            small().log_file(&path).init().unwrap();
            spawn_loggers(3, 10_000);
            ttlog::flush();
            // Everything is in the file now, before the process ends.
            let snap = ttlog_decode::read_file(&path).unwrap();
            assert_eq!(items(&snap).len(), 30_000);
            for i in 0..500 {
                log_event(9, i);
            }
            // `exit` flushes too (no destructors, no return from `main`).
            std::process::exit(0);
        }
        "big_ring" => {
            // A ring of 1 MiB that fills while the writer sleeps: 20,000
            // events of 32 bytes, 160 blocks, more than one pass of the
            // writer over a ring takes.
            let path = dir.join("app.ttlog");
            ttlog::Builder::new().buffer_size(1 << 20).log_file(&path).init().unwrap();
            ttlog::flush();
            ttlog::__set_writer_delay(Duration::from_millis(300));
            std::thread::sleep(Duration::from_millis(20));
            for i in 0..20_000 {
                log_event(0, i);
            }
            ttlog::__set_writer_delay(Duration::ZERO);
            ttlog::flush();
            let snap = ttlog_decode::read_file(&path).unwrap();
            assert_exactly_once(&snap, 1, 20_000);
            let stats = ttlog::log_file_stats();
            assert_eq!(stats.waited_ns, 0, "the ring had room for every event");
        }
        "default_ring" | "default_ring_env" | "set_ring" => {
            // While the writer sleeps, one thread logs 6,000 events of 32
            // bytes (48 blocks): a ring of the continuous log's default size
            // (256 KiB, 64 blocks) holds them all, a ring set to 64 KiB does
            // not.
            let path = dir.join("app.ttlog");
            match kind.as_str() {
                "default_ring" => ttlog::Builder::new().log_file(&path).init().unwrap(),
                "set_ring" => ttlog::Builder::new().buffer_size(64 << 10).log_file(&path).init().unwrap(),
                // TTLOG_FILE, read at the first event.
                _ => log_event(1, 0),
            }
            ttlog::flush();
            ttlog::__set_writer_delay(Duration::from_millis(300));
            std::thread::sleep(Duration::from_millis(20));
            std::thread::spawn(|| {
                for i in 0..6_000 {
                    log_event(0, i);
                }
            })
            .join()
            .unwrap();
            let waited = ttlog::log_file_stats().waited_ns;
            ttlog::__set_writer_delay(Duration::ZERO);
            ttlog::flush();
            let snap = ttlog_decode::read_file(&path).unwrap();
            let events = items(&snap).iter().filter(|i| matches!(i, Item::Event(0, _))).count();
            assert_eq!(events, 6_000, "every event of the thread in the file");
            if kind == "set_ring" {
                assert!(waited > 0, "a ring of 64 KiB filled and its thread waited for the writer");
            } else {
                assert_eq!(waited, 0, "the ring had room for every event");
            }
        }
        "undrained" => {
            let path = dir.join("app.ttlog");
            small().log_file(&path).init().unwrap();
            ttlog::flush();
            ttlog::__set_writer_delay(Duration::from_millis(500));
            std::thread::sleep(Duration::from_millis(20));
            for i in 0..100 {
                log_event(0, i);
            }
            // The writer sleeps: a snapshot (what crash capture writes) still
            // has every event.
            let snap = ttlog::snapshot("manual");
            let bytes = snap.to_bytes();
            let decoded = ttlog_decode::from_bytes(&bytes).unwrap();
            assert_eq!(items(&decoded).len(), 100);
            let in_file = ttlog_decode::read_file(&path).unwrap();
            assert!(items(&in_file).len() < 100, "the writer drained during its sleep");
            ttlog::__set_writer_delay(Duration::ZERO);
        }
        "fork" => {
            let path = dir.join("app.ttlog");
            small().log_file(&path).init().unwrap();
            log_event(0, 0);
            ttlog::flush();
            // SAFETY: the child only logs, flushes and exits (no lock that
            // another thread may hold at the fork is taken by these).
            let pid = unsafe { libc::fork() };
            assert!(pid >= 0, "fork failed");
            if pid == 0 {
                // The child has no writer: it neither waits for room nor for
                // a flush, and its exit does not wait for the writer.
                for i in 1..20_000 {
                    log_event(0, i);
                }
                ttlog::flush();
                std::process::exit(7);
            }
            let start = std::time::Instant::now();
            let mut status = 0;
            loop {
                // SAFETY: `status` is a valid `int` to write to.
                let r = unsafe { libc::waitpid(pid, &mut status, libc::WNOHANG) };
                if r == pid {
                    break;
                }
                if start.elapsed() > Duration::from_secs(20) {
                    // SAFETY: `pid` is this process's child.
                    unsafe { libc::kill(pid, libc::SIGKILL) };
                    panic!("the forked child hung");
                }
                std::thread::sleep(Duration::from_millis(10));
            }
            assert!(libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 7, "status {status}");
            for i in 1..100 {
                log_event(0, i);
            }
        }
        other => panic!("unknown child {other}"),
    }
}

/// Each thread's events in order, from 0, each once; no drop marker.
fn assert_exactly_once(snap: &Snapshot, threads: u64, n: u64) {
    let mut next = vec![0u64; threads as usize];
    for item in items(snap) {
        match item {
            Item::Event(t, i) => {
                assert_eq!(i, next[t as usize], "thread {t}");
                next[t as usize] += 1;
            }
            Item::Dropped(t, n) => panic!("thread {t}: {n} events dropped in Block mode"),
        }
    }
    assert_eq!(next, vec![n; threads as usize]);
}

#[test]
fn block_mode_writes_every_event_once_in_each_threads_order() {
    let dir = fresh_dir("block");
    let n = events_per_thread(150_000);
    run("block", &dir, &[]);
    let snap = ttlog_decode::read_file(dir.join("app.ttlog")).unwrap();
    assert!(snap.is_intact(), "{:?}", snap.problems);
    assert_exactly_once(&snap, 8, n);
    let names: Vec<&str> = snap.threads.iter().flatten().map(|t| t.name.as_str()).collect();
    assert!(names.contains(&"logger-7"), "{names:?}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn drop_mode_counts_every_lost_event_where_it_was_lost() {
    let dir = fresh_dir("drop");
    let n = events_per_thread(40_000);
    let out = run("drop", &dir, &[]);
    let snap = ttlog_decode::read_file(dir.join("app.ttlog")).unwrap();
    assert!(snap.is_intact(), "{:?}", snap.problems);
    // Per thread: events in order, and a marker for each gap, of its size.
    let mut next = [0u64; 2];
    let mut pending = [0u64; 2];
    let mut events = 0;
    let mut dropped = 0;
    let thread_of = |index: u32| -> usize {
        let name = &snap.threads[index as usize].as_ref().unwrap().name;
        name.strip_prefix("logger-").unwrap().parse().unwrap()
    };
    for item in items(&snap) {
        match item {
            Item::Event(t, i) => {
                let t = t as usize;
                assert_eq!(i, next[t] + pending[t], "thread {t}: the gap before event {i}");
                next[t] = i + 1;
                pending[t] = 0;
                events += 1;
            }
            Item::Dropped(index, c) => {
                pending[thread_of(index)] += c;
                dropped += c;
            }
        }
    }
    for t in 0..2 {
        assert_eq!(next[t] + pending[t], n, "thread {t}");
    }
    assert_eq!(events + dropped, 2 * n);
    assert!(dropped > 0, "a writer this slow must miss events");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains(&format!("STATS events={events} dropped={dropped}")), "{stdout}");
    // The decoder shows the loss as a line.
    let line = snap
        .events
        .iter()
        .find(|e| snap.callsite(e).is_some_and(|c| c.name == "ttlog::dropped"))
        .map(|e| ttlog_decode::render::line::text_line(&snap, e))
        .unwrap();
    assert!(line.contains("WARN") && line.contains(" events dropped"), "{line}");
    let _ = std::fs::remove_dir_all(&dir);
}

fn rotated(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir).unwrap().flatten().map(|e| e.path()).collect();
    v.sort();
    v
}

#[test]
fn rotated_files_decode_on_their_own_and_the_oldest_go() {
    let dir = fresh_dir("rotate");
    let n = 60_000;
    run("rotate", &dir, &[]);
    let files = rotated(&dir);
    assert_eq!(files.len(), 3, "{files:?}");
    let mut expect = None;
    for f in &files {
        let name = f.file_name().unwrap().to_str().unwrap();
        assert!(name.starts_with("app-") && name.ends_with(".ttlog"), "{name}");
        let snap = ttlog_decode::read_file(f).unwrap();
        assert!(snap.is_intact(), "{name}: {:?}", snap.problems);
        assert!(snap.header.is_some());
        for item in items(&snap) {
            let Item::Event(0, i) = item else { panic!("{name}: not an event of thread 0") };
            // The kept files are one stream: each event follows the previous.
            if let Some(e) = expect {
                assert_eq!(i, e, "{name}");
            }
            expect = Some(i + 1);
        }
    }
    assert_eq!(expect, Some(n));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn files_rotate_by_age() {
    let dir = fresh_dir("rotate_every");
    run("rotate_every", &dir, &[]);
    let files = rotated(&dir);
    assert!(files.len() >= 2, "{files:?}");
    let mut all = Vec::new();
    for f in &files {
        let snap = ttlog_decode::read_file(f).unwrap();
        assert!(snap.is_intact(), "{f:?}: {:?}", snap.problems);
        for item in items(&snap) {
            let Item::Event(_, i) = item else { panic!() };
            all.push(i);
        }
    }
    assert_eq!(all, (0..20).collect::<Vec<_>>());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_killed_process_leaves_a_file_that_decodes_to_the_cut() {
    let dir = fresh_dir("kill");
    let path = dir.join("env.ttlog");
    let mut c = child("kill", &dir, &[("TTLOG_FILE", path.to_str().unwrap()), ("TTLOG_ON_FULL", "block")])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = std::io::BufReader::new(c.stdout.take().unwrap());
    let ready = std::io::BufRead::lines(stdout).map_while(Result::ok).any(|l| l.contains("ready"));
    if ready {
        std::thread::sleep(Duration::from_millis(100));
    }
    // SIGKILL: no exit handler runs.
    c.kill().unwrap();
    c.wait().unwrap();
    assert!(ready, "the child did not get ready");
    let snap = ttlog_decode::read_file(&path).unwrap();
    assert!(!snap.problems.is_empty(), "no END frame: the decoder says the file is truncated");
    let mut next = [0u64; 2];
    for item in items(&snap) {
        let Item::Event(t, i) = item else { panic!("a drop in Block mode") };
        assert_eq!(i, next[t as usize], "thread {t}");
        next[t as usize] += 1;
    }
    assert!(next[0] > 20_000, "{next:?}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn flush_returns_with_every_event_in_the_file_and_exit_flushes() {
    let dir = fresh_dir("flush");
    run("flush", &dir, &[]);
    let snap = ttlog_decode::read_file(dir.join("app.ttlog")).unwrap();
    assert!(snap.is_intact(), "{:?}", snap.problems);
    assert_eq!(items(&snap).len(), 30_500);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn flush_takes_a_whole_ring_larger_than_a_pass_of_the_writer() {
    let dir = fresh_dir("big_ring");
    run("big_ring", &dir, &[]);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_continuous_logs_rings_default_to_256_kib_unless_set() {
    for kind in ["default_ring", "set_ring", "default_ring_env"] {
        let dir = fresh_dir(kind);
        let file = dir.join("app.ttlog");
        let env = [("TTLOG_FILE", file.to_str().unwrap())];
        run(kind, &dir, if kind == "default_ring_env" { &env } else { &[] });
        let _ = std::fs::remove_dir_all(&dir);
    }
}

#[test]
fn a_snapshot_holds_what_the_writer_has_not_drained() {
    let dir = fresh_dir("undrained");
    run("undrained", &dir, &[]);
    let snap = ttlog_decode::read_file(dir.join("app.ttlog")).unwrap();
    assert!(snap.is_intact(), "{:?}", snap.problems);
    assert_eq!(items(&snap).len(), 100);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_forked_child_neither_waits_for_the_writer_nor_hangs_at_exit() {
    let dir = fresh_dir("fork");
    run("fork", &dir, &[]);
    let snap = ttlog_decode::read_file(dir.join("app.ttlog")).unwrap();
    assert!(snap.is_intact(), "{:?}", snap.problems);
    // The parent's events only.
    assert_exactly_once(&snap, 1, 100);
    let _ = std::fs::remove_dir_all(&dir);
}
