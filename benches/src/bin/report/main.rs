//! `report`: the seed's six metrics, the hot path against the floor and the
//! peers, instruction counts and (optionally) compile cost, in one run.
//!
//! ```text
//! cargo run --release -p benches --bin report                     # a few minutes
//! cargo run --release -p benches --bin report -- --compare OLD.json
//! cargo run --release -p benches --bin report -- --compile-cost  # adds several minutes
//! ```
//!
//! Each measurement runs in a fresh child process of this binary (`--job`):
//! a process can use only one clock, and the concurrency tests leave many
//! buffers behind. The report is printed as Markdown and written as Markdown
//! and JSON to `target/ttlog-report/` (or `--out`).

mod compile_cost;
mod concurrency;
mod continuous;
mod hot;
mod icount;
mod machine;
mod model;
mod output;
mod snapshot;
mod stats;
mod threads;

use clap::Parser;
use model::Output;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant, SystemTime};

/// Measures ttlog: the seed's six metrics, the hot path against a hand-written
/// floor and the peers (tracing, log) side by side, instruction counts, and
/// optionally the compile cost. Prints Markdown and writes Markdown and JSON.
#[derive(Parser, Debug)]
#[command(name = "report", about)]
struct Args {
    /// Where to write report.md and report.json [default: target/ttlog-report].
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,

    /// A previous report.json: print the change of every metric and flag
    /// regressions (exit status 1 when there is one).
    #[arg(long, value_name = "OLD.json")]
    compare: Option<PathBuf>,

    /// Compare this report.json with --compare's instead of measuring.
    #[arg(long, value_name = "NEW.json", requires = "compare")]
    against: Option<PathBuf>,

    /// A change for the worse above this many percent is a regression.
    #[arg(long, default_value_t = 10.0, value_name = "PERCENT")]
    threshold: f64,

    /// Also build generated crates with 1,000 callsites (ttlog, tracing, log):
    /// clean build time and code size per callsite. Adds several minutes.
    #[arg(long)]
    compile_cost: bool,

    /// Only the compile cost: none of the run-time measurements.
    #[arg(long)]
    only_compile_cost: bool,

    /// Skip the instruction counts (valgrind).
    #[arg(long)]
    no_icount: bool,

    /// Fewer rounds and smaller concurrency runs: checks the harness, noisier numbers.
    #[arg(long)]
    quick: bool,

    /// Internal: run one measurement and print its result as JSON.
    #[arg(long, hide = true)]
    job: Option<String>,
    #[arg(long, hide = true)]
    clock: Option<String>,
    #[arg(long, hide = true)]
    peers: bool,
    #[arg(long, hide = true)]
    threads: Option<usize>,
    #[arg(long, hide = true)]
    events: Option<u64>,
    #[arg(long, hide = true)]
    ring: Option<usize>,
    #[arg(long, hide = true)]
    budget: Option<usize>,
    #[arg(long, hide = true)]
    wave: Option<usize>,
    #[arg(long, hide = true)]
    scratch: Option<PathBuf>,
    #[arg(long, hide = true)]
    what: Option<String>,
}

/// Rounds and sizes of one run.
#[derive(Clone, Copy)]
struct Plan {
    hot_rounds: usize,
    hot_batch: Duration,
    thread_rounds: usize,
    thread_target: Duration,
    snapshot_rounds: usize,
    snapshot_batch: Duration,
    /// (threads, ring bytes, events per thread)
    concurrent_threads: &'static [(usize, usize, u64)],
    /// (threads in all, alive at a time, events each, ring, budget)
    concurrent_buffers: (usize, usize, u64, usize, usize),
    bytes_events: u64,
    /// Events per thread and message of the continuous log's runs.
    continuous_events: u64,
}

const FULL: Plan = Plan {
    hot_rounds: 41,
    hot_batch: Duration::from_millis(2),
    thread_rounds: 15,
    thread_target: Duration::from_millis(20),
    snapshot_rounds: 15,
    snapshot_batch: Duration::from_millis(5),
    // 10,000 threads need 16 KiB rings to stay in the default 256 MiB budget;
    // many more hit the kernel's limit on memory mappings (two or more per thread).
    concurrent_threads: &[(1024, 64 << 10, 3000), (4096, 64 << 10, 3000), (10_000, 16 << 10, 800)],
    concurrent_buffers: (100_000, 64, 100, 64 << 10, 16 << 20),
    bytes_events: 5000,
    continuous_events: 4_000_000,
};

