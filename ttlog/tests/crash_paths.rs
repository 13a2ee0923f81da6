//! Every crash path in a child process, checked from outside: how the child
//! ended (SIGSEGV 139, SIGBUS 135, SIGABRT 134, SIGTERM 143, SIGINT 130,
//! panic 101, exit 0), the snapshot it left in a directory that ttlog had to
//! create, decoded: the last event of every thread, the crashing thread named,
//! the signal's details. Then the storm limit and the cap on files, a planted
//! symbolic link, the files' and the directory's modes, a child created by
//! `fork`, and one wall-clock time for an event in every snapshot.
//!
//! The child is this test binary, run again with `TTLOG_PATHS_CHILD` set to
//! what it should do and `TTLOG_PATHS_DIR` to its snapshot directory.

use std::io::{BufRead, BufReader};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

const CHILD: &str = "TTLOG_PATHS_CHILD";
const DIR: &str = "TTLOG_PATHS_DIR";
const WORKERS: usize = 3;

/// Threads that log, then each a last event, then wait forever (until the
/// process dies): their last events must be in the snapshot.
fn start_workers() {
    let logged = Arc::new(Barrier::new(WORKERS + 1));
    for w in 0..WORKERS {
        let logged = logged.clone();
        std::thread::Builder::new()
            .name(format!("worker-{w}"))
            .spawn(move || {
                for i in 0..200u32 {
                    ttlog::info!("worker {} event {}", w as u32, i);
                }
                ttlog::warn!("worker {} last words", w as u32);
                logged.wait();
                loop {
                    std::thread::park();
                }
            })
            .unwrap();
    }
    logged.wait();
}

/// Prints a line the parent waits for, then sleeps until it is killed.
fn ready_and_wait() -> ! {
    ttlog::warn!("main last words");
    println!("ready");
    use std::io::Write;
    std::io::stdout().flush().unwrap();
    std::thread::sleep(Duration::from_secs(60));
    panic!("not killed within a minute");
}

/// A SIGTERM handler of the program's own, installed before ttlog's.
extern "C" fn own_term_handler(_: libc::c_int) {
    // SAFETY: `_exit` is async-signal-safe.
    unsafe { libc::_exit(7) };
}

