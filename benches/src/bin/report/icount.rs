//! Instructions per event, counted by valgrind's callgrind: exact where the
//! machine is too noisy for time.
//!
//! The report runs itself under `valgrind --tool=callgrind` with `--job icount`;
//! that process warms every workload up (a thread's first event, a tracing
//! callsite's registration) and then calls one `#[inline(never)]`,
//! unmangled function per workload, which logs its message `n` times. The
//! function's inclusive cost (its own instructions and those of everything it
//! calls) divided by `n` is the cost per event, loop included (three
//! instructions). Further runs count one workload each
//! (`--toggle-collect`) to say where its instructions go, function by function
//! and source line by source line: two of ttlog's hot-path messages, and a
//! snapshot's capture and write, decode, and decode to text.

use crate::model::{Better, Output};
use benches::messages::{log_log, tracing_appender_log, tracing_log, ttlog_log};
use benches::snapshots::{self, SnapshotFile};
use benches::{Inputs, floor, peers};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::hint::black_box;
use std::path::Path;
use std::process::Command;

/// Events per workload for ttlog and the floor, and for the peers.
const N_FAST: u64 = 100_000;
const N_PEER: u64 = 10_000;

macro_rules! workloads {
    ($($name:ident: $n:expr, $f:path;)*) => {
        $(
            #[unsafe(no_mangle)]
            #[inline(never)]
            #[allow(non_snake_case)]
            fn $name(n: u64, inputs: &Inputs) {
                // Its own name, once a call: no two workloads have the same
                // body (which the compiler would merge into one symbol, with
                // the other's name).
                black_box(stringify!($name));
                for _ in 0..n {
                    $f(black_box(inputs));
                }
            }
        )*
        /// (symbol, events, function) of every workload.
        const WORKLOADS: &[(&str, u64, fn(u64, &Inputs))] = &[$((stringify!($name), $n, $name)),*];
    };
}

workloads! {
    icount__ttlog__staticString: N_FAST, ttlog_log::static_string;
    icount__ttlog__stringConcat: N_FAST, ttlog_log::string_concat;
    icount__ttlog__singleInteger: N_FAST, ttlog_log::single_integer;
    icount__ttlog__twoIntegers: N_FAST, ttlog_log::two_integers;
    icount__ttlog__singleDouble: N_FAST, ttlog_log::single_double;
    icount__ttlog__complexFormat: N_FAST, ttlog_log::complex_format;
    icount__ttlog__shortString: N_FAST, ttlog_log::short_string;
    icount__ttlog__disabledLevel: N_FAST, ttlog_log::disabled;
    icount__ttlog__debugStruct: N_FAST, ttlog_log::debug_struct;
    icount__ttlog__derivedStruct: N_FAST, ttlog_log::derived_struct;
    icount__floor__staticString: N_FAST, floor::messages::static_string;
    icount__floor__stringConcat: N_FAST, floor::messages::string_concat;
    icount__floor__singleInteger: N_FAST, floor::messages::single_integer;
    icount__floor__twoIntegers: N_FAST, floor::messages::two_integers;
    icount__floor__singleDouble: N_FAST, floor::messages::single_double;
    icount__floor__complexFormat: N_FAST, floor::messages::complex_format;
    icount__floor__shortString: N_FAST, floor::messages::short_string;
    icount__log_string__staticString: N_PEER, log_log::static_string;
    icount__attr__ttlogEmptyFn: N_FAST, attr_instrumented;
    icount__attr__bareEmptyFn: N_FAST, attr_bare;
    icount__attr__ttlogArgsFn: N_FAST, attr_args;
    icount__log_string__twoIntegers: N_PEER, log_log::two_integers;
    icount__tracing_fmt_sink__staticString: N_PEER, tracing_log::static_string;
    icount__tracing_fmt_sink__twoIntegers: N_PEER, tracing_log::two_integers;
    icount__tracing_appender_file__staticString: N_PEER, tracing_appender_log::static_string;
    icount__tracing_appender_file__twoIntegers: N_PEER, tracing_appender_log::two_integers;
    icount__log_bridge__staticString: N_FAST, log_log::static_string;
    icount__log_bridge__twoIntegers: N_FAST, log_log::two_integers;
    icount__tracing_layer__staticString: N_FAST, tracing_log::static_string;
    icount__tracing_layer__twoIntegers: N_FAST, tracing_log::two_integers;
}

