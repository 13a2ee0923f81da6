//! `export --format parquet`: a row per event whose columns are the
//! decoder's values, read back with the Arrow reader of the `parquet` crate;
//! the argument columns typed; filters, directories of files, row groups,
//! damaged input; and DuckDB's SQL over the file agreeing with `stats` and
//! `agg`.

mod support {
    pub mod export;
}

use arrow_array::cast::AsArray;
use arrow_array::types::{Float64Type, Int64Type, TimestampNanosecondType, UInt32Type, UInt64Type};
use arrow_array::{Array, RecordBatch};
use arrow_schema::{DataType, TimeUnit};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use serde_json::Value as Json;
use std::path::{Path, PathBuf};
use std::process::Command;
use support::export::{decode, out_dir, snapshot};
use ttlog::callsite::{ArgRole, CallsiteKind};
use ttlog_decode::export::parquet::{ArgColumns, ColumnType, Parquet};
use ttlog_decode::export::{Sink, Typed, typed_arg};
use ttlog_decode::{Snapshot, Value};

/// The file's rows, as batches, and the number of row groups.
fn read(path: &Path) -> (Vec<RecordBatch>, usize) {
    let file = std::fs::File::open(path).unwrap();
    let builder = ParquetRecordBatchReaderBuilder::try_new(file).unwrap();
    let groups = builder.metadata().num_row_groups();
    let batches = builder.build().unwrap().collect::<Result<Vec<_>, _>>().unwrap();
    (batches, groups)
}

fn export(args: &[&str], name: &str) -> PathBuf {
    let out = out_dir().join(name);
    let mut all = vec!["export", "--format", "parquet", "-o", out.to_str().unwrap()];
    all.extend_from_slice(args);
    decode(&all);
    out
}

/// A cell of a row as text, for comparing with what the decoder says.
fn cell(col: &dyn Array, row: usize) -> Option<String> {
    if col.is_null(row) {
        return None;
    }
    Some(match col.data_type() {
        DataType::Utf8 => col.as_string::<i32>().value(row).to_owned(),
        DataType::Int64 => col.as_primitive::<Int64Type>().value(row).to_string(),
        DataType::UInt64 => col.as_primitive::<UInt64Type>().value(row).to_string(),
        DataType::UInt32 => col.as_primitive::<UInt32Type>().value(row).to_string(),
        DataType::Float64 => format!("{:?}", col.as_primitive::<Float64Type>().value(row)),
        DataType::Boolean => col.as_boolean().value(row).to_string(),
        DataType::Timestamp(TimeUnit::Nanosecond, _) => {
            col.as_primitive::<TimestampNanosecondType>().value(row).to_string()
        }
        other => panic!("a column of type {other}"),
    })
}