fn child(kind: &str, dir: &Path) {
    // No core files from the deliberate crashes.
    let no_core = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: `setrlimit` reads the struct passed by reference.
    unsafe { libc::setrlimit(libc::RLIMIT_CORE, &no_core) };
    // A shell starts background jobs with SIGINT ignored, and ttlog leaves an
    // ignored signal ignored: these children are the ordinary case, where
    // SIGINT and SIGTERM have their default action.
    for sig in [libc::SIGINT, libc::SIGTERM] {
        // SAFETY: sets the default action, which needs no handler.
        unsafe { libc::signal(sig, libc::SIG_DFL) };
    }
    if kind == "term-chained" {
        // SAFETY: installs a handler of the right signature.
        unsafe { libc::signal(libc::SIGTERM, own_term_handler as extern "C" fn(libc::c_int) as libc::sighandler_t) };
    }
    let mut b = ttlog::Builder::new().crash_capture();
    if kind != "default-dir" && kind != "default-dir-refused" {
        b = b.snapshot_dir(dir);
    }
    match kind {
        "exit" => b = b.snapshot_on_exit(),
        "storm" => b = b.max_snapshot_files(16),
        "cap" => b = b.min_snapshot_interval(Duration::ZERO).max_snapshot_files(5),
        _ => {}
    }
    if let Err(e) = b.init() {
        eprintln!("init failed: {e}");
        std::process::exit(3);
    }
    start_workers();
    for i in 0..50u32 {
        ttlog::info!("main event {} before {}", i, kind);
    }
    match kind {
        "segv" => {
            let crasher = std::thread::Builder::new().name("crasher".into());
            crasher
                .spawn(|| {
                    // SAFETY: maps one fresh read-only page; the write below
                    // faults on it, which is the point.
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
                        ttlog::warn!("crasher writes to {}", page as usize as u64);
                        std::ptr::write_volatile(page.cast::<u8>().add(8), 1);
                    }
                })
                .unwrap()
                .join()
                .unwrap();
            unreachable!("the write to a read-only page did not fault");
        }
        "bus" => {
            // A shared mapping of an empty file: reading it is SIGBUS.
            let path = dir.join("empty");
            let f = std::fs::File::options().read(true).write(true).create(true).truncate(true).open(&path).unwrap();
            use std::os::fd::AsRawFd;
            // SAFETY: maps a page of a file of length 0 and reads it, which
            // faults with SIGBUS, the point of the test.
            unsafe {
                let page = libc::mmap(std::ptr::null_mut(), 4096, libc::PROT_READ, libc::MAP_SHARED, f.as_raw_fd(), 0);
                assert_ne!(page, libc::MAP_FAILED);
                ttlog::warn!("main reads {}", page as usize as u64);
                std::ptr::read_volatile(page.cast::<u8>());
            }
            unreachable!("reading past the end of a file did not fault");
        }
        "abort" => {
            ttlog::warn!("main last words");
            std::process::abort()
        }
        "abort-dir-gone" => {
            // The directory `init` made is gone by the time of the crash:
            // the handler makes it again.
            std::fs::remove_dir_all(dir).unwrap();
            ttlog::warn!("main last words");
            std::process::abort()
        }
        "panic" => {
            ttlog::warn!("main last words");
            panic!("deliberate panic")
        }
        "term" | "int" | "term-chained" | "storm" | "cap" => ready_and_wait(),
        "exit" | "default-dir" => {
            ttlog::warn!("main last words");
            // Back to the harness, which exits normally.
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

fn base_dir(kind: &str) -> PathBuf {
    let base = std::env::temp_dir().join(format!("ttlog-paths-{}-{kind}", std::process::id()));
    let _ = std::fs::remove_dir_all(&base);
    std::fs::create_dir_all(&base).unwrap();
    base
}

fn spawn(kind: &str, dir: &Path, tmpdir: Option<&Path>) -> Child {
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.args(["--exact", "child_entry", "--nocapture", "--test-threads=1"])
        .env(CHILD, kind)
        .env(DIR, dir)
        .env_remove("TTLOG_DIR")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(t) = tmpdir {
        cmd.env("TMPDIR", t);
    }
    cmd.spawn().unwrap()
}

/// Waits for the child's "ready" line.
fn wait_ready(child: &mut Child) {
    let out = child.stdout.take().unwrap();
    let mut lines = BufReader::new(out).lines();
    loop {
        match lines.next() {
            // The harness may have printed `test child_entry ... ` first.
            Some(Ok(l)) if l.trim_end().ends_with("ready") => return,
            Some(Ok(_)) => {}
            _ => panic!("the child ended before it was ready"),
        }
    }
}

fn finish(child: Child) -> (ExitStatus, String) {
    let out = child.wait_with_output().unwrap();
    (out.status, String::from_utf8_lossy(&out.stderr).into_owned())
}

fn snapshots(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| rd.flatten().map(|e| e.path()).filter(|p| p.extension().is_some_and(|x| x == "ttlog")).collect())
        .unwrap_or_default();
    v.sort();
    v
}

fn the_snapshot(kind: &str, dir: &Path, stderr: &str) -> (PathBuf, ttlog_decode::Snapshot) {
    let files = snapshots(dir);
    assert_eq!(
        files.len(),
        1,
        "{kind}: expected one snapshot in {}, found {files:?}\nstderr:\n{stderr}",
        dir.display()
    );
    let snap = ttlog_decode::read_file(&files[0]).unwrap_or_else(|e| panic!("{kind}: {e}"));
    assert!(snap.is_intact(), "{kind}: {:?}", snap.problems);
    let mode = std::fs::metadata(&files[0]).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "{kind}: {}", files[0].display());
    (files[0].clone(), snap)
}

fn messages(snap: &ttlog_decode::Snapshot) -> Vec<String> {
    snap.events
        .iter()
        .filter_map(|e| snap.callsite(e).map(|c| ttlog_decode::render::message::message(c, snap.args(e))))
        .collect()
}

