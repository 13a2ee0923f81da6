//! The report as Markdown and JSON, the targets, and the comparison of
//! two reports.

use crate::model::{Better, Metric, Output};
use benches::Message;
use serde_json::{Value, json};
use std::fmt::Write as _;

/// Everything one run measured, and on what.
pub struct Report {
    pub command: String,
    pub machine: Value,
    pub build: Value,
    pub options: Value,
    pub started_unix: u64,
    pub seconds: f64,
    pub out: Output,
}

impl Report {
    pub fn to_json(&self) -> Value {
        json!({
            "schema": "ttlog-report/1",
            "command": self.command,
            "started_unix": self.started_unix,
            "seconds": self.seconds,
            "machine": self.machine,
            "build": self.build,
            "options": self.options,
            "targets": targets(&self.out, &self.default_clock()).iter().map(|t| json!({
                "target": t.target, "measured": t.measured, "met": t.met,
            })).collect::<Vec<_>>(),
            "results": self.out.to_json(),
        })
    }

    fn default_clock(&self) -> String {
        self.options.get("default_clock").and_then(Value::as_str).unwrap_or("tsc").to_owned()
    }

    fn cores(&self) -> usize {
        self.machine.get("cores").and_then(Value::as_u64).unwrap_or(1) as usize
    }

