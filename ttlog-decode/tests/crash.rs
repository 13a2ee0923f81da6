//! Crash capture in real child processes: a panic, a panic in the middle of
//! formatting an event, the on-demand signal, SIGSEGV (a write to a read-only
//! page) and SIGABRT (`abort()`). The child is this test binary, run again with
//! `TTLOG_CRASH_CHILD` set; the parent checks how it ended, decodes the snapshot
//! it left, and checks that the last events before the crash are there.

use std::fmt;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus};
use std::time::{Duration, Instant};

const CHILD: &str = "TTLOG_CRASH_CHILD";
const DIR: &str = "TTLOG_CRASH_TEST_DIR";
/// Events of 24 bytes that the `big-ring` child logs: 24 MiB of its 32 MiB ring.
const BIG_RING_EVENTS: u32 = 1_000_000;

struct Bomb;

impl fmt::Display for Bomb {
    fn fmt(&self, _: &mut fmt::Formatter<'_>) -> fmt::Result {
        panic!("the bomb went off while being formatted")
    }
}

/// What the child does, selected by `TTLOG_CRASH_CHILD`.
fn child(kind: &str, dir: &Path) {
    // No core files from the deliberate crashes.
    let no_core = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: `setrlimit` reads the struct passed by reference.
    unsafe { libc::setrlimit(libc::RLIMIT_CORE, &no_core) };
    let mut builder = ttlog::Builder::new().snapshot_dir(dir).crash_capture();
    if kind == "big-ring" {
        // More than one frame's payload (16 MiB) of ring.
        builder = builder.buffer_size(32 << 20);
    }
    builder.init().expect("crash capture installs");

    let worker = std::thread::Builder::new()
        .name("worker".into())
        .spawn(|| {
            for i in 0..100u32 {
                ttlog::info!("worker event {}", i);
            }
        })
        .unwrap();
    worker.join().unwrap();
    for i in 0..50u32 {
        ttlog::info!("main event {} before {}", i, kind);
    }
    ttlog::warn!("last words before {}", kind);
    match kind {
        "panic" => panic!("deliberate panic"),
        "panic-in-display" => ttlog::info!("this event never completes: {}", Bomb),
        "abort" => std::process::abort(),
        "abort-bridged" => {
            // Callsites made after crash capture was installed: the `log`
            // bridge's, one per call.
            ttlog::bridge::log::init().unwrap();
            for i in 0..20u32 {
                log::warn!(n = i; "bridged {} after init", i);
            }
            std::process::abort()
        }
        "big-ring" => {
            for i in 0..BIG_RING_EVENTS {
                ttlog::info!("big ring event {}", i);
            }
            std::process::abort()
        }
        "segv" => {
            // SAFETY: maps one fresh read-only page; the write below faults on it,
            // which is the point. The mapping is never used otherwise.
            unsafe {
                let page = libc::mmap(
                    std::ptr::null_mut(),
                    4096,
                    libc::PROT_READ,
                    libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                    -1,
                    0,
                );
                assert_ne!(page, libc::MAP_FAILED);
                std::ptr::write_volatile(page.cast::<u8>(), 1);
            }
            unreachable!("the write to a read-only page did not fault");
        }
        "signal" => {
            // SAFETY: sending a signal to this process.
            unsafe { libc::kill(libc::getpid(), ttlog::DEFAULT_SNAPSHOT_SIGNAL) };
            let deadline = Instant::now() + Duration::from_secs(20);
            while snapshots(dir).is_empty() {
                assert!(Instant::now() < deadline, "no on-demand snapshot appeared");
                std::thread::sleep(Duration::from_millis(20));
            }
            // The process lives on after an on-demand snapshot.
            ttlog::info!("still running after the snapshot");
        }
        other => panic!("unknown child kind {other}"),
    }
}

/// Entry point of the child process; a no-op in a normal test run.
#[test]
fn child_entry() {
    if let (Ok(kind), Ok(dir)) = (std::env::var(CHILD), std::env::var(DIR)) {
        child(&kind, Path::new(&dir));
    }
}

fn snapshots(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| rd.flatten().map(|e| e.path()).filter(|p| p.extension().is_some_and(|x| x == "ttlog")).collect())
        .unwrap_or_default();
    v.sort();
    v
}

