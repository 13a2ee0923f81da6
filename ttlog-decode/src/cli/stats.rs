//! `stats`: events by level, thread and callsite, losses, the time span;
//! counted from the records, no message rendered.

use super::args::StatsArgs;
use super::{Outcome, select, text, write_line};
use std::collections::HashMap;
use std::io::{self, Write};
use ttlog_decode::render::line::write_duration;
use ttlog_decode::render::time::write_rfc3339;
use ttlog_decode::stats::Stats;

/// A thread's line: its counts over every file of its process.
#[derive(Default)]
struct ThreadRow {
    process: u32,
    tid: u64,
    name: String,
    events: u64,
    overwritten: u64,
    evicted: u64,
    dropped: u64,
}

/// A callsite's line, over every file.
struct CallsiteRow {
    level: &'static str,
    location: String,
    target: String,
    events: u64,
    arg_bytes: u64,
}

fn share(part: u64, whole: u64) -> f64 {
    if whole == 0 { 0.0 } else { part as f64 * 100.0 / whole as f64 }
}

pub(crate) fn run(a: &StatsArgs, out: &mut impl Write) -> io::Result<Outcome> {
    let (filter, bare) = match select::filter_of(&a.filters) {
        Ok(f) => f,
        Err(why) => return Ok(Outcome::Usage(why)),
    };
    if let Some(name) = bare {
        return Ok(Outcome::Usage(format!("`--field {name}`: expected `KEY=VALUE` (a bare name is for `agg`)")));
    }
    let inputs = super::input::read_all(&a.input.files);
    let snaps = &inputs.snaps;
    let sel = select::select(snaps, &a.filters, &filter);
    let mut stats: Vec<Stats> = snaps.iter().map(Stats::new).collect();
    for item in &sel.kept {
        let snap = &snaps[item.file as usize];
        stats[item.file as usize].add(snap, &snap.events[item.event as usize]);
    }

    let mut levels = [0u64; 6];
    let (mut events, mut arg_bytes) = (0u64, 0u64);
    let mut span: Option<(i128, i128)> = None;
    let mut threads: Vec<ThreadRow> = Vec::new();
    let mut thread_at: HashMap<(u32, u64, String), usize> = HashMap::new();
    let mut callsites: Vec<CallsiteRow> = Vec::new();
    let mut callsite_at: HashMap<(String, String, &'static str), usize> = HashMap::new();
    // By process: the header's counts of events of threads no longer
    // listed and of ending threads (the latest snapshot's, the largest).
    let mut unlisted_losses = vec![(0u64, 0u64); sel.merged.processes.len()];
    for (f, (snap, st)) in snaps.iter().zip(&stats).enumerate() {
        let process = sel.merged.process_of[f];
        events += st.events;
        arg_bytes += st.arg_bytes;
        for (l, n) in levels.iter_mut().zip(st.by_level) {
            *l += n;
        }
        if let Some((lo, hi)) = st.ticks
            && let (Some(lo), Some(hi)) = (snap.unix_nanos_of(lo), snap.unix_nanos_of(hi))
        {
            span = Some(span.map_or((lo, hi), |(a, b)| (a.min(lo), b.max(hi))));
        }
        if let Some(h) = &snap.header {
            let l = &mut unlisted_losses[process as usize];
            *l = (l.0.max(h.evicted), l.1.max(h.late_dropped));
        }
        for (i, t) in snap.threads.iter().enumerate() {
            let Some(t) = t else { continue };
            let key = (process, t.tid, t.name.clone());
            let at = *thread_at.entry(key).or_insert_with(|| {
                threads.push(ThreadRow { process, tid: t.tid, name: t.name.clone(), ..ThreadRow::default() });
                threads.len() - 1
            });
            let row = &mut threads[at];
            row.events += st.by_thread.get(i).copied().unwrap_or(0);
            row.overwritten = row.overwritten.max(t.overwritten);
            row.evicted = row.evicted.max(t.evicted);
            row.dropped = row.dropped.max(t.dropped);
        }
        for (i, c) in snap.callsites.iter().enumerate() {
            let (Some(c), Some(count)) = (c, st.by_callsite.get(i)) else { continue };
            if count.events == 0 {
                continue;
            }
            let location = format!("{}:{}", c.file, c.line);
            let key = (location.clone(), c.target.clone(), c.level.as_str());
            let at = *callsite_at.entry(key).or_insert_with(|| {
                let row = CallsiteRow {
                    level: c.level.as_str(),
                    location,
                    target: c.target.clone(),
                    events: 0,
                    arg_bytes: 0,
                };
                callsites.push(row);
                callsites.len() - 1
            });
            callsites[at].events += count.events;
            callsites[at].arg_bytes += count.arg_bytes;
        }
    }
    let evicted_unlisted: u64 = unlisted_losses.iter().map(|l| l.0).sum();
    let late_dropped: u64 = unlisted_losses.iter().map(|l| l.1).sum();
    let unlisted: u64 = stats.iter().map(|s| s.unlisted_threads).sum();
    callsites.sort_by(|a, b| b.events.cmp(&a.events).then_with(|| a.location.cmp(&b.location)));
    let shown = callsites.len().min(a.top);
    let overwritten: u64 = threads.iter().map(|t| t.overwritten).sum();
    let evicted: u64 = threads.iter().map(|t| t.evicted).sum::<u64>() + evicted_unlisted;
    let dropped: u64 = threads.iter().map(|t| t.dropped).sum::<u64>() + late_dropped;
    let level_names = ["ERROR", "WARN", "INFO", "DEBUG", "TRACE", "unknown"];

    if a.json {
        let mut by_level = serde_json::Map::new();
        for (name, n) in level_names.iter().zip(levels) {
            by_level.insert((*name).to_owned(), n.into());
        }
        let rfc = |ns: i128| {
            let mut s = String::new();
            write_rfc3339(&mut s, ns);
            s
        };
        let o = serde_json::json!({
            "kind": "stats",
            "files": inputs.names,
            "events": events,
            "copies": sel.merged.copies,
            "first": span.map(|s| rfc(s.0)),
            "last": span.map(|s| rfc(s.1)),
            "span_ns": span.map(|s| (s.1 - s.0) as u64),
            "levels": by_level,
            "overwritten": overwritten,
            "evicted": evicted,
            "dropped": dropped,
            "threads": threads.iter().map(|t| serde_json::json!({
                "pid": sel.merged.processes[t.process as usize].pid, "tid": t.tid, "name": t.name,
                "events": t.events, "overwritten": t.overwritten, "evicted": t.evicted, "dropped": t.dropped,
            })).collect::<Vec<_>>(),
            "unlisted_thread_events": unlisted,
            "arg_bytes": arg_bytes,
            "callsites": callsites[..shown].iter().map(|c| serde_json::json!({
                "location": c.location, "target": c.target, "level": c.level, "events": c.events,
                "share": share(c.events, events), "arg_bytes": c.arg_bytes, "arg_bytes_share": share(c.arg_bytes, arg_bytes),
            })).collect::<Vec<_>>(),
            "callsites_total": callsites.len(),
        });
        write_line(out, &o.to_string())?;
        return Ok(if inputs.ok { Outcome::Done } else { Outcome::BadInput });
    }

    let raw = a.raw;
    let mut head = format!("events     {events}");
    if let Some((lo, hi)) = span {
        head.push_str(" from ");
        write_rfc3339(&mut head, lo);
        head.push_str(" to ");
        write_rfc3339(&mut head, hi);
        head.push_str(" (");
        write_duration(&mut head, (hi - lo) as u64);
        head.push(')');
    }
    if sel.merged.copies > 0 {
        head.push_str(&format!(", {} copies in several files counted once", sel.merged.copies));
    }
    write_line(out, &head)?;
    let mut lv = String::from("levels    ");
    for (name, n) in level_names.iter().zip(levels) {
        if n > 0 || *name != "unknown" {
            lv.push_str(&format!(" {name} {n} "));
        }
    }
    write_line(out, lv.trim_end())?;
    writeln!(out, "lost       overwritten {overwritten}  evicted {evicted}  dropped {dropped}")?;
    writeln!(out, "threads    {:>10} {:>11} {:>9} {:>9}  thread", "events", "overwritten", "evicted", "dropped")?;
    let several = sel.merged.processes.len() > 1;
    for t in &threads {
        let mut who = String::new();
        if several {
            who.push_str(&format!("pid {} ", sel.merged.processes[t.process as usize].pid));
        }
        who.push_str(&format!("{} {}", t.tid, if t.name.is_empty() { "-".into() } else { text(&t.name, raw) }));
        writeln!(out, "           {:>10} {:>11} {:>9} {:>9}  {who}", t.events, t.overwritten, t.evicted, t.dropped)?;
    }
    if unlisted > 0 {
        writeln!(out, "           {unlisted:>10} {:>11} {:>9} {:>9}  (threads not listed)", "-", "-", "-")?;
    }
    writeln!(
        out,
        "callsites  {:>10} {:>6} {:>10} {:>6}  {:<5}  location (top {shown} of {})",
        "events",
        "share",
        "arg bytes",
        "share",
        "level",
        callsites.len()
    )?;
    for c in &callsites[..shown] {
        writeln!(
            out,
            "           {:>10} {:>5.1}% {:>10} {:>5.1}%  {:<5}  {} {}",
            c.events,
            share(c.events, events),
            c.arg_bytes,
            share(c.arg_bytes, arg_bytes),
            c.level,
            text(&c.location, raw),
            text(&c.target, raw)
        )?;
    }
    Ok(if inputs.ok { Outcome::Done } else { Outcome::BadInput })
}