    pub fn markdown(&self) -> String {
        let o = &self.out;
        let clock = self.default_clock();
        let cores = self.cores();
        let mut s = String::new();
        let m = &self.machine;
        let b = &self.build;
        let _ = writeln!(s, "# ttlog benchmark report\n");
        let _ = writeln!(s, "`{}` ({:.0} s)\n", self.command, self.seconds);
        let _ = writeln!(
            s,
            "- machine: {} ({} cores{}), {} GiB, Linux {}; invariant TSC: {}; load average at the start {}\n- build: {} profile, opt-level {}, debug assertions {}, {}, target {}, rustflags `{}`\n- ttlog {}, default clock `{}`; every figure's configuration is in the last table\n",
            str_of(m, "cpu"),
            cores,
            if m.get("virtualised").and_then(Value::as_bool) == Some(true) { ", virtual machine" } else { "" },
            m.get("memory_gib").and_then(Value::as_f64).unwrap_or(0.0),
            str_of(m, "kernel"),
            if m.get("invariant_tsc").and_then(Value::as_bool) == Some(true) { "yes" } else { "no" },
            str_of(m, "load_average"),
            str_of(b, "profile"),
            str_of(b, "opt_level"),
            if b.get("debug_assertions").and_then(Value::as_bool) == Some(true) { "on" } else { "off" },
            str_of(b, "rustc"),
            str_of(b, "target"),
            str_of(b, "rustflags"),
            str_of(b, "ttlog"),
            clock,
        );

        // The seed's six metrics.
        let _ = writeln!(s, "## The six metrics\n");
        let _ = writeln!(s, "| metric | ttlog | how |\n| --- | ---: | --- |");
        let row = |s: &mut String, name: &str, key: &str, how: &str| {
            let v = o.get(key);
            let _ = writeln!(s, "| {name} | {} | {how} |", v.map_or("n/a".to_owned(), |m| fmt_value(m.value, &m.unit)));
        };
        row(&mut s, "events per second, 1 thread", "eps.ttlog.1_threads", "twoIntegers through `ttlog::info!`");
        row(
            &mut s,
            &format!("events per second, all cores ({cores} threads)"),
            &format!("eps.ttlog.{cores}_threads"),
            "same, one thread per core",
        );
        row(&mut s, "events per second, 64 threads", "eps.ttlog.64_threads", "same, 64 threads on the cores");
        row(
            &mut s,
            "buffer operations per second",
            "buffer_ops.with_reader",
            "raw reserve+commit, a snapshot thread copying the rings meanwhile",
        );
        let _ = writeln!(
            s,
            "| concurrent threads | {} | alive and logging at once; a snapshot then accounts for every event of each |",
            concurrent_threads_cell(o)
        );
        let _ = writeln!(
            s,
            "| concurrent buffers | {} | buffers ttlog handed to short-lived threads over one run (new and reused rings), and the process's peak resident memory |",
            concurrent_buffers_cell(o)
        );
        let bytes = |kind: &str| {
            Message::NANOLOG
                .iter()
                .filter_map(|m| o.value(&format!("bytes.{kind}.{m}")))
                .fold((f64::MAX, 0.0f64), |(lo, hi), v| (lo.min(v), hi.max(v)))
        };
        let (blo, bhi) = bytes("buffer");
        let (flo, fhi) = bytes("file");
        if bhi > 0.0 {
            let _ = writeln!(s, "| bytes per event, buffer | {blo:.1} – {bhi:.1} | the six messages (table below) |");
        }
        if fhi > 0.0 {
            let _ = writeln!(
                s,
                "| bytes per event, snapshot file | {flo:.2} – {fhi:.2} | the six messages (table below) |"
            );
        }
        row(
            &mut s,
            "snapshot: capture + write, events/s",
            "snapshot.capture_write.64_threads",
            "64 threads' full rings into a file",
        );
        row(&mut s, "snapshot: decode to typed events, events/s", "snapshot.decode_typed.64_threads", "the same file");
        row(
            &mut s,
            "snapshot: decode to text, events/s",
            "snapshot.decode_text.64_threads",
            "the same file, rendered lines",
        );
        s.push('\n');

        // The hot path.
        let clocks: Vec<String> = ["tsc", "monotonic", "coarse", "none"]
            .iter()
            .filter(|c| o.get(&format!("hot.{c}.ttlog.{}", Message::TwoIntegers)).is_some())
            .map(|c| c.to_string())
            .collect();
        let _ = writeln!(s, "## Hot path, one thread: ns per event (median)\n");
        let mut header = "| message |".to_owned();
        let mut sep = "| --- |".to_owned();
        for c in &clocks {
            let _ = write!(header, " ttlog `{c}` |");
            sep.push_str(" ---: |");
        }
        for (label, _) in LOGGERS_AFTER_TTLOG {
            let _ = write!(header, " {label} |");
            sep.push_str(" ---: |");
        }
        let _ = writeln!(s, "{header}\n{sep}");
        for msg in Message::ALL {
            let mut line = format!("| {msg} |");
            for c in &clocks {
                let _ = write!(line, " {} |", cell(o, &format!("hot.{c}.ttlog.{msg}"), 1));
            }
            for (_, key) in LOGGERS_AFTER_TTLOG {
                let _ = write!(line, " {} |", cell(o, &format!("hot.{clock}.{key}.{msg}"), 1));
            }
            let _ = writeln!(s, "{line}");
        }
        let _ = writeln!(
            s,
            "\nfloor: a hand-written thread-local ring (u32 id, `rdtsc`, raw arguments, nothing else). Clock reads, same run: \
             `rdtsc` {} ns, `CLOCK_MONOTONIC` {} ns, `CLOCK_MONOTONIC_COARSE` {} ns.\n",
            cell(o, "clock.rdtsc", 1),
            cell(o, "clock.monotonic", 1),
            cell(o, "clock.monotonic_coarse", 1)
        );
        let _ = writeln!(
            s,
            "`#[ttlog]` on an empty function: {} ns per call (an entry and an exit event), the bare function {} ns.\n",
            cell(o, &format!("hot.{clock}.attr.ttlog_fn"), 1),
            cell(o, &format!("hot.{clock}.attr.bare_fn"), 1),
        );
        let _ = writeln!(s, "### Ratios, measured side by side (clock `{clock}`)\n");
        let _ = writeln!(
            s,
            "| message | ttlog / floor | tracing fmt / ttlog | tracing appender / ttlog | log / ttlog | log → ttlog bridge / ttlog | tracing → ttlog layer / ttlog |\n| --- | ---: | ---: | ---: | ---: | ---: | ---: |"
        );
        for msg in Message::ALL {
            let _ = writeln!(
                s,
                "| {msg} | {} | {} | {} | {} | {} | {} |",
                cell(o, &format!("hot.{clock}.ttlog_over_floor.{msg}"), 2),
                cell(o, &format!("ratio.tracing_fmt_sink_over_ttlog.{msg}"), 1),
                cell(o, &format!("ratio.tracing_appender_file_over_ttlog.{msg}"), 1),
                cell(o, &format!("ratio.log_string_over_ttlog.{msg}"), 1),
                cell(o, &format!("ratio.log_bridge_over_ttlog.{msg}"), 1),
                cell(o, &format!("ratio.tracing_layer_over_ttlog.{msg}"), 1),
            );
        }
        s.push('\n');

        // Threads.
        let _ = writeln!(s, "## Threads: events per second (twoIntegers)\n");
        let _ = writeln!(s, "| threads | ttlog | floor |\n| ---: | ---: | ---: |");
        for n in benches::threads::counts(cores) {
            let _ = writeln!(
                s,
                "| {n} | {} | {} |",
                cell_fmt(o, &format!("eps.ttlog.{n}_threads")),
                cell_fmt(o, &format!("eps.floor.{n}_threads"))
            );
        }
        let _ = writeln!(
            s,
            "\n{cores} threads over 1: ttlog {}x, floor {}x (the floor shares nothing between threads: where it does not scale, the machine was busy). Buffer operations (raw reserve+commit): {} with a snapshot thread running ({} snapshots/s), {} without.\n",
            cell(o, &format!("eps.ttlog.scaling_{cores}_over_1"), 2),
            cell(o, &format!("eps.floor.scaling_{cores}_over_1"), 2),
            cell_fmt(o, "buffer_ops.with_reader"),
            cell(o, "buffer_ops.reader_snapshots_per_s", 0),
            cell_fmt(o, "buffer_ops.without_reader"),
        );

        // Bytes per event.
        let _ = writeln!(s, "## Bytes per event\n");
        let _ = writeln!(s, "| message | buffer | snapshot file | NanoLog's file |\n| --- | ---: | ---: | ---: |");
        for msg in Message::ALL {
            if msg == Message::Disabled {
                continue;
            }
            let _ = writeln!(
                s,
                "| {msg} | {} | {} | {} |",
                cell(o, &format!("bytes.buffer.{msg}"), 1),
                cell(o, &format!("bytes.file.{msg}"), 2),
                msg.nanolog_file_bytes().map_or("".to_owned(), |v| format!("{v:.2}"))
            );
        }
        s.push('\n');

        // Snapshots.
        let _ = writeln!(s, "## Snapshots: events per second\n");
        let _ = writeln!(
            s,
            "| threads | capture | capture + write | decode to typed events | decode to text |\n| ---: | ---: | ---: | ---: | ---: |"
        );
        for n in [1, 2, 64] {
            let _ = writeln!(
                s,
                "| {n} | {} | {} | {} | {} |",
                cell_fmt(o, &format!("snapshot.capture.{n}_threads")),
                cell_fmt(o, &format!("snapshot.capture_write.{n}_threads")),
                cell_fmt(o, &format!("snapshot.decode_typed.{n}_threads")),
                cell_fmt(o, &format!("snapshot.decode_text.{n}_threads")),
            );
        }
        s.push('\n');

        // Instructions.
        if o.metrics.iter().any(|m| m.key.starts_with("icount.")) {
            let _ = writeln!(s, "## Instructions per event (callgrind)\n");
            let _ = writeln!(
                s,
                "| message | ttlog | floor | ttlog / floor | tracing fmt | tracing appender | log | log → ttlog bridge | tracing → ttlog layer |\n| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
            );
            for msg in Message::ALL {
                let t = o.value(&format!("icount.ttlog.{msg}"));
                let f = o.value(&format!("icount.floor.{msg}"));
                let ratio = match (t, f) {
                    (Some(t), Some(f)) => format!("{:.2}", t / f),
                    _ => String::new(),
                };
                let _ = writeln!(
                    s,
                    "| {msg} | {} | {} | {ratio} | {} | {} | {} | {} | {} |",
                    cell(o, &format!("icount.ttlog.{msg}"), 1),
                    cell(o, &format!("icount.floor.{msg}"), 1),
                    cell(o, &format!("icount.tracing_fmt_sink.{msg}"), 0),
                    cell(o, &format!("icount.tracing_appender_file.{msg}"), 0),
                    cell(o, &format!("icount.log_string.{msg}"), 0),
                    cell(o, &format!("icount.log_bridge.{msg}"), 0),
                    cell(o, &format!("icount.tracing_layer.{msg}"), 0),
                );
            }
            let _ = writeln!(
                s,
                "\n`#[ttlog]` on an empty function: {} instructions per call, the bare function {}; with two arguments and `ret`: {}.",
                cell(o, "icount.attr.ttlogEmptyFn", 1),
                cell(o, "icount.attr.bareEmptyFn", 1),
                cell(o, "icount.attr.ttlogArgsFn", 1),
            );
            let _ = writeln!(
                s,
                "\nSnapshots, instructions per event: capture + write {}, decode to typed events {}, decode to text {}, \
                 streaming decode to typed events {}; over decoded events, `stats` {} and `agg` {}.",
                cell(o, "icount.snapshot.capture_write", 0),
                cell(o, "icount.snapshot.decode_typed", 0),
                cell(o, "icount.snapshot.decode_text", 0),
                cell(o, "icount.snapshot.decode_stream", 0),
                cell(o, "icount.snapshot.stats", 0),
                cell(o, "icount.snapshot.agg", 0),
            );
            for (name, b) in o.extra.iter().filter(|(k, _)| k.starts_with("breakdown.")) {
                let what = name.trim_start_matches("breakdown.icount__").replace("__", " ");
                let ipe = b.get("instructions_per_event").and_then(Value::as_f64).unwrap_or(0.0);
                let _ = writeln!(s, "\n### Where the instructions go: {what} ({ipe:.1} per event)\n");
                let _ = writeln!(s, "| function (self) | per event | share | source line (self) | per event | share |");
                let _ = writeln!(s, "| --- | ---: | ---: | --- | ---: | ---: |");
                let empty = Vec::new();
                let fs = b.get("functions").and_then(Value::as_array).unwrap_or(&empty);
                let ls = b.get("lines").and_then(Value::as_array).unwrap_or(&empty);
                for i in 0..fs.len().max(ls.len()) {
                    let col = |v: Option<&Value>| match v {
                        Some(v) => format!(
                            "`{}` | {:.1} | {:.0}%",
                            v.get("where").and_then(Value::as_str).unwrap_or("").replace('|', "\\|"),
                            v.get("instructions_per_event").and_then(Value::as_f64).unwrap_or(0.0),
                            100.0 * v.get("share").and_then(Value::as_f64).unwrap_or(0.0)
                        ),
                        None => " | | ".to_owned(),
                    };
                    let _ = writeln!(s, "| {} | {} |", col(fs.get(i)), col(ls.get(i)));
                }
            }
            s.push('\n');
        }

        // Compile cost.
        if o.metrics.iter().any(|m| m.key.starts_with("compile.")) {
            let _ = writeln!(s, "## Compile cost: 1,000 callsites\n");
            let _ = writeln!(
                s,
                "| framework | clean build (s) | the crate alone (s) | .text bytes per callsite | loaded bytes per callsite |\n| --- | ---: | ---: | ---: | ---: |"
            );
            for fw in crate::compile_cost::FRAMEWORKS {
                let _ = writeln!(
                    s,
                    "| {fw} | {} | {} | {} | {} |",
                    cell(o, &format!("compile.{fw}.clean_build_s"), 1),
                    cell(o, &format!("compile.{fw}.crate_build_s"), 1),
                    cell(o, &format!("compile.{fw}.text_bytes_per_callsite"), 0),
                    cell(o, &format!("compile.{fw}.loaded_bytes_per_callsite"), 0),
                );
            }
            s.push('\n');
        }

        // Targets.
        let _ = writeln!(s, "## Targets (issue 5)\n");
        let _ = writeln!(s, "| target | measured | met |\n| --- | --- | :---: |");
        for t in targets(o, &clock) {
            let met = match t.met {
                Some(true) => "yes",
                Some(false) => "**no**",
                None => "n/a",
            };
            let _ = writeln!(s, "| {} | {} | {met} |", t.target, t.measured);
        }
        s.push('\n');

        let _ = writeln!(s, "## Checks\n");
        for c in &o.checks {
            let _ = writeln!(s, "- [{}] {}", if c.ok { "x" } else { " " }, c.what);
        }
        if !o.notes.is_empty() {
            let _ = writeln!(s, "\n## Notes\n");
            for n in &o.notes {
                let _ = writeln!(s, "- {n}");
            }
        }
        let _ = writeln!(s, "\n## Every figure and how it was measured\n");
        let _ = writeln!(s, "| key | value | unit | configuration |\n| --- | ---: | --- | --- |");
        for m in &o.metrics {
            let _ = writeln!(s, "| `{}` | {} | {} | {} |", m.key, fmt_plain(m.value), m.unit, m.config);
        }
        s
    }
}