/// The last event of every thread is there, and the threads are named.
fn assert_last_events(kind: &str, snap: &ttlog_decode::Snapshot, main_last: &str) {
    let m = messages(snap);
    let mut wanted: Vec<String> = (0..WORKERS).map(|w| format!("worker {w} last words")).collect();
    wanted.push(main_last.to_owned());
    for needle in wanted {
        assert!(m.contains(&needle), "{kind}: {needle:?} missing from {} events; last: {:?}", m.len(), m.last());
    }
    let names: Vec<&str> = snap.threads.iter().flatten().map(|t| t.name.as_str()).collect();
    for w in 0..WORKERS {
        assert!(names.contains(&format!("worker-{w}").as_str()), "{kind}: threads {names:?}");
    }
}

/// Runs a child that crashes by itself; the snapshot directory is two
/// levels that do not exist yet.
fn run_crash(kind: &str) -> (ExitStatus, String, PathBuf, ttlog_decode::Snapshot) {
    let base = base_dir(kind);
    let dir = base.join("not").join("yet");
    let child = spawn(kind, &dir, None);
    let (status, stderr) = finish(child);
    assert!(dir.is_dir(), "{kind}: ttlog did not create {}\n{stderr}", dir.display());
    let (path, snap) = the_snapshot(kind, &dir, &stderr);
    let _ = std::fs::remove_dir_all(&base);
    (status, stderr, path, snap)
}

/// A value of the event whose message starts with `prefix`: its last word.
fn logged_number(snap: &ttlog_decode::Snapshot, prefix: &str) -> u64 {
    let m = messages(snap);
    let line = m.iter().find(|l| l.starts_with(prefix)).unwrap_or_else(|| panic!("no {prefix:?} in {m:?}"));
    line.rsplit(' ').next().unwrap().parse().unwrap()
}

#[test]
fn sigsegv_names_the_crashing_thread_and_the_faulting_address() {
    let (status, stderr, path, snap) = run_crash("segv");
    assert_eq!(status.signal(), Some(libc::SIGSEGV), "{status:?} {stderr}");
    assert!(path.to_string_lossy().contains("-SIGSEGV-"), "{}", path.display());
    assert_last_events("segv", &snap, "main event 49 before segv");
    let t = snap.trigger.as_ref().expect("a trigger frame");
    assert_eq!(t.signal, libc::SIGSEGV as u32);
    // SEGV_ACCERR: a write to a page mapped without write permission.
    assert_eq!(t.code, 2, "{t:?}");
    assert_eq!(t.addr, logged_number(&snap, "crasher writes to") + 8, "{t:?}");
    assert_eq!(t.thread, "crasher");
    let crashed = snap.trigger_thread().expect("the crashing thread is listed");
    assert_eq!((crashed.tid, crashed.name.as_str()), (t.tid, "crasher"));
    assert!(messages(&snap).iter().any(|m| m.starts_with("crasher writes to")));
}

#[test]
fn sigbus_leaves_a_snapshot_with_the_address() {
    let (status, stderr, _, snap) = run_crash("bus");
    assert_eq!(status.signal(), Some(libc::SIGBUS), "{status:?} {stderr}");
    assert_last_events("bus", &snap, "main event 49 before bus");
    let t = snap.trigger.as_ref().unwrap();
    assert_eq!((t.signal, t.code), (libc::SIGBUS as u32, 2) /* BUS_ADRERR */, "{t:?}");
    assert_eq!(t.addr, logged_number(&snap, "main reads"), "{t:?}");
    assert_eq!(snap.trigger_thread().map(|th| th.tid), Some(t.tid));
}

#[test]
fn sigabrt_leaves_a_snapshot() {
    let (status, stderr, _, snap) = run_crash("abort");
    assert_eq!(status.signal(), Some(libc::SIGABRT), "{status:?} {stderr}");
    assert_last_events("abort", &snap, "main last words");
    let t = snap.trigger.as_ref().unwrap();
    assert_eq!(t.signal, libc::SIGABRT as u32);
    assert_eq!(snap.trigger_thread().map(|th| th.tid), Some(t.tid), "{t:?}");
}

