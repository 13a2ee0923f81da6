//! `ttlog-decode FILE... [--json]`: prints the events of ttlog snapshots.
//!
//! Exit status: 0 when every file was read whole; 1 when a file could not be
//! read as a snapshot, or was damaged (its intact events are still printed, and
//! what was skipped is reported on stderr); 2 for bad command-line arguments.

use clap::Parser;
use std::io::{self, BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use ttlog_decode::render::line::{write_json_line, write_text_line};

/// Prints the events of ttlog snapshot files as text (default) or JSON lines,
/// all threads merged in time order.
#[derive(Parser, Debug)]
#[command(name = "ttlog-decode", version, about)]
struct Args {
    /// Snapshot files to decode.
    #[arg(required = true, value_name = "FILE")]
    files: Vec<PathBuf>,

    /// One JSON object per event and line.
    #[arg(long)]
    json: bool,

    /// Print, before the events, the snapshot's header, what made it (signal,
    /// si_code, faulting address, thread, panic location, snapshots skipped)
    /// and each thread's counts of recorded, overwritten, evicted and dropped
    /// events; with `--json`, one JSON object `{"snapshot": {...}}` of the
    /// header and the trigger.
    #[arg(long, short = 's')]
    summary: bool,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let stdout = io::stdout();
    let mut out = BufWriter::with_capacity(1 << 16, stdout.lock());
    let mut ok = true;
    for path in &args.files {
        let shown = path.display();
        let snap = match ttlog_decode::read_file(path) {
            Ok(s) => s,
            Err(e) => {
                eprintln!("ttlog-decode: {shown}: {e}");
                ok = false;
                continue;
            }
        };
        let summary = match (args.summary, args.json) {
            (false, _) => Ok(()),
            (true, false) => write_summary(&mut out, &snap),
            (true, true) => write_json_summary(&mut out, &snap),
        };
        if summary.is_err() {
            return ExitCode::from(1);
        }
        let mut line = String::with_capacity(256);
        for e in &snap.events {
            line.clear();
            if args.json {
                write_json_line(&mut line, &snap, e);
            } else {
                write_text_line(&mut line, &snap, e);
            }
            line.push('\n');
            if out.write_all(line.as_bytes()).is_err() {
                // The reader went away (a closed pipe): stop quietly.
                return if ok { ExitCode::SUCCESS } else { ExitCode::from(1) };
            }
        }
        if out.flush().is_err() {
            return ExitCode::from(1);
        }
        for p in &snap.problems {
            eprintln!("ttlog-decode: {shown}: {p}");
        }
        if !snap.problems.is_empty() {
            let lost = snap.problems.iter().fold(0u64, |n, p| n.saturating_add(p.lost_events));
            eprintln!(
                "ttlog-decode: {shown}: damaged snapshot: {} events decoded, {lost} known lost, {} problem(s)",
                snap.events.len(),
                snap.problems.len()
            );
            ok = false;
        }
    }
    if out.flush().is_err() {
        return ExitCode::from(1);
    }
    if ok { ExitCode::SUCCESS } else { ExitCode::from(1) }
}

/// The names of the signals and `si_code`s a snapshot's trigger may have
/// (Linux's numbers).
fn signal_names(signal: u32, code: i32) -> (&'static str, &'static str) {
    let sig = match signal {
        2 => "SIGINT",
        4 => "SIGILL",
        6 => "SIGABRT",
        7 => "SIGBUS",
        8 => "SIGFPE",
        10 => "SIGUSR1",
        11 => "SIGSEGV",
        12 => "SIGUSR2",
        15 => "SIGTERM",
        _ => "",
    };
    let code = match (signal, code) {
        (_, 0) => "SI_USER",
        (_, 0x80) => "SI_KERNEL",
        (_, -1) => "SI_QUEUE",
        (_, -6) => "SI_TKILL",
        (11, 1) => "SEGV_MAPERR",
        (11, 2) => "SEGV_ACCERR",
        (7, 1) => "BUS_ADRALN",
        (7, 2) => "BUS_ADRERR",
        (7, 3) => "BUS_OBJERR",
        (8, 1) => "FPE_INTDIV",
        (8, 2) => "FPE_INTOVF",
        (4, 1) => "ILL_ILLOPC",
        (4, 2) => "ILL_ILLOPN",
        _ => "",
    };
    (sig, code)
}

/// The summary's lines about what made the snapshot.
fn write_trigger(
    out: &mut impl Write,
    snap: &ttlog_decode::Snapshot,
    t: &ttlog_decode::snapshot::Trigger,
) -> io::Result<()> {
    let thread = if t.thread.is_empty() { "-" } else { &t.thread };
    let listed = if snap.trigger_thread().is_some() { "" } else { " (not among the threads: it logged nothing)" };
    if t.signal != 0 {
        let (sig, code) = signal_names(t.signal, t.code);
        write!(out, "# signal {} {sig} si_code {} {code}", t.signal, t.code)?;
        if t.addr != 0 {
            write!(out, " at address {:#x}", t.addr)?;
        }
        if t.sender_pid != 0 {
            write!(out, " sent by pid {}", t.sender_pid)?;
        }
        let fault = t.code > 0 && matches!(t.signal, 4 | 7 | 8 | 11);
        let by = if fault { "in" } else { "received by" };
        writeln!(out, ", {by} thread {} {thread}{listed}", t.tid)?;
    } else if !t.panic_file.is_empty() {
        writeln!(
            out,
            "# panic at {}:{}:{} in thread {} {thread}{listed}",
            t.panic_file, t.panic_line, t.panic_column, t.tid
        )?;
    } else {
        writeln!(out, "# taken by thread {} {thread}{listed}", t.tid)?;
    }
    if t.skipped > 0 {
        writeln!(out, "# {} automatic snapshots skipped by the storm limit before this one", t.skipped)?;
    }
    Ok(())
}

/// The summary as one JSON object (`--summary --json`).
fn write_json_summary(out: &mut impl Write, snap: &ttlog_decode::Snapshot) -> io::Result<()> {
    let s = |v: &str| {
        let mut o = String::new();
        ttlog_decode::render::line::push_json_str(&mut o, v);
        o
    };
    let mut line = String::from("{\"snapshot\":{");
    if let Some(h) = &snap.header {
        line += &format!(
            "\"program\":{},\"pid\":{},\"host\":{},\"reason\":{},\"ttlog\":{},\"clock\":{}",
            s(&h.program),
            h.pid,
            s(&h.host),
            s(&h.reason),
            s(&h.ttlog_version),
            s(&format!("{:?}", h.clock))
        );
    }
    if let Some(t) = &snap.trigger {
        if snap.header.is_some() {
            line.push(',');
        }
        line += &format!(
            "\"trigger\":{{\"signal\":{},\"si_code\":{},\"si_addr\":{},\"sender_pid\":{},\"tid\":{},\"thread\":{},\
             \"panic_file\":{},\"panic_line\":{},\"panic_column\":{},\"skipped\":{}}}",
            t.signal,
            t.code,
            t.addr,
            t.sender_pid,
            t.tid,
            s(&t.thread),
            s(&t.panic_file),
            t.panic_line,
            t.panic_column,
            t.skipped
        );
    }
    line.push_str("}}");
    writeln!(out, "{line}")
}

fn write_summary(out: &mut impl Write, snap: &ttlog_decode::Snapshot) -> io::Result<()> {
    if let Some(h) = &snap.header {
        writeln!(
            out,
            "# snapshot of {} (pid {}) on {}, reason: {}, ttlog {}, clock {:?}",
            h.program, h.pid, h.host, h.reason, h.ttlog_version, h.clock
        )?;
        if h.evicted > 0 || h.late_dropped > 0 {
            writeln!(
                out,
                "# {} events of exited threads no longer listed (their blocks reused), {} dropped by ending threads",
                h.evicted, h.late_dropped
            )?;
        }
    }
    if let Some(t) = &snap.trigger {
        write_trigger(out, snap, t)?;
    }
    let crashed = snap.trigger_thread().map(|t| t as *const _);
    for t in snap.threads.iter().flatten() {
        writeln!(
            out,
            "# thread {:>7} {:<20} recorded {:>9}  overwritten {:>9}  evicted {:>9}  dropped {:>6}{}{}{}",
            t.tid,
            if t.name.is_empty() { "-" } else { &t.name },
            t.recorded,
            t.overwritten,
            t.evicted,
            t.dropped,
            if t.exited { "  (exited)" } else { "" },
            if t.copied { "" } else { "  (ring not copied: its other counts are unknown)" },
            if crashed == Some(t as *const _) { "  <- trigger" } else { "" }
        )?;
    }
    Ok(())
}
