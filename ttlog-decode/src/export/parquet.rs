//! Events as a Parquet table, for SQL engines (DuckDB, Spark, Trino,
//! ClickHouse, Polars): a row per event.
//!
//! The columns, in this order:
//!
//! | column | Parquet type | what |
//! | --- | --- | --- |
//! | `time` | timestamp, nanoseconds, UTC | the event's time (null when the file's clock does not tell time) |
//! | `level` | string | `TRACE` … `ERROR` |
//! | `program`, `host` | string | the process, from the file's header |
//! | `pid` | uint64 | |
//! | `thread_id` | uint64 | the OS thread id |
//! | `thread_name` | string | null for an unnamed thread |
//! | `target`, `file` | string | the callsite's |
//! | `line` | uint32 | |
//! | `callsite` | uint32 | the callsite's index in its file |
//! | `kind` | string | `event`, or `enter`, `exit`, `suspend`, `resume` for `#[ttlog]` calls |
//! | `call_id` | uint64 | the call id of a `#[ttlog]` entry or exit, else null |
//! | `message` | string | the rendered message |
//!
//! then a column per argument name (see [`ArgColumns`]): positional
//! arguments are named by their expression's text, named ones and fields by
//! their name. A column's type is the one its values have in every event:
//! `int64`, `uint64` (unsigned integers only), `double`, `boolean`, or
//! `string` (strings and characters, values formatted at the call, and any
//! name whose values have more than one type, written as their text). An
//! event whose callsite has no argument of that name has a null there. A
//! name that is one of the fixed columns' gets the prefix `arg_`.
//!
//! Columns per name rather than a map: a map has one value type, so its
//! numbers would be text, and `avg(took_us)` would need a cast; with a
//! column per name, DuckDB and Spark see typed columns with statistics and
//! skip row groups by them.
//!
//! The schema must be known before the first row is written, so an export
//! takes two passes over its input: [`ArgColumns::scan`] over every event,
//! then [`Parquet`] as the [`Sink`]. Both stream: memory holds one batch of
//! rows (see [`Parquet::with_batch`]) and the writer's current row group.

use super::{Sink, is_data};
use crate::render::message::write_message;
use crate::snapshot::{CallsiteInfo, Event, Snapshot};
use crate::value::{Args, Value};
use arrow_array::builder::{
    BooleanBuilder, Float64Builder, Int64Builder, StringBuilder, TimestampNanosecondBuilder, UInt32Builder,
    UInt64Builder,
};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema, SchemaRef, TimeUnit};
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;
use std::collections::HashMap;
use std::fmt::Write as _;
use std::io::{self, Write};
use std::sync::Arc;
use ttlog_core::callsite::{ArgRole, CallsiteKind};

/// The fixed columns, before the arguments'.
pub const FIXED_COLUMNS: [&str; 14] = [
    "time",
    "level",
    "program",
    "pid",
    "host",
    "thread_id",
    "thread_name",
    "target",
    "file",
    "line",
    "callsite",
    "kind",
    "call_id",
    "message",
];

/// Rows per batch (and per data page's worth of work) unless
/// [`Parquet::with_batch`] says otherwise.
pub const DEFAULT_BATCH: usize = 64 * 1024;

/// Rows per row group: a reader's unit of parallelism and of skipping.
pub const ROW_GROUP_ROWS: usize = 1024 * 1024;

/// The type of an argument column.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ColumnType {
    /// Signed integers (and unsigned ones that fit, beside signed ones).
    Int64,
    /// Unsigned integers only.
    UInt64,
    /// `f32` and `f64`.
    Float64,
    /// `bool`.
    Boolean,
    /// Anything else, and names whose values have more than one type.
    String,
}

impl ColumnType {
    fn data_type(self) -> DataType {
        match self {
            ColumnType::Int64 => DataType::Int64,
            ColumnType::UInt64 => DataType::UInt64,
            ColumnType::Float64 => DataType::Float64,
            ColumnType::Boolean => DataType::Boolean,
            ColumnType::String => DataType::Utf8,
        }
    }
}