#[test]
fn the_signal_handler_makes_the_directory_again_if_it_has_gone() {
    let (status, stderr, _, snap) = run_crash("abort-dir-gone");
    assert_eq!(status.signal(), Some(libc::SIGABRT), "{status:?} {stderr}");
    assert_last_events("abort-dir-gone", &snap, "main last words");
}

#[test]
fn a_panic_leaves_a_snapshot_at_the_panics_location() {
    let (status, stderr, _, snap) = run_crash("panic");
    assert_eq!(status.code(), Some(101), "{stderr}");
    assert_last_events("panic", &snap, "main last words");
    let t = snap.trigger.as_ref().unwrap();
    assert!(t.panic_file.ends_with("tests/crash_paths.rs") && t.panic_line > 0, "{t:?}");
    let panic = snap.events.iter().find(|e| snap.callsite(e).is_some_and(|c| c.target == "panic")).unwrap();
    let cs = snap.callsite(panic).unwrap();
    assert_eq!((cs.file.as_str(), cs.line), (t.panic_file.as_str(), t.panic_line));
}

/// Runs a child that waits to be killed, and sends it `sig`.
fn run_killed(kind: &str, sig: libc::c_int) -> (ExitStatus, String, PathBuf, ttlog_decode::Snapshot, u32) {
    let base = base_dir(kind);
    let dir = base.join("missing");
    let mut child = spawn(kind, &dir, None);
    wait_ready(&mut child);
    let pid = child.id();
    // SAFETY: sending a signal to our child.
    unsafe { libc::kill(pid as libc::pid_t, sig) };
    let (status, stderr) = finish(child);
    let (path, snap) = the_snapshot(kind, &dir, &stderr);
    let _ = std::fs::remove_dir_all(&base);
    (status, stderr, path, snap, pid)
}

#[test]
fn sigterm_leaves_a_snapshot_and_ends_with_status_143() {
    let (status, stderr, path, snap, _) = run_killed("term", libc::SIGTERM);
    assert_eq!(status.signal(), Some(libc::SIGTERM), "{status:?} {stderr}");
    assert_eq!(128 + status.signal().unwrap(), 143);
    assert!(path.to_string_lossy().contains("-SIGTERM-"), "{}", path.display());
    assert_last_events("term", &snap, "main last words");
    let t = snap.trigger.as_ref().unwrap();
    assert_eq!((t.signal, t.code), (libc::SIGTERM as u32, libc::SI_USER), "{t:?}");
    assert_eq!(t.sender_pid, std::process::id(), "{t:?}");
}

#[test]
fn sigint_leaves_a_snapshot_and_ends_with_status_130() {
    let (status, stderr, path, snap, _) = run_killed("int", libc::SIGINT);
    assert_eq!(status.signal(), Some(libc::SIGINT), "{status:?} {stderr}");
    assert_eq!(128 + status.signal().unwrap(), 130);
    assert!(path.to_string_lossy().contains("-SIGINT-"), "{}", path.display());
    assert_last_events("int", &snap, "main last words");
}

#[test]
fn sigterm_goes_on_to_the_programs_own_handler() {
    let (status, stderr, _, snap, _) = run_killed("term-chained", libc::SIGTERM);
    // The handler installed before ttlog's ran: it exits with 7.
    assert_eq!(status.code(), Some(7), "{status:?} {stderr}");
    assert_last_events("term-chained", &snap, "main last words");
}

#[test]
fn a_normal_exit_leaves_a_snapshot_when_asked() {
    let (status, stderr, path, snap) = run_crash("exit");
    assert!(status.success(), "{status:?} {stderr}");
    assert!(path.to_string_lossy().contains("-exit-"), "{}", path.display());
    assert_last_events("exit", &snap, "main last words");
    assert_eq!(snap.header.as_ref().unwrap().reason, "exit");
}

/// Sends `n` signals `sig` to `pid`, `gap` apart.
fn storm(pid: u32, sig: libc::c_int, n: usize, gap: Duration) {
    for _ in 0..n {
        // SAFETY: sending a signal to our child.
        unsafe { libc::kill(pid as libc::pid_t, sig) };
        std::thread::sleep(gap);
    }
}

