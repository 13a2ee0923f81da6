//! The Perfetto export decodes with Perfetto's own protobuf types (the
//! `perfetto_protos` crate): track descriptors name the process and its
//! threads, interned names resolve, slices nest on each thread's track and
//! are the calls ttlog-decode paired (`perfetto-expected.json`, which
//! `export_schema.rs` writes beside the export).

use perfetto_protos::debug_annotation::DebugAnnotation;
use perfetto_protos::trace::Trace;
use perfetto_protos::track_event::track_event::Type;
use protobuf::Message;
use serde_json::Value as Json;
use std::collections::HashMap;
use std::path::PathBuf;

fn dir() -> PathBuf {
    PathBuf::from(
        std::env::var_os("TTLOG_SCHEMA_DIR")
            .expect("run by ttlog-decode/tests/export_schema.rs, which sets TTLOG_SCHEMA_DIR"),
    )
}

fn arg<'a>(args: &'a [DebugAnnotation], name: &str) -> Option<&'a DebugAnnotation> {
    args.iter().find(|a| a.name() == name)
}

#[test]
fn the_trace_decodes_and_its_slices_are_the_calls() {
    let dir = dir();
    let expected: Json =
        serde_json::from_str(&std::fs::read_to_string(dir.join("perfetto-expected.json")).unwrap()).unwrap();
    let bytes = std::fs::read(dir.join("trace.pftrace")).unwrap();
    let trace = Trace::parse_from_bytes(&bytes).expect("a Perfetto trace");
    assert!(trace.packet[0].sequence_flags() & 1 != 0, "the first packet clears the incremental state");
    let mut names: HashMap<u64, String> = HashMap::new();
    let mut categories: HashMap<u64, String> = HashMap::new();
    let mut threads: HashMap<u64, String> = HashMap::new();
    let mut async_tracks: HashMap<u64, String> = HashMap::new();
    let mut process = None;
    // By track: (time, packet index, type, name, args).
    let mut per_track: HashMap<u64, Vec<(u64, usize, Type, String, Vec<DebugAnnotation>)>> = HashMap::new();
    for (i, p) in trace.packet.iter().enumerate() {
        assert_eq!(p.trusted_packet_sequence_id(), 1);
        if p.has_track_descriptor() {
            let d = p.track_descriptor();
            if let Some(proc_) = d.process.as_ref() {
                process = Some((d.uuid(), proc_.pid(), proc_.process_name().to_owned()));
            } else if let Some(t) = d.thread.as_ref() {
                assert_eq!(Some(d.parent_uuid()), process.as_ref().map(|p| p.0));
                threads.insert(d.uuid(), t.thread_name().to_owned());
            } else {
                assert_eq!(Some(d.parent_uuid()), process.as_ref().map(|p| p.0));
                async_tracks.insert(d.uuid(), d.name().to_owned());
            }
            continue;
        }
        assert!(p.has_track_event(), "packet {i}: a descriptor or an event");
        assert!(p.sequence_flags() & 2 != 0, "an event uses the interned state");
        if let Some(data) = p.interned_data.as_ref() {
            for n in &data.event_names {
                assert!(names.insert(n.iid(), n.name().to_owned()).is_none());
            }
            for c in &data.event_categories {
                assert!(categories.insert(c.iid(), c.name().to_owned()).is_none());
            }
        }
        let e = p.track_event();
        let ty = e.type_();
        let name = if ty == Type::TYPE_SLICE_END {
            String::new()
        } else {
            assert!(categories.contains_key(&e.category_iids[0]), "an interned category");
            names.get(&e.name_iid()).expect("an interned name").clone()
        };
        per_track.entry(e.track_uuid()).or_default().push((p.timestamp(), i, ty, name, e.debug_annotations.clone()));
    }
    let (_, pid, program) = process.expect("a process descriptor");
    assert_eq!(i64::from(pid), expected["pid"].as_i64().unwrap());
    assert_eq!(program, expected["program"].as_str().unwrap());
    for t in expected["threads"].as_array().unwrap() {
        assert!(threads.values().any(|n| n == t.as_str().unwrap()), "no track for thread {t}");
    }
    let mut slices = Vec::new();
    let (mut instants, mut exit_missing, mut entry_missing, mut async_slices) = (0, Vec::new(), Vec::new(), Vec::new());
    for (track, evs) in &mut per_track {
        let on_thread = threads.contains_key(track);
        assert!(on_thread || async_tracks.contains_key(track), "an event on an undescribed track");
        evs.sort_by_key(|e| (e.0, e.1));
        let mut stack: Vec<(String, u64)> = Vec::new();
        for (ts, _, ty, name, args) in evs.iter() {
            match ty {
                Type::TYPE_SLICE_BEGIN => {
                    if arg(args, "ttlog.entry").is_some_and(|a| a.string_value() == "missing") {
                        entry_missing.push(name.clone());
                    }
                    stack.push((name.clone(), *ts));
                }
                Type::TYPE_SLICE_END => {
                    let (name, begin) = stack.pop().expect("an end closes an open slice of its track");
                    if arg(args, "ttlog.exit").is_some_and(|a| a.string_value() == "missing") {
                        exit_missing.push(name.clone());
                    }
                    if !on_thread {
                        async_slices.push(name.clone());
                    }
                    slices.push(serde_json::json!([name, begin, ts]));
                }
                Type::TYPE_INSTANT => {
                    assert!(on_thread);
                    instants += 1;
                    if let Some(m) = arg(args, "message") {
                        assert!(m.has_string_value());
                    }
                }
                other => panic!("an event of type {other:?}"),
            }
        }
        assert!(stack.is_empty(), "slices left open on a track: {stack:?}");
    }
    for c in expected["calls"].as_array().unwrap() {
        assert!(slices.contains(c), "no slice for the call {c}");
    }
    assert_eq!(instants, expected["instants"].as_u64().unwrap());
    let list = |v: &Json| v.as_array().unwrap().iter().map(|s| s.as_str().unwrap().to_owned()).collect::<Vec<_>>();
    exit_missing.sort();
    entry_missing.sort();
    async_slices.sort();
    assert_eq!(exit_missing, list(&expected["exit_missing"]));
    assert_eq!(entry_missing, list(&expected["entry_missing"]));
    assert_eq!(async_slices, list(&expected["async"]));
    // A typed argument of a plain event.
    let typed = per_track.values().flatten().find_map(|e| arg(&e.4, "ratio").map(|a| a.has_double_value()));
    assert_eq!(typed, Some(true));
}
