//! The `ttlog-decode` command through the real binary: every command, every
//! option, every exit status, on real snapshots of this process and a
//! hand-made one of another.

mod support {
    pub mod file;
}

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;
use support::file::{Block, File, str_arg, u64_arg};
use ttlog::callsite::{ArgMeta, ArgRole, ArgType, Callsite, CallsiteKind, Piece, Spec};

/// The snapshots the tests read.
struct Files {
    dir: PathBuf,
    /// This process after the first batch of events.
    first: PathBuf,
    /// This process later: the first batch and a second.
    second: PathBuf,
    /// Another process, made by hand.
    other: PathBuf,
}

static OTHER_CS: Callsite = Callsite {
    level: ttlog::Level::Warn,
    kind: CallsiteKind::Event,
    name: "other",
    target: "other::net",
    file: "src/net.rs",
    line: 9,
    pieces: &[Piece::Lit("peer "), Piece::Arg { arg: 0, slot: 0 }, Piece::Lit(" gone")],
    args: &[
        ArgMeta { name: "peer", role: ArgRole::Positional, specs: &[Spec::DISPLAY] },
        ArgMeta { name: "why", role: ArgRole::Field, specs: &[Spec::DISPLAY] },
    ],
    path: None,
};

fn files() -> &'static Files {
    static FILES: OnceLock<Files> = OnceLock::new();
    FILES.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("ttlog-cli-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let batch = |from: u64, to: u64| {
            std::thread::Builder::new()
                .name("cli-a".into())
                .spawn(move || {
                    for i in from..to {
                        let host = if i % 2 == 0 { "db-1" } else { "db-2" };
                        ttlog::info!(target: "app::server", "request {} took {} us", i, 100 + i, host = host);
                        if i % 5 == 0 {
                            ttlog::warn!(target: "app::db", "slow query {}", i);
                        }
                    }
                })
                .unwrap()
                .join()
                .unwrap();
        };
        batch(0, 10);
        std::thread::Builder::new()
            .name("cli-b".into())
            .spawn(|| ttlog::error!(target: "app::evil", "evil {}", "\x1b]0;owned\x07\r\n2026-01-01T00:00:00Z ERROR forged"))
            .unwrap()
            .join()
            .unwrap();
        let first = dir.join("first.ttlog");
        ttlog::snapshot("first").save(&first).unwrap();
        std::thread::sleep(std::time::Duration::from_millis(20));
        batch(10, 20);
        let second = dir.join("second.ttlog");
        ttlog::snapshot("second").save(&second).unwrap();

        let mut f = File::new();
        f.header();
        f.static_callsite(3, &OTHER_CS);
        f.thread(0, "net");
        let mut b = Block::new(64);
        b.record(3, 100, &[ArgType::U64, ArgType::Str], &[u64_arg(7), str_arg("reset")].concat());
        b.record(3, 200, &[ArgType::U64, ArgType::Str], &[u64_arg(8), str_arg("eof")].concat());
        f.ring(0, 512, &b.words());
        f.end(2);
        let other = dir.join("other.ttlog");
        std::fs::write(&other, &f.bytes).unwrap();
        Files { dir, first, second, other }
    })
}

fn run(args: &[&str], env: &[(&str, &str)], stdin: Option<&[u8]>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_ttlog-decode"));
    cmd.args(args).env_remove("NO_COLOR").stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().unwrap();
    let mut input = child.stdin.take().unwrap();
    if let Some(bytes) = stdin {
        input.write_all(bytes).unwrap();
    }
    drop(input);
    child.wait_with_output().unwrap()
}

fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// Stdout of a run that must succeed with nothing on stderr.
fn ok(args: &[&str]) -> String {
    let out = run(args, &[], None);
    assert_eq!(out.status.code(), Some(0), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

/// The lines of this test's events (the snapshots also hold the events of
/// other tests of this binary that ran first: none log).
fn lines(s: &str) -> Vec<&str> {
    s.lines().collect()
}

#[test]
fn print_is_the_default_command_and_reads_standard_input() {
    let f = files();
    let plain = ok(&[p(&f.first)]);
    assert_eq!(ok(&["print", p(&f.first)]), plain);
    let bytes = std::fs::read(&f.first).unwrap();
    let out = run(&["-"], &[], Some(&bytes));
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(String::from_utf8(out.stdout).unwrap(), plain);
    // 10 requests, 2 slow queries, 1 error.
    assert_eq!(lines(&plain).len(), 13, "{plain}");
    assert!(plain.lines().next().unwrap().contains("INFO [cli-a "), "{plain}");
    assert!(plain.contains("app::server: request 3 took 103 us host=db-2"), "{plain}");
}

#[test]
fn filters_each_and_together() {
    let f = files();
    let file = p(&f.second);
    let count = |args: &[&str]| {
        let mut all = args.to_vec();
        all.push(file);
        lines(&ok(&all)).len()
    };
    assert_eq!(count(&[]), 25);
    assert_eq!(count(&["--level", "warn"]), 5);
    assert_eq!(count(&["--level", "error"]), 1);
    assert_eq!(count(&["--thread", "cli-b"]), 1);
    assert_eq!(count(&["--thread", "cli-b", "--thread", "cli-a"]), 25);
    assert_eq!(count(&["--thread", "nobody"]), 0);
    let tid = ok(&["--thread", "cli-b", file]);
    let tid = tid.split("[cli-b ").nth(1).unwrap().split(']').next().unwrap().to_owned();
    assert_eq!(count(&["--thread", &tid]), 1);
    assert_eq!(count(&["--target", "app::"]), 25);
    assert_eq!(count(&["--target", "app::db"]), 4);
    let line = {
        let all = ok(&["--target", "app::db", file]);
        assert!(all.contains("slow query 15"), "{all}");
        all
    };
    assert!(!line.contains("request"));
    assert_eq!(count(&["--grep", r"request 1\d took"]), 10);
    assert_eq!(count(&["--grep", "host=db-1$"]), 10);
    assert_eq!(count(&["--field", "host=db-2"]), 10);
    assert_eq!(count(&["--field", "host=db-2", "--grep", "request 1"]), 6);
    assert_eq!(
        count(&["--level", "info", "--target", "app::server", "--field", "host=db-1", "--grep", "request 4 "]),
        1
    );
    // The callsite of the warnings, found by its line in this file.
    let json = ok(&["--json", "--target", "app::db", file]);
    let v: serde_json::Value = serde_json::from_str(json.lines().next().unwrap()).unwrap();
    let at = format!("tests/cli.rs:{}", v["line"]);
    assert_eq!(count(&["--callsite", &at]), 4);
    assert_eq!(count(&["--callsite", "cli.rs:1"]), 0);

    // Times: the second batch is at least 20 ms after the first.
    let json = ok(&["--json", file]);
    let times: Vec<String> = json
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["timestamp"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(count(&["--since", &times[20]]), 5);
    assert_eq!(count(&["--until", &times[19]]), 20);
    assert_eq!(count(&["--since", &times[5], "--until", &times[5]]), 1);
    assert_eq!(count(&["--last", "10ms"]), 12);
    assert_eq!(count(&["--last", "0ns"]), 1);
    assert_eq!(count(&["--last", "1h"]), 25);
}

#[test]
fn json_lines_and_nothing_else() {
    let f = files();
    for args in [&["--json", p(&f.first)][..], &["--json", "--summary", p(&f.first), p(&f.other)]] {
        let out = ok(args);
        let mut kinds = Vec::new();
        for l in out.lines() {
            let v: serde_json::Value = serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}"));
            kinds.push(v["kind"].as_str().unwrap().to_owned());
        }
        assert!(kinds.iter().all(|k| ["event", "snapshot", "thread"].contains(&k.as_str())), "{kinds:?}");
        assert!(kinds.contains(&"event".to_owned()));
    }
    let summary = ok(&["--json", "--summary", p(&f.first)]);
    let first: serde_json::Value = serde_json::from_str(summary.lines().next().unwrap()).unwrap();
    assert_eq!(first["kind"], "snapshot");
    assert_eq!(first["header"]["reason"], "first");
    assert_eq!(first["events"], 13);
    // Text summaries are comment lines before the events.
    let text = ok(&["--summary", p(&f.first)]);
    assert!(text.starts_with("# snapshot of "), "{text}");
    assert!(text.contains("# thread") && text.contains("cli-a"), "{text}");
}

#[test]
fn control_characters_are_escaped_unless_raw() {
    let f = files();
    let text = ok(&["--level", "error", p(&f.first)]);
    assert!(text.ends_with("evil \\u{1b}]0;owned\\u{7}\\r\\n2026-01-01T00:00:00Z ERROR forged\n"), "{text}");
    assert_eq!(text.lines().count(), 1);
    assert!(!text.bytes().any(|b| b < 0x20 && b != b'\n'));
    let raw = ok(&["--raw", "--level", "error", p(&f.first)]);
    assert!(raw.contains("evil \x1b]0;owned\x07\r\n2026-01-01T00:00:00Z ERROR forged"), "{raw:?}");
    let json = ok(&["--json", "--level", "error", p(&f.first)]);
    let v: serde_json::Value = serde_json::from_str(json.trim_end()).unwrap();
    assert_eq!(v["message"], "evil \x1b]0;owned\x07\r\n2026-01-01T00:00:00Z ERROR forged");
    assert!(!json.trim_end().bytes().any(|b| b < 0x20));
}

#[test]
fn colours_only_when_asked_or_on_a_terminal() {
    let f = files();
    let file = p(&f.first);
    let always = ok(&["--color", "always", "--level", "warn", file]);
    assert!(
        always.lines().all(|l| l.contains("\x1b[33mWARN\x1b[0m [") || l.contains("\x1b[1;31mERROR\x1b[0m [")),
        "{always:?}"
    );
    // The escaped control characters of the message stay escaped.
    assert!(always.contains(r"evil \u{1b}]0;"));
    let never = ok(&["--color", "never", "--level", "warn", file]);
    assert!(!never.contains('\x1b'));
    // Piped: no colour by default, and NO_COLOR does not stop `always`.
    assert_eq!(ok(&["--level", "warn", file]), never);
    let out = run(&["--color", "always", "--level", "warn", file], &[("NO_COLOR", "1")], None);
    assert_eq!(String::from_utf8(out.stdout).unwrap(), always);
    let out = run(&["--color", "auto", "--level", "warn", file], &[("NO_COLOR", "1")], None);
    assert_eq!(String::from_utf8(out.stdout).unwrap(), never);
}

#[test]
fn several_files_merge_in_time_order_each_event_once() {
    let f = files();
    let both = ok(&[p(&f.first), p(&f.second)]);
    assert_eq!(both, ok(&[p(&f.second)]), "the second snapshot holds every event of the first");
    let out = run(&[p(&f.second), p(&f.first)], &[], None);
    assert_eq!(String::from_utf8(out.stdout).unwrap(), both);
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("13 events of the same process in more than one file shown once")
    );
    // Two processes: each line marked with its process, in time order.
    let json = ok(&["--json", p(&f.other), p(&f.first)]);
    let mut last = String::new();
    let mut programs = std::collections::BTreeSet::new();
    for l in json.lines() {
        let v: serde_json::Value = serde_json::from_str(l).unwrap();
        let t = v["timestamp"].as_str().unwrap().to_owned();
        assert!(t >= last, "{t} after {last}");
        last = t;
        programs.insert(v["process"]["program"].as_str().unwrap().to_owned());
    }
    assert_eq!(programs.len(), 2, "{programs:?}");
    let text = ok(&[p(&f.other), p(&f.first)]);
    assert_eq!(text.lines().count(), 15);
    assert!(
        text.lines().next().unwrap().starts_with(
            "hand-made[1]@here 2026-11-26T12:00:00.000000100Z  WARN [net 1000] other::net: peer 7 gone why=reset"
        ),
        "{text}"
    );
    assert!(text.lines().filter(|l| l.starts_with("cli-") && l.contains("]@")).count() == 13, "{text}");
}

#[test]
fn stats_count_without_rendering() {
    let f = files();
    let text = ok(&["stats", p(&f.second)]);
    assert!(text.starts_with("events     25 from 20"), "{text}");
    assert!(text.contains("levels     ERROR 1  WARN 4  INFO 20  DEBUG 0  TRACE 0"), "{text}");
    assert!(text.contains("lost       overwritten 0  evicted 0  dropped 0"), "{text}");
    let json = ok(&["stats", "--json", "--top", "1", p(&f.first), p(&f.second), p(&f.other)]);
    let v: serde_json::Value = serde_json::from_str(json.trim_end()).unwrap();
    assert_eq!(v["kind"], "stats");
    assert_eq!(v["events"], 27);
    assert_eq!(v["copies"], 13);
    assert_eq!(v["levels"]["WARN"], 6);
    assert_eq!(v["callsites"].as_array().unwrap().len(), 1);
    assert_eq!(v["callsites_total"], 4);
    assert_eq!(v["callsites"][0]["events"], 20);
    assert_eq!(v["callsites"][0]["target"], "app::server");
    let threads = v["threads"].as_array().unwrap();
    let a = threads.iter().find(|t| t["name"] == "cli-a").unwrap();
    // Each batch ran on a thread of its own, with its own id.
    assert!(a["events"] == 12 || a["events"] == 24, "{a}");
    let filtered = ok(&["stats", "--json", "--level", "warn", p(&f.second)]);
    let v: serde_json::Value = serde_json::from_str(filtered.trim_end()).unwrap();
    assert_eq!(v["events"], 5);
}

#[test]
fn info_shows_header_callsites_and_threads() {
    let f = files();
    let text = ok(&["info", p(&f.other)]);
    assert!(text.contains("program     hand-made (pid 1) on here"), "{text}");
    assert!(text.contains("reason      test"), "{text}");
    assert!(text.contains("WARN   event  src/net.rs:9 other::net \"peer {} gone\""), "{text}");
    assert!(text.contains("net"), "{text}");
    let json = ok(&["info", "--json", "--target", "app::db", p(&f.first)]);
    let kinds: Vec<serde_json::Value> = json.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(kinds[0]["kind"], "snapshot");
    let cs: Vec<_> = kinds.iter().filter(|k| k["kind"] == "callsite").collect();
    assert_eq!(cs.len(), 1, "{json}");
    assert_eq!(cs[0]["format"], "slow query {}");
    assert!(kinds.iter().any(|k| k["kind"] == "thread" && k["name"] == "cli-b"));
}

#[test]
fn agg_summarises_one_argument() {
    let f = files();
    let json = ok(&["--json", "--target", "app::server", p(&f.second)]);
    let line = serde_json::from_str::<serde_json::Value>(json.lines().next().unwrap()).unwrap()["line"].clone();
    let at = format!("cli.rs:{line}");
    let out = ok(&["agg", "--callsite", &at, "--arg", "1", p(&f.second)]);
    assert_eq!(out, "argument 1: count 20  min 100  mean 109.5  p50 109  p90 117  p99 119  max 119\n");
    let out = ok(&["agg", "--callsite", &at, "--arg", "1", "--json", "--field", "host=db-1", p(&f.second)]);
    let v: serde_json::Value = serde_json::from_str(out.trim_end()).unwrap();
    assert_eq!((v["count"].as_u64(), v["min"].as_f64(), v["max"].as_f64()), (Some(10), Some(100.0), Some(118.0)));
    // By name, over every callsite with an argument of that name.
    let out = ok(&["agg", "--field", "peer", p(&f.other)]);
    assert_eq!(out, "`peer`: count 2  min 7  mean 7.5  p50 7  p90 8  p99 8  max 8\n");
    let out = ok(&["agg", "--field", "why", p(&f.other)]);
    assert!(out.contains("count 0") && out.contains("2 events where it is not a number"), "{out}");
}

#[test]
fn names_are_escaped_in_every_command_unless_raw() {
    let f = files();
    let mut file = File::new();
    file.header();
    file.static_callsite(3, &OTHER_CS);
    file.thread(0, "evil\x1b]0;owned\x07");
    let mut b = Block::new(64);
    b.record(3, 100, &[ArgType::U64, ArgType::Str], &[u64_arg(7), str_arg("a\r\nb")].concat());
    file.ring(0, 512, &b.words());
    file.end(1);
    let path = f.dir.join("names.ttlog");
    std::fs::write(&path, &file.bytes).unwrap();
    for cmd in [&["print", "--summary"][..], &["stats"], &["info"]] {
        let mut args = cmd.to_vec();
        args.push(p(&path));
        let out = ok(&args);
        assert!(out.contains(r"evil\u{1b}]0;owned\u{7}"), "{args:?}: {out}");
        assert!(!out.contains('\x1b') && !out.contains('\r'), "{args:?}: {out:?}");
        args.insert(1, "--raw");
        let raw = ok(&args);
        assert!(raw.contains("evil\x1b]0;owned\x07"), "{args:?}: {raw:?}");
    }
    let printed = ok(&[p(&path)]);
    assert!(printed.contains(r"why=a\r\nb"), "{printed}");
}

#[test]
fn no_progress_bar_when_stderr_is_not_a_terminal() {
    let f = files();
    // Nine files: long work, which shows a bar only on a terminal.
    let mut args = vec!["stats"];
    args.extend(std::iter::repeat_n(p(&f.first), 9));
    let out = run(&args, &[], None);
    assert_eq!(out.status.code(), Some(0));
    assert!(out.stderr.is_empty(), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn exit_statuses() {
    let f = files();
    let missing = f.dir.join("missing.ttlog");
    let out = run(&[p(&missing)], &[], None);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot read the file"));
    // A truncated file: its intact events, what was lost on stderr, status 1.
    let bytes = std::fs::read(&f.first).unwrap();
    let cut = f.dir.join("cut.ttlog");
    std::fs::write(&cut, &bytes[..bytes.len() - 3]).unwrap();
    for cmd in [&[][..], &["stats"], &["info"], &["agg", "--field", "i"]] {
        let mut args = cmd.to_vec();
        args.push(p(&cut));
        let out = run(&args, &[], None);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        assert!(String::from_utf8_lossy(&out.stderr).contains("damaged snapshot"), "{args:?}");
    }
    let not = f.dir.join("not.ttlog");
    std::fs::write(&not, b"hello world, not a snapshot").unwrap();
    let out = run(&[p(&not), p(&f.first)], &[], None);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a ttlog snapshot"));
    assert_eq!(String::from_utf8(out.stdout).unwrap().lines().count(), 13, "the good file is still printed");

    let usage: &[&[&str]] = &[
        &[],
        &["--no-such-option", "x"],
        &["--level", "loud", "x"],
        &["--since", "yesterday", "x"],
        &["--until", "2026-11-26T12:00:00", "x"],
        &["--last", "2", "x"],
        &["--callsite", "main.rs", "x"],
        &["--grep", "(", "x"],
        &["--field", "host", "x"],
        &["--field", "=v", "x"],
        &["--color", "sometimes", "x"],
        &["stats", "--field", "host", "x"],
        &["agg", "x"],
        &["agg", "--arg", "1", "x"],
        &["agg", "--arg", "1", "--field", "n", "--callsite", "a.rs:1", "x"],
        &["info", "--grep", "x", "x"],
    ];
    for args in usage {
        let out = run(args, &[], None);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        assert!(!out.stderr.is_empty() && out.stdout.is_empty(), "{args:?}");
    }
    assert_eq!(run(&["--help"], &[], None).status.code(), Some(0));
}