/// A value as the columns class it.
#[derive(Clone, Copy, Debug)]
enum Class {
    Signed(i64),
    Unsigned(u64),
    Float(f64),
    Bool(bool),
    Text,
}

fn class_of(v: &Value<'_>) -> Class {
    match *v {
        Value::U8(n) => Class::Unsigned(n.into()),
        Value::U16(n) => Class::Unsigned(n.into()),
        Value::U32(n) => Class::Unsigned(n.into()),
        Value::U64(n) => Class::Unsigned(n),
        Value::U128(n) => u64::try_from(n).map_or(Class::Text, Class::Unsigned),
        Value::I8(n) => Class::Signed(n.into()),
        Value::I16(n) => Class::Signed(n.into()),
        Value::I32(n) => Class::Signed(n.into()),
        Value::I64(n) => Class::Signed(n),
        Value::I128(n) => i64::try_from(n).map_or(Class::Text, Class::Signed),
        Value::F32(x) => Class::Float(x.into()),
        Value::F64(x) => Class::Float(x),
        Value::Bool(b) => Class::Bool(b),
        Value::Char(_) | Value::Str(_) | Value::Formatted(_) => Class::Text,
    }
}

/// What the values of one name were, over the scanned events.
#[derive(Clone, Copy, Debug, Default)]
struct Seen {
    signed: bool,
    unsigned: bool,
    max_unsigned: u64,
    float: bool,
    bool: bool,
    text: bool,
}

impl Seen {
    fn add(&mut self, c: Class) {
        match c {
            Class::Signed(_) => self.signed = true,
            Class::Unsigned(n) => {
                self.unsigned = true;
                self.max_unsigned = self.max_unsigned.max(n);
            }
            Class::Float(_) => self.float = true,
            Class::Bool(_) => self.bool = true,
            Class::Text => self.text = true,
        }
    }

    fn column_type(&self) -> ColumnType {
        let int = self.signed || self.unsigned;
        let kinds = usize::from(int) + usize::from(self.float) + usize::from(self.bool) + usize::from(self.text);
        if kinds != 1 || self.text {
            // No values at all (a callsite whose events were all lost) is text too.
            return ColumnType::String;
        }
        if self.float {
            ColumnType::Float64
        } else if self.bool {
            ColumnType::Boolean
        } else if !self.signed {
            ColumnType::UInt64
        } else if i64::try_from(self.max_unsigned).is_ok() {
            ColumnType::Int64
        } else {
            ColumnType::String
        }
    }
}

/// What names a column: the argument's name, and which of the callsite's
/// arguments of that name it is (a message may name one expression twice).
type Key = (String, u32);

/// The argument columns of an export: their names and types, found by a
/// pass over the events (see the module).
#[derive(Clone, Debug, Default)]
pub struct ArgColumns {
    /// Column index by key.
    index: HashMap<Key, usize>,
    /// By column: its key and what its values were.
    columns: Vec<(Key, Seen)>,
    /// By callsite of the input scanned last: the column of each argument
    /// (`None` for the call id and outcome).
    slots: Slots,
}

/// By callsite index, the column of each of its arguments, computed when a
/// callsite is first met.
#[derive(Clone, Debug, Default)]
struct Slots(Vec<Option<Vec<Option<usize>>>>);

impl Slots {
    fn clear(&mut self) {
        self.0.clear();
    }

    /// The columns of the arguments of `cs` (index `at`), by `column`, which
    /// gives a key's column (adding it when it may).
    fn of(&mut self, at: u32, cs: &CallsiteInfo, mut column: impl FnMut(Key) -> Option<usize>) -> &[Option<usize>] {
        let at = at as usize;
        if self.0.len() <= at {
            self.0.resize(at + 1, None);
        }
        self.0[at].get_or_insert_with(|| {
            let mut seen: HashMap<&str, u32> = HashMap::new();
            cs.args
                .iter()
                .map(|a| {
                    if !is_data(a.role) {
                        return None;
                    }
                    let n = seen.entry(a.name.as_str()).or_insert(0);
                    *n += 1;
                    column((a.name.clone(), *n - 1))
                })
                .collect()
        })
    }
}

