//! One program that logs through all three: `log` (as a dependency would),
//! `tracing` (in a module of its own) and ttlog's own macros. One snapshot
//! holds every event, in the order they happened, each with its own target
//! and typed fields.

use std::sync::Once;
use tracing_subscriber::layer::SubscriberExt;
use ttlog_decode::render::line::{json_line, text_line};

/// Stands for a dependency that uses `log`.
mod legacy_db {
    pub fn query(table: &str, rows: u64) {
        log::info!(rows = rows; "query on {}", table);
    }
}

/// Code already written for `tracing`.
mod handlers {
    pub fn handle(id: u64) {
        let span = tracing::info_span!("handle", id);
        let _g = span.enter();
        tracing::info!(ok = true, "start");
        super::legacy_db::query("orders", id * 10);
        ttlog::info!("native inside the span n={}", id);
    }
}

fn setup() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        ttlog::bridge::log::init().unwrap();
        let subscriber = tracing_subscriber::registry().with(ttlog::bridge::tracing::layer());
        tracing::subscriber::set_global_default(subscriber).unwrap();
    });
}

#[test]
fn one_snapshot_in_order_with_typed_fields() {
    setup();
    std::thread::Builder::new()
        .name("all-three".into())
        .spawn(|| {
            for id in 1..=50 {
                handlers::handle(id);
            }
        })
        .unwrap()
        .join()
        .unwrap();
    let mut bytes = Vec::new();
    ttlog::snapshot("all three").write_to(&mut bytes).unwrap();
    let d = ttlog_decode::from_bytes(&bytes).unwrap();
    assert!(d.is_intact(), "{:?}", d.problems);
    let events: Vec<_> = d.events.iter().filter(|e| d.thread(e).is_some_and(|t| t.name == "all-three")).collect();
    assert_eq!(events.len(), 250);
    let mut last = 0;
    for (i, chunk) in events.chunks(5).enumerate() {
        let id = i as u64 + 1;
        let lines: Vec<String> = chunk.iter().map(|e| without_call_id(&text_line(&d, e))).collect();
        let targets: Vec<&str> = chunk.iter().map(|e| d.callsite(e).unwrap().target.as_str()).collect();
        let here = module_path!();
        assert_eq!(
            targets,
            [
                format!("{here}::handlers"),
                format!("{here}::handlers"),
                format!("{here}::legacy_db"),
                format!("{here}::handlers"),
                format!("{here}::handlers"),
            ],
            "{lines:#?}"
        );
        assert!(lines[0].ends_with(&format!("→ handle id={id}")), "{}", lines[0]);
        assert!(lines[1].ends_with("start ok=true"), "{}", lines[1]);
        assert!(lines[2].ends_with(&format!("query on orders rows={}", id * 10)), "{}", lines[2]);
        assert!(lines[3].ends_with(&format!("native inside the span n={id}")), "{}", lines[3]);
        assert!(lines[4].contains("← handle elapsed="), "{}", lines[4]);
        // Nesting: the span's events inside it, whatever API logged them.
        assert_eq!(chunk.iter().map(|e| e.depth).collect::<Vec<_>>(), [0, 1, 1, 1, 0], "{lines:#?}");
        let json: serde_json::Value = serde_json::from_str(&json_line(&d, chunk[2])).unwrap();
        assert_eq!(json["level"], "INFO", "{json}");
        for e in chunk {
            assert!(e.ticks >= last, "out of order: {lines:#?}");
            last = e.ticks;
        }
    }
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