/// Runs the child, returns how it ended and the one snapshot it left.
fn run_child(kind: &str) -> (ExitStatus, String, PathBuf, ttlog_decode::Snapshot) {
    let dir = std::env::temp_dir().join(format!("ttlog-crash-{}-{kind}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let out = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "child_entry", "--nocapture", "--test-threads=1"])
        .env(CHILD, kind)
        .env(DIR, &dir)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let files = snapshots(&dir);
    assert_eq!(
        files.len(),
        1,
        "{kind}: expected one snapshot in {}, found {files:?}\nstderr:\n{stderr}",
        dir.display()
    );
    let snap = ttlog_decode::read_file(&files[0]).unwrap_or_else(|e| panic!("{kind}: {e}"));
    (out.status, stderr, files[0].clone(), snap)
}

fn messages(snap: &ttlog_decode::Snapshot) -> Vec<String> {
    snap.events
        .iter()
        .filter_map(|e| snap.callsite(e).map(|c| ttlog_decode::render::message::message(c, snap.args(e))))
        .collect()
}

fn assert_last_events(kind: &str, snap: &ttlog_decode::Snapshot) {
    assert!(snap.is_intact(), "{kind}: {:?}", snap.problems);
    let m = messages(snap);
    for needle in
        [format!("main event 49 before {kind}"), format!("last words before {kind}"), "worker event 99".to_owned()]
    {
        assert!(m.contains(&needle), "{kind}: {needle:?} missing from {} events; last: {:?}", m.len(), m.last());
    }
    let names: Vec<&str> = snap.threads.iter().flatten().map(|t| t.name.as_str()).collect();
    assert!(names.contains(&"worker"), "{kind}: threads {names:?}");
}

fn signal_of(status: ExitStatus) -> Option<i32> {
    std::os::unix::process::ExitStatusExt::signal(&status)
}

#[test]
fn a_panic_leaves_a_snapshot_with_the_panic_in_it() {
    let (status, stderr, path, snap) = run_child("panic");
    assert_eq!(status.code(), Some(101), "{stderr}");
    assert!(path.to_string_lossy().contains("-panic-"), "{}", path.display());
    assert!(stderr.contains("ttlog: panic snapshot written to"), "{stderr}");
    // The previous hook (the default one) still ran.
    assert!(stderr.contains("deliberate panic"), "{stderr}");
    assert_last_events("panic", &snap);
    let m = messages(&snap);
    assert!(m.iter().any(|l| l.contains("panicked at") && l.ends_with("deliberate panic")), "{m:?}");
    // The panic event carries the panic's location, not ttlog's.
    let panic = snap.events.iter().find(|e| messages_of(&snap, e).ends_with("deliberate panic")).unwrap();
    let cs = snap.callsite(panic).unwrap();
    assert!(cs.file.ends_with("tests/crash.rs") && cs.line > 0, "{cs:?}");
    let trigger = snap.trigger.as_ref().expect("a trigger frame");
    assert_eq!((trigger.panic_file.as_str(), trigger.panic_line), (cs.file.as_str(), cs.line));
    assert_eq!(snap.trigger_thread().map(|t| t.tid), Some(trigger.tid), "{trigger:?}");
}

#[test]
fn a_panic_while_formatting_an_event_does_not_deadlock() {
    let (status, stderr, _, snap) = run_child("panic-in-display");
    assert_eq!(status.code(), Some(101), "{stderr}");
    assert_last_events("panic-in-display", &snap);
    // The half-written event is not in the snapshot; the panic event that
    // the hook logged from inside it is, with the panic's own location, in a
    // ring of its own listed under the panicking thread's id and name.
    let m = messages(&snap);
    assert!(!m.iter().any(|l| l.contains("never completes")), "{m:?}");
    let panic = snap
        .events
        .iter()
        .find(|e| messages_of(&snap, e).contains("the bomb went off while being formatted"))
        .unwrap_or_else(|| panic!("no panic event in {m:?}"));
    let cs = snap.callsite(panic).unwrap();
    assert!(cs.file.ends_with("tests/crash.rs"), "{cs:?}");
    let trigger = snap.trigger.as_ref().expect("a trigger frame");
    assert!(trigger.panic_file.ends_with("tests/crash.rs"), "{trigger:?}");
    assert_eq!(cs.line, trigger.panic_line);
    let side = snap.thread(panic).unwrap();
    let main = snap.threads.iter().flatten().find(|t| t.name != "worker" && !t.exited).unwrap();
    assert_eq!((side.tid, &side.name), (main.tid, &main.name), "{side:?} {main:?}");
}

fn messages_of(snap: &ttlog_decode::Snapshot, e: &ttlog_decode::Event) -> String {
    snap.callsite(e).map(|c| ttlog_decode::render::message::message(c, snap.args(e))).unwrap_or_default()
}

#[test]
fn the_on_demand_signal_writes_a_snapshot_and_the_process_goes_on() {
    let (status, stderr, path, snap) = run_child("signal");
    assert!(status.success(), "{stderr}");
    assert!(path.to_string_lossy().contains("-SIGUSR2-"), "{}", path.display());
    assert_last_events("signal", &snap);
    assert_eq!(snap.header.as_ref().unwrap().reason, "SIGUSR2");
}

#[test]
fn sigsegv_leaves_a_snapshot_and_still_kills_the_process() {
    let (status, stderr, path, snap) = run_child("segv");
    assert_eq!(signal_of(status), Some(libc::SIGSEGV), "{status:?} {stderr}");
    assert!(path.to_string_lossy().contains("-SIGSEGV-"), "{}", path.display());
    assert!(stderr.contains("ttlog: crash snapshot written to"), "{stderr}");
    assert_last_events("segv", &snap);
    // The summary says what happened and where, and marks the thread.
    let summary = decode_cli(&path, &["--summary"]);
    let trigger = snap.trigger.as_ref().expect("a trigger frame");
    let tid = trigger.tid;
    assert!(
        summary.contains(&format!(
            "# signal 11 SIGSEGV si_code 2 SEGV_ACCERR at address {:#x}, in thread {tid} ",
            trigger.addr
        )),
        "{summary}"
    );
    assert_ne!(trigger.addr, 0);
    assert!(
        summary.lines().any(|l| l.starts_with("# thread") && l.contains(&tid.to_string()) && l.ends_with("<- trigger")),
        "{summary}"
    );
    let info = decode_cli(&path, &["info"]);
    assert!(info.contains("trigger     signal 11 SIGSEGV si_code 2 SEGV_ACCERR at address"), "{info}");
    let json = decode_cli(&path, &["--summary", "--json"]);
    let first: serde_json::Value = serde_json::from_str(json.lines().next().unwrap()).unwrap();
    assert_eq!(first["kind"], "snapshot", "{first}");
    assert_eq!(first["header"]["reason"], "SIGSEGV", "{first}");
    let t = &first["trigger"];
    assert_eq!((t["signal"].as_u64(), t["si_code"].as_i64()), (Some(11), Some(2)), "{first}");
    assert_eq!((t["signal_name"].as_str(), t["si_code_name"].as_str()), (Some("SIGSEGV"), Some("SEGV_ACCERR")));
    assert_eq!(t["si_addr"].as_u64(), Some(trigger.addr), "{first}");
    assert_eq!(t["tid"].as_u64(), Some(tid), "{first}");
}

#[test]
fn a_fatal_snapshot_knows_the_callsites_made_after_it_was_installed() {
    let (status, stderr, _, snap) = run_child("abort-bridged");
    assert_eq!(signal_of(status), Some(libc::SIGABRT), "{status:?} {stderr}");
    assert!(snap.is_intact(), "{:?}", snap.problems);
    let texts: Vec<String> = snap
        .events
        .iter()
        .filter(|e| snap.callsite(e).is_some_and(|c| c.level == ttlog::Level::Warn && c.line != 0))
        .map(|e| ttlog_decode::render::line::text_line(&snap, e))
        .filter(|l| l.contains(": bridged "))
        .collect();
    assert_eq!(texts.len(), 20, "{texts:#?}");
    for (i, t) in texts.iter().enumerate() {
        assert!(t.ends_with(&format!("bridged {i} after init n={i}")), "{t}");
    }
}

/// Runs the `ttlog-decode` binary on `path`; its standard output.
fn decode_cli(path: &Path, args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_ttlog-decode")).args(args).arg(path).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn sigabrt_leaves_a_snapshot_and_still_kills_the_process() {
    let (status, stderr, path, snap) = run_child("abort");
    assert_eq!(signal_of(status), Some(libc::SIGABRT), "{status:?} {stderr}");
    assert!(path.to_string_lossy().contains("-SIGABRT-"), "{}", path.display());
    assert_last_events("abort", &snap);
}

#[test]
fn a_ring_larger_than_a_frame_is_written_whole() {
    let (status, stderr, _, snap) = run_child("big-ring");
    assert_eq!(signal_of(status), Some(libc::SIGABRT), "{status:?} {stderr}");
    assert_last_events("big-ring", &snap);
    let main = snap.threads.iter().flatten().find(|t| t.name != "worker").unwrap();
    assert_eq!(main.overwritten, 0, "{main:?}");
    assert_eq!(main.recorded, 50 + 1 + BIG_RING_EVENTS as u64, "{main:?}");
    let m = messages(&snap);
    assert!(
        m.contains(&"big ring event 0".to_owned()) && m.contains(&format!("big ring event {}", BIG_RING_EVENTS - 1))
    );
}
