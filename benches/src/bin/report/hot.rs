//! The hot path on one thread: every message through ttlog, the floor and (in
//! the process that uses the default clock) the peers, side by side; and what
//! reading each clock costs.

use crate::model::{Better, Output};
use crate::stats::{Workload, interleaved, thread_cpu};
use benches::messages::{expected_text, log_log, ttlog_log};
use benches::{Inputs, Logger, Loggers, Message, floor, peers};
use std::hint::black_box;
use std::time::Duration;

pub struct Options {
    pub clock: ttlog::Clock,
    pub peers: bool,
    pub rounds: usize,
    pub batch: Duration,
    pub scratch: std::path::PathBuf,
}

pub fn run(o: &Options) -> Output {
    let clock = benches::clock_name(o.clock);
    let mut out = Output::default();
    let inputs = Inputs::NANOLOG;
    // The log peer's logger is installed in every process: the check that it
    // formats the same text runs in each.
    peers::install_log();
    let loggers = if o.peers {
        Loggers::with_peers(&o.scratch.join("tracing-appender.log")).expect("open the appender's file")
    } else {
        Loggers::own()
    };

    // The thread's first event sets up its ring: not part of any measurement.
    ttlog::info!("hot path benchmark starts");

    let mut w: Vec<Workload<'_>> = Vec::new();
    for m in Message::ALL {
        for l in Logger::ALL.into_iter().filter(|&l| l.logs(m) && loggers.has(l)) {
            let loggers = &loggers;
            w.push(Workload::custom(format!("{}.{m}", l.key()), move |n| {
                loggers
                    .batch(l, m, n, &inputs, |f| {
                        let t0 = thread_cpu();
                        f();
                        thread_cpu().saturating_sub(t0)
                    })
                    .expect("a logger set up here, with a counterpart of the message")
            }));
        }
    }
    w.push(Workload::timed("attr.ttlog_fn", benches::instrument::run_instrumented));
    w.push(Workload::timed("attr.bare_fn", benches::instrument::run_bare));
    w.push(Workload::timed("attr.ttlog_args_fn", benches::instrument::run_instrumented_args));
    if o.peers {
        w.push(Workload::timed("clock.rdtsc", |n| {
            for _ in 0..n {
                black_box(floor::rdtsc());
            }
        }));
        w.push(Workload::timed("clock.monotonic", |n| {
            for _ in 0..n {
                black_box(clock_gettime(libc::CLOCK_MONOTONIC));
            }
        }));
        w.push(Workload::timed("clock.monotonic_coarse", |n| {
            for _ in 0..n {
                black_box(clock_gettime(libc::CLOCK_MONOTONIC_COARSE));
            }
        }));
    }

    let summaries = interleaved(&mut w, o.rounds, o.batch);
    drop(w);
    if let Some(appender) = loggers.appender() {
        let lines: u64 = summaries
            .iter()
            .filter(|s| s.key.starts_with("tracing_appender_file.") && !s.key.ends_with(Message::Disabled.name()))
            .map(|s| s.iterations)
            .sum();
        out.note(format!(
            "tracing-appender: its writer thread dropped {} of the {lines} lines logged through it (it drops lines \
             when its queue is full, the default); its figure is the logging thread's cost, formatting included",
            appender.dropped_lines()
        ));
    }
    black_box(floor::digest());

    let median = |key: &str| summaries.iter().find(|s| s.key == key).map(|s| s.median);
    for s in &summaries {
        let (logger, rest) = s.key.split_once('.').unwrap_or((&s.key, ""));
        let config = format!(
            "1 thread, clock {clock}, ttlog ring {} KiB, median of {} rounds of {} events timed by thread CPU time (spread {:.0}%)",
            ttlog::DEFAULT_BUFFER_SIZE >> 10,
            s.rounds,
            s.batch,
            s.spread_pct()
        );
        if logger == "clock" {
            out.metric(format!("clock.{rest}"), s.median, "ns/read", Better::Neither, config);
        } else if logger == "attr" {
            let better = if rest == "ttlog_fn" || rest == "ttlog_args_fn" { Better::Lower } else { Better::Neither };
            out.metric(format!("hot.{clock}.attr.{rest}"), s.median, "ns/call", better, config);
        } else {
            let better = if logger == "ttlog" { Better::Lower } else { Better::Neither };
            out.metric(format!("hot.{clock}.{logger}.{rest}"), s.median, "ns/event", better, config);
        }
    }
    for m in Message::ALL {
        let Some(t) = median(&format!("ttlog.{m}")) else { continue };
        let same_run = format!("same run, clock {clock}, medians of {} interleaved rounds", o.rounds);
        if let Some(f) = median(&format!("floor.{m}")) {
            out.metric(format!("hot.{clock}.ttlog_over_floor.{m}"), t / f, "x", Better::Lower, same_run.clone());
        }
        // A disabled event costs a load and a compare in every logger: its
        // ratio is noise, not a figure to defend.
        let better = if m == Message::Disabled { Better::Neither } else { Better::Higher };
        for p in Logger::PEERS.map(Logger::key) {
            if let Some(pt) = median(&format!("{p}.{m}")) {
                out.metric(format!("ratio.{p}_over_ttlog.{m}"), pt / t, "x", better, same_run.clone());
            }
        }
    }

    // Every measured ttlog call recorded an event: the snapshot accounts for
    // all of them (recorded + overwritten).
    let logged: u64 = 1 + summaries
        .iter()
        .filter(|s| {
            Logger::INTO_TTLOG.iter().any(|l| s.key.starts_with(&format!("{}.", l.key())))
                && !s.key.ends_with(&format!(".{}", Message::Disabled))
        })
        .map(|s| s.iterations)
        .sum::<u64>()
        // `#[ttlog]`: an entry and an exit event per call.
        + 2 * summaries
            .iter()
            .filter(|s| s.key == "attr.ttlog_fn" || s.key == "attr.ttlog_args_fn")
            .map(|s| s.iterations)
            .sum::<u64>();
    let tid = os_tid();
    let snap = ttlog::snapshot("hot path");
    let me = snap.threads().iter().find(|t| t.tid() == tid);
    let accounted = me.map_or(0, |t| t.recorded() + t.overwritten());
    out.check(
        format!("hot path (clock {clock}): snapshot accounts for every ttlog event measured, and the disabled ones recorded nothing ({accounted} of {logged})"),
        accounted == logged && me.is_some_and(|t| t.dropped() == 0),
    );
    same_text_check(&mut out, clock, &inputs);
    out
}

