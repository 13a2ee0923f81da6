//! `print`: the events as text lines or JSON Lines.

use super::args::{Color, PrintArgs};
use super::{Outcome, push_text, select, text, write_line};
use std::io::{self, IsTerminal, Write};
use std::path::Path;
use ttlog_decode::Snapshot;
use ttlog_decode::filter::{Compiled, Filter};
use ttlog_decode::merge::Process;
use ttlog_decode::render::line::{write_json_line_at, write_text_line_at};
use ttlog_decode::render::terminal::{colour_level, colour_wanted, write_printed_line};
use ttlog_decode::stream::Stream;

/// Whether to colour, for `--color` and the environment.
fn colour(choice: Color) -> bool {
    match choice {
        Color::Always => true,
        Color::Never => false,
        Color::Auto => colour_wanted(io::stdout().is_terminal()),
    }
}

/// The mark of a process's lines, `program[pid]` (with `@host` when the
/// processes are on several hosts).
fn process_mark(p: &Process, hosts: bool) -> String {
    let program = if p.program.is_empty() { "?" } else { &p.program };
    if hosts { format!("{program}[{}]@{}", p.pid, p.host) } else { format!("{program}[{}]", p.pid) }
}

pub(crate) fn run(a: &PrintArgs, out: &mut impl Write) -> io::Result<Outcome> {
    let (filter, bare) = match select::filter_of(&a.filters) {
        Ok(f) => f,
        Err(why) => return Ok(Outcome::Usage(why)),
    };
    if let Some(name) = bare {
        return Ok(Outcome::Usage(format!("`--field {name}`: expected `KEY=VALUE` (a bare name is for `agg`)")));
    }
    if a.follow {
        if let Some(why) = super::follow::usage(a) {
            return Ok(Outcome::Usage(why));
        }
        return super::follow::run(a, &filter, out);
    }
    // One file and nothing that needs all of it first: streamed, in
    // bounded memory, however large it is.
    if let [path] = a.input.files.as_slice()
        && path != Path::new("-")
        && a.filters.last.is_none()
        && !a.summary
        && let Some(done) = stream_one(a, path, &filter, out)
    {
        return done;
    }
    let inputs = super::input::read_all(&a.input.files);
    if a.summary {
        for (name, snap) in inputs.names.iter().zip(&inputs.snaps) {
            if a.json {
                write_summary_json(out, name, snap)?;
            } else {
                write_summary(out, snap, a.raw)?;
            }
        }
    }
    let sel = select::select(&inputs.snaps, &a.filters, &filter);
    let processes = &sel.merged.processes;
    let marks: Option<Vec<String>> = (processes.len() > 1).then(|| {
        let hosts = processes.iter().any(|p| p.host != processes[0].host);
        processes
            .iter()
            .map(|p| if a.json { json_process(p) } else { text(&process_mark(p, hosts), a.raw).into_owned() + " " })
            .collect()
    });
    let colour = !a.json && colour(a.color);
    let mut line = String::with_capacity(256);
    let mut shown = String::with_capacity(256);
    for item in &sel.kept {
        let snap = &inputs.snaps[item.file as usize];
        let e = &snap.events[item.event as usize];
        let mark = marks.as_ref().map(|m| m[sel.merged.process_of[item.file as usize] as usize].as_str());
        line.clear();
        if a.json {
            write_json_line_at(&mut line, snap, e, item.time);
            if let (Some(mark), Some(rest)) = (mark, line.strip_prefix('{')) {
                shown.clear();
                shown.push_str("{\"process\":");
                shown.push_str(mark);
                shown.push(',');
                shown.push_str(rest);
                write_line(out, &shown)?;
            } else {
                write_line(out, &line)?;
            }
            continue;
        }
        write_text_line_at(&mut line, snap, e, item.time);
        shown.clear();
        if let Some(mark) = mark {
            shown.push_str(mark);
        }
        let at = shown.len();
        push_text(&mut shown, &line, a.raw);
        if colour {
            let mut rest = shown.split_off(at);
            colour_level(&mut rest);
            shown.push_str(&rest);
        }
        write_line(out, &shown)?;
    }
    out.flush()?;
    if sel.merged.copies > 0 {
        eprintln!("ttlog-decode: {} events of the same process in more than one file shown once", sel.merged.copies);
    }
    Ok(if inputs.ok { Outcome::Done } else { Outcome::BadInput })
}

