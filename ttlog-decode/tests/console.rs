//! The console (`ttlog::Builder::console()`, `TTLOG_CONSOLE`), end to end:
//! a child process (this test binary again, with `TTLOG_TEST_CHILD` naming
//! what it does) logs through the real macros with the console on; its
//! stderr is compared with what `ttlog-decode` prints for the same events
//! (the log file it wrote, or a snapshot of its rings).

mod support {
    pub mod child;
    pub mod rng;
}

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use support::child::{CHILD, DIR, child};

fn fresh_dir(kind: &str) -> PathBuf {
    support::child::fresh_dir("console", kind)
}

/// Runs a child to its end; its stderr.
fn run(mut cmd: Command) -> String {
    let out = cmd.output().unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(out.status.success(), "{:?}\n{stderr}", out.status);
    stderr
}

fn decode(args: &[&str], file: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ttlog-decode")).args(args).arg(file).output().unwrap()
}

/// What `ttlog-decode --color never FILE` prints.
fn printed(file: &Path) -> Vec<String> {
    let out = decode(&["--color", "never"], file);
    assert!(out.status.success(), "{}: {}", file.display(), String::from_utf8_lossy(&out.stderr));
    lines(&String::from_utf8(out.stdout).unwrap())
}

fn lines(s: &str) -> Vec<String> {
    s.lines().map(str::to_owned).collect()
}

/// The console's text for the bytes of a log file (of rotated files, one
/// after the other), handed to it in random pieces of up to `max` bytes.
fn console_of(files: &[PathBuf], seed: u64, max: usize) -> String {
    let mut rng = support::rng::Rng::new(seed);
    let mut c = ttlog_decode::console::Console::new(Vec::new(), false);
    for f in files {
        let bytes = std::fs::read(f).unwrap();
        c.start_file();
        let mut at = 0;
        while at < bytes.len() {
            let to = (at + 1 + rng.index(max)).min(bytes.len());
            c.write(&bytes[at..to]).unwrap();
            at = to;
        }
    }
    String::from_utf8(c.into_inner()).unwrap()
}

/// The console's lines are a function of the bytes alone: the file's bytes,
/// cut anywhere, give the lines the program's console printed, each thread's
/// in the same order (the lines of one write are put in time order, so the
/// order across threads depends on where the writes end).
fn assert_bytes_give(files: &[PathBuf], stderr: &str) {
    for (seed, max) in [(1, 61), (2, 500), (3, 1 << 20)] {
        assert_same_lines(&lines(&console_of(files, seed, max)), &lines(stderr));
    }
}

/// The thread of a line: `[name tid]`.
fn thread_of(line: &str) -> &str {
    let from = line.find(" [").unwrap_or_else(|| panic!("not an event line: {line:?}"));
    let to = line[from..].find(']').unwrap() + from;
    &line[from..to]
}

/// Console lines against the printed lines of the same events: the same
/// lines, each thread's in the same order (`ttlog-decode` puts all of them
/// in time order, the console in the order the writer drained them).
fn assert_same_lines(console: &[String], printed: &[String]) {
    let threads: std::collections::BTreeSet<&str> = printed.iter().map(|l| thread_of(l)).collect();
    for t in &threads {
        let of = |v: &[String]| v.iter().filter(|l| thread_of(l) == *t).cloned().collect::<Vec<_>>();
        assert_eq!(of(console), of(printed), "the lines of thread {t}");
    }
    let (mut a, mut b) = (console.to_vec(), printed.to_vec());
    a.sort();
    b.sort();
    assert_eq!(a, b, "the same lines");
}

#[derive(ttlog::Record)]
struct Point {
    x: i32,
    y: i32,
}

#[ttlog::ttlog(ret)]
fn area(w: u32, h: u32, label: &str) -> u32 {
    ttlog::debug!("computing {w}x{h}");
    w * h
}

#[ttlog::ttlog]
fn handle(worker: u64, i: u64) {
    let p = Point { x: i as i32, y: -(worker as i32) };
    ttlog::info!(target: "app::server", "request {} at {:?}", i, p, host = "db-1");
    if i.is_multiple_of(5) {
        ttlog::warn!("slow request {i}", ms = 1.5f64 * i as f64);
    }
    let _ = area(i as u32, 3, "box");
}