fn decode_all(dir: &Path) -> Vec<ttlog_decode::Snapshot> {
    snapshots(dir)
        .iter()
        .map(|p| ttlog_decode::read_file(p).unwrap_or_else(|e| panic!("{}: {e}", p.display())))
        .collect()
}

#[test]
fn a_storm_of_signals_writes_one_snapshot_a_second_and_counts_the_rest() {
    let base = base_dir("storm");
    let mut child = spawn("storm", &base, None);
    wait_ready(&mut child);
    let pid = child.id();
    let started = Instant::now();
    storm(pid, ttlog::DEFAULT_SNAPSHOT_SIGNAL, 200, Duration::from_millis(5));
    let spent = started.elapsed();
    // Let the snapshot thread finish, then end the child: the termination
    // snapshot reports what was skipped since the last one.
    std::thread::sleep(Duration::from_millis(300));
    // SAFETY: sending a signal to our child.
    unsafe { libc::kill(pid as libc::pid_t, libc::SIGTERM) };
    let (status, stderr) = finish(child);
    assert_eq!(status.signal(), Some(libc::SIGTERM), "{stderr}");
    let snaps = decode_all(&base);
    let on_demand = snaps.iter().filter(|s| s.header.as_ref().unwrap().reason == "SIGUSR2").count();
    let skipped: u64 = snaps.iter().map(|s| s.trigger.as_ref().unwrap().skipped).sum();
    // One a second at most (the storm lasted `spent`), and every signal the
    // kernel delivered is either a snapshot or counted as skipped.
    let allowed = spent.as_secs() as usize + 1;
    assert!((1..=allowed).contains(&on_demand), "{on_demand} on-demand snapshots in {spent:?}\n{stderr}");
    assert!(skipped as usize + on_demand <= 200, "{skipped} + {on_demand}");
    assert!(skipped >= 100, "only {skipped} skipped of 200 signals");
    assert!(snaps.iter().all(ttlog_decode::Snapshot::is_intact));
    let _ = std::fs::remove_dir_all(&base);
}

/// The program name as it appears in snapshot file names.
fn file_program() -> String {
    let exe = std::env::current_exe().unwrap();
    let name = exe.file_name().unwrap().to_string_lossy().into_owned();
    name.bytes()
        .take(64)
        .map(|b| if b.is_ascii_alphanumeric() || b == b'_' || b == b'.' || b == b'+' { b as char } else { '_' })
        .collect()
}

#[test]
fn the_directory_keeps_at_most_the_cap_of_this_programs_files() {
    let base = base_dir("cap");
    // Two old snapshots of this program from an earlier process, and a file
    // of another program: the old ones go first, the other stays.
    let program = file_program();
    let old = [
        base.join(format!("{program}-1-panic-20200101T000000Z.ttlog")),
        base.join(format!("{program}-1-panic-20200101T000001Z.ttlog")),
    ];
    for p in &old {
        std::fs::write(p, b"old").unwrap();
        let f = std::fs::File::options().write(true).open(p).unwrap();
        f.set_modified(std::time::SystemTime::UNIX_EPOCH + Duration::from_secs(1_600_000_000)).unwrap();
    }
    let other = base.join("other-1-panic-20200101T000000Z.ttlog");
    std::fs::write(&other, b"other").unwrap();
    let mut child = spawn("cap", &base, None);
    wait_ready(&mut child);
    let pid = child.id();
    storm(pid, ttlog::DEFAULT_SNAPSHOT_SIGNAL, 200, Duration::from_millis(5));
    std::thread::sleep(Duration::from_millis(300));
    // SAFETY: sending a signal to our child.
    unsafe { libc::kill(pid as libc::pid_t, libc::SIGTERM) };
    let (_, stderr) = finish(child);
    let ours: Vec<PathBuf> = snapshots(&base)
        .into_iter()
        .filter(|p| p.file_name().unwrap().to_string_lossy().starts_with(&program))
        .collect();
    assert!(!ours.is_empty() && ours.len() <= 5, "{ours:?}\n{stderr}");
    assert!(stderr.matches("on-demand snapshot written").count() > 5, "no storm without an interval:\n{stderr}");
    for p in &old {
        assert!(!p.exists(), "{} was kept", p.display());
    }
    assert!(other.exists(), "another program's file was removed");
    let _ = std::fs::remove_dir_all(&base);
}

