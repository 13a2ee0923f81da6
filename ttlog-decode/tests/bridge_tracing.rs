//! `tracing` events and spans through `ttlog::bridge::tracing::layer()`:
//! fields typed, spans as calls that the decoder pairs and nests, from
//! several threads.

use std::sync::Once;
use tracing_subscriber::layer::SubscriberExt;
use ttlog_decode::render::line::{json_line, text_line};
use ttlog_decode::{Snapshot, Value};

fn setup() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        ttlog::set_max_level(ttlog::LevelFilter::Debug);
        let subscriber = tracing_subscriber::registry().with(ttlog::bridge::tracing::layer());
        tracing::subscriber::set_global_default(subscriber).expect("the first subscriber");
    });
}

fn decode(s: &ttlog::Snapshot) -> Snapshot {
    let mut bytes = Vec::new();
    s.write_to(&mut bytes).unwrap();
    let d = ttlog_decode::from_bytes(&bytes).unwrap();
    assert!(d.is_intact(), "{:?}", d.problems);
    d
}

#[derive(Debug)]
#[allow(dead_code)] // read through Debug
struct Order {
    id: u32,
    items: Vec<&'static str>,
}

fn handle(t: u64, i: u64) {
    let span = tracing::info_span!("request", thread = t, n = i, path = "/orders");
    let _g = span.enter();
    tracing::info!(user = "ann", took_us = i * 3, ratio = 0.25, ok = true, delta = -5i64, "handled {}", i);
    {
        let db = tracing::debug_span!("db_query", table = "orders");
        let _g = db.enter();
        tracing::warn!(order = ?Order { id: i as u32, items: vec!["a", "b"] }, "slow");
    }
    tracing::trace!("above the level");
}

#[test]
fn events_and_spans_of_several_threads() {
    setup();
    let threads: Vec<_> = (0..3u64)
        .map(|t| {
            std::thread::Builder::new()
                .name(format!("tr-{t}"))
                .spawn(move || {
                    for i in 0..100 {
                        handle(t, i);
                    }
                })
                .unwrap()
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let d = decode(&ttlog::snapshot("tracing bridge"));
    let mut seen = 0;
    for t in 0..3u64 {
        let name = format!("tr-{t}");
        let events: Vec<_> = d.events.iter().filter(|e| d.thread(e).is_some_and(|th| th.name == name)).collect();
        let th = d.threads.iter().flatten().find(|th| th.name == name).unwrap();
        assert_eq!(th.overwritten + th.evicted + th.dropped, 0, "{name}: the test expects the whole run in the ring");
        // Per call of `handle`: enter request, info, enter db, warn, exit db, exit request.
        assert_eq!(events.len(), 600, "{name}");
        for (i, chunk) in events.chunks(6).enumerate() {
            let lines: Vec<String> = chunk.iter().map(|e| without_call_id(&text_line(&d, e))).collect();
            let i = i as u64;
            assert!(lines[0].ends_with(&format!("→ request thread={t} n={i} path=/orders")), "{}", lines[0]);
            assert!(
                lines[1].ends_with(&format!("handled {i} user=ann took_us={} ratio=0.25 ok=true delta=-5", i * 3)),
                "{}",
                lines[1]
            );
            assert!(lines[2].ends_with("→ db_query table=orders"), "{}", lines[2]);
            assert!(
                lines[3].ends_with(&format!("slow order=Order {{ id: {i}, items: [\"a\", \"b\"] }}")),
                "{}",
                lines[3]
            );
            assert!(lines[4].contains("← db_query elapsed="), "{}", lines[4]);
            assert!(lines[5].contains("← request elapsed="), "{}", lines[5]);
            let depths: Vec<u32> = chunk.iter().map(|e| e.depth).collect();
            assert_eq!(depths, [0, 1, 1, 2, 1, 0], "{lines:#?}");
            let entry = chunk[0].call.unwrap();
            let exit = chunk[5].call.unwrap();
            assert_eq!(entry.id, exit.id);
            assert!(exit.elapsed_ns.is_some(), "{lines:#?}");
            // Typed fields.
            let vals: Vec<Value<'_>> = d.args(chunk[1]).into_iter().collect();
            assert!(matches!(vals[2], Value::U64(n) if n == i * 3), "{vals:?}");
            assert!(matches!(vals[3], Value::F64(x) if x == 0.25), "{vals:?}");
            assert!(matches!(vals[4], Value::Bool(true)), "{vals:?}");
            assert!(matches!(vals[5], Value::I64(-5)), "{vals:?}");
            let json: serde_json::Value = serde_json::from_str(&json_line(&d, chunk[3])).unwrap();
            assert_eq!(json["level"], "WARN", "{json}");
            seen += 1;
        }
    }
    assert_eq!(seen, 300);
}

/// The line without the call id that entry and exit lines show after the
/// name (` #3.7`), which the checks do not predict.
fn without_call_id(line: &str) -> String {
    let words: Vec<&str> = line
        .split(' ')
        .filter(|w| !(w.starts_with('#') && w[1..].split('.').all(|n| n.parse::<u64>().is_ok())))
        .collect();
    words.join(" ")
}