/// The loggers after ttlog in the hot-path table: (column label, key).
const LOGGERS_AFTER_TTLOG: [(&str, &str); 6] = [
    ("floor", "floor"),
    ("tracing fmt → sink", "tracing_fmt_sink"),
    ("tracing appender → file", "tracing_appender_file"),
    ("log → String", "log_string"),
    ("log → ttlog bridge", "log_bridge"),
    ("tracing → ttlog layer", "tracing_layer"),
];

fn str_of<'a>(v: &'a Value, k: &str) -> &'a str {
    v.get(k).and_then(Value::as_str).unwrap_or("?")
}

fn cell(o: &Output, key: &str, decimals: usize) -> String {
    o.value(key).map_or(String::new(), |v| format!("{v:.decimals$}"))
}

fn cell_fmt(o: &Output, key: &str) -> String {
    o.get(key).map_or(String::new(), |m| fmt_value(m.value, &m.unit))
}

fn fmt_count(v: f64) -> String {
    let n = v.round() as u64;
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A value with its unit, large rates in millions.
fn fmt_value(v: f64, unit: &str) -> String {
    if !v.is_finite() {
        return "n/a".to_owned();
    }
    if unit.ends_with("/s") && v >= 1e6 {
        return format!("{:.1} M {unit}", v / 1e6);
    }
    if unit.ends_with("/s") || matches!(unit, "threads" | "buffers" | "rings") {
        return format!("{} {unit}", fmt_count(v));
    }
    format!("{} {unit}", fmt_plain(v))
}

fn fmt_plain(v: f64) -> String {
    if !v.is_finite() {
        "n/a".to_owned()
    } else if v.abs() >= 1000.0 {
        format!("{v:.0}")
    } else if v.abs() >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.3}")
    }
}