#[test]
fn the_default_directory_is_private_and_created() {
    let base = base_dir("default-dir");
    let child = spawn("default-dir", Path::new("unused"), Some(&base));
    let (status, stderr) = finish(child);
    assert!(status.success(), "{stderr}");
    // SAFETY: `geteuid` has no preconditions.
    let uid = unsafe { libc::geteuid() };
    let dir = base.join(format!("ttlog-{uid}"));
    let meta = std::fs::symlink_metadata(&dir).unwrap();
    assert!(meta.is_dir());
    assert_eq!(meta.mode() & 0o777, 0o700);
    assert_eq!(meta.uid(), uid);
    // `crash_capture` without an exit snapshot: the directory is made at
    // `init` and is empty.
    assert!(snapshots(&dir).is_empty());
    let _ = std::fs::remove_dir_all(&base);
}

#[test]
fn a_default_directory_open_to_others_is_refused() {
    let base = base_dir("default-dir-refused");
    // SAFETY: `geteuid` has no preconditions.
    let uid = unsafe { libc::geteuid() };
    let dir = base.join(format!("ttlog-{uid}"));
    std::fs::create_dir(&dir).unwrap();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    let child = spawn("default-dir-refused", Path::new("unused"), Some(&base));
    let (status, stderr) = finish(child);
    assert_eq!(status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("refusing the snapshot directory") && stderr.contains("0755"), "{stderr}");
    let _ = std::fs::remove_dir_all(&base);
}

/// `PROGRAM-PID-REASON-YYYYMMDDTHHMMSSZ[-N].ttlog` at `secs`.
fn file_name(program: &str, pid: u32, reason: &str, secs: u64, n: u32) -> String {
    let (y, mo, d) = ttlog::clock::civil_from_days((secs / 86_400) as i64);
    let rem = secs % 86_400;
    let suffix = if n > 1 { format!("-{n}") } else { String::new() };
    format!(
        "{program}-{pid}-{reason}-{y:04}{mo:02}{d:02}T{:02}{:02}{:02}Z{suffix}.ttlog",
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    )
}

#[test]
fn a_planted_link_at_the_next_snapshots_name_is_not_followed() {
    let base = base_dir("link");
    let dir = base.join("snaps");
    let victim = base.join("victim");
    std::fs::write(&victim, b"untouched").unwrap();
    // In a child, so that the directory and the time are this test's own.
    let program = file_program();
    let status = run_in_fork(|| {
        ttlog::Builder::new().snapshot_dir(&dir).init().unwrap();
        ttlog::info!("an event to snapshot");
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
        // SAFETY: `getpid` has no preconditions.
        let pid = unsafe { libc::getpid() } as u32;
        // Links at the first name and at the second's temporary name, for
        // this second and the next few.
        for s in now..now + 5 {
            std::os::unix::fs::symlink(&victim, dir.join(file_name(&program, pid, "manual", s, 1))).unwrap();
            let part = format!("{}.part", file_name(&program, pid, "manual", s, 2));
            std::os::unix::fs::symlink(&victim, dir.join(part)).unwrap();
        }
        let path = ttlog::snapshot("manual").save_to_dir().unwrap();
        assert!(path.to_string_lossy().ends_with("-3.ttlog"), "{}", path.display());
        let meta = std::fs::symlink_metadata(&path).unwrap();
        assert!(meta.file_type().is_file());
        assert_eq!(meta.mode() & 0o777, 0o600);
    });
    assert!(status.success(), "{status:?}");
    assert_eq!(std::fs::read(&victim).unwrap(), b"untouched");
    let links = std::fs::read_dir(&dir).unwrap().flatten().filter(|e| e.file_type().unwrap().is_symlink()).count();
    assert_eq!(links, 10, "the planted links stay links");
    let _ = std::fs::remove_dir_all(&base);
}