fn attr_instrumented(_: &Inputs) {
    benches::instrument::instrumented();
}

fn attr_bare(_: &Inputs) {
    benches::instrument::bare();
}

fn attr_args(_: &Inputs) {
    black_box(benches::instrument::instrumented_args(black_box(42), black_box("/index.html")));
}

/// Snapshots taken (or decoded) per snapshot workload.
const SNAPSHOT_REPS: u64 = 20;

/// Captures a snapshot of the process's rings and writes it to the file, `n`
/// times: the report's and criterion's capture-and-write workload.
#[unsafe(no_mangle)]
#[inline(never)]
#[allow(non_snake_case)]
fn icount__snapshot__capture_write(n: u64, file: &mut SnapshotFile) {
    file.capture_write(n).expect("write the snapshot file");
}

/// Decodes `bytes` to typed events, `n` times.
#[unsafe(no_mangle)]
#[inline(never)]
#[allow(non_snake_case)]
fn icount__snapshot__decode_typed(n: u64, bytes: &[u8]) {
    snapshots::decode_typed(n, bytes);
}

/// Decodes `bytes` and renders every event as a text line, `n` times.
#[unsafe(no_mangle)]
#[inline(never)]
#[allow(non_snake_case)]
fn icount__snapshot__decode_text(n: u64, bytes: &[u8]) {
    snapshots::decode_text(n, bytes);
}

/// Decodes `bytes` to typed events with the streaming reader, `n` times.
#[unsafe(no_mangle)]
#[inline(never)]
#[allow(non_snake_case)]
fn icount__snapshot__decode_stream(n: u64, bytes: &[u8]) {
    snapshots::decode_stream(n, bytes);
}

/// Counts the events of the decoded snapshot (`stats`), `n` times.
#[unsafe(no_mangle)]
#[inline(never)]
#[allow(non_snake_case)]
fn icount__snapshot__stats(n: u64, snap: &ttlog_decode::Snapshot) {
    snapshots::stats(n, snap);
}

/// Summarises one argument of the decoded snapshot (`agg`), `n` times.
#[unsafe(no_mangle)]
#[inline(never)]
#[allow(non_snake_case)]
fn icount__snapshot__agg(n: u64, snap: &ttlog_decode::Snapshot, callsite: u32) {
    snapshots::agg(n, snap, callsite);
}

/// The snapshot workloads: (symbol, report key). `stats` and `agg` count
/// only their pass over the decoded events (the decoding is
/// `decode_typed`'s), per event of the snapshot.
const SNAPSHOT_WORKLOADS: [(&str, &str); 6] = [
    ("icount__snapshot__capture_write", "capture_write"),
    ("icount__snapshot__decode_typed", "decode_typed"),
    ("icount__snapshot__decode_text", "decode_text"),
    ("icount__snapshot__decode_stream", "decode_stream"),
    ("icount__snapshot__stats", "stats"),
    ("icount__snapshot__agg", "agg"),
];

/// The hot-path workloads broken down function by function and line by line.
const BREAKDOWNS: [&str; 3] =
    ["icount__ttlog__twoIntegers", "icount__ttlog__stringConcat", "icount__ttlog__shortString"];

