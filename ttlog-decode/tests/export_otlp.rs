//! `export --format otlp`: OTLP/JSON lines whose records are the snapshot's
//! events, with the times, severities, bodies and typed attributes that the
//! decoder reads; batched; filtered as `print` filters. (The official
//! schema's types parse the same output in `export_schema.rs`.)

mod support {
    pub mod export;
}

use serde_json::{Value as Json, json};
use support::export::{decode, snapshot};
use ttlog::callsite::ArgRole;
use ttlog_decode::{Snapshot, Value};

/// An argument as OTLP's `AnyValue`, worked out here from the decoded value.
fn any_value(snap: &Snapshot, e: &ttlog_decode::Event, i: usize) -> Json {
    let v = snap.args(e).get(i).unwrap();
    let int = |n: i128| match i64::try_from(n) {
        Ok(n) => json!({ "intValue": n.to_string() }),
        Err(_) => json!({ "stringValue": n.to_string() }),
    };
    match v {
        Value::U8(n) => int(n.into()),
        Value::U16(n) => int(n.into()),
        Value::U32(n) => int(n.into()),
        Value::U64(n) => int(n.into()),
        Value::I32(n) => int(n.into()),
        Value::I64(n) => int(n.into()),
        Value::F64(x) => json!({ "doubleValue": x }),
        Value::Bool(b) => json!({ "boolValue": b }),
        Value::Str(t) => json!({ "stringValue": t.text }),
        other => panic!("the fixture has no {}", other.type_name()),
    }
}

/// The records the snapshot's events must be, in a comparable form.
fn expected(snap: &Snapshot, keep: impl Fn(ttlog::Level) -> bool) -> Vec<String> {
    let mut out = Vec::new();
    for e in &snap.events {
        let cs = snap.callsite(e).unwrap();
        if !keep(cs.level) {
            continue;
        }
        let t = snap.thread(e).unwrap();
        let mut attrs = vec![json!(["thread.id", { "intValue": t.tid.to_string() }])];
        if !t.name.is_empty() {
            attrs.push(json!(["thread.name", { "stringValue": t.name }]));
        }
        attrs.push(json!(["code.filepath", { "stringValue": cs.file }]));
        attrs.push(json!(["code.lineno", { "intValue": cs.line.to_string() }]));
        for (i, a) in cs.args.iter().enumerate() {
            if !matches!(a.role, ArgRole::CallId | ArgRole::Outcome) {
                attrs.push(json!([a.name, any_value(snap, e, i)]));
            }
        }
        let sev = match cs.level {
            ttlog::Level::Trace => 1,
            ttlog::Level::Debug => 5,
            ttlog::Level::Info => 9,
            ttlog::Level::Warn => 13,
            ttlog::Level::Error => 17,
        };
        let time = snap.unix_nanos(e).unwrap().to_string();
        let body = ttlog_decode::render::message::message(cs, snap.args(e));
        out.push(
            json!({ "scope": cs.target, "time": time, "observed": time, "sev": sev, "text": cs.level.as_str(),
                    "body": body, "attrs": attrs })
            .to_string(),
        );
    }
    out.sort();
    out
}

/// The records of the export, in the same form; checks each line's
/// resource on the way.
fn records(lines: &str, snap: &Snapshot) -> (Vec<String>, usize) {
    let h = snap.header.as_ref().unwrap();
    let resource = json!({ "attributes": [
        { "key": "service.name", "value": { "stringValue": h.program } },
        { "key": "host.name", "value": { "stringValue": h.host } },
        { "key": "process.pid", "value": { "intValue": h.pid.to_string() } },
    ]});
    let mut out = Vec::new();
    let mut n = 0;
    for line in lines.lines() {
        n += 1;
        let data: Json = serde_json::from_str(line).unwrap();
        let rl = data["resourceLogs"].as_array().unwrap();
        assert_eq!(rl.len(), 1);
        assert_eq!(rl[0]["resource"], resource);
        for sl in rl[0]["scopeLogs"].as_array().unwrap() {
            let scope = sl["scope"]["name"].as_str().unwrap();
            for r in sl["logRecords"].as_array().unwrap() {
                let attrs: Vec<Json> =
                    r["attributes"].as_array().unwrap().iter().map(|a| json!([a["key"], a["value"]])).collect();
                out.push(
                    json!({ "scope": scope, "time": r["timeUnixNano"], "observed": r["observedTimeUnixNano"],
                            "sev": r["severityNumber"], "text": r["severityText"],
                            "body": r["body"]["stringValue"], "attrs": attrs })
                    .to_string(),
                );
            }
        }
    }
    out.sort();
    (out, n)
}