/// Argument `i` as the column of its name holds it.
fn arg_text(snap: &Snapshot, e: &ttlog_decode::Event, i: usize) -> String {
    let cs = snap.callsite(e).unwrap();
    match typed_arg(cs, snap.args(e), i).unwrap() {
        Typed::Int(n) => n.to_string(),
        Typed::Float(x) => format!("{x:?}"),
        Typed::Bool(b) => b.to_string(),
        Typed::Str(s) => s.into_owned(),
    }
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

/// The column that argument `a` of a callsite lands in: its name, or
/// `arg_` and its name where a fixed column has that name.
fn column_of(name: &str) -> String {
    if ttlog_decode::export::parquet::FIXED_COLUMNS.contains(&name) { format!("arg_{name}") } else { name.to_owned() }
}

/// Every row holds what the decoder reads of the same event, in the same
/// order: the fixed columns and each argument in the column of its name,
/// nulls elsewhere.
#[test]
fn rows_are_the_decoded_events() {
    let snap = ttlog_decode::read_file(snapshot()).unwrap();
    let out = export(&[snapshot().to_str().unwrap()], "all.parquet");
    let (batches, _) = read(&out);
    let rows: usize = batches.iter().map(RecordBatch::num_rows).sum();
    assert_eq!(rows, snap.events.len());
    let h = snap.header.as_ref().unwrap();
    let mut e_at = snap.events.iter();
    let mut non_null_args = 0;
    for batch in &batches {
        let schema = batch.schema();
        let col = |name: &str| batch.column(schema.index_of(name).unwrap()).clone();
        for row in 0..batch.num_rows() {
            let e = e_at.next().unwrap();
            let cs = snap.callsite(e).unwrap();
            let t = snap.thread(e).unwrap();
            let get = |name: &str| cell(col(name).as_ref(), row);
            let call_id = cs.args.iter().position(|a| a.role == ArgRole::CallId).map(|i| match snap.args(e).get(i) {
                Some(Value::U64(id)) => id.to_string(),
                other => panic!("a call id of {other:?}"),
            });
            let expected = [
                ("time", Some(snap.unix_nanos(e).unwrap().to_string())),
                ("level", Some(cs.level.as_str().to_owned())),
                ("program", Some(h.program.clone())),
                ("pid", Some(h.pid.to_string())),
                ("host", Some(h.host.clone())),
                ("thread_id", Some(t.tid.to_string())),
                ("thread_name", Some(t.name.clone()).filter(|n| !n.is_empty())),
                ("target", Some(cs.target.clone())),
                ("file", Some(cs.file.clone())),
                ("line", Some(cs.line.to_string())),
                ("callsite", Some(e.callsite.to_string())),
                ("kind", Some(kind_name(cs.kind).to_owned())),
                ("call_id", call_id),
                ("message", Some(ttlog_decode::render::message::message(cs, snap.args(e)))),
            ];
            for (name, want) in expected {
                assert_eq!(get(name), want, "column {name} of row {row}");
            }
            let mut filled = std::collections::HashSet::new();
            for (i, a) in cs.args.iter().enumerate() {
                if matches!(a.role, ArgRole::CallId | ArgRole::Outcome) {
                    continue;
                }
                let name = column_of(&a.name);
                assert_eq!(get(&name), Some(arg_text(&snap, e, i)), "argument {name} of row {row}");
                filled.insert(name);
                non_null_args += 1;
            }
            for f in schema.fields().iter().skip(ttlog_decode::export::parquet::FIXED_COLUMNS.len()) {
                if !filled.contains(f.name()) {
                    assert_eq!(get(f.name()), None, "column {} of row {row} (not an argument of it)", f.name());
                }
            }
        }
    }
    assert!(e_at.next().is_none());
    assert!(non_null_args > 100, "{non_null_args}");
}

/// Each argument column has the type of its values: integers, unsigned
/// ones, floats, booleans and text, and text where a fixed column's name
/// is taken.
#[test]
fn argument_columns_are_typed() {
    let out = export(&[snapshot().to_str().unwrap()], "types.parquet");
    let (batches, _) = read(&out);
    let schema = batches[0].schema();
    let type_of = |name: &str| schema.field_with_name(name).unwrap().data_type().clone();
    assert_eq!(type_of("time"), DataType::Timestamp(TimeUnit::Nanosecond, Some("UTC".into())));
    assert_eq!(type_of("delta"), DataType::Int64);
    assert_eq!(type_of("rows"), DataType::UInt64);
    assert_eq!(type_of("big"), DataType::UInt64, "u64::MAX stays a number");
    assert_eq!(type_of("ratio"), DataType::Float64);
    assert_eq!(type_of("ok"), DataType::Boolean);
    assert_eq!(type_of("arg_host"), DataType::Utf8);
    assert_eq!(type_of("host"), DataType::Utf8);
    // `i` is a u64 in two callsites; `k` a u32 in `inner`'s entry and in its step.
    assert_eq!(type_of("i"), DataType::UInt64);
    assert_eq!(type_of("k"), DataType::UInt64);
    let big = batches
        .iter()
        .flat_map(|b| {
            let c = b.column(b.schema().index_of("big").unwrap()).as_primitive::<UInt64Type>().clone();
            c.iter().flatten().collect::<Vec<_>>()
        })
        .collect::<Vec<_>>();
    assert_eq!(big, [u64::MAX]);
}

/// A name whose values have two types is a text column; a name repeated in
/// one callsite gets a second column; the fixed names are never reused.
#[test]
fn mixed_and_repeated_names() {
    let snap = ttlog_decode::read_file(snapshot()).unwrap();
    let mut cols = ArgColumns::default();
    for e in &snap.events {
        cols.add(&snap, e);
    }
    let names: Vec<_> = cols.columns();
    assert!(names.contains(&("delta".into(), ColumnType::Int64)), "{names:?}");
    assert!(names.contains(&("arg_host".into(), ColumnType::String)), "{names:?}");
    // The same snapshot, with `delta` given as text in one more event and a
    // callsite that names `ok` twice.
    let mut mixed = snap.clone();
    let with_delta = snap.events.iter().find(|e| snap.callsite(e).unwrap().args.iter().any(|a| a.name == "delta"));
    let e = with_delta.unwrap().clone();
    let cs = mixed.callsites[e.callsite as usize].clone().unwrap();
    let mut twice = cs.clone();
    for a in &mut twice.args {
        if a.name == "delta" {
            a.name = "ok".into();
        }
    }
    mixed.callsites.push(Some(twice));
    let new_cs = (mixed.callsites.len() - 1) as u32;
    let args = snap.args(&e);
    let values: Vec<Value<'_>> = (0..args.len())
        .map(|i| match args.get(i).unwrap() {
            Value::I64(_) => Value::Str(ttlog_decode::Text { text: "minus one", truncated: 0 }),
            other => other,
        })
        .collect();
    mixed.push_event(e.ticks, e.thread, new_cs, values);
    let mut cols = ArgColumns::default();
    for e in &mixed.events {
        cols.add(&mixed, e);
    }
    let names = cols.columns();
    assert!(names.contains(&("ok".into(), ColumnType::Boolean)), "{names:?}");
    assert!(names.contains(&("ok_2".into(), ColumnType::String)), "{names:?}");
    assert!(names.contains(&("delta".into(), ColumnType::Int64)), "{names:?}");
    assert!(!names.iter().any(|(n, _)| ttlog_decode::export::parquet::FIXED_COLUMNS.contains(&n.as_str())));
}

/// The library's sink: small batches and row groups make many row groups,
/// and every row is kept, in order.
#[test]
fn row_groups() {
    let snap = ttlog_decode::read_file(snapshot()).unwrap();
    let mut stream = ttlog_decode::stream::Stream::open(snapshot()).unwrap();
    let mut cols = ArgColumns::default();
    cols.scan(&mut stream);
    let path = out_dir().join("groups.parquet");
    let file = std::fs::File::create(&path).unwrap();
    let mut sink = Parquet::with_batch(file, &cols, 100, 250).unwrap();
    let mut stream = ttlog_decode::stream::Stream::open(snapshot()).unwrap();
    let n = ttlog_decode::export::run(&mut stream, &mut sink, |_, _, _| true).unwrap();
    sink.finish().unwrap();
    assert!(sink.into_inner().is_some());
    assert_eq!(n as usize, snap.events.len());
    let (batches, groups) = read(&path);
    assert_eq!(groups, snap.events.len().div_ceil(250));
    let times: Vec<i64> =
        batches.iter().flat_map(|b| b.column(0).as_primitive::<TimestampNanosecondType>().values().to_vec()).collect();
    let want: Vec<i64> = snap.events.iter().map(|e| i64::try_from(snap.unix_nanos(e).unwrap()).unwrap()).collect();
    assert_eq!(times, want);
}

/// The filters keep the same events as printing does; a directory output
/// gets one file per input.
#[test]
fn filters_and_directories() {
    let path = snapshot().to_str().unwrap();
    let printed = String::from_utf8(decode(&["--level", "warn", "--json", path])).unwrap();
    let out = export(&["--level", "warn", path], "warn.parquet");
    let (batches, _) = read(&out);
    let levels: Vec<String> = batches
        .iter()
        .flat_map(|b| {
            let c = b.column(1).as_string::<i32>().clone();
            (0..c.len()).map(move |i| c.value(i).to_owned())
        })
        .collect();
    let want: Vec<String> = printed
        .lines()
        .map(|l| serde_json::from_str::<Json>(l).unwrap()["level"].as_str().unwrap().to_owned())
        .collect();
    assert!(!want.is_empty());
    assert_eq!(levels, want);
    // Only the warnings' arguments have columns.
    let schema = batches[0].schema();
    assert!(schema.field_with_name("rows").is_ok());
    assert!(schema.field_with_name("ratio").is_err());

    let copy = out_dir().join("copy.ttlog");
    std::fs::copy(snapshot(), &copy).unwrap();
    let dir = out_dir().join("per-input/");
    let dir_arg = dir.to_str().unwrap();
    decode(&["export", "--format", "parquet", "-o", dir_arg, path, copy.to_str().unwrap()]);
    let mut names: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name()).collect();
    names.sort();
    let stem = snapshot().file_stem().unwrap().to_str().unwrap();
    let mut want = [format!("{stem}.parquet"), "copy.parquet".to_owned()].map(std::ffi::OsString::from);
    want.sort();
    assert_eq!(names, want);
    let snap = ttlog_decode::read_file(snapshot()).unwrap();
    for n in names {
        let rows: usize = read(&dir.join(n)).0.iter().map(RecordBatch::num_rows).sum();
        assert_eq!(rows, snap.events.len());
    }
}