/// The concurrent-threads figure of the largest run (its key names the
/// threads planned): the threads counted, and "of N" when that is fewer than
/// planned.
fn concurrent_threads_cell(o: &Output) -> String {
    let largest = o
        .metrics
        .iter()
        .filter_map(|m| Some((m.key.strip_prefix("concurrent_threads.")?.parse::<u64>().ok()?, m.value)))
        .max_by_key(|&(planned, _)| planned);
    match largest {
        None => "n/a".to_owned(),
        Some((_, v)) if !v.is_finite() => "n/a".to_owned(),
        Some((planned, v)) if v.round() as u64 >= planned => fmt_count(v),
        Some((planned, v)) => format!("{} of {}", fmt_count(v), fmt_count(planned as f64)),
    }
}

/// The buffers handed out, "for N threads" when fewer than the threads that
/// ran, and the peak resident memory.
fn concurrent_buffers_cell(o: &Output) -> String {
    let Some(handed) = o.value("concurrent_buffers.provisioned") else { return "n/a".to_owned() };
    let mut cell = format!("{} buffers", fmt_count(handed));
    if let Some(ran) = o.value("concurrent_buffers.threads_run").filter(|&ran| handed < ran) {
        let _ = write!(cell, " for {} threads", fmt_count(ran));
    }
    if let Some(peak) = o.value("concurrent_buffers.rss_peak_mib") {
        let _ = write!(cell, ", peak resident memory {peak:.0} MiB");
    }
    cell
}

