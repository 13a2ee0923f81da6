//! Every line of the OTLP export parses as the official `LogsData` (the
//! `opentelemetry-proto` crate's types and its OTLP/JSON serde), and its
//! records hold the times, severities, bodies and typed attributes that
//! ttlog-decode read (`otlp-expected.json`, which `export_schema.rs` writes
//! beside the export).

use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue, any_value};
use opentelemetry_proto::tonic::logs::v1::LogsData;
use serde_json::{Value as Json, json};
use std::path::PathBuf;

fn dir() -> PathBuf {
    PathBuf::from(
        std::env::var_os("TTLOG_SCHEMA_DIR")
            .expect("run by ttlog-decode/tests/export_schema.rs, which sets TTLOG_SCHEMA_DIR"),
    )
}

fn value(v: &Option<AnyValue>) -> Json {
    match v.as_ref().and_then(|v| v.value.as_ref()) {
        Some(any_value::Value::IntValue(n)) => json!({ "int": n.to_string() }),
        Some(any_value::Value::DoubleValue(x)) => json!({ "double": x }),
        Some(any_value::Value::BoolValue(b)) => json!({ "bool": b }),
        Some(any_value::Value::StringValue(s)) => json!({ "string": s }),
        other => panic!("an attribute of no type ttlog writes: {other:?}"),
    }
}

fn attrs(kvs: &[KeyValue]) -> Json {
    kvs.iter().map(|kv| json!([kv.key, value(&kv.value)])).collect()
}

#[test]
fn every_line_is_logs_data_with_the_decoded_values() {
    let dir = dir();
    let expected: Json =
        serde_json::from_str(&std::fs::read_to_string(dir.join("otlp-expected.json")).unwrap()).unwrap();
    let text = std::fs::read_to_string(dir.join("otlp.jsonl")).unwrap();
    let mut got = Vec::new();
    let mut lines = 0;
    for line in text.lines() {
        lines += 1;
        let data: LogsData = serde_json::from_str(line).unwrap_or_else(|e| panic!("line {lines}: {e}"));
        assert_eq!(data.resource_logs.len(), 1);
        let rl = &data.resource_logs[0];
        let resource = rl.resource.as_ref().expect("a resource");
        assert_eq!(attrs(&resource.attributes), expected["resource"]);
        for sl in &rl.scope_logs {
            let scope = &sl.scope.as_ref().expect("a scope").name;
            for r in &sl.log_records {
                got.push(
                    json!({ "scope": scope, "time": r.time_unix_nano.to_string(),
                            "observed": r.observed_time_unix_nano.to_string(),
                            "sev": r.severity_number, "text": r.severity_text,
                            "body": value(&r.body)["string"], "attrs": attrs(&r.attributes) })
                    .to_string(),
                );
            }
        }
    }
    got.sort();
    let mut want: Vec<String> = expected["records"].as_array().unwrap().iter().map(|r| r.to_string()).collect();
    want.sort();
    assert!(lines > 1, "the records are batched into several lines");
    assert_eq!(got.len(), want.len());
    for (g, w) in got.iter().zip(&want) {
        assert_eq!(g, w);
    }
}