impl ArgColumns {
    /// Adds what the events of `stream` have, to the end of the input.
    pub fn scan<R: io::Read + io::Seek>(&mut self, stream: &mut crate::stream::Stream<R>) {
        self.slots.clear();
        while let Some((snap, e)) = stream.next_event() {
            self.add(snap, e);
        }
        self.slots.clear();
    }

    /// Adds what one event has. The events of one input must be given
    /// without another input's between them ([`ArgColumns::scan`] does so).
    pub fn add(&mut self, snap: &Snapshot, e: &Event) {
        let Some(cs) = snap.callsite(e) else { return };
        let ArgColumns { index, columns, slots } = self;
        let slots = slots.of(e.callsite, cs, |key| {
            Some(*index.entry(key).or_insert_with_key(|key| {
                columns.push((key.clone(), Seen::default()));
                columns.len() - 1
            }))
        });
        let args = snap.args(e);
        for (i, slot) in slots.iter().enumerate() {
            if let (Some(col), Some(v)) = (slot, args.get(i)) {
                columns[*col].1.add(class_of(&v));
            }
        }
    }

    /// Forgets which input was scanned last (for a new input given by
    /// [`ArgColumns::add`]).
    pub fn next_input(&mut self) {
        self.slots.clear();
    }

    /// The argument columns: each one's name and type, in the order their
    /// names were first met.
    pub fn columns(&self) -> Vec<(String, ColumnType)> {
        let mut used: std::collections::HashSet<String> = FIXED_COLUMNS.iter().map(|s| (*s).to_owned()).collect();
        self.columns
            .iter()
            .map(|((name, nth), seen)| {
                let base = if *nth == 0 { name.clone() } else { format!("{name}_{}", nth + 1) };
                let mut candidate = if used.contains(&base) { format!("arg_{base}") } else { base };
                let stem = candidate.clone();
                let mut n = 2;
                while used.contains(&candidate) {
                    candidate = format!("{stem}_{n}");
                    n += 1;
                }
                used.insert(candidate.clone());
                (candidate, seen.column_type())
            })
            .collect()
    }
}

/// An argument column's builder.
#[derive(Debug)]
enum ArgBuilder {
    Int64(Int64Builder),
    UInt64(UInt64Builder),
    Float64(Float64Builder),
    Boolean(BooleanBuilder),
    String(StringBuilder),
}

impl ArgBuilder {
    fn new(t: ColumnType, rows: usize) -> ArgBuilder {
        match t {
            ColumnType::Int64 => ArgBuilder::Int64(Int64Builder::with_capacity(rows)),
            ColumnType::UInt64 => ArgBuilder::UInt64(UInt64Builder::with_capacity(rows)),
            ColumnType::Float64 => ArgBuilder::Float64(Float64Builder::with_capacity(rows)),
            ColumnType::Boolean => ArgBuilder::Boolean(BooleanBuilder::with_capacity(rows)),
            ColumnType::String => ArgBuilder::String(StringBuilder::with_capacity(rows, rows * 8)),
        }
    }

    fn null(&mut self) {
        match self {
            ArgBuilder::Int64(b) => b.append_null(),
            ArgBuilder::UInt64(b) => b.append_null(),
            ArgBuilder::Float64(b) => b.append_null(),
            ArgBuilder::Boolean(b) => b.append_null(),
            ArgBuilder::String(b) => b.append_null(),
        }
    }