/// Runs `f` in a child created by `fork` (the test harness's other threads
/// do not follow), and returns how it ended. The child exits 0 when `f`
/// returns and 101 when it panics.
fn run_in_fork(f: impl FnOnce()) -> ExitStatus {
    // SAFETY: the child runs `f` and leaves with `_exit`, never returning
    // into the harness; it inherits no thread of the parent's but the
    // recorder's state, which is what is tested.
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0, "fork failed");
    if pid == 0 {
        let ok = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).is_ok();
        // SAFETY: leaves the child without running the harness's exit code.
        unsafe { libc::_exit(if ok { 0 } else { 101 }) };
    }
    wait_for(pid, Duration::from_secs(60))
}

/// Waits for `pid`, at most `limit`: a hang (a lock inherited held) fails.
fn wait_for(pid: libc::pid_t, limit: Duration) -> ExitStatus {
    let deadline = Instant::now() + limit;
    loop {
        let mut status = 0;
        // SAFETY: `status` is a valid place for `waitpid` to write.
        let rc = unsafe { libc::waitpid(pid, &mut status, libc::WNOHANG) };
        if rc == pid {
            return ExitStatus::from_raw(status);
        }
        if Instant::now() > deadline {
            // The hung child's stacks, where gdb is installed, say which
            // lock or loop it is stuck in.
            if let Ok(out) =
                Command::new("gdb").args(["-p", &pid.to_string(), "-batch", "-ex", "thread apply all bt"]).output()
            {
                eprintln!("{}", String::from_utf8_lossy(&out.stdout));
            }
            // SAFETY: killing our own child.
            unsafe { libc::kill(pid, libc::SIGKILL) };
            panic!("the child {pid} hung");
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn a_fork_child_logs_and_snapshots_its_own_threads() {
    let base = base_dir("fork");
    let out = base.join("child.ttlog");
    let kind = "fork-parent";
    let status = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "fork_parent_entry", "--nocapture", "--test-threads=1"])
        .env(CHILD, kind)
        .env(DIR, &out)
        .status()
        .unwrap();
    assert!(status.success(), "{status:?}");
    let snap = ttlog_decode::read_file(&out).unwrap();
    assert!(snap.is_intact(), "{:?}", snap.problems);
    let m = messages(&snap);
    // The child's events, none of the parent's.
    for needle in ["child before the pause", "child after the pause", "child thread event 9"] {
        assert!(m.iter().any(|l| l == needle), "{needle:?} missing from {m:?}");
    }
    assert!(!m.iter().any(|l| l.contains("parent")), "a parent's event in the child's snapshot: {m:?}");
    let names: Vec<&str> = snap.threads.iter().flatten().map(|t| t.name.as_str()).collect();
    assert!(!names.iter().any(|n| n.starts_with("parent")), "{names:?}");
    // The child's own thread has a ring of its own (a bare thread: std knows
    // no name for it, see `bare_thread_in_child`).
    let thread_of = |needle: &str| {
        snap.events
            .iter()
            .find(|e| {
                snap.callsite(e).is_some_and(|c| ttlog_decode::render::message::message(c, snap.args(e)) == needle)
            })
            .map(|e| e.thread)
    };
    let (forking, spawned) = (thread_of("child before the pause"), thread_of("child thread event 9"));
    assert!(forking.is_some() && spawned.is_some() && forking != spawned, "{forking:?} {spawned:?} {names:?}");
    // The coarse clock ticks in the child: 50 ms between the two events.
    let at = |needle: &str| {
        let e = snap.events.iter().find(|e| {
            snap.callsite(e).is_some_and(|c| ttlog_decode::render::message::message(c, snap.args(e)) == needle)
        });
        snap.unix_nanos(e.unwrap()).unwrap()
    };
    let gap = at("child after the pause") - at("child before the pause");
    assert!(gap >= 30_000_000, "the coarse clock did not tick in the child: {gap} ns");
    let h = snap.header.as_ref().unwrap();
    assert_eq!(h.clock, ttlog::Clock::Coarse);
    let _ = std::fs::remove_dir_all(&base);
}

/// The parent of the fork test, in a process of its own (the clock is chosen
/// before the first event): threads that log and keep claiming and retiring
/// rings (the pool's lock) while the main thread forks, again and again; each
/// child must neither hang nor see the parent's events, and the last one
/// writes its snapshot to the file the test reads.
#[test]
fn fork_parent_entry() {
    if std::env::var(CHILD).as_deref() != Ok("fork-parent") {
        return;
    }
    let out = PathBuf::from(std::env::var(DIR).unwrap());
    ttlog::Builder::new().clock(ttlog::Clock::Coarse).init().unwrap();
    ttlog::info!("parent main before the fork");
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let churn: Vec<_> = (0..2)
        .map(|k| {
            let stop = stop.clone();
            std::thread::Builder::new()
                .name(format!("parent-churn-{k}"))
                .spawn(move || {
                    while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                        std::thread::Builder::new()
                            .name("parent-short".into())
                            .spawn(|| {
                                for i in 0..50u32 {
                                    ttlog::info!("parent short-lived event {}", i);
                                }
                            })
                            .unwrap()
                            .join()
                            .unwrap();
                    }
                })
                .unwrap()
        })
        .collect();
    for round in 0..20 {
        let last = round == 19;
        let out = out.clone();
        let status = run_in_fork(move || {
            ttlog::info!("child before the pause");
            std::thread::sleep(Duration::from_millis(50));
            ttlog::info!("child after the pause");
            bare_thread_in_child();
            let snap = ttlog::snapshot("fork-child");
            if last {
                snap.save(&out).unwrap();
            }
        });
        assert!(status.success(), "round {round}: {status:?}");
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for t in churn {
        t.join().unwrap();
    }
}

/// Runs a thread (named `child-thread` for the OS) that logs ten events, and joins it,
/// in a child created by `fork`. A bare `pthread_create`, not `std::thread`:
/// std takes a lock of its own as a thread starts, and in a child of this
/// test's parent (whose threads start threads all the time) that lock may
/// have been copied held, which hangs every std thread the child starts. What
/// is tested is ttlog in the child, not std.
fn bare_thread_in_child() {
    extern "C" fn body(_: *mut libc::c_void) -> *mut libc::c_void {
        // SAFETY: names the calling thread; the name is a NUL-terminated
        // string of 12 bytes, within the 16 that Linux allows.
        unsafe { libc::pthread_setname_np(libc::pthread_self(), c"child-thread".as_ptr()) };
        for i in 0..10u32 {
            ttlog::info!("child thread event {}", i);
        }
        core::ptr::null_mut()
    }
    // SAFETY: `thread` is written by `pthread_create` before `pthread_join`
    // reads it; `body` ignores its (null) argument and returns null.
    unsafe {
        let mut thread: libc::pthread_t = core::mem::zeroed();
        assert_eq!(libc::pthread_create(&mut thread, core::ptr::null(), body, core::ptr::null_mut()), 0);
        assert_eq!(libc::pthread_join(thread, core::ptr::null_mut()), 0);
    }
}

#[test]
fn an_event_has_one_time_in_every_snapshot_of_its_process() {
    for i in 0..100u32 {
        ttlog::info!("timed event {}", i);
    }
    let first = ttlog_decode::from_bytes(&ttlog::snapshot("one").to_bytes()).unwrap();
    std::thread::sleep(Duration::from_millis(100));
    ttlog::info!("a later event");
    let second = ttlog_decode::from_bytes(&ttlog::snapshot("two").to_bytes()).unwrap();
    let times = |snap: &ttlog_decode::Snapshot| -> Vec<(String, i128)> {
        snap.events
            .iter()
            .filter_map(|e| {
                let m = ttlog_decode::render::message::message(snap.callsite(e)?, snap.args(e));
                m.starts_with("timed event").then(|| (m, snap.unix_nanos(e).unwrap()))
            })
            .collect()
    };
    let (a, b) = (times(&first), times(&second));
    assert_eq!(a.len(), 100);
    assert_eq!(a, b, "the same events decode to different times in two snapshots");
    assert!(first.calibration.is_some() && first.calibration == second.calibration);
}