/// The process valgrind runs: warms up, then calls every workload (`what` =
/// `all`) or only the one named, and prints how many events each logged,
/// captured or decoded.
pub fn job(scratch: &Path, what: &str) -> Value {
    ttlog::Builder::new().clock(ttlog::Clock::Tsc).max_level(ttlog::LevelFilter::Info).init().expect("configure ttlog");
    let inputs = Inputs::NANOLOG;
    let mut events = serde_json::Map::new();
    if let Some(&(name, _)) = SNAPSHOT_WORKLOADS.iter().find(|(n, _)| *n == what) {
        // A full 64 KiB ring on this thread, the six messages in turn.
        snapshots::fill_ring(snapshots::FILL_EVENTS, &inputs);
        let bytes = ttlog::snapshot("icount").to_bytes();
        let per = ttlog_decode::from_bytes(&bytes).map_or(0, |s| s.events.len() as u64);
        let mut file = SnapshotFile::create(&scratch.join("icount-snapshot.ttlog")).expect("create the snapshot file");
        let decoded = ttlog_decode::from_bytes(&bytes).expect("decode the snapshot");
        let callsite = snapshots::agg_callsite(&decoded).unwrap_or(u32::MAX);
        match name {
            "icount__snapshot__capture_write" => icount__snapshot__capture_write(SNAPSHOT_REPS, &mut file),
            "icount__snapshot__decode_typed" => icount__snapshot__decode_typed(SNAPSHOT_REPS, &bytes),
            "icount__snapshot__decode_stream" => icount__snapshot__decode_stream(SNAPSHOT_REPS, &bytes),
            "icount__snapshot__stats" => icount__snapshot__stats(SNAPSHOT_REPS, &decoded),
            "icount__snapshot__agg" => icount__snapshot__agg(SNAPSHOT_REPS, &decoded, callsite),
            _ => icount__snapshot__decode_text(SNAPSHOT_REPS, &bytes),
        }
        events.insert(name.to_owned(), json!(SNAPSHOT_REPS * per));
        return json!({ "events": events });
    }

    peers::install_log();
    let sink = peers::tracing_fmt_sink();
    let appender = peers::TracingAppender::new(&scratch.join("icount-appender.log")).expect("open the appender's file");
    let layer = peers::tracing_ttlog_layer();
    // Warm-up outside the measured functions: the thread's ring, the floor's
    // ring, tracing's callsite registration (the callsites are the statics in
    // these functions, shared with the measured copies).
    ttlog::info!("icount warm-up");
    floor::messages::static_string(&inputs);
    log_log::static_string(&inputs);
    tracing::dispatcher::with_default(&sink, || {
        tracing_log::static_string(&inputs);
        tracing_log::two_integers(&inputs);
    });
    tracing::dispatcher::with_default(&appender.dispatch, || {
        tracing_appender_log::static_string(&inputs);
        tracing_appender_log::two_integers(&inputs);
    });
    // The bridges make their callsites on first use.
    peers::log_to_ttlog(true);
    log_log::static_string(&inputs);
    log_log::two_integers(&inputs);
    peers::log_to_ttlog(false);
    tracing::dispatcher::with_default(&layer, || {
        tracing_log::static_string(&inputs);
        tracing_log::two_integers(&inputs);
    });
    for &(name, n, f) in WORKLOADS {
        if what != "all" && what != name {
            continue;
        }
        if name.contains("__tracing_fmt_sink__") {
            tracing::dispatcher::with_default(&sink, || f(n, &inputs));
        } else if name.contains("__tracing_appender_file__") {
            tracing::dispatcher::with_default(&appender.dispatch, || f(n, &inputs));
        } else if name.contains("__tracing_layer__") {
            tracing::dispatcher::with_default(&layer, || f(n, &inputs));
        } else if name.contains("__log_bridge__") {
            peers::log_to_ttlog(true);
            f(n, &inputs);
            peers::log_to_ttlog(false);
        } else {
            f(n, &inputs);
        }
        events.insert(name.to_owned(), json!(n));
    }
    black_box(floor::digest());
    json!({ "events": events })
}