    /// Appends argument `i` of an event; `text` is scratch space.
    fn value(&mut self, cs: &CallsiteInfo, args: Args<'_>, i: usize, text: &mut String) {
        let Some(v) = args.get(i) else { return self.null() };
        match (self, class_of(&v)) {
            (ArgBuilder::Int64(b), Class::Signed(n)) => b.append_value(n),
            (ArgBuilder::Int64(b), Class::Unsigned(n)) => b.append_option(i64::try_from(n).ok()),
            (ArgBuilder::UInt64(b), Class::Unsigned(n)) => b.append_value(n),
            (ArgBuilder::Float64(b), Class::Float(x)) => b.append_value(x),
            (ArgBuilder::Boolean(b), Class::Bool(x)) => b.append_value(x),
            (ArgBuilder::String(b), _) => {
                text.clear();
                match super::typed_arg(cs, args, i) {
                    Some(super::Typed::Str(s)) => text.push_str(&s),
                    Some(super::Typed::Int(n)) => {
                        let _ = write!(text, "{n}");
                    }
                    Some(super::Typed::Float(x)) => {
                        let _ = write!(text, "{x}");
                    }
                    Some(super::Typed::Bool(x)) => {
                        let _ = write!(text, "{x}");
                    }
                    None => return b.append_null(),
                }
                b.append_value(&*text);
            }
            // A value of another type than the scan found (the input
            // changed between the passes): not a number of this column.
            (b, _) => b.null(),
        }
    }

    fn len(&self) -> usize {
        use arrow_array::builder::ArrayBuilder;
        match self {
            ArgBuilder::Int64(b) => b.len(),
            ArgBuilder::UInt64(b) => b.len(),
            ArgBuilder::Float64(b) => b.len(),
            ArgBuilder::Boolean(b) => b.len(),
            ArgBuilder::String(b) => b.len(),
        }
    }

    fn finish(&mut self) -> ArrayRef {
        match self {
            ArgBuilder::Int64(b) => Arc::new(b.finish()),
            ArgBuilder::UInt64(b) => Arc::new(b.finish()),
            ArgBuilder::Float64(b) => Arc::new(b.finish()),
            ArgBuilder::Boolean(b) => Arc::new(b.finish()),
            ArgBuilder::String(b) => Arc::new(b.finish()),
        }
    }
}

/// The builders of the fixed columns.
#[derive(Debug)]
struct Fixed {
    time: TimestampNanosecondBuilder,
    level: StringBuilder,
    program: StringBuilder,
    pid: UInt64Builder,
    host: StringBuilder,
    thread_id: UInt64Builder,
    thread_name: StringBuilder,
    target: StringBuilder,
    file: StringBuilder,
    line: UInt32Builder,
    callsite: UInt32Builder,
    kind: StringBuilder,
    call_id: UInt64Builder,
    message: StringBuilder,
}

impl Fixed {
    fn new(rows: usize) -> Fixed {
        let s = || StringBuilder::with_capacity(rows, rows * 8);
        Fixed {
            time: TimestampNanosecondBuilder::with_capacity(rows).with_timezone("UTC"),
            level: s(),
            program: s(),
            pid: UInt64Builder::with_capacity(rows),
            host: s(),
            thread_id: UInt64Builder::with_capacity(rows),
            thread_name: s(),
            target: s(),
            file: s(),
            line: UInt32Builder::with_capacity(rows),
            callsite: UInt32Builder::with_capacity(rows),
            kind: s(),
            call_id: UInt64Builder::with_capacity(rows),
            message: StringBuilder::with_capacity(rows, rows * 48),
        }
    }

    fn finish(&mut self) -> [ArrayRef; FIXED_COLUMNS.len()] {
        [
            Arc::new(self.time.finish()),
            Arc::new(self.level.finish()),
            Arc::new(self.program.finish()),
            Arc::new(self.pid.finish()),
            Arc::new(self.host.finish()),
            Arc::new(self.thread_id.finish()),
            Arc::new(self.thread_name.finish()),
            Arc::new(self.target.finish()),
            Arc::new(self.file.finish()),
            Arc::new(self.line.finish()),
            Arc::new(self.callsite.finish()),
            Arc::new(self.kind.finish()),
            Arc::new(self.call_id.finish()),
            Arc::new(self.message.finish()),
        ]
    }
}