/// Prints one file's events as the stream reads them; `None` for a file
/// with `#[ttlog]` functions, whose calls are paired over the whole file, or
/// with a continuous log's markers of lost events.
fn stream_one(a: &PrintArgs, path: &Path, filter: &Filter, out: &mut impl Write) -> Option<io::Result<Outcome>> {
    let name = path.display().to_string();
    let shown = text(&name, false);
    let mut stream = match Stream::open(path) {
        Ok(s) if s.has_calls() || s.has_drops() => return None,
        Ok(s) => s,
        Err(e) => {
            eprintln!("ttlog-decode: {shown}: {}", text(&e.to_string(), false));
            return Some(Ok(Outcome::BadInput));
        }
    };
    Some(print_stream(a, &shown, &mut stream, filter, out))
}

fn print_stream<R: std::io::Read + std::io::Seek>(
    a: &PrintArgs,
    shown: &str,
    stream: &mut Stream<R>,
    filter: &Filter,
    out: &mut impl Write,
) -> io::Result<Outcome> {
    let mut lines = Lines::new(a, filter);
    let mut events = 0u64;
    while let Some((snap, e)) = stream.next_event() {
        events += 1;
        lines.write(snap, e, out)?;
    }
    out.flush()?;
    let problems = stream.problems();
    for p in problems {
        eprintln!("ttlog-decode: {shown}: {}", text(&p.to_string(), false));
    }
    if problems.is_empty() {
        return Ok(Outcome::Done);
    }
    let lost = problems.iter().fold(0u64, |n, p| n.saturating_add(p.lost_events));
    eprintln!(
        "ttlog-decode: {shown}: damaged snapshot: {events} events decoded, {lost} known lost, {} problem(s)",
        problems.len()
    );
    Ok(Outcome::BadInput)
}

/// The lines of events of one file at a time, as `print` writes them: the
/// filters, `--json`, `--raw` and colours.
pub(crate) struct Lines<'f> {
    a: &'f PrintArgs,
    filter: &'f Filter,
    everything: bool,
    colour: bool,
    /// The filter compiled against the metadata with these many callsites
    /// and threads (compiled again when ring records, or the frames of a
    /// followed file, add some).
    compiled: Option<((usize, usize), Compiled<'f>)>,
    line: String,
    shown: String,
    scratch: String,
}

impl<'f> Lines<'f> {
    pub(crate) fn new(a: &'f PrintArgs, filter: &'f Filter) -> Lines<'f> {
        Lines {
            a,
            filter,
            everything: filter.is_empty() && a.filters.grep.is_none(),
            colour: !a.json && colour(a.color),
            compiled: None,
            line: String::new(),
            shown: String::new(),
            scratch: String::new(),
        }
    }

    /// Writes the line of `e` of `snap` if the filters keep it.
    pub(crate) fn write(&mut self, snap: &Snapshot, e: &ttlog_decode::Event, out: &mut impl Write) -> io::Result<()> {
        let time = snap.unix_nanos(e);
        if !self.everything {
            let key = (snap.callsites.len(), snap.threads.len());
            if self.compiled.as_ref().is_none_or(|(k, _)| *k != key) {
                self.compiled = Some((key, self.filter.compile(snap)));
            }
            let keep = self.compiled.as_ref().is_some_and(|(_, c)| c.matches(snap, e, time))
                && self.a.filters.grep.as_ref().is_none_or(|re| select::grep(re, snap, e, &mut self.scratch));
            if !keep {
                return Ok(());
            }
        }
        self.line.clear();
        if self.a.json {
            write_json_line_at(&mut self.line, snap, e, time);
            return write_line(out, &self.line);
        }
        self.shown.clear();
        write_printed_line(&mut self.shown, &mut self.line, snap, e, self.a.raw, self.colour);
        write_line(out, &self.shown)
    }
}