const QUICK: Plan = Plan {
    hot_rounds: 9,
    hot_batch: Duration::from_millis(1),
    thread_rounds: 5,
    thread_target: Duration::from_millis(10),
    snapshot_rounds: 5,
    snapshot_batch: Duration::from_millis(2),
    concurrent_threads: &[(1024, 64 << 10, 3000)],
    concurrent_buffers: (10_000, 64, 100, 64 << 10, 16 << 20),
    bytes_events: 2000,
    continuous_events: 400_000,
};

fn main() -> ExitCode {
    let args = Args::parse();
    if let (Some(old), Some(new)) = (&args.compare, &args.against) {
        return compare_files(old, new, args.threshold);
    }
    if !machine::is_optimised() {
        eprintln!(
            "report: refusing to run from a debug build (profile `{}`, opt-level {}, debug assertions {}): \
             its numbers would say nothing about ttlog.\n\
             run: cargo run --release -p benches --bin report",
            env!("BENCHES_PROFILE"),
            env!("BENCHES_OPT_LEVEL"),
            if cfg!(debug_assertions) { "on" } else { "off" }
        );
        return ExitCode::from(2);
    }
    let plan = if args.quick { QUICK } else { FULL };
    if let Some(job) = &args.job {
        return run_job(job, &args, &plan);
    }
    run_report(&args, &plan)
}

fn workspace_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().map_or_else(|| PathBuf::from("."), Path::to_path_buf)
}

/// A measuring child process: prints its `Output` as JSON on stdout.
fn run_job(job: &str, a: &Args, plan: &Plan) -> ExitCode {
    let scratch = a.scratch.clone().unwrap_or_else(std::env::temp_dir);
    let need = |v: Option<usize>, what: &str| v.unwrap_or_else(|| panic!("--job {job} needs --{what}"));
    let out: Value = match job {
        "hot" => {
            let clock = match benches::parse_clock(a.clock.as_deref().unwrap_or("tsc")) {
                Ok(c) => c,
                Err(e) => {
                    eprintln!("report: {e}");
                    return ExitCode::from(2);
                }
            };
            init(Some(clock));
            let o = hot::Options { clock, peers: a.peers, rounds: plan.hot_rounds, batch: plan.hot_batch, scratch };
            hot::run(&o).to_json()
        }
        "threads" => {
            init(None);
            let o = threads::Options { rounds: plan.thread_rounds, target: plan.thread_target };
            threads::events_per_second(&o).to_json()
        }
        "buffer-ops" => {
            init(None);
            let o = threads::Options { rounds: plan.thread_rounds, target: plan.thread_target };
            threads::buffer_ops(&o).to_json()
        }
        "concurrent-threads" => {
            init(None);
            concurrency::concurrent_threads(need(a.threads, "threads"), a.events.unwrap_or(3000), need(a.ring, "ring"))
                .to_json()
        }
        "concurrent-buffers" => {
            init(None);
            let (total, wave, events, ring, budget) = plan.concurrent_buffers;
            concurrency::concurrent_buffers(
                a.threads.unwrap_or(total),
                a.wave.unwrap_or(wave),
                a.events.unwrap_or(events),
                a.ring.unwrap_or(ring),
                a.budget.unwrap_or(budget),
            )
            .to_json()
        }
        "bytes" => {
            init(None);
            snapshot::bytes_per_event(a.events.unwrap_or(plan.bytes_events)).to_json()
        }
        "snapshot" => {
            init(None);
            snapshot::snapshot(need(a.threads, "threads"), plan.snapshot_rounds, plan.snapshot_batch, &scratch)
                .to_json()
        }
        "continuous" => {
            continuous::sustained(need(a.threads, "threads"), a.events.unwrap_or(plan.continuous_events), &scratch)
                .to_json()
        }
        "continuous-drop" => continuous::dropping(a.events.unwrap_or(plan.continuous_events / 4), &scratch).to_json(),
        "icount" => icount::job(&scratch, a.what.as_deref().unwrap_or("all")),
        other => {
            eprintln!("report: unknown job `{other}`");
            return ExitCode::from(2);
        }
    };
    println!("{out}");
    ExitCode::SUCCESS
}

