//! `info`: each snapshot's header, callsite table and thread table.

use super::args::InfoArgs;
use super::{Outcome, text, write_line};
use std::io::{self, Write};
use ttlog_decode::filter::Filter;
use ttlog_decode::render::time::write_rfc3339;
use ttlog_decode::snapshot::{CallsiteInfo, PieceInfo};

/// The callsite's format string, rebuilt from its pieces (`{}` for each
/// argument, `{name}` for named ones: the specs are in the table).
fn template(cs: &CallsiteInfo) -> String {
    let mut s = String::new();
    for p in &cs.pieces {
        match p {
            PieceInfo::Lit(l) => s.push_str(&l.replace('{', "{{").replace('}', "}}")),
            PieceInfo::Arg { arg, .. } => match cs.args.get(*arg as usize) {
                Some(a) if a.role == ttlog_core::callsite::ArgRole::Named => {
                    s.push('{');
                    s.push_str(&a.name);
                    s.push('}');
                }
                _ => s.push_str("{}"),
            },
        }
    }
    s
}

fn rfc(ns: Option<i128>) -> String {
    let mut s = String::new();
    match ns {
        Some(ns) => write_rfc3339(&mut s, ns),
        None => s.push('-'),
    }
    s
}

pub(crate) fn run(a: &InfoArgs, out: &mut impl Write) -> io::Result<Outcome> {
    let filter = Filter {
        min_level: a.level,
        threads: a.thread.clone(),
        target: a.target.clone(),
        callsite: a.callsite.clone(),
        ..Filter::default()
    };
    let inputs = super::input::read_all(&a.input.files);
    let raw = a.raw;
    for (name, snap) in inputs.names.iter().zip(&inputs.snaps) {
        let callsites = snap.callsites.iter().flatten().filter(|c| filter.keeps_callsite(c));
        let threads = snap.threads.iter().flatten().filter(|t| filter.keeps_thread(t));
        if a.json {
            let header = snap.header.as_ref().map(|h| {
                serde_json::json!({
                    "program": h.program, "pid": h.pid, "host": h.host, "reason": h.reason,
                    "ttlog_version": h.ttlog_version, "clock": format!("{:?}", h.clock),
                    "anchor": {"ticks": h.anchor.ticks, "mono_ns": h.anchor.mono_ns, "real_ns": h.anchor.real_ns},
                    "taken": {"ticks": h.taken.ticks, "mono_ns": h.taken.mono_ns, "real_ns": h.taken.real_ns},
                    "evicted": h.evicted, "late_dropped": h.late_dropped,
                })
            });
            let o = serde_json::json!({
                "kind": "snapshot", "file": name, "header": header,
                "trigger": snap.trigger.as_ref().map(super::print::trigger_json),
                "format_version": ttlog_core::wire::VERSION,
                "events": snap.events.len(), "complete": snap.end.is_some(),
                "problems": snap.problems.iter().map(|p| p.to_string()).collect::<Vec<_>>(),
            });
            write_line(out, &o.to_string())?;
            for c in callsites {
                let o = serde_json::json!({
                    "kind": "callsite", "file": name, "index": c.index, "level": c.level.as_str(),
                    "callsite_kind": format!("{:?}", c.kind).to_lowercase(), "name": c.name, "target": c.target,
                    "source": c.file, "line": c.line, "format": template(c),
                    "args": c.args.iter().map(|a| serde_json::json!({
                        "name": a.name, "type": format!("{:?}", a.ty), "role": format!("{:?}", a.role).to_lowercase(),
                    })).collect::<Vec<_>>(),
                });
                write_line(out, &o.to_string())?;
            }
            for t in threads {
                let o = serde_json::json!({
                    "kind": "thread", "file": name, "index": t.index, "tid": t.tid, "name": t.name,
                    "exited": t.exited, "recorded": t.recorded, "overwritten": t.overwritten,
                    "evicted": t.evicted, "dropped": t.dropped, "copied": t.copied,
                });
                write_line(out, &o.to_string())?;
            }
            continue;
        }
        writeln!(out, "file        {}", text(name, raw))?;
        match &snap.header {
            Some(h) => {
                writeln!(out, "program     {} (pid {}) on {}", text(&h.program, raw), h.pid, text(&h.host, raw))?;
                writeln!(out, "reason      {}", text(&h.reason, raw))?;
                writeln!(
                    out,
                    "format      version {}, written by ttlog {}",
                    ttlog_core::wire::VERSION,
                    text(&h.ttlog_version, raw)
                )?;
                writeln!(
                    out,
                    "clock       {:?}: first event {} (ticks {}), taken {} (ticks {})",
                    h.clock,
                    rfc(h.unix_nanos(h.anchor.ticks)),
                    h.anchor.ticks,
                    rfc(h.unix_nanos(h.taken.ticks)),
                    h.taken.ticks
                )?;
                if h.evicted > 0 || h.late_dropped > 0 {
                    writeln!(
                        out,
                        "lost        {} events of exited threads no longer listed, {} dropped by ending threads",
                        h.evicted, h.late_dropped
                    )?;
                }
            }
            None => writeln!(out, "header      missing or damaged")?,
        }
        if let Some(t) = &snap.trigger {
            let mut lines = Vec::new();
            super::print::write_trigger(&mut lines, snap, t, raw)?;
            for line in String::from_utf8_lossy(&lines).lines() {
                writeln!(out, "trigger     {}", line.trim_start_matches("# "))?;
            }
        }
        writeln!(
            out,
            "events      {}{}{}",
            snap.events.len(),
            if snap.end.is_some() { "" } else { " (no END frame: the file is truncated)" },
            if snap.problems.is_empty() { String::new() } else { format!(", {} problem(s)", snap.problems.len()) }
        )?;
        writeln!(out, "callsites   {:>5}  {:<5}  {:<5}  location / target / format", "index", "level", "kind")?;
        for c in callsites {
            writeln!(
                out,
                "            {:>5}  {:<5}  {:<5}  {}:{} {} {}",
                c.index,
                c.level.as_str(),
                format!("{:?}", c.kind).to_lowercase(),
                text(&c.file, raw),
                c.line,
                text(&c.target, raw),
                text(&format!("{:?}", template(c)), raw)
            )?;
        }
        writeln!(
            out,
            "threads     {:>5}  {:>7}  {:<20} {:>9} {:>11} {:>9} {:>7}",
            "index", "tid", "name", "recorded", "overwritten", "evicted", "dropped"
        )?;
        for t in threads {
            writeln!(
                out,
                "            {:>5}  {:>7}  {:<20} {:>9} {:>11} {:>9} {:>7}{}{}",
                t.index,
                t.tid,
                if t.name.is_empty() { "-".into() } else { text(&t.name, raw) },
                t.recorded,
                t.overwritten,
                t.evicted,
                t.dropped,
                if t.exited { "  (exited)" } else { "" },
                if t.copied { "" } else { "  (ring not copied)" }
            )?;
        }
    }
    Ok(if inputs.ok { Outcome::Done } else { Outcome::BadInput })
}