#[test]
fn every_event_is_a_record_with_its_time_severity_body_and_typed_attributes() {
    let path = snapshot();
    let snap = ttlog_decode::read_file(path).unwrap();
    let out = String::from_utf8(decode(&["export", "--format", "otlp", path.to_str().unwrap()])).unwrap();
    let (got, lines) = records(&out, &snap);
    let want = expected(&snap, |_| true);
    assert!(want.len() > 2 * ttlog_decode::export::otlp::DEFAULT_BATCH, "{}", want.len());
    assert_eq!(got.len(), want.len());
    for (g, w) in got.iter().zip(&want) {
        assert_eq!(g, w);
    }
    // Batches: many records a line, and more than one line.
    assert_eq!(lines, want.len().div_ceil(ttlog_decode::export::otlp::DEFAULT_BATCH));
    // The fixture's typed arguments, as OTLP types them.
    for needle in [
        r#"["ok",{"boolValue":false}]"#,
        r#"["ratio",{"doubleValue":2.25}]"#,
        r#"["delta",{"intValue":"-9"}]"#,
        r#"["big",{"stringValue":"18446744073709551615"}]"#,
        r#"["host",{"stringValue":"db-1"}]"#,
    ] {
        assert!(got.iter().any(|r| r.contains(needle)), "no attribute {needle}");
    }
}

#[test]
fn filters_choose_the_records_and_the_output_file_holds_them() {
    let path = snapshot();
    let snap = ttlog_decode::read_file(path).unwrap();
    let file = support::export::out_dir().join("warn.otlp.jsonl");
    let stdout = decode(&[
        "export",
        "--format",
        "otlp",
        "--level",
        "warn",
        "-o",
        file.to_str().unwrap(),
        path.to_str().unwrap(),
    ]);
    assert!(stdout.is_empty());
    let (got, lines) = records(&std::fs::read_to_string(&file).unwrap(), &snap);
    let want = expected(&snap, |l| l <= ttlog::Level::Warn);
    assert_eq!(lines, 1);
    assert_eq!(got, want);
    assert_eq!(want.len(), 9, "8 slow queries and the error");
    // A field filter, as `print` has it.
    let out = decode(&[
        "export",
        "--format",
        "otlp",
        "--field",
        "host=db-2",
        "--target",
        "app::server",
        path.to_str().unwrap(),
    ]);
    let (got, _) = records(std::str::from_utf8(&out).unwrap(), &snap);
    assert_eq!(got.len(), 20);
    assert!(got.iter().all(|r| r.contains(r#"["host",{"stringValue":"db-2"}]"#)));
}

#[test]
fn bad_input_is_an_error_not_a_panic() {
    let dir = support::export::out_dir();
    let bad = dir.join("not-a-snapshot.ttlog");
    std::fs::write(&bad, b"hello, this is not a snapshot").unwrap();
    for format in ["otlp", "perfetto"] {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_ttlog-decode"))
            .args(["export", "--format", format, "-o", dir.join("x.out").to_str().unwrap(), bad.to_str().unwrap()])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
        assert!(String::from_utf8_lossy(&out.stderr).contains("not-a-snapshot.ttlog"));
    }
}
