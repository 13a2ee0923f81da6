//! The exports against the official schemas: writes the OTLP and Perfetto
//! exports of a real snapshot, and what the decoder reads from it, then runs
//! the tests of `ttlog-decode/schema-tests`, a workspace of its own (its
//! `opentelemetry-proto` and `perfetto_protos` bring syn 2 and protobuf code
//! generators, which this workspace's dependency graph must not hold), built
//! under this workspace's `target/schema-tests`. Fails if they fail.

mod support {
    pub mod export;
}

use serde_json::{Value as Json, json};
use std::collections::{HashMap, HashSet};
use std::path::Path;
use support::export::{decode, out_dir, snapshot};
use ttlog::callsite::{ArgRole, CallsiteKind};
use ttlog_decode::{Snapshot, Value};

fn any_value(v: Value<'_>) -> Json {
    let int = |n: i128| match i64::try_from(n) {
        Ok(n) => json!({ "int": n.to_string() }),
        Err(_) => json!({ "string": n.to_string() }),
    };
    match v {
        Value::U8(n) => int(n.into()),
        Value::U16(n) => int(n.into()),
        Value::U32(n) => int(n.into()),
        Value::U64(n) => int(n.into()),
        Value::I32(n) => int(n.into()),
        Value::I64(n) => int(n.into()),
        Value::F64(x) => json!({ "double": x }),
        Value::Bool(b) => json!({ "bool": b }),
        Value::Str(t) => json!({ "string": t.text }),
        other => panic!("the fixture has no {}", other.type_name()),
    }
}

fn otlp_expected(snap: &Snapshot) -> Json {
    let h = snap.header.as_ref().unwrap();
    let resource = json!([
        ["service.name", { "string": h.program }],
        ["host.name", { "string": h.host }],
        ["process.pid", { "int": h.pid.to_string() }],
    ]);
    let records: Vec<Json> = snap
        .events
        .iter()
        .map(|e| {
            let cs = snap.callsite(e).unwrap();
            let t = snap.thread(e).unwrap();
            let mut attrs = vec![json!(["thread.id", { "int": t.tid.to_string() }])];
            if !t.name.is_empty() {
                attrs.push(json!(["thread.name", { "string": t.name }]));
            }
            attrs.push(json!(["code.filepath", { "string": cs.file }]));
            attrs.push(json!(["code.lineno", { "int": cs.line.to_string() }]));
            for (i, a) in cs.args.iter().enumerate() {
                if !matches!(a.role, ArgRole::CallId | ArgRole::Outcome) {
                    attrs.push(json!([a.name, any_value(snap.args(e).get(i).unwrap())]));
                }
            }
            let sev = [17, 13, 9, 5, 1][cs.level as usize - 1];
            let time = snap.unix_nanos(e).unwrap().to_string();
            json!({ "scope": cs.target, "time": time, "observed": time, "sev": sev, "text": cs.level.as_str(),
                    "body": ttlog_decode::render::message::message(cs, snap.args(e)), "attrs": attrs })
        })
        .collect();
    json!({ "resource": resource, "records": records })
}

fn perfetto_expected(snap: &Snapshot) -> Json {
    let h = snap.header.as_ref().unwrap();
    let name = |e: &ttlog_decode::Event| snap.callsite(e).unwrap().name.clone();
    let kind = |e: &ttlog_decode::Event| snap.callsite(e).unwrap().kind;
    let mut calls = Vec::new();
    let (mut entries, mut exits, mut suspended) = (HashMap::new(), HashSet::new(), HashSet::new());
    let mut entry_missing = Vec::new();
    let mut instants = 0;
    for e in &snap.events {
        let end = u64::try_from(snap.unix_nanos(e).unwrap()).unwrap();
        match (kind(e), e.call) {
            (CallsiteKind::Enter, Some(c)) => {
                entries.insert(c.id, name(e));
            }
            (CallsiteKind::Exit, Some(c)) => {
                exits.insert(c.id);
                match c.elapsed_ns {
                    Some(ns) => calls.push(json!([name(e), end - ns, end])),
                    None => entry_missing.push(name(e)),
                }
            }
            (CallsiteKind::Suspend, Some(c)) => {
                suspended.insert(c.id);
                instants += 1;
            }
            _ => instants += 1,
        }
    }
    let mut exit_missing: Vec<_> =
        entries.iter().filter(|(id, _)| !exits.contains(*id)).map(|(_, n)| n.clone()).collect();
    let mut async_names: Vec<_> = suspended.iter().filter_map(|id| entries.get(id).cloned()).collect();
    let threads: Vec<_> =
        snap.threads.iter().flatten().filter(|t| t.name.starts_with("ex-")).map(|t| t.name.clone()).collect();
    exit_missing.sort();
    entry_missing.sort();
    async_names.sort();
    assert_eq!((exit_missing.len(), entry_missing.len(), async_names.len()), (1, 1, 1), "the fixture's calls");
    json!({ "program": h.program, "pid": h.pid, "threads": threads, "calls": calls, "instants": instants,
            "exit_missing": exit_missing, "entry_missing": entry_missing, "async": async_names })
}

#[test]
fn otlp_and_perfetto_exports_decode_with_the_official_types() {
    let path = snapshot();
    let snap = ttlog_decode::read_file(path).unwrap();
    let dir = out_dir().join("schema");
    std::fs::create_dir_all(&dir).unwrap();
    let p = |name: &str| dir.join(name).to_str().unwrap().to_owned();
    decode(&["export", "--format", "otlp", "-o", &p("otlp.jsonl"), path.to_str().unwrap()]);
    decode(&["export", "--format", "perfetto", "-o", &p("trace.pftrace"), path.to_str().unwrap()]);
    std::fs::write(dir.join("otlp-expected.json"), otlp_expected(&snap).to_string()).unwrap();
    std::fs::write(dir.join("perfetto-expected.json"), perfetto_expected(&snap).to_string()).unwrap();

    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let status = std::process::Command::new(cargo)
        .args(["test", "--locked", "--manifest-path"])
        .arg(root.join("schema-tests/Cargo.toml"))
        .env("CARGO_TARGET_DIR", root.join("../target/schema-tests"))
        .env("TTLOG_SCHEMA_DIR", &dir)
        .status()
        .unwrap();
    assert!(status.success(), "the schema tests of ttlog-decode/schema-tests failed (output above)");
}