/// One of the targets, evaluated.
pub struct Target {
    pub target: String,
    pub measured: String,
    pub met: Option<bool>,
}

fn worst(o: &Output, keys: impl Iterator<Item = String>, max: bool) -> Option<(f64, String)> {
    let mut best: Option<(f64, String)> = None;
    for k in keys {
        let v = o.value(&k)?;
        let msg = k.rsplit('.').next().unwrap_or("").to_owned();
        let replace = match &best {
            None => true,
            Some((b, _)) => (max && v > *b) || (!max && v < *b),
        };
        if replace {
            best = Some((v, msg));
        }
    }
    best
}

/// The targets of issue 5, against this run's figures.
pub fn targets(o: &Output, clock: &str) -> Vec<Target> {
    let six = || Message::NANOLOG.iter().map(|m| m.name());
    let mut t = Vec::new();
    let mut push = |target: &str, measured: Option<String>, met: Option<bool>| {
        t.push(Target {
            target: target.to_owned(),
            measured: measured.unwrap_or_else(|| "not measured".to_owned()),
            met,
        });
    };

    let w = worst(o, six().map(|m| format!("hot.{clock}.ttlog_over_floor.{m}")), true);
    push(
        "hot path, counter clock: within 1.2x of the floor (each of the six messages)",
        w.as_ref().map(|(v, m)| format!("worst {v:.2}x ({m})")),
        w.map(|(v, _)| v <= 1.2),
    );
    let w = worst(o, six().map(|m| format!("hot.coarse.ttlog.{m}")), true);
    push(
        "hot path, coarse clock: at most 12 ns",
        w.as_ref().map(|(v, m)| format!("worst {v:.1} ns ({m})")),
        w.map(|(v, _)| v <= 12.0),
    );
    let w = worst(o, six().map(|m| format!("ratio.tracing_fmt_sink_over_ttlog.{m}")), false);
    push(
        "at least 25x faster than tracing's fmt subscriber",
        w.as_ref().map(|(v, m)| format!("least {v:.1}x ({m})")),
        w.map(|(v, _)| v >= 25.0),
    );
    let w = worst(o, six().map(|m| format!("hot.{clock}.ttlog_over_floor.{m}")), true);
    push(
        "hot path, counter clock: within 1.15x of the floor (each of the six messages; issue 13)",
        w.as_ref().map(|(v, m)| format!("worst {v:.2}x ({m})")),
        w.map(|(v, _)| v <= 1.15),
    );
    let short = Message::ShortString.name();
    let st = o.value(&format!("hot.{clock}.ttlog_over_floor.{short}"));
    push(
        "shortString (u64, u32, 8-byte string): within 1.2x of the floor",
        st.map(|v| format!("{v:.2}x")),
        st.map(|v| v <= 1.2),
    );
    let si = o.value(&format!("icount.ttlog.{short}")).zip(o.value(&format!("icount.floor.{short}")));
    push(
        "shortString: at most 2.5x the floor's instructions",
        si.map(|(a, b)| format!("{a:.1} vs {b:.1} ({:.2}x)", a / b)),
        si.map(|(a, b)| a <= 2.5 * b),
    );
    let d = o.value(&format!("hot.{clock}.ttlog.disabledLevel"));
    push("disabled level: under 1 ns", d.map(|v| format!("{v:.2} ns")), d.map(|v| v < 1.0));
    let mut ratio: Option<(f64, String)> = None;
    let mut all = true;
    for m in six() {
        match (o.value(&format!("icount.ttlog.{m}")), o.value(&format!("icount.floor.{m}"))) {
            (Some(a), Some(b)) if b > 0.0 => {
                if ratio.as_ref().is_none_or(|(r, _)| a / b > *r) {
                    ratio = Some((a / b, m.to_owned()));
                }
            }
            _ => all = false,
        }
    }
    let ratio = ratio.filter(|_| all);
    push(
        "instructions per event: at most 2x the floor's",
        ratio.as_ref().map(|(v, m)| format!("worst {v:.2}x ({m})")),
        ratio.map(|(v, _)| v <= 2.0),
    );
    let a = o.value("bytes.buffer.staticString");
    let b = o.value("bytes.buffer.twoIntegers");
    push(
        "buffer bytes per event: at most 16 (staticString) and 24 (twoIntegers)",
        a.zip(b).map(|(a, b)| format!("{a:.1} and {b:.1}")),
        a.zip(b).map(|(a, b)| a <= 16.0 && b <= 24.0),
    );
    let mut file_ok = Some(true);
    let mut file_txt = Vec::new();
    for m in Message::NANOLOG {
        match (o.value(&format!("bytes.file.{m}")), m.nanolog_file_bytes()) {
            (Some(v), Some(n)) => {
                file_txt.push(format!("{m} {v:.2} vs {n:.2}"));
                if v >= n {
                    file_ok = file_ok.map(|_| false);
                }
            }
            _ => file_ok = None,
        }
    }
    push(
        "snapshot file bytes per event: below NanoLog's, each of the six",
        file_ok.map(|_| file_txt.join("; ")),
        file_ok,
    );
    for (key, label, min) in [
        ("capture_write", "snapshot capture and write: at least 50 M events/s", 50e6),
        ("decode_typed", "decode to typed events: at least 20 M events/s", 20e6),
        ("decode_text", "decode to text: at least 5 M events/s", 5e6),
    ] {
        let v: Vec<(usize, f64)> = [1, 2, 64]
            .iter()
            .filter_map(|n| o.value(&format!("snapshot.{key}.{n}_threads")).map(|v| (*n, v)))
            .collect();
        let least = v.iter().map(|x| x.1).fold(f64::INFINITY, f64::min);
        push(
            label,
            if v.is_empty() {
                None
            } else {
                Some(v.iter().map(|(n, x)| format!("{n} thr {:.1} M", x / 1e6)).collect::<Vec<_>>().join(", "))
            },
            if v.is_empty() { None } else { Some(least >= min) },
        );
    }
    let sc = o.value("eps.ttlog.scaling_2_over_1");
    push(
        "events per second with 2 threads: at least 1.8x one thread",
        sc.map(|v| format!("{v:.2}x")),
        sc.map(|v| v >= 1.8),
    );
    for (key, build) in [("clean_build_s", "clean build"), ("crate_build_s", "the crate alone")] {
        let (tt, tr) = (o.value(&format!("compile.ttlog.{key}")), o.value(&format!("compile.tracing.{key}")));
        push(
            &format!("compile cost: the 1,000-callsite crate builds no slower than with tracing ({build})"),
            tt.zip(tr).map(|(a, b)| format!("ttlog {a:.1} s, tracing {b:.1} s")),
            tt.zip(tr).map(|(a, b)| a <= b),
        );
    }
    let pc = o.value("compile.ttlog.text_bytes_per_callsite");
    push(
        "compile cost: at most 64 bytes of machine code per callsite (issue 18)",
        pc.map(|v| format!("{v:.0} bytes")),
        pc.map(|v| v <= 64.0),
    );
    t
}