/// The Arrow schema of an export with these argument columns.
pub fn schema(args: &[(String, ColumnType)]) -> Schema {
    let text = |name: &str, nullable: bool| Field::new(name, DataType::Utf8, nullable);
    let mut fields = vec![
        Field::new("time", DataType::Timestamp(TimeUnit::Nanosecond, Some("UTC".into())), true),
        text("level", true),
        text("program", false),
        Field::new("pid", DataType::UInt64, false),
        text("host", false),
        Field::new("thread_id", DataType::UInt64, true),
        text("thread_name", true),
        text("target", true),
        text("file", true),
        Field::new("line", DataType::UInt32, true),
        Field::new("callsite", DataType::UInt32, false),
        text("kind", true),
        Field::new("call_id", DataType::UInt64, true),
        text("message", true),
    ];
    fields.extend(args.iter().map(|(name, t)| Field::new(name, t.data_type(), true)));
    Schema::new(fields)
}

fn kind_name(k: CallsiteKind) -> &'static str {
    match k {
        CallsiteKind::Event => "event",
        CallsiteKind::Enter => "enter",
        CallsiteKind::Exit => "exit",
        CallsiteKind::Suspend => "suspend",
        CallsiteKind::Resume => "resume",
    }
}

fn parquet_error(e: parquet::errors::ParquetError) -> io::Error {
    match e {
        parquet::errors::ParquetError::External(e) => match e.downcast::<io::Error>() {
            Ok(e) => *e,
            Err(e) => io::Error::other(e),
        },
        e => io::Error::other(e),
    }
}

/// Writes a Parquet file to `W` (see the module).
pub struct Parquet<W: Write + Send> {
    writer: Option<ArrowWriter<W>>,
    out: Option<W>,
    schema: SchemaRef,
    batch: usize,
    rows: usize,
    fixed: Fixed,
    types: Vec<(String, ColumnType)>,
    args: Vec<ArgBuilder>,
    /// Column index of each key, as [`ArgColumns`] numbered them.
    keys: HashMap<Key, usize>,
    /// By callsite of the input begun last: the column of each argument.
    slots: Slots,
    /// The input's process.
    program: String,
    pid: u64,
    host: String,
    text: String,
}

impl<W: Write + Send> std::fmt::Debug for Parquet<W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Parquet").field("columns", &self.schema.fields().len()).field("rows", &self.rows).finish()
    }
}

impl<W: Write + Send> Parquet<W> {
    /// A writer to `out` with the argument columns `args` found, batches of
    /// [`DEFAULT_BATCH`] rows.
    pub fn new(out: W, args: &ArgColumns) -> io::Result<Parquet<W>> {
        Parquet::with_batch(out, args, DEFAULT_BATCH, ROW_GROUP_ROWS)
    }

    /// A writer to `out`, `batch` rows a batch and `row_group` rows a row
    /// group (each at least 1).
    pub fn with_batch(out: W, args: &ArgColumns, batch: usize, row_group: usize) -> io::Result<Parquet<W>> {
        let batch = batch.max(1);
        let types = args.columns();
        let schema = Arc::new(schema(&types));
        let props = WriterProperties::builder()
            .set_compression(Compression::SNAPPY)
            .set_max_row_group_row_count(Some(row_group.max(1)))
            .set_created_by(format!("ttlog-decode {}", env!("CARGO_PKG_VERSION")))
            .build();
        let writer = ArrowWriter::try_new(out, schema.clone(), Some(props)).map_err(parquet_error)?;
        let keys = args.columns.iter().enumerate().map(|(i, (key, _))| (key.clone(), i)).collect();
        Ok(Parquet {
            writer: Some(writer),
            out: None,
            schema,
            batch,
            rows: 0,
            fixed: Fixed::new(batch),
            args: types.iter().map(|(_, t)| ArgBuilder::new(*t, batch)).collect(),
            types,
            keys,
            slots: Slots::default(),
            program: String::new(),
            pid: 0,
            host: String::new(),
            text: String::new(),
        })
    }

    /// The argument columns, as written.
    pub fn arg_columns(&self) -> &[(String, ColumnType)] {
        &self.types
    }

