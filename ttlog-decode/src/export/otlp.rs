//! OpenTelemetry logs as OTLP/JSON, the way the OpenTelemetry file exporter
//! writes them and the collector's `otlpjsonfile` receiver reads them: JSON
//! Lines, each line one `LogsData` object (`resourceLogs` → `scopeLogs` →
//! `logRecords`) holding a batch of records.
//!
//! - The resource is the process: `service.name` (the program),
//!   `host.name`, `process.pid`.
//! - The scope is the event's target.
//! - A record: `timeUnixNano` and `observedTimeUnixNano` (the event's time,
//!   decimal strings; absent when the file's clock does not tell time),
//!   `severityNumber` (TRACE 1, DEBUG 5, INFO 9, WARN 13, ERROR 17) and
//!   `severityText`, the rendered message as `body`, and as attributes
//!   `thread.id`, `thread.name`, `code.filepath`, `code.lineno` and the
//!   event's arguments, typed (see [`Typed`]): `intValue` (a
//!   decimal string, as OTLP/JSON writes 64-bit integers), `doubleValue`
//!   (NaN and the infinities as the strings `"NaN"`, `"Infinity"` and
//!   `"-Infinity"`, as protobuf's JSON mapping has them), `boolValue`,
//!   `stringValue`.

use super::{Sink, Typed, typed_args};
use crate::render::line::push_json_str;
use crate::render::message::write_message;
use crate::snapshot::{Event, Snapshot};
use std::fmt::Write as _;
use std::io::{self, Write};
use ttlog_core::Level;

/// Records per line unless [`Otlp::with_batch`] says otherwise.
pub const DEFAULT_BATCH: usize = 1024;

/// The OTLP severity number of a level.
pub fn severity_number(level: Level) -> u8 {
    match level {
        Level::Trace => 1,
        Level::Debug => 5,
        Level::Info => 9,
        Level::Warn => 13,
        Level::Error => 17,
    }
}

/// Writes OTLP/JSON lines to `W` (see the module).
#[derive(Debug)]
pub struct Otlp<W: Write> {
    out: W,
    batch: usize,
    /// The `resource` object of the input begun last.
    resource: String,
    /// The batch: each scope (target) with its records, comma-separated.
    scopes: Vec<(String, String)>,
    records: usize,
    line: String,
}

impl<W: Write> Otlp<W> {
    /// A writer to `out`, [`DEFAULT_BATCH`] records a line.
    pub fn new(out: W) -> Otlp<W> {
        Otlp::with_batch(out, DEFAULT_BATCH)
    }

    /// A writer to `out`, `batch` records a line (at least 1).
    pub fn with_batch(out: W, batch: usize) -> Otlp<W> {
        Otlp { out, batch: batch.max(1), resource: String::new(), scopes: Vec::new(), records: 0, line: String::new() }
    }

    /// The output, once [`Sink::finish`] has written everything.
    pub fn into_inner(self) -> W {
        self.out
    }

    /// Writes the batch as a line.
    fn flush_batch(&mut self) -> io::Result<()> {
        if self.records == 0 {
            return Ok(());
        }
        let line = &mut self.line;
        line.clear();
        line.push_str("{\"resourceLogs\":[{\"resource\":");
        line.push_str(&self.resource);
        line.push_str(",\"scopeLogs\":[");
        for (i, (scope, records)) in self.scopes.drain(..).enumerate() {
            if i > 0 {
                line.push(',');
            }
            line.push_str("{\"scope\":{\"name\":");
            push_json_str(line, &scope);
            line.push_str("},\"logRecords\":[");
            line.push_str(&records);
            line.push_str("]}");
        }
        line.push_str("]}]}\n");
        self.records = 0;
        self.out.write_all(line.as_bytes())
    }
}

fn push_attr_key(out: &mut String, first: &mut bool, key: &str) {
    if !*first {
        out.push(',');
    }
    *first = false;
    out.push_str("{\"key\":");
    push_json_str(out, key);
    out.push_str(",\"value\":");
}

