//! `ttlog-decode --follow` through the real binary, on continuous logs that a
//! child process (this test binary again, with `TTLOG_TEST_CHILD` naming what
//! it does) writes while the follower runs: what it prints as the log grows,
//! across rotations, at a frame written in part and at damage.

mod support {
    pub mod child;
    pub mod file;
}

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::{Duration, Instant};
use ttlog::wire;

use support::child::{CHILD, DIR, child};

/// How long any one wait may take before the test fails.
const DEADLINE: Duration = Duration::from_secs(8);

fn fresh_dir(kind: &str) -> PathBuf {
    support::child::fresh_dir("follow", kind)
}

fn decode(args: &[&str], file: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ttlog-decode")).args(args).arg(file).output().unwrap()
}

fn lines(bytes: &[u8]) -> Vec<String> {
    String::from_utf8(bytes.to_vec()).unwrap().lines().map(str::to_owned).collect()
}

/// Waits for `path` to exist.
fn wait_for_file(path: &Path) {
    let start = Instant::now();
    while !path.exists() {
        assert!(start.elapsed() < DEADLINE, "{} did not appear", path.display());
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Reads a pipe's lines on a thread, onto a channel.
fn reader(pipe: impl std::io::Read + Send + 'static) -> Receiver<String> {
    let (tx, rx) = channel();
    std::thread::spawn(move || {
        for line in BufReader::new(pipe).lines() {
            let Ok(line) = line else { return };
            if tx.send(line).is_err() {
                return;
            }
        }
    });
    rx
}

/// `ttlog-decode ... --follow FILE` running, its output read as it comes.
struct Follower {
    child: Child,
    out: Receiver<String>,
    err: Receiver<String>,
    lines: Vec<String>,
    errs: Vec<String>,
}

impl Follower {
    fn spawn(args: &[&str], file: &Path) -> Follower {
        let mut child = Command::new(env!("CARGO_BIN_EXE_ttlog-decode"))
            .args(args)
            .arg("--follow")
            .arg(file)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let out = reader(child.stdout.take().unwrap());
        let err = reader(child.stderr.take().unwrap());
        Follower { child, out, err, lines: Vec::new(), errs: Vec::new() }
    }

    /// Takes what came so far.
    fn take(&mut self) {
        self.lines.extend(self.out.try_iter());
        self.errs.extend(self.err.try_iter());
    }

    /// Waits until `done` holds of the lines and the stderr lines.
    fn wait(&mut self, what: &str, done: impl Fn(&[String], &[String]) -> bool) {
        let start = Instant::now();
        loop {
            self.take();
            if done(&self.lines, &self.errs) {
                return;
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                self.take();
                panic!("the follower ended ({status}) before {what}: {:?} {:?}", self.lines, self.errs);
            }
            assert!(
                start.elapsed() < DEADLINE,
                "timed out waiting for {what}: {} lines, stderr {:?}",
                self.lines.len(),
                self.errs
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Waits for `n` lines, then a while longer for any more (which there
    /// should not be).
    fn wait_lines(&mut self, n: usize) {
        self.wait(&format!("{n} lines"), |l, _| l.len() >= n);
        std::thread::sleep(Duration::from_millis(300));
        self.take();
    }
}

impl Drop for Follower {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The child's events: thread `t`, sequence `i`.
fn log_event(t: u64, i: u64) {
    ttlog::info!("event {} of thread {}", i, t);
}

/// A `#[ttlog]` call inside the live child's batches.
#[ttlog::ttlog]
fn handle(i: u64) {
    ttlog::info!("handling {}", i);
}

/// The live child's two halves, in one call that is open while the parent
/// follows the first.
#[ttlog::ttlog]
fn serve(dir: &Path, batch: &dyn Fn(u64, u64)) {
    batch(0, 50);
    std::fs::write(dir.join("half"), b"").unwrap();
    let start = Instant::now();
    while !dir.join("go").exists() && start.elapsed() < DEADLINE {
        std::thread::sleep(Duration::from_millis(5));
    }
    batch(50, 100);
}

/// What the children do.
#[test]
fn child_entry() {
    let Ok(kind) = std::env::var(CHILD) else { return };
    let dir = PathBuf::from(std::env::var_os(DIR).unwrap());
    let small = || ttlog::Builder::new().buffer_size(16 << 10);
    let batch = |from: u64, to: u64| {
        for i in from..to {
            ttlog::info!(target: "app::server", "request {} from {}", i, "tab\there", host = "db-1");
            if i % 10 == 0 {
                ttlog::warn!(target: "app::db", "slow query {}", i, rows = i * 3);
            }
            if i % 25 == 0 {
                handle(i);
            }
            if i % 7 == 0 {
                ttlog::flush();
            }
        }
        ttlog::flush();
    };
    match kind.as_str() {
        // Half its events, then the rest once the parent says so.
        "live" => {
            small().log_file(dir.join("app.ttlog")).init().unwrap();
            serve(&dir, &batch);
        }
        // Two threads, each flushing now and then, into small rotated files.
        "rotate" => {
            small().log_file(dir.join("app.ttlog")).rotate_size(6 << 10).init().unwrap();
            let hs: Vec<_> = (0..2u64)
                .map(|t| {
                    std::thread::Builder::new()
                        .name(format!("logger-{t}"))
                        .spawn(move || {
                            for i in 0..1500 {
                                log_event(t, i);
                                if i % 100 == 0 {
                                    ttlog::flush();
                                    std::thread::sleep(Duration::from_millis(2));
                                }
                            }
                        })
                        .unwrap()
                })
                .collect();
            for h in hs {
                h.join().unwrap();
            }
        }
        // A finished log of many frames.
        "frames" => {
            small().log_file(dir.join("app.ttlog")).init().unwrap();
            batch(0, 200);
        }
        // Events lost while the writer is slow, then a callsite not used
        // before: its CALLSITE frame comes after DROPS frames.
        "drops" => {
            small().log_file(dir.join("app.ttlog")).on_full(ttlog::OnFull::Drop).init().unwrap();
            ttlog::__set_writer_delay(Duration::from_millis(30));
            for i in 0..20_000 {
                log_event(0, i);
            }
            ttlog::__set_writer_delay(Duration::ZERO);
            ttlog::flush();
            assert!(ttlog::log_file_stats().dropped > 0, "events were dropped");
            ttlog::error!("after the drops {}", 1);
            for i in 0..3 {
                log_event(1, i);
            }
        }
        other => panic!("unknown child {other}"),
    }
}

#[test]
fn follows_a_log_as_it_is_written_and_prints_what_print_prints() {
    let dir = fresh_dir("live");
    let log = dir.join("app.ttlog");
    let mut writer = child("live", &dir).spawn().unwrap();
    wait_for_file(&dir.join("half"));
    // Started once half of the events are in the file: it prints them, then
    // the rest as they come.
    let mut text = Follower::spawn(&[], &log);
    let mut json = Follower::spawn(&["print", "--json", "--level", "warn"], &log);
    let mut grep = Follower::spawn(&["--grep", r"request \d*3 ", "--raw"], &log);
    // The entry of `serve`, 50 requests, 5 warnings and 2 calls of `handle`.
    text.wait("the first half", |l, _| l.len() >= 62);
    json.wait("the first half's warnings", |l, _| l.len() >= 5);
    // While the writer waits: these came from a log still being written.
    assert_eq!(text.lines.len(), 62, "{:?}", text.lines);
    assert_eq!(json.lines.len(), 5, "{:?}", json.lines);
    assert!(writer.try_wait().unwrap().is_none(), "the writer waits for the parent");
    std::fs::write(dir.join("go"), b"").unwrap();
    assert!(writer.wait().unwrap().success());
    text.wait_lines(124);
    json.wait_lines(10);
    grep.wait_lines(10);

    for (f, args) in [
        (&text, &[][..]),
        (&json, &["--json", "--level", "warn"][..]),
        (&grep, &["--grep", r"request \d*3 ", "--raw"][..]),
    ] {
        let printed = decode(args, &log);
        assert!(printed.status.success(), "{}", String::from_utf8_lossy(&printed.stderr));
        assert_eq!(f.lines, lines(&printed.stdout), "--follow {args:?} against the file printed whole");
        assert!(f.errs.is_empty(), "{:?}", f.errs);
    }
    assert!(text.lines[1].contains(r"tab\there"), "escaped: {}", text.lines[1]);
    // The calls paired as print pairs them: nested, with their times.
    assert!(text.lines.iter().any(|l| l.contains("handling 25")), "{:?}", text.lines);
    let last = text.lines.last().unwrap();
    assert!(last.contains("← follow::serve") && last.contains("elapsed="), "{last}");
    assert!(grep.lines[0].contains("tab\there"), "--raw keeps the tab: {}", grep.lines[0]);
    assert!(json.lines.iter().all(|l| l.starts_with('{') && l.contains("slow query")), "{:?}", json.lines);
}

/// The (thread, sequence) of a `log_event` line.
fn item(line: &str) -> (u64, u64) {
    let rest = &line[line.find("event ").unwrap_or_else(|| panic!("not an event line: {line}")) + 6..];
    let mut words = rest.split(' ');
    let i = words.next().unwrap().parse().unwrap();
    assert_eq!(words.next(), Some("of"));
    assert_eq!(words.next(), Some("thread"));
    let t = words.next().unwrap().parse().unwrap();
    (t, i)
}

#[test]
fn follows_across_rotations_every_event_once_in_each_threads_order() {
    let dir = fresh_dir("rotate");
    let log = dir.join("app.ttlog");
    // Started before the log exists: it prints every file from the first.
    let mut f = Follower::spawn(&[], &log);
    f.wait("the note that it waits", |_, e| e.iter().any(|l| l.contains("waiting for the log to appear")));
    let out = child("rotate", &dir).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    assert!(files.len() >= 3, "the log rotated: {files:?}");
    assert!(!log.exists(), "a rotating log has no file at its base path");
    f.wait_lines(3000);

    let mut seen = [Vec::new(), Vec::new()];
    for line in &f.lines {
        let (t, i) = item(line);
        seen[t as usize].push(i);
    }
    for (t, s) in seen.iter().enumerate() {
        assert_eq!(*s, (0..1500).collect::<Vec<u64>>(), "thread {t}: each event once, in order");
    }
    // The lines are those of the files printed one by one.
    let mut whole = Vec::new();
    for file in &files {
        let printed = decode(&[], file);
        assert!(printed.status.success(), "{}: {}", file.display(), String::from_utf8_lossy(&printed.stderr));
        whole.extend(lines(&printed.stdout));
    }
    let mut followed = f.lines.clone();
    followed.sort();
    whole.sort();
    assert_eq!(followed, whole);
    assert_eq!(f.errs.len(), 1, "only the note: {:?}", f.errs);
}

#[test]
fn follow_takes_one_file_and_not_standard_input() {
    let dir = fresh_dir("usage");
    let (a, b) = (dir.join("a.ttlog"), dir.join("b.ttlog"));
    let run = |args: &[&std::ffi::OsStr]| Command::new(env!("CARGO_BIN_EXE_ttlog-decode")).args(args).output().unwrap();
    let cases: [(Vec<&std::ffi::OsStr>, &str); 5] = [
        (vec!["--follow".as_ref(), a.as_os_str(), b.as_os_str()], "`--follow` follows one log"),
        (vec!["print".as_ref(), "--follow".as_ref(), a.as_os_str(), b.as_os_str()], "2 files were given"),
        (vec!["--follow".as_ref(), "-".as_ref()], "standard input cannot be followed"),
        (vec!["-f".as_ref(), "--last".as_ref(), "1s".as_ref(), a.as_os_str()], "`--last`"),
        (vec!["-f".as_ref(), "--summary".as_ref(), a.as_os_str()], "`--summary`"),
    ];
    for (args, said) in cases {
        let out = run(&args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(said), "{args:?}: {err}");
        assert!(out.stdout.is_empty());
    }
}

/// A finished log of many frames, and its frames.
fn frames_log(dir: &Path) -> (Vec<u8>, Vec<support::file::FrameAt>) {
    let out = child("frames", dir).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let bytes = std::fs::read(dir.join("app.ttlog")).unwrap();
    let frames = support::file::frames(&bytes);
    (bytes, frames)
}

#[test]
fn a_frame_written_in_part_is_waited_for() {
    let dir = fresh_dir("part");
    let (bytes, frames) = frames_log(&dir);
    let events: Vec<_> = frames.iter().filter(|f| f.kind == wire::kind::EVENTS).collect();
    assert!(events.len() >= 10, "{} events frames", events.len());
    let whole = lines(&decode(&[], &dir.join("app.ttlog")).stdout);
    for (k, into) in [(3, 5), (events.len() / 2, wire::FRAME_HEADER_LEN + 9)] {
        let frame = events[k];
        let cut = frame.offset + into.min(frame.len - 1);
        let path = dir.join(format!("part-{k}.ttlog"));
        // What is before the frame, printed as it is.
        std::fs::write(&path, &bytes[..frame.offset]).unwrap();
        let before = lines(&decode(&[], &path).stdout);
        assert!(!before.is_empty() && before.len() < whole.len());
        std::fs::write(&path, &bytes[..cut]).unwrap();
        let mut f = Follower::spawn(&[], &path);
        f.wait_lines(before.len());
        assert_eq!(f.lines, before, "the frames before the one written in part");
        assert!(f.errs.is_empty(), "a frame written in part is not damage: {:?}", f.errs);
        // The rest, in two writes.
        let mid = cut + (bytes.len() - cut) / 2;
        for piece in [&bytes[cut..mid], &bytes[mid..]] {
            let mut file = std::fs::OpenOptions::new().append(true).open(&path).unwrap();
            std::io::Write::write_all(&mut file, piece).unwrap();
            drop(file);
            std::thread::sleep(Duration::from_millis(120));
        }
        f.wait_lines(whole.len());
        assert_eq!(f.lines, whole);
        assert!(f.errs.is_empty(), "{:?}", f.errs);
    }
}

#[test]
fn damage_is_reported_where_print_reports_it_and_following_goes_on() {
    let dir = fresh_dir("damage");
    let (mut bytes, frames) = frames_log(&dir);
    let events: Vec<_> = frames.iter().filter(|f| f.kind == wire::kind::EVENTS).collect();
    let hit = events[events.len() / 2];
    bytes[hit.offset + wire::FRAME_HEADER_LEN + 2] ^= 0x40;
    let path = dir.join("bad.ttlog");
    // Up to the frame after the damaged one, then the rest later.
    let next = frames.iter().find(|f| f.offset == hit.end()).unwrap();
    std::fs::write(&path, &bytes[..next.end()]).unwrap();
    let mut f = Follower::spawn(&[], &path);
    f.wait("the report of the damage", |_, e| !e.is_empty());
    let mut file = std::fs::OpenOptions::new().append(true).open(&path).unwrap();
    std::io::Write::write_all(&mut file, &bytes[next.end()..]).unwrap();
    drop(file);
    let printed = decode(&[], &path);
    assert_eq!(printed.status.code(), Some(1));
    let whole = lines(&printed.stdout);
    f.wait_lines(whole.len());
    assert_eq!(f.lines, whole, "every intact frame's events");
    let said = lines(&printed.stderr);
    let expected = format!(
        "ttlog-decode: {}: byte {}: damaged frame (checksum mismatch); skipped {} bytes to the next intact frame at \
         byte {}",
        path.display(),
        hit.offset,
        hit.len,
        hit.end()
    );
    assert_eq!(f.errs, std::slice::from_ref(&expected), "reported once");
    assert!(said.contains(&expected), "print says the same: {said:?}");
}

#[test]
fn a_new_run_that_rewrites_the_log_is_followed_from_its_start() {
    let dir = fresh_dir("again");
    let log = dir.join("app.ttlog");
    let run = || {
        let out = child("frames", &dir).output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        lines(&decode(&[], &log).stdout)
    };
    let first = run();
    let mut f = Follower::spawn(&[], &log);
    f.wait_lines(first.len());
    assert_eq!(f.lines, first);
    // The same program again: it truncates the file and writes it anew.
    let second = run();
    assert_ne!(first, second, "other times");
    f.wait_lines(first.len() + second.len());
    assert_eq!(f.lines[first.len()..], second[..]);
    let note =
        format!("ttlog-decode: {}: the file was replaced or truncated; following it from its start", log.display());
    assert_eq!(f.errs, [note]);
}

/// The library's `Tail` on a file that grows a few bytes at a time: after
/// each piece, the events of the frames complete so far and no problem; in the
/// end, the events `read_file` reads, the calls paired as it pairs them.
#[test]
fn tail_yields_each_frame_once_it_is_complete_whatever_the_cut() {
    use ttlog_decode::render::line::text_line;
    let dir = fresh_dir("bytes");
    let (bytes, frames) = frames_log(&dir);
    let whole = ttlog_decode::read_file(dir.join("app.ttlog")).unwrap();
    assert!(whole.problems.is_empty(), "{:?}", whole.problems);
    let expected: Vec<String> = whole.events.iter().map(|e| text_line(&whole, e)).collect();
    let path = dir.join("growing.ttlog");
    let mut file = std::fs::File::create(&path).unwrap();
    let mut tail = ttlog_decode::follow::Tail::open(&path).unwrap();
    let mut got = Vec::new();
    // Pieces of 1 to 9 bytes: cuts at every offset of the frame header and
    // all over the payloads.
    let (mut at, mut piece) = (0, 0);
    while at < bytes.len() {
        piece = piece % 9 + 1;
        let to = (at + piece).min(bytes.len());
        std::io::Write::write_all(&mut file, &bytes[at..to]).unwrap();
        let before = got.len();
        while let Some((snap, e)) = tail.next_event() {
            got.push(text_line(snap, e));
        }
        let problems = tail.take_problems();
        assert!(problems.is_empty(), "at byte {to}: {problems:?}");
        assert!(tail.failed().is_none());
        // Events come exactly when their frame is complete.
        let ends_events = frames.iter().any(|f| at < f.end() && f.end() <= to && f.kind == wire::kind::EVENTS);
        assert_eq!(got.len() > before, ends_events, "at byte {to}");
        assert_eq!(got[..], expected[..got.len()], "at byte {to}");
        assert_eq!(tail.ended(), to == bytes.len());
        at = to;
    }
    assert_eq!(got, expected);
    tail.end_of_input();
    assert!(tail.next_event().is_none());
    let problems = tail.take_problems();
    assert!(problems.is_empty(), "the END frame's counts match: {problems:?}");
}

#[test]
fn drop_markers_and_the_callsites_after_them_print_as_print_prints_them() {
    let dir = fresh_dir("drops");
    let log = dir.join("app.ttlog");
    let out = child("drops", &dir).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let printed = lines(&decode(&[], &log).stdout);
    let errors = lines(&decode(&["--level", "error"], &log).stdout);
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(printed.iter().any(|l| l.ends_with(" events dropped")), "there are drop markers");
    let mut all = Follower::spawn(&[], &log);
    let mut error = Follower::spawn(&["--level", "error"], &log);
    all.wait_lines(printed.len());
    error.wait_lines(1);
    assert_eq!(error.lines, errors);
    // The same lines; the markers in the order of the frames rather than
    // sorted by time with the events of the other frames.
    let (mut followed, mut whole) = (all.lines.clone(), printed.clone());
    followed.sort();
    whole.sort();
    assert_eq!(followed, whole);
    let strip = |v: &[String]| v.iter().filter(|l| !l.ends_with(" events dropped")).cloned().collect::<Vec<_>>();
    assert_eq!(strip(&all.lines), strip(&printed), "the events in their order");
    assert!(all.errs.is_empty() && error.errs.is_empty(), "{:?} {:?}", all.errs, error.errs);
}