/// The process's ttlog settings: the clock (the machine's default unless
/// given) and level INFO, before any event.
fn init(clock: Option<ttlog::Clock>) {
    let clock = clock.unwrap_or_else(ttlog::Clock::default_for_this_machine);
    ttlog::Builder::new()
        .clock(clock)
        .max_level(ttlog::LevelFilter::Info)
        .init()
        .expect("configure ttlog before the first event");
}

/// Runs this binary with `--job` and the given arguments; reads its JSON.
fn child(exe: &Path, scratch: &Path, quick: bool, args: &[String]) -> Output {
    let mut cmd = Command::new(exe);
    cmd.arg("--scratch").arg(scratch).args(args).stdout(Stdio::piped()).stderr(Stdio::inherit());
    if quick {
        cmd.arg("--quick");
    }
    let what = args.join(" ");
    let mut o = Output::default();
    match cmd.output() {
        Ok(r) if r.status.success() => match serde_json::from_slice::<Value>(&r.stdout) {
            Ok(v) => return Output::from_json(&v),
            Err(e) => o.check(format!("measurement `{what}`: unreadable result: {e}"), false),
        },
        Ok(r) => o.check(format!("measurement `{what}` failed: {}", r.status), false),
        Err(e) => o.check(format!("measurement `{what}` could not start: {e}"), false),
    }
    o
}

