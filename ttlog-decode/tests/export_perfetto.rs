//! `export --format perfetto -o x.json`: Chrome trace event JSON whose slices
//! nest per thread and are the snapshot's calls (the unfinished and the
//! entry-less ones marked, the async one paired by call id), whose instants
//! are its other events, with the process and threads named. (The protobuf
//! is decoded with Perfetto's own types in `export_schema.rs`.)

mod support {
    pub mod export;
}

use serde_json::Value as Json;
use std::collections::HashMap;
use support::export::{decode, out_dir, snapshot};
use ttlog::callsite::CallsiteKind;

/// The calls the decoder paired: (function, entry time, exit time), in ns.
fn paired_calls(snap: &ttlog_decode::Snapshot) -> Vec<(String, u64, u64)> {
    let mut calls: Vec<_> = snap
        .events
        .iter()
        .filter_map(|e| {
            let call = e.call?;
            let elapsed = call.elapsed_ns?;
            let end = u64::try_from(snap.unix_nanos(e)?).ok()?;
            Some((snap.callsite(e)?.name.clone(), end - elapsed, end))
        })
        .collect();
    calls.sort();
    calls
}

/// `"ts":MICROS.NNN` of a line, exactly, in ns.
fn ts_of(line: &str) -> u64 {
    let at = line.find("\"ts\":").unwrap() + 5;
    let text: String = line[at..].chars().take_while(|c| c.is_ascii_digit() || *c == '.').collect();
    let (us, frac) = text.split_once('.').unwrap();
    assert_eq!(frac.len(), 3, "{line}");
    us.parse::<u64>().unwrap() * 1000 + frac.parse::<u64>().unwrap()
}

#[test]
fn slices_nest_per_thread_and_are_the_calls() {
    let path = snapshot();
    let snap = ttlog_decode::read_file(path).unwrap();
    let file = out_dir().join("trace.json");
    decode(&["export", "--format", "perfetto", "-o", file.to_str().unwrap(), path.to_str().unwrap()]);
    let text = std::fs::read_to_string(&file).unwrap();
    let whole: Json = serde_json::from_str(&text).unwrap();
    assert_eq!(whole["displayTimeUnit"], "ns");
    let events = whole["traceEvents"].as_array().unwrap();
    // One event a line, between the opening and closing lines.
    let lines: Vec<&str> = text.lines().skip(1).filter(|l| l.starts_with("{\"ph\"")).collect();
    assert_eq!(lines.len(), events.len());

    let h = snap.header.as_ref().unwrap();
    let mut thread_names = Vec::new();
    let mut per_thread: HashMap<(u64, u64), Vec<(u64, usize)>> = HashMap::new();
    let mut async_open: HashMap<String, (String, u64)> = HashMap::new();
    let mut slices = Vec::new();
    let mut instants = 0;
    let (mut exit_missing, mut entry_missing) = (Vec::new(), Vec::new());
    for (i, (e, line)) in events.iter().zip(&lines).enumerate() {
        match e["ph"].as_str().unwrap() {
            "M" if e["name"] == "process_name" => {
                assert_eq!(e["args"]["name"], h.program.as_str());
                assert_eq!(e["pid"], h.pid);
            }
            "M" => thread_names.push(e["args"]["name"].as_str().unwrap().to_owned()),
            "B" | "E" | "i" => {
                let key = (e["pid"].as_u64().unwrap(), e["tid"].as_u64().unwrap());
                per_thread.entry(key).or_default().push((ts_of(line), i));
            }
            "b" => {
                let id = e["id"].as_str().unwrap().to_owned();
                assert!(async_open.insert(id, (e["name"].as_str().unwrap().to_owned(), ts_of(line))).is_none());
            }
            "e" => {
                let (name, begin) = async_open.remove(e["id"].as_str().unwrap()).expect("an async end has its begin");
                assert_eq!(name, e["name"]);
                slices.push((name, begin, ts_of(line)));
            }
            other => panic!("unexpected phase {other}"),
        }
    }
    assert!(async_open.is_empty());
    for name in ["ex-server", "ex-calls", "ex-chatty", "ex-poll-1", "ex-poll-2", "ex-mid"] {
        assert!(thread_names.iter().any(|n| n == name), "no thread {name}: {thread_names:?}");
    }
    // Each thread's events, in time order, nest: every end closes the
    // innermost open slice, of the same name; none is left open.
    for evs in per_thread.values_mut() {
        evs.sort_by_key(|&(ts, i)| (ts, i));
        let mut stack: Vec<(String, u64)> = Vec::new();
        for &(ts, i) in evs.iter() {
            let e = &events[i];
            let name = e["name"].as_str().unwrap().to_owned();
            match e["ph"].as_str().unwrap() {
                "B" => {
                    if e["args"]["ttlog.entry"] == "missing" {
                        entry_missing.push(name.clone());
                    }
                    stack.push((name, ts));
                }
                "E" => {
                    let (open, begin) = stack.pop().expect("an end has its begin");
                    assert_eq!(open, name);
                    if e["args"]["ttlog.exit"] == "missing" {
                        exit_missing.push(name.clone());
                    }
                    slices.push((name, begin, ts));
                }
                _ => instants += 1,
            }
        }
        assert!(stack.is_empty(), "{stack:?}");
    }
    // Every call the decoder paired is a slice, from its entry to its exit.
    let calls = paired_calls(&snap);
    assert!(calls.len() >= 5, "{calls:?}");
    for c in &calls {
        assert!(slices.contains(c), "no slice for {c:?}");
    }
    let kind = |k| snap.events.iter().filter(|e| snap.callsite(e).unwrap().kind == k).count();
    // The plain events and the async call's suspend and resume.
    assert_eq!(instants, kind(CallsiteKind::Event) + kind(CallsiteKind::Suspend) + kind(CallsiteKind::Resume));
    let short = |names: &[String]| names.iter().map(|n| n.rsplit("::").next().unwrap().to_owned()).collect::<Vec<_>>();
    assert_eq!(short(&exit_missing), ["takes_snapshot"]);
    assert_eq!(short(&entry_missing), ["chatty"]);
    // The async call is an async slice, not on a thread.
    let migrates = calls.iter().find(|c| c.0.ends_with("::migrates")).unwrap();
    assert!(events.iter().any(|e| e["ph"] == "b" && e["name"] == migrates.0.as_str()));
    assert!(slices.iter().filter(|s| s.0 == migrates.0).count() == 1 && slices.contains(migrates));
    // Typed args.
    let request = events.iter().find(|e| e["ph"] == "i" && e["args"]["host"] == "db-1").unwrap();
    assert!(request["args"]["ok"].is_boolean() && request["args"]["ratio"].is_f64());
    assert!(request["args"]["message"].as_str().unwrap().starts_with("request "));
    let inner_exit =
        events.iter().find(|e| e["ph"] == "E" && e["name"].as_str().unwrap().ends_with("::inner")).unwrap();
    assert_eq!(inner_exit["args"]["outcome"], "returned");
}