/// A damaged input: exit status 1 and the damage said with its offset, and
/// every intact event still exported; a missing one: exit status 1.
#[test]
fn damaged_and_missing_input() {
    let bytes = std::fs::read(snapshot()).unwrap();
    let intact = ttlog_decode::read_file(snapshot()).unwrap().events.len();
    let cut = out_dir().join("cut.ttlog");
    std::fs::write(&cut, &bytes[..bytes.len() * 2 / 3]).unwrap();
    let kept = ttlog_decode::read_file(&cut).unwrap().events.len();
    assert!(kept > 0 && kept < intact, "{kept} of {intact}");
    let out = out_dir().join("cut.parquet");
    let run = Command::new(env!("CARGO_BIN_EXE_ttlog-decode"))
        .args(["export", "--format", "parquet", "-o", out.to_str().unwrap(), cut.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(stderr.contains("byte "), "{stderr}");
    assert_eq!(stderr.matches("byte ").count(), stderr.lines().count(), "said once each: {stderr}");
    let rows: usize = read(&out).0.iter().map(RecordBatch::num_rows).sum();
    assert_eq!(rows, kept);

    let run = Command::new(env!("CARGO_BIN_EXE_ttlog-decode"))
        .args(["export", "--format", "parquet", "-o", out.to_str().unwrap(), "/nonexistent/x.ttlog"])
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(1), "{}", String::from_utf8_lossy(&run.stderr));
}

/// The Python with DuckDB: `TTLOG_PYTHON`, or a virtual environment in
/// `target/py` that this makes and installs DuckDB into when it lacks it.
/// `None` (said on stderr) when neither works and `TTLOG_REQUIRE_DUCKDB` is
/// not set; with it set, a failure.
fn duckdb_python() -> Option<PathBuf> {
    let has_duckdb =
        |py: &Path| Command::new(py).args(["-c", "import duckdb"]).output().is_ok_and(|o| o.status.success());
    let required = std::env::var_os("TTLOG_REQUIRE_DUCKDB").is_some();
    let py = match std::env::var_os("TTLOG_PYTHON") {
        Some(p) => PathBuf::from(p),
        None => {
            let venv = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/py");
            let py = venv.join("bin/python");
            if !has_duckdb(&py) {
                let made = Command::new("python3").arg("-m").arg("venv").arg(&venv).status().is_ok_and(|s| s.success())
                    && Command::new(venv.join("bin/pip"))
                        .args(["install", "--quiet", "--disable-pip-version-check", "duckdb==2.0.1"])
                        .status()
                        .is_ok_and(|s| s.success());
                if !made {
                    eprintln!("could not install DuckDB into {}", venv.display());
                }
            }
            py
        }
    };
    if has_duckdb(&py) {
        return Some(py);
    }
    assert!(!required, "TTLOG_REQUIRE_DUCKDB is set, and {} has no duckdb module", py.display());
    eprintln!(
        "SKIPPED: DuckDB's queries over the Parquet export: {} has no duckdb module (set TTLOG_PYTHON)",
        py.display()
    );
    None
}

fn sql(py: &Path, query: &str) -> Vec<Json> {
    let script = "import duckdb, json, sys\n\
                  rows = duckdb.sql(sys.argv[1]).fetchall()\n\
                  print(json.dumps([list(r) for r in rows], default=str))";
    let out = Command::new(py).args(["-c", script, query]).output().unwrap();
    assert!(out.status.success(), "{query}: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice::<Json>(&out.stdout).unwrap().as_array().unwrap().clone()
}

/// DuckDB reads the file: the types it sees, the events per level that
/// `stats` counts, and a typed argument's count, min, max and mean as `agg`
/// gives them.
#[test]
fn duckdb_queries_agree_with_stats_and_agg() {
    let Some(py) = duckdb_python() else { return };
    let path = snapshot().to_str().unwrap();
    let out = export(&[path], "duck.parquet");
    let table = format!("'{}'", out.display());
    let types = sql(&py, &format!("SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM {table})"));
    let type_of =
        |name: &str| types.iter().find(|r| r[0] == name).map(|r| r[1].as_str().unwrap().to_owned()).unwrap_or_default();
    assert_eq!(type_of("time"), "TIMESTAMPTZ_NS", "{types:?}");
    assert_eq!(type_of("ok"), "BOOLEAN");
    assert_eq!(type_of("ratio"), "DOUBLE");
    assert_eq!(type_of("delta"), "BIGINT");
    assert_eq!(type_of("rows"), "UBIGINT");
    assert_eq!(type_of("message"), "VARCHAR");

    let stats: Json = serde_json::from_slice(&decode(&["stats", "--json", path])).unwrap();
    let per_level = sql(&py, &format!("SELECT level, count(*) FROM {table} GROUP BY level ORDER BY level"));
    assert!(per_level.len() >= 4, "{per_level:?}");
    for row in &per_level {
        let level = row[0].as_str().unwrap();
        assert_eq!(row[1], stats["levels"][level], "{level}");
    }
    let total = sql(&py, &format!("SELECT count(*) FROM {table}"));
    assert_eq!(total[0][0], stats["events"]);

    let agg: Json = serde_json::from_slice(&decode(&["agg", "--field", "ratio", "--json", path])).unwrap();
    let q = sql(&py, &format!("SELECT count(ratio), min(ratio), max(ratio), avg(ratio) FROM {table}"));
    assert_eq!(q[0][0], agg["count"]);
    assert_eq!(q[0][1], agg["min"]);
    assert_eq!(q[0][2], agg["max"]);
    assert!((q[0][3].as_f64().unwrap() - agg["mean"].as_f64().unwrap()).abs() < 1e-9, "{q:?} {agg}");

    // A query on a typed argument with a filter: the slow queries' rows.
    let agg: Json =
        serde_json::from_slice(&decode(&["agg", "--field", "rows", "--level", "warn", "--json", path])).unwrap();
    let q = sql(&py, &format!("SELECT count(*), sum(rows) FROM {table} WHERE level = 'WARN' AND rows IS NOT NULL"));
    assert_eq!(q[0][0], agg["count"]);
    let sum = q[0][1].as_f64().or_else(|| q[0][1].as_str().and_then(|s| s.parse().ok())).unwrap();
    assert!((sum / agg["count"].as_f64().unwrap() - agg["mean"].as_f64().unwrap()).abs() < 1e-6);
}