/// Threads with `#[ttlog]` calls, fields, a user type, and a string with
/// control characters.
fn workload(threads: u64, n: u64) {
    ttlog::info!("hostile {}", "tab\there \x1b]0;owned\x07 cr\r\nforged line", ok = true);
    ttlog::error!(code = 7u16, "an error");
    let hs: Vec<_> = (0..threads)
        .map(|t| {
            std::thread::Builder::new()
                .name(format!("worker-{t}"))
                .spawn(move || {
                    for i in 0..n {
                        handle(t, i);
                        if i % 16 == 0 {
                            std::thread::sleep(Duration::from_millis(1));
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

/// What the children do.
#[test]
fn child_entry() {
    let Ok(kind) = std::env::var(CHILD) else { return };
    let dir = PathBuf::from(std::env::var_os(DIR).unwrap());
    let small = || ttlog::Builder::new().buffer_size(16 << 10).max_level(ttlog::LevelFilter::Debug);
    match kind.as_str() {
        // A log file and the console, from the Builder.
        "file" => {
            small().log_file(dir.join("app.ttlog")).console().init().unwrap();
            workload(3, 200);
        }
        // Turned on by the environment at the first event.
        "env" => {
            ttlog::set_max_level(ttlog::LevelFilter::Debug);
            workload(2, 20);
        }
        // The console alone; a snapshot of the rings at the end holds the
        // same events.
        "alone" => {
            // The monotonic clock: times converted from the anchor alone, as
            // in the snapshot.
            small().clock(ttlog::Clock::Monotonic).console().init().unwrap();
            workload(2, 30);
            ttlog::flush();
            ttlog::snapshot("alone").save(dir.join("snap.ttlog")).unwrap();
        }
        // Small rotated files.
        "rotate" => {
            small().log_file(dir.join("app.ttlog")).rotate_size(2 << 10).console().init().unwrap();
            for i in 0..3000u64 {
                ttlog::info!("event {i}");
                if i % 100 == 0 {
                    ttlog::flush();
                }
            }
        }
        // Events lost while the writer is slow, in Drop mode.
        "drop" => {
            small().log_file(dir.join("app.ttlog")).on_full(ttlog::OnFull::Drop).console().init().unwrap();
            ttlog::__set_writer_delay(Duration::from_millis(30));
            for i in 0..20_000u64 {
                ttlog::info!("event {i}");
            }
            ttlog::__set_writer_delay(Duration::ZERO);
            ttlog::flush();
            assert!(ttlog::log_file_stats().dropped > 0, "events were dropped");
            ttlog::warn!("after the drops");
        }
        // One event, its time in it: the parent measures when its line comes.
        "latency" => {
            ttlog::Builder::new().console().init().unwrap();
            for _ in 0..200 {
                let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap();
                ttlog::info!("ping {}", now.as_nanos() as u64);
                std::thread::sleep(Duration::from_millis(7));
            }
        }
        other => panic!("unknown child {other}"),
    }
}

#[test]
fn console_lines_are_what_ttlog_decode_prints_for_the_file() {
    let dir = fresh_dir("file");
    let stderr = run(child("file", &dir));
    let console = lines(&stderr);
    let printed = printed(&dir.join("app.ttlog"));
    // Entries and exits of both functions, warnings, the first two events.
    assert_eq!(printed.len(), 2 + 3 * 200 * 6 + 3 * 40, "{printed:?}");
    assert_same_lines(&console, &printed);
    assert_bytes_give(&[dir.join("app.ttlog")], &stderr);
    // Escaped, not obeyed; calls paired and indented; the user type.
    let hostile = console.iter().find(|l| l.contains("hostile")).unwrap();
    assert!(hostile.ends_with(r"hostile tab\there \u{1b}]0;owned\u{7} cr\r\nforged line ok=true"), "{hostile}");
    assert!(!stderr.contains('\x1b') && !stderr.contains('\r'), "no control characters reach the terminal");
    assert!(console.iter().any(|l| l.contains("  app::server: request 7 at Point { x: 7, y: -1 } host=db-1")));
    assert!(console.iter().any(|l| l.contains("← console::area #") && l.contains(" ret=21")), "{console:?}");
    assert!(console.iter().any(|l| l.contains(" ERROR [") && l.ends_with("an error code=7")));
}

#[test]
fn turned_on_by_ttlog_console_with_or_without_ttlog_file() {
    let dir = fresh_dir("env");
    let file = dir.join("app.ttlog");
    let mut cmd = child("env", &dir);
    cmd.env("TTLOG_CONSOLE", "1").env("TTLOG_FILE", &file);
    let console = lines(&run(cmd));
    assert_eq!(console.len(), 2 + 2 * 20 * 6 + 2 * 4, "{console:?}");
    assert_same_lines(&console, &printed(&file));

    let mut cmd = child("env", &dir);
    cmd.env("TTLOG_CONSOLE", "1");
    let alone = lines(&run(cmd));
    assert_eq!(alone.len(), console.len(), "{alone:?}");
    let mut cmd = child("env", &dir);
    cmd.env("TTLOG_CONSOLE", "0");
    assert_eq!(run(cmd), "", "TTLOG_CONSOLE=0 is off");
    let mut cmd = child("env", &dir);
    cmd.env("TTLOG_CONSOLE", "loud");
    assert_eq!(run(cmd), "ttlog: ignoring TTLOG_CONSOLE=\"loud\": expected `1`, `auto`, `always`, `never` or `0`\n");
}

#[test]
fn console_without_a_file_prints_what_a_snapshot_of_the_same_events_prints() {
    let dir = fresh_dir("alone");
    let console = lines(&run(child("alone", &dir)));
    let printed = printed(&dir.join("snap.ttlog"));
    assert_eq!(printed.len(), 2 + 2 * 30 * 6 + 2 * 6, "{printed:?}");
    // Without the times: each file converts clock readings to wall time from
    // the clock points its header took, which differ by some nanoseconds.
    let untimed = |v: &[String]| v.iter().map(|l| l.split_once(' ').unwrap().1.to_owned()).collect::<Vec<_>>();
    assert_same_lines(&untimed(&console), &untimed(&printed));
    let files: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(files, ["snap.ttlog"], "no log file");
}

#[test]
fn lines_go_on_across_rotations() {
    let dir = fresh_dir("rotate");
    let console = lines(&run(child("rotate", &dir)));
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    assert!(files.len() >= 3, "the log rotated: {files:?}");
    let whole: Vec<String> = files.iter().flat_map(|f| printed(f)).collect();
    assert_eq!(console, whole, "one thread: the same lines in the same order");
    assert_bytes_give(&files, &(console.join("\n") + "\n"));
    let numbers: Vec<u64> = console.iter().map(|l| l.rsplit(' ').next().unwrap().parse().unwrap()).collect::<Vec<_>>();
    assert_eq!(numbers, (0..3000).collect::<Vec<_>>(), "each event once, in order");
}

#[test]
fn drop_markers_show_as_ttlog_decode_prints_them() {
    let dir = fresh_dir("drop");
    let stderr = run(child("drop", &dir));
    assert_bytes_give(&[dir.join("app.ttlog")], &stderr);
    let console = lines(&stderr);
    let printed = printed(&dir.join("app.ttlog"));
    let markers: Vec<&String> = console.iter().filter(|l| l.ends_with(" events dropped")).collect();
    assert!(!markers.is_empty(), "markers: {console:?}");
    assert!(markers.iter().all(|l| l.contains("  WARN [") && l.contains("] ttlog: ")), "{markers:?}");
    // One thread: the same lines, and the events in the same order (a
    // marker sits where its write put it, among events of its time).
    let (mut a, mut b) = (console.clone(), printed.clone());
    a.sort();
    b.sort();
    assert_eq!(a, b);
    let strip = |v: &[String]| v.iter().filter(|l| !l.ends_with(" events dropped")).cloned().collect::<Vec<_>>();
    assert_eq!(strip(&console), strip(&printed));
    assert!(console.last().unwrap().ends_with("after the drops"));
}

/// The SGR sequences of the levels, as `ttlog-decode --color always`.
#[test]
fn levels_coloured_when_forced_or_on_a_terminal_and_not_with_no_color() {
    let dir = fresh_dir("colour");
    let file = dir.join("app.ttlog");
    let mut cmd = child("env", &dir);
    cmd.env("TTLOG_CONSOLE", "always").env("TTLOG_FILE", &file);
    let coloured = lines(&run(cmd));
    let out = decode(&["--color", "always"], &file);
    assert_same_lines(&coloured, &lines(&String::from_utf8(out.stdout).unwrap()));
    assert!(coloured.iter().any(|l| l.contains("\x1b[1;31mERROR\x1b[0m [")), "{coloured:?}");
    assert!(coloured.iter().any(|l| l.contains(" \x1b[32mINFO\x1b[0m [")), "{coloured:?}");
    // A pipe: no colours with `1` (auto).
    let mut cmd = child("env", &dir);
    cmd.env("TTLOG_CONSOLE", "1");
    assert!(!run(cmd).contains('\x1b'));
    // A terminal: colours, unless NO_COLOR is set (an empty one does not count).
    for (no_color, expected) in [(None, true), (Some(""), true), (Some("1"), false)] {
        let mut cmd = child("env", &dir);
        cmd.env("TTLOG_CONSOLE", "1");
        if let Some(v) = no_color {
            cmd.env("NO_COLOR", v);
        }
        let text = on_terminal(cmd);
        assert!(text.contains("hostile"), "{text:?}");
        assert_eq!(text.contains("\x1b[32mINFO\x1b[0m"), expected, "NO_COLOR={no_color:?}: {text:?}");
    }
}

/// Runs `cmd` with a pseudo-terminal as its stderr; what it wrote there.
fn on_terminal(mut cmd: Command) -> String {
    let (mut master, mut slave) = (0, 0);
    // SAFETY: two valid out-pointers for the descriptors; the name, terminal
    // settings and window size are optional (null).
    let rc =
        unsafe { libc::openpty(&mut master, &mut slave, std::ptr::null_mut(), std::ptr::null(), std::ptr::null()) };
    assert_eq!(rc, 0, "openpty: {}", std::io::Error::last_os_error());
    // SAFETY: `openpty` returned these two descriptors, owned by nothing else.
    let (master, slave) = unsafe {
        use std::os::fd::FromRawFd;
        (std::fs::File::from_raw_fd(master), std::fs::File::from_raw_fd(slave))
    };
    let mut child = cmd.stderr(slave).spawn().unwrap();
    // Our copy of the slave end was moved into the command, which is dropped
    // with it: the master reads EOF (EIO on Linux) once the child ends.
    drop(cmd);
    let reader = std::thread::spawn(move || {
        let mut master = master;
        let mut bytes = Vec::new();
        let mut buf = [0u8; 4096];
        loop {
            match master.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => bytes.extend_from_slice(&buf[..n]),
            }
        }
        bytes
    });
    assert!(child.wait().unwrap().success());
    String::from_utf8(reader.join().unwrap()).unwrap()
}

/// The time from an event to its line on the console, measured by a parent
/// that reads the child's stderr as it comes: `cargo test -p ttlog-decode
/// --release --test console -- --ignored --nocapture console_latency`.
#[test]
#[ignore = "a measurement, printed rather than asserted"]
fn console_latency() {
    use std::io::BufRead;
    let dir = fresh_dir("latency");
    let mut cmd = child("latency", &dir);
    let mut c = cmd.stderr(Stdio::piped()).spawn().unwrap();
    let mut delays = Vec::new();
    for line in std::io::BufReader::new(c.stderr.take().unwrap()).lines() {
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos() as u64;
        let line = line.unwrap();
        let Some(at) = line.rsplit(' ').next().and_then(|n| n.parse::<u64>().ok()) else { continue };
        delays.push(now.saturating_sub(at));
    }
    assert!(c.wait().unwrap().success());
    assert_eq!(delays.len(), 200);
    delays.sort_unstable();
    let ms = |ns: u64| ns as f64 / 1e6;
    println!(
        "event to console line, {} events 7 ms apart: median {:.2} ms, p90 {:.2} ms, max {:.2} ms",
        delays.len(),
        ms(delays[delays.len() / 2]),
        ms(delays[delays.len() * 9 / 10]),
        ms(delays[delays.len() - 1])
    );
}