    /// The output, once [`Sink::finish`] has written the file (`None` before).
    pub fn into_inner(self) -> Option<W> {
        self.out
    }

    fn flush_batch(&mut self) -> io::Result<()> {
        if self.rows == 0 {
            return Ok(());
        }
        let mut columns: Vec<ArrayRef> = self.fixed.finish().into();
        columns.extend(self.args.iter_mut().map(ArgBuilder::finish));
        self.rows = 0;
        let batch = RecordBatch::try_new(self.schema.clone(), columns).map_err(io::Error::other)?;
        match &mut self.writer {
            Some(w) => w.write(&batch).map_err(parquet_error),
            None => Err(io::Error::other("the Parquet file is already finished")),
        }
    }
}

impl<W: Write + Send> Sink for Parquet<W> {
    fn begin(&mut self, meta: &Snapshot) -> io::Result<()> {
        self.slots.clear();
        let h = meta.header.as_ref();
        self.program = h.map(|h| h.program.clone()).unwrap_or_default();
        self.pid = h.map_or(0, |h| h.pid);
        self.host = h.map(|h| h.host.clone()).unwrap_or_default();
        Ok(())
    }

    fn event(&mut self, snap: &Snapshot, e: &Event) -> io::Result<()> {
        let f = &mut self.fixed;
        f.time.append_option(snap.unix_nanos(e).and_then(|ns| i64::try_from(ns).ok()));
        f.program.append_value(&self.program);
        f.pid.append_value(self.pid);
        f.host.append_value(&self.host);
        match snap.thread(e) {
            Some(t) => {
                f.thread_id.append_value(t.tid);
                f.thread_name.append_option((!t.name.is_empty()).then_some(t.name.as_str()));
            }
            None => {
                f.thread_id.append_null();
                f.thread_name.append_null();
            }
        }
        f.callsite.append_value(e.callsite);
        let Some(cs) = snap.callsite(e) else {
            // The callsite's frame was lost: the row says what is known.
            for b in [&mut f.level, &mut f.target, &mut f.file, &mut f.kind, &mut f.message] {
                b.append_null();
            }
            f.line.append_null();
            f.call_id.append_null();
            self.args.iter_mut().for_each(ArgBuilder::null);
            return self.row_done();
        };
        let args = snap.args(e);
        f.level.append_value(cs.level.as_str());
        f.target.append_value(&cs.target);
        f.file.append_value(&cs.file);
        f.line.append_value(cs.line);
        f.kind.append_value(kind_name(cs.kind));
        let call_id = cs.args.iter().position(|a| a.role == ArgRole::CallId).and_then(|i| match args.get(i) {
            Some(Value::U64(id)) => Some(id),
            _ => None,
        });
        f.call_id.append_option(call_id);
        self.text.clear();
        write_message(&mut self.text, cs, args);
        f.message.append_value(&self.text);
        let keys = &self.keys;
        let slots = self.slots.of(e.callsite, cs, |key| keys.get(&key).copied());
        for (i, col) in slots.iter().enumerate() {
            if let Some(col) = *col {
                self.args[col].value(cs, args, i, &mut self.text);
            }
        }
        // A callsite's keys differ, so each column got at most one value; the
        // others get a null.
        let rows = self.rows + 1;
        for b in &mut self.args {
            if b.len() < rows {
                b.null();
            }
        }
        self.row_done()
    }

    fn end(&mut self, _meta: &Snapshot) -> io::Result<()> {
        Ok(())
    }

    fn finish(&mut self) -> io::Result<()> {
        self.flush_batch()?;
        if let Some(w) = self.writer.take() {
            let mut out = w.into_inner().map_err(parquet_error)?;
            out.flush()?;
            self.out = Some(out);
        }
        Ok(())
    }
}

impl<W: Write + Send> Parquet<W> {
    fn row_done(&mut self) -> io::Result<()> {
        self.rows += 1;
        if self.rows >= self.batch {
            self.flush_batch()?;
        }
        Ok(())
    }
}