/// Logs each message once more through ttlog and log, decodes ttlog's snapshot
/// and compares both texts with `format!`'s.
fn same_text_check(out: &mut Output, clock: &str, inputs: &Inputs) {
    let recorded: Vec<Message> = Message::ALL.into_iter().filter(|m| *m != Message::Disabled).collect();
    let mut log_ok = true;
    for &m in &recorded {
        ttlog_log::run(m, 1, inputs);
        log_log::run(m, 1, inputs);
        let line = peers::last_log_line();
        log_ok &= line.ends_with(&expected_text(m, inputs));
    }
    let tid = os_tid();
    let bytes = ttlog::snapshot("check").to_bytes();
    let mut ttlog_ok = false;
    if let Ok(snap) = ttlog_decode::from_bytes(&bytes) {
        let mine: Vec<_> = snap.events.iter().filter(|e| snap.thread(e).is_some_and(|t| t.tid == tid)).collect();
        if mine.len() >= recorded.len() {
            let last = &mine[mine.len() - recorded.len()..];
            ttlog_ok = last.iter().zip(&recorded).all(|(e, &m)| {
                snap.callsite(e).is_some_and(|cs| {
                    ttlog_decode::render::message::message(cs, snap.args(e)) == expected_text(m, inputs)
                })
            });
        }
    }
    out.check(format!("hot path (clock {clock}): ttlog's decoded text equals format!'s for every message"), ttlog_ok);
    out.check(format!("hot path (clock {clock}): the log peer formats the same text"), log_ok);
}

fn clock_gettime(id: libc::clockid_t) -> u64 {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: `ts` is a valid, writable timespec; `clock_gettime` only writes it.
    unsafe { libc::clock_gettime(id, &mut ts) };
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

/// The calling thread's OS id, as `ThreadSnapshot::tid` reports it.
pub fn os_tid() -> u64 {
    // SAFETY: `gettid` has no preconditions and cannot fail.
    (unsafe { libc::gettid() }) as u64
}