/// Appends an OTLP `AnyValue` object.
pub(crate) fn push_any_value(out: &mut String, v: &Typed<'_>) {
    match v {
        Typed::Int(n) => {
            let _ = write!(out, "{{\"intValue\":\"{n}\"}}");
        }
        Typed::Float(x) if x.is_nan() => out.push_str("{\"doubleValue\":\"NaN\"}"),
        Typed::Float(x) if x.is_infinite() => {
            out.push_str(if *x > 0.0 { "{\"doubleValue\":\"Infinity\"}" } else { "{\"doubleValue\":\"-Infinity\"}" })
        }
        Typed::Float(x) => {
            // `{:?}` of an f64 is the shortest text that reads back the same.
            let _ = write!(out, "{{\"doubleValue\":{x:?}}}");
        }
        Typed::Bool(b) => {
            let _ = write!(out, "{{\"boolValue\":{b}}}");
        }
        Typed::Str(s) => {
            out.push_str("{\"stringValue\":");
            push_json_str(out, s);
            out.push('}');
        }
    }
}

impl<W: Write> Sink for Otlp<W> {
    fn begin(&mut self, meta: &Snapshot) -> io::Result<()> {
        self.flush_batch()?;
        let r = &mut self.resource;
        r.clear();
        r.push_str("{\"attributes\":[");
        let mut first = true;
        if let Some(h) = &meta.header {
            push_attr_key(r, &mut first, "service.name");
            push_any_value(r, &Typed::Str(h.program.as_str().into()));
            r.push('}');
            push_attr_key(r, &mut first, "host.name");
            push_any_value(r, &Typed::Str(h.host.as_str().into()));
            r.push('}');
            push_attr_key(r, &mut first, "process.pid");
            match i64::try_from(h.pid) {
                Ok(pid) => push_any_value(r, &Typed::Int(pid)),
                Err(_) => push_any_value(r, &Typed::Str(h.pid.to_string().into())),
            }
            r.push('}');
        }
        r.push_str("]}");
        Ok(())
    }

    fn event(&mut self, snap: &Snapshot, e: &Event) -> io::Result<()> {
        let Some(cs) = snap.callsite(e) else { return Ok(()) };
        let at = match self.scopes.iter().position(|(s, _)| *s == cs.target) {
            Some(at) => at,
            None => {
                self.scopes.push((cs.target.clone(), String::new()));
                self.scopes.len() - 1
            }
        };
        let out = &mut self.scopes[at].1;
        if !out.is_empty() {
            out.push(',');
        }
        out.push('{');
        if let Some(ns) = snap.unix_nanos(e).filter(|ns| *ns > 0).and_then(|ns| u64::try_from(ns).ok()) {
            let _ = write!(out, "\"timeUnixNano\":\"{ns}\",\"observedTimeUnixNano\":\"{ns}\",");
        }
        let _ = write!(out, "\"severityNumber\":{},\"severityText\":", severity_number(cs.level));
        push_json_str(out, cs.level.as_str());
        out.push_str(",\"body\":{\"stringValue\":");
        let mut msg = String::new();
        write_message(&mut msg, cs, snap.args(e));
        push_json_str(out, &msg);
        out.push_str("},\"attributes\":[");
        let mut first = true;
        if let Some(t) = snap.thread(e) {
            push_attr_key(out, &mut first, "thread.id");
            match i64::try_from(t.tid) {
                Ok(tid) => push_any_value(out, &Typed::Int(tid)),
                Err(_) => push_any_value(out, &Typed::Str(t.tid.to_string().into())),
            }
            out.push('}');
            if !t.name.is_empty() {
                push_attr_key(out, &mut first, "thread.name");
                push_any_value(out, &Typed::Str(t.name.as_str().into()));
                out.push('}');
            }
        }
        push_attr_key(out, &mut first, "code.filepath");
        push_any_value(out, &Typed::Str(cs.file.as_str().into()));
        out.push('}');
        push_attr_key(out, &mut first, "code.lineno");
        push_any_value(out, &Typed::Int(cs.line.into()));
        out.push('}');
        for (name, v) in typed_args(cs, snap.args(e)) {
            push_attr_key(out, &mut first, name);
            push_any_value(out, &v);
            out.push('}');
        }
        out.push_str("]}");
        self.records += 1;
        if self.records >= self.batch {
            self.flush_batch()?;
        }
        Ok(())
    }

    fn end(&mut self, _meta: &Snapshot) -> io::Result<()> {
        self.flush_batch()
    }

    fn finish(&mut self) -> io::Result<()> {
        self.flush_batch()?;
        self.out.flush()
    }
}