/// One run of the `icount` job under callgrind; with `toggle`, only what
/// happens inside that function is counted.
fn callgrind(exe: &Path, scratch: &Path, what: &str, toggle: bool) -> Result<(Value, Profile), String> {
    let profile = scratch.join(format!("callgrind.{what}.out"));
    let mut cmd = Command::new("valgrind");
    cmd.arg("--tool=callgrind")
        .arg(format!("--callgrind-out-file={}", profile.display()))
        .args(["--compress-strings=no", "--compress-pos=no"]);
    if toggle {
        cmd.arg(format!("--toggle-collect={what}"));
    }
    let run = cmd
        .arg(exe)
        .args(["--job", "icount", "--what", what, "--scratch"])
        .arg(scratch)
        .output()
        .map_err(|e| format!("could not run valgrind: {e}"))?;
    if !run.status.success() {
        let err = String::from_utf8_lossy(&run.stderr);
        let tail: Vec<&str> = err.lines().rev().take(5).collect();
        return Err(format!("the callgrind run failed ({}): {}", run.status, tail.join(" | ")));
    }
    let job: Value = serde_json::from_slice(&run.stdout).map_err(|e| format!("unreadable job output: {e}"))?;
    let text = std::fs::read_to_string(&profile).map_err(|e| format!("cannot read callgrind's profile: {e}"))?;
    let _ = std::fs::remove_file(&profile);
    Ok((job, Profile::parse(&text)))
}

fn events_of(job: &Value, name: &str) -> Option<u64> {
    job.get("events").and_then(|e| e.get(name)).and_then(Value::as_u64).filter(|&n| n > 0)
}

/// Runs the `icount` job under callgrind and reads the profiles.
pub fn measure(exe: &Path, scratch: &Path) -> Output {
    let mut out = Output::default();
    let version = match Command::new("valgrind").arg("--version").output() {
        Ok(o) if o.status.success() => String::from_utf8_lossy(&o.stdout).trim().to_owned(),
        _ => {
            out.note(
                "instruction counts: valgrind was not found, so they were not measured (install valgrind to get them)",
            );
            return out;
        }
    };
    let config =
        format!("callgrind ({version}), clock tsc, instructions per event including the loop (3 instructions)");
    match callgrind(exe, scratch, "all", false) {
        Ok((job, p)) => {
            for &(name, _, _) in WORKLOADS {
                let Some(n) = events_of(&job, name) else { continue };
                let Some(incl) = p.inclusive.get(name) else {
                    out.note(format!("instruction counts: `{name}` is not in the profile"));
                    continue;
                };
                let mut parts = name.trim_start_matches("icount__").split("__");
                let (logger, message) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
                let better = if logger == "ttlog" || message == "ttlogEmptyFn" || message == "ttlogArgsFn" {
                    Better::Lower
                } else {
                    Better::Neither
                };
                let unit = if logger == "attr" { "instructions/call" } else { "instructions/event" };
                out.metric(format!("icount.{logger}.{message}"), *incl as f64 / n as f64, unit, better, config.clone());
            }
        }
        Err(e) => {
            out.note(format!("instruction counts: {e}"));
            return out;
        }
    }
    for root in BREAKDOWNS {
        match callgrind(exe, scratch, root, true) {
            Ok((job, p)) => {
                let n = events_of(&job, root).unwrap_or(1);
                out.extra.insert(format!("breakdown.{root}"), p.breakdown(n, 10));
            }
            Err(e) => out.note(format!("instruction breakdown of {root}: {e}")),
        }
    }
    for (root, key) in SNAPSHOT_WORKLOADS {
        match callgrind(exe, scratch, root, true) {
            Ok((job, p)) => {
                let n = events_of(&job, root).unwrap_or(1);
                out.metric(
                    format!("icount.snapshot.{key}"),
                    p.total as f64 / n as f64,
                    "instructions/event",
                    Better::Lower,
                    format!(
                        "callgrind ({version}), one thread's full 64 KiB ring (the six messages in turn), {SNAPSHOT_REPS} times; \
                         capture + write writes to a file, as the timed workload does (the kernel's part is not counted)"
                    ),
                );
                out.extra.insert(format!("breakdown.{root}"), p.breakdown(n, 10));
            }
            Err(e) => out.note(format!("instruction counts of {root}: {e}")),
        }
    }
    out
}