fn run_report(a: &Args, plan: &Plan) -> ExitCode {
    let t0 = Instant::now();
    let machine_info = machine::machine();
    let started_unix = SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let workspace = workspace_dir();
    let out_dir = a.out.clone().unwrap_or_else(|| workspace.join("target").join("ttlog-report"));
    let scratch = out_dir.join("scratch");
    if let Err(e) = std::fs::create_dir_all(&scratch) {
        eprintln!("report: cannot create {}: {e}", scratch.display());
        return ExitCode::from(1);
    }
    let exe = match std::env::current_exe() {
        Ok(e) => e,
        Err(e) => {
            eprintln!("report: cannot find this program's path: {e}");
            return ExitCode::from(1);
        }
    };
    let default_clock = benches::clock_name(ttlog::Clock::default_for_this_machine());
    let s = |v: &str| v.to_owned();
    let mut out = Output::default();
    let step = |what: &str| eprintln!("report: {what} ...");

    if !a.only_compile_cost {
        step(&format!("hot path and peers (clock {default_clock})"));
        out.merge(child(
            &exe,
            &scratch,
            a.quick,
            &[s("--job"), s("hot"), s("--clock"), s(default_clock), s("--peers")],
        ));
        for clock in ["tsc", "monotonic", "coarse", "none"].into_iter().filter(|c| *c != default_clock) {
            step(&format!("hot path (clock {clock})"));
            out.merge(child(&exe, &scratch, a.quick, &[s("--job"), s("hot"), s("--clock"), s(clock)]));
        }
        step("events per second, 1 to 64 threads");
        out.merge(child(&exe, &scratch, a.quick, &[s("--job"), s("threads")]));
        step("buffer operations with a snapshot reader");
        out.merge(child(&exe, &scratch, a.quick, &[s("--job"), s("buffer-ops")]));
        for &(threads, ring, events) in plan.concurrent_threads {
            step(&format!("concurrent threads: {threads}"));
            let mut o = child(
                &exe,
                &scratch,
                a.quick,
                &[
                    s("--job"),
                    s("concurrent-threads"),
                    s("--threads"),
                    threads.to_string(),
                    s("--ring"),
                    ring.to_string(),
                    s("--events"),
                    events.to_string(),
                ],
            );
            let key = concurrency::concurrent_threads_key(threads);
            if o.get(&key).is_none() {
                // The measuring process failed: no thread was verified.
                o.metric(
                    key,
                    0.0,
                    "threads",
                    model::Better::Higher,
                    format!("{threads} threads planned; the measuring process failed"),
                );
            }
            let failed = o.checks.iter().any(|c| !c.ok);
            out.merge(o);
            if failed {
                break;
            }
        }
        step("concurrent buffers: short-lived threads");
        out.merge(child(&exe, &scratch, a.quick, &[s("--job"), s("concurrent-buffers")]));
        step("bytes per event");
        out.merge(child(&exe, &scratch, a.quick, &[s("--job"), s("bytes")]));
        for n in [1usize, 2, 64] {
            step(&format!("snapshots of {n} thread(s)"));
            out.merge(child(&exe, &scratch, a.quick, &[s("--job"), s("snapshot"), s("--threads"), n.to_string()]));
        }
        for n in [1usize, 2] {
            step(&format!("continuous log, {n} thread(s)"));
            out.merge(child(&exe, &scratch, a.quick, &[s("--job"), s("continuous"), s("--threads"), n.to_string()]));
        }
        step("continuous log, Drop mode against a slow writer");
        out.merge(child(&exe, &scratch, a.quick, &[s("--job"), s("continuous-drop")]));
        if !a.no_icount {
            step("instruction counts (valgrind)");
            out.merge(icount::measure(&exe, &scratch));
        }
    }
    if a.compile_cost || a.only_compile_cost {
        step("compile cost (several minutes)");
        out.merge(compile_cost::run(&workspace));
    }
    let _ = std::fs::remove_dir_all(&scratch);

    let mut command = s("cargo run --release -p benches --bin report");
    let extra: Vec<String> = std::env::args().skip(1).collect();
    if !extra.is_empty() {
        command = format!("{command} -- {}", extra.join(" "));
    }
    let report = output::Report {
        command,
        machine: machine_info,
        build: machine::build(),
        options: json!({
            "quick": a.quick,
            "compile_cost": a.compile_cost || a.only_compile_cost,
            "icount": !a.no_icount,
            "default_clock": default_clock,
            "hot_rounds": plan.hot_rounds,
            "hot_batch_ms": plan.hot_batch.as_secs_f64() * 1e3,
            "thread_rounds": plan.thread_rounds,
            "snapshot_rounds": plan.snapshot_rounds,
        }),
        started_unix,
        seconds: t0.elapsed().as_secs_f64(),
        out,
    };
    let md = report.markdown();
    let json = report.to_json();
    print!("{md}");
    let write = |name: &str, text: String| {
        let p = out_dir.join(name);
        match std::fs::write(&p, text) {
            Ok(()) => eprintln!("report: wrote {}", p.display()),
            Err(e) => eprintln!("report: cannot write {}: {e}", p.display()),
        }
    };
    write("report.md", md);
    write("report.json", serde_json::to_string_pretty(&json).unwrap_or_default());
    let mut code = if report.out.checks.iter().all(|c| c.ok) { ExitCode::SUCCESS } else { ExitCode::from(1) };
    if let Some(old) = &a.compare {
        match read_json(old) {
            Ok(old) => {
                let (text, regressions) = output::compare(&old, &json, a.threshold);
                print!("\n{text}");
                if regressions > 0 {
                    code = ExitCode::from(1);
                }
            }
            Err(e) => {
                eprintln!("report: {e}");
                code = ExitCode::from(2);
            }
        }
    }
    code
}

fn read_json(path: &Path) -> Result<Value, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("{} is not a report: {e}", path.display()))
}

fn compare_files(old: &Path, new: &Path, threshold: f64) -> ExitCode {
    match (read_json(old), read_json(new)) {
        (Ok(o), Ok(n)) => {
            let (text, regressions) = output::compare(&o, &n, threshold);
            print!("{text}");
            if regressions > 0 { ExitCode::from(1) } else { ExitCode::SUCCESS }
        }
        (Err(e), _) | (_, Err(e)) => {
            eprintln!("report: {e}");
            ExitCode::from(2)
        }
    }
}