fn json_process(p: &Process) -> String {
    serde_json::json!({ "program": p.program, "pid": p.pid, "host": p.host }).to_string()
}

/// The `--summary` lines of a snapshot.
pub(crate) fn write_summary(out: &mut impl Write, snap: &Snapshot, raw: bool) -> io::Result<()> {
    if let Some(h) = &snap.header {
        writeln!(
            out,
            "# snapshot of {} (pid {}) on {}, reason: {}, ttlog {}, clock {:?}",
            text(&h.program, raw),
            h.pid,
            text(&h.host, raw),
            text(&h.reason, raw),
            text(&h.ttlog_version, raw),
            h.clock
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
        write_trigger(out, snap, t, raw)?;
    }
    let crashed = snap.trigger_thread().map(|t| t as *const _);
    for t in snap.threads.iter().flatten() {
        writeln!(
            out,
            "# thread {:>7} {:<20} recorded {:>9}  overwritten {:>9}  evicted {:>9}  dropped {:>6}{}{}{}",
            t.tid,
            if t.name.is_empty() { "-".into() } else { text(&t.name, raw) },
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

/// The names of the signals and `si_code`s a snapshot's trigger may have
/// (Linux's numbers).
pub(crate) fn signal_names(signal: u32, code: i32) -> (&'static str, &'static str) {
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

/// What made the snapshot, as JSON (`--summary --json`, `info --json`).
pub(crate) fn trigger_json(t: &ttlog_decode::snapshot::Trigger) -> serde_json::Value {
    let (signal_name, code_name) = signal_names(t.signal, t.code);
    serde_json::json!({
        "signal": t.signal, "signal_name": signal_name, "si_code": t.code, "si_code_name": code_name,
        "si_addr": t.addr, "sender_pid": t.sender_pid, "tid": t.tid, "thread": t.thread,
        "panic_file": t.panic_file, "panic_line": t.panic_line, "panic_column": t.panic_column,
        "skipped": t.skipped,
    })
}

/// The summary's lines about what made the snapshot (each starts with `# `).
pub(crate) fn write_trigger(
    out: &mut impl Write,
    snap: &Snapshot,
    t: &ttlog_decode::snapshot::Trigger,
    raw: bool,
) -> io::Result<()> {
    let thread = if t.thread.is_empty() { "-".into() } else { text(&t.thread, raw) };
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
            text(&t.panic_file, raw),
            t.panic_line,
            t.panic_column,
            t.tid
        )?;
    } else {
        writeln!(out, "# taken by thread {} {thread}{listed}", t.tid)?;
    }
    if t.skipped > 0 {
        writeln!(out, "# {} automatic snapshots skipped by the storm limit before this one", t.skipped)?;
    }
    Ok(())
}

/// The `--summary --json` objects of a snapshot: one of kind "snapshot",
/// one of kind "thread" for each thread.
pub(crate) fn write_summary_json(out: &mut impl Write, name: &str, snap: &Snapshot) -> io::Result<()> {
    let header = snap.header.as_ref().map(|h| {
        serde_json::json!({
            "program": h.program, "pid": h.pid, "host": h.host, "reason": h.reason,
            "ttlog_version": h.ttlog_version, "clock": format!("{:?}", h.clock),
            "evicted": h.evicted, "late_dropped": h.late_dropped,
        })
    });
    let trigger = snap.trigger.as_ref().map(trigger_json);
    let o = serde_json::json!({
        "kind": "snapshot", "file": name, "header": header, "trigger": trigger, "events": snap.events.len(),
        "problems": snap.problems.iter().map(|p| p.to_string()).collect::<Vec<_>>(),
    });
    write_line(out, &o.to_string())?;
    for t in snap.threads.iter().flatten() {
        let o = serde_json::json!({
            "kind": "thread", "file": name, "tid": t.tid, "name": t.name, "exited": t.exited,
            "recorded": t.recorded, "overwritten": t.overwritten, "evicted": t.evicted,
            "dropped": t.dropped, "copied": t.copied,
        });
        write_line(out, &o.to_string())?;
    }
    Ok(())
}