/// The parts of a callgrind profile the report needs (uncompressed names and
/// positions; one event, `Ir`; positions are source lines).
#[derive(Default)]
struct Profile {
    /// Inclusive cost per function.
    inclusive: HashMap<String, u64>,
    /// Self cost per function.
    own: HashMap<String, u64>,
    /// Self cost per (file, line), whichever function it was inlined into.
    lines: HashMap<(String, u64), u64>,
    /// All instructions counted.
    total: u64,
}

impl Profile {
    fn parse(text: &str) -> Profile {
        let mut p = Profile::default();
        let mut func = String::new();
        let mut file = String::new();
        let mut in_call = false;
        for line in text.lines() {
            if let Some(v) = line.strip_prefix("fn=") {
                func = v.to_owned();
                continue;
            }
            if let Some(v) =
                line.strip_prefix("fl=").or_else(|| line.strip_prefix("fi=")).or_else(|| line.strip_prefix("fe="))
            {
                file = v.to_owned();
                continue;
            }
            if line.starts_with("calls=") {
                in_call = true;
                continue;
            }
            if !line.bytes().next().is_some_and(|b| b.is_ascii_digit()) {
                continue;
            }
            let mut it = line.split_whitespace();
            let (Some(pos), Some(cost)) = (it.next(), it.next()) else { continue };
            let (Ok(pos), Ok(cost)) = (pos.parse::<u64>(), cost.parse::<u64>()) else { continue };
            *p.inclusive.entry(func.clone()).or_default() += cost;
            if in_call {
                in_call = false;
            } else {
                p.total += cost;
                *p.own.entry(func.clone()).or_default() += cost;
                *p.lines.entry((file.clone(), pos)).or_default() += cost;
            }
        }
        p
    }

    /// The most expensive functions (self cost) and source lines, per event, of
    /// a profile that counted one workload only (`--toggle-collect`).
    fn breakdown(&self, events: u64, top: usize) -> Value {
        let rows = |mut v: Vec<(String, u64)>| -> Value {
            v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
            Value::Array(
                v.into_iter()
                    .take(top)
                    .map(|(what, cost)| {
                        json!({
                            "where": what,
                            "instructions_per_event": cost as f64 / events as f64,
                            "share": if self.total > 0 { cost as f64 / self.total as f64 } else { 0.0 },
                        })
                    })
                    .collect(),
            )
        };
        let functions = rows(self.own.iter().map(|(f, c)| (f.clone(), *c)).collect());
        let lines = rows(self.lines.iter().map(|((f, l), c)| (format!("{}:{l}", short_path(f)), *c)).collect());
        json!({
            "events": events,
            "instructions_per_event": self.total as f64 / events as f64,
            "functions": functions,
            "lines": lines,
        })
    }
}

/// A source path from where it becomes recognisable (`ttlog-core/src/...`,
/// `library/core/...`, a crate in the registry).
fn short_path(path: &str) -> String {
    for marker in
        ["/ttlog/src/", "/ttlog-core/src/", "/ttlog-decode/src/", "/benches/src/", "/library/", "/registry/src/"]
    {
        if let Some(i) = path.find(marker) {
            let rest = &path[i + 1..];
            return if marker == "/registry/src/" {
                rest.split_once('/').and_then(|(_, r)| r.split_once('/')).map_or(rest, |(_, r)| r).to_owned()
            } else {
                rest.to_owned()
            };
        }
    }
    path.to_owned()
}