/// Prints the change of every metric from `old` to `new`; returns the number of
/// regressions: a change for the worse over `threshold` percent, and a metric
/// of the old report that the new one lacks or could not measure (whichever
/// way it should move: a figure that disappears is a measurement that stopped
/// working, or was not run). A metric only the new report has is listed as
/// new.
pub fn compare(old: &Value, new: &Value, threshold: f64) -> (String, usize) {
    let metrics = |v: &Value| -> Vec<Metric> { Output::from_json(v.get("results").unwrap_or(&Value::Null)).metrics };
    let old_m = metrics(old);
    let new_m = metrics(new);
    let mut s = String::new();
    let mut regressions = Vec::new();
    let mut missing = Vec::new();
    let mut added = Vec::new();
    let _ = writeln!(s, "## Change from the previous report (threshold {threshold}%)\n");
    let _ = writeln!(s, "| key | old | new | change | |\n| --- | ---: | ---: | ---: | --- |");
    for n in &new_m {
        let Some(o) = old_m.iter().find(|o| o.key == n.key) else {
            added.push(n.key.clone());
            let _ = writeln!(s, "| `{}` | | {} | new | |", n.key, fmt_plain(n.value));
            continue;
        };
        if o.value.is_finite() && !n.value.is_finite() {
            missing.push(n.key.clone());
            let _ = writeln!(s, "| `{}` | {} | n/a | not measured | **regression** |", n.key, fmt_plain(o.value));
            continue;
        }
        let change = if o.value != 0.0 && o.value.is_finite() && n.value.is_finite() {
            100.0 * (n.value - o.value) / o.value.abs()
        } else {
            f64::NAN
        };
        let worse = match n.better {
            Better::Higher => change < -threshold,
            Better::Lower => change > threshold,
            Better::Neither => false,
        };
        let better = match n.better {
            Better::Higher => change > threshold,
            Better::Lower => change < -threshold,
            Better::Neither => false,
        };
        let flag = if worse {
            regressions.push(n.key.clone());
            "**regression**"
        } else if better {
            "improvement"
        } else {
            ""
        };
        let _ = writeln!(
            s,
            "| `{}` | {} | {} | {}{:.1}% | {flag} |",
            n.key,
            fmt_plain(o.value),
            fmt_plain(n.value),
            if change >= 0.0 { "+" } else { "" },
            change
        );
    }
    for o in &old_m {
        if !new_m.iter().any(|n| n.key == o.key) {
            missing.push(o.key.clone());
            let _ = writeln!(s, "| `{}` | {} | | missing | **regression** |", o.key, fmt_plain(o.value));
        }
    }
    let count = regressions.len() + missing.len();
    if count == 0 {
        let _ = writeln!(s, "\nNo regression over {threshold}%, and no figure missing.");
    } else {
        let _ = writeln!(s, "\n{count} regression(s):");
        if !regressions.is_empty() {
            let _ = writeln!(s, "- worse by more than {threshold}%: {}", regressions.join(", "));
        }
        if !missing.is_empty() {
            let _ = writeln!(
                s,
                "- in the old report, missing or not measured in the new one: {} (a run with other options, such as \
                 `--no-icount` or without `--compile-cost`, lacks their figures)",
                missing.join(", ")
            );
        }
    }
    if !added.is_empty() {
        let _ = writeln!(s, "\nNew in this report (not regressions): {}", added.join(", "));
    }
    (s, count)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn output(metrics: &[(&str, f64)]) -> Output {
        let mut o = Output::default();
        for &(k, v) in metrics {
            o.metric(k, v, "x", Better::Higher, "test");
        }
        o
    }

    fn report(metrics: &[(&str, f64)]) -> Value {
        json!({ "results": output(metrics).to_json() })
    }

    #[test]
    fn concurrent_threads_shows_the_largest_run_and_a_shortfall() {
        assert_eq!(concurrent_threads_cell(&output(&[])), "n/a");
        let all = output(&[("concurrent_threads.1024", 1024.0), ("concurrent_threads.10000", 10_000.0)]);
        assert_eq!(concurrent_threads_cell(&all), "10,000");
        let short = output(&[("concurrent_threads.1024", 1024.0), ("concurrent_threads.10000", 9_998.0)]);
        assert_eq!(concurrent_threads_cell(&short), "9,998 of 10,000");
        let failed = output(&[("concurrent_threads.4096", 4096.0), ("concurrent_threads.10000", 0.0)]);
        assert_eq!(concurrent_threads_cell(&failed), "0 of 10,000");
    }

    #[test]
    fn concurrent_buffers_shows_what_was_handed_out_and_the_peak_memory() {
        let o = output(&[
            ("concurrent_buffers.provisioned", 100_000.0),
            ("concurrent_buffers.threads_run", 100_000.0),
            ("concurrent_buffers.rss_peak_mib", 83.4),
        ]);
        assert_eq!(concurrent_buffers_cell(&o), "100,000 buffers, peak resident memory 83 MiB");
        let o = output(&[("concurrent_buffers.provisioned", 2_048.0), ("concurrent_buffers.threads_run", 100_000.0)]);
        assert_eq!(concurrent_buffers_cell(&o), "2,048 buffers for 100,000 threads");
    }

    #[test]
    fn compile_cost_is_judged_on_the_clean_build_and_on_the_crate_alone() {
        let o = output(&[
            ("compile.ttlog.clean_build_s", 19.2),
            ("compile.tracing.clean_build_s", 12.1),
            ("compile.ttlog.crate_build_s", 6.6),
            ("compile.tracing.crate_build_s", 9.0),
        ]);
        let t = targets(&o, "tsc");
        let verdict = |what: &str| {
            t.iter()
                .find(|t| t.target.contains("no slower than with tracing") && t.target.contains(what))
                .map(|t| (t.measured.clone(), t.met))
        };
        assert_eq!(verdict("(clean build)"), Some(("ttlog 19.2 s, tracing 12.1 s".to_owned(), Some(false))));
        assert_eq!(verdict("(the crate alone)"), Some(("ttlog 6.6 s, tracing 9.0 s".to_owned(), Some(true))));
    }

    #[test]
    fn compare_counts_a_missing_metric_and_lists_a_new_one() {
        let old = report(&[("a", 1.0), ("b", 2.0), ("gone", 3.0)]);
        let new = report(&[("a", 1.0), ("b", 2.0), ("fresh", 4.0)]);
        let (text, n) = compare(&old, &new, 10.0);
        assert_eq!(n, 1, "{text}");
        assert!(text.contains("| `gone` | 3.000 | | missing | **regression** |"), "{text}");
        assert!(text.contains("missing or not measured in the new one: gone"), "{text}");
        assert!(text.contains("| `fresh` | | 4.000 | new | |"), "{text}");
        assert!(text.contains("New in this report (not regressions): fresh"), "{text}");

        let (text, n) = compare(&old, &old, 10.0);
        assert_eq!(n, 0, "{text}");

        // Worse by more than the threshold, and no longer measured (null).
        let worse = json!({ "results": {
            "metrics": [
                { "key": "a", "value": 0.5, "better": "higher" },
                { "key": "b", "value": null, "better": "higher" },
                { "key": "gone", "value": 3.0, "better": "higher" },
            ]
        }});
        let (text, n) = compare(&old, &worse, 10.0);
        assert_eq!(n, 2, "{text}");
        assert!(text.contains("worse by more than 10%: a"), "{text}");
        assert!(text.contains("missing or not measured in the new one: b"), "{text}");
    }
}
