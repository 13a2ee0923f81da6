//! `log` records through `ttlog::bridge::log`: from several threads, with
//! literal and formatted messages, targets and typed key-values, into a
//! snapshot that the decoder renders as `log`'s own formatting would, with
//! the values typed.

use std::sync::Once;
use ttlog_decode::render::line::{json_line, text_line};
use ttlog_decode::render::message::message;
use ttlog_decode::{Snapshot, Value};

fn setup() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        ttlog::set_max_level(ttlog::LevelFilter::Debug);
        ttlog::bridge::log::init().expect("the first logger");
    });
}

fn decode(s: &ttlog::Snapshot) -> Snapshot {
    let mut bytes = Vec::new();
    s.write_to(&mut bytes).unwrap();
    let d = ttlog_decode::from_bytes(&bytes).unwrap();
    assert!(d.is_intact(), "{:?}", d.problems);
    d
}

struct Peer(u32);
impl std::fmt::Display for Peer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "peer#{}", self.0)
    }
}

#[test]
fn records_of_several_threads_decode_with_their_metadata_and_typed_fields() {
    setup();
    let threads: Vec<_> = (0..4u32)
        .map(|t| {
            std::thread::Builder::new()
                .name(format!("log-{t}"))
                .spawn(move || {
                    for i in 0..300u64 {
                        log::info!(target: "app::db", "query {} took {} us on {}", i, i * 3, Peer(t));
                        log::warn!(user = "ann", attempt = i, ratio = 0.5, ok = true, big = -7i64; "login failed");
                        log::debug!("plain literal");
                        log::trace!("above the level: not recorded {}", i);
                    }
                })
                .unwrap()
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let d = decode(&ttlog::snapshot("bridge"));
    let mut per_thread = std::collections::HashMap::<String, [u64; 3]>::new();
    for e in &d.events {
        let th = d.thread(e).unwrap().name.clone();
        if !th.starts_with("log-") {
            continue;
        }
        let t: u32 = th[4..].parse().unwrap();
        let cs = d.callsite(e).unwrap();
        let msg = message(cs, d.args(e));
        let counts = per_thread.entry(th.clone()).or_default();
        match cs.level {
            ttlog::Level::Info => {
                let i = counts[0];
                assert_eq!(msg, format!("query {i} took {} us on peer#{t}", i * 3));
                assert_eq!(cs.target, "app::db");
                assert!(cs.file.ends_with("bridge_log.rs"), "{}", cs.file);
                counts[0] += 1;
            }
            ttlog::Level::Warn => {
                let i = counts[1];
                assert_eq!(msg, "login failed");
                assert_eq!(cs.target, module_path!());
                let vals: Vec<Value<'_>> = d.args(e).into_iter().collect();
                let names: Vec<&str> = cs.args.iter().map(|a| a.name.as_str()).collect();
                assert_eq!(names, ["user", "attempt", "ratio", "ok", "big"]);
                assert!(matches!(vals[0], Value::Str(ref s) if s.text == "ann"), "{vals:?}");
                assert!(matches!(vals[1], Value::U64(n) if n == i), "{vals:?}");
                assert!(matches!(vals[2], Value::F64(x) if x == 0.5), "{vals:?}");
                assert!(matches!(vals[3], Value::Bool(true)), "{vals:?}");
                assert!(matches!(vals[4], Value::I64(-7)), "{vals:?}");
                let line = text_line(&d, e);
                assert!(
                    line.ends_with(&format!("login failed user=ann attempt={i} ratio=0.5 ok=true big=-7")),
                    "{line}"
                );
                let json: serde_json::Value = serde_json::from_str(&json_line(&d, e)).unwrap();
                assert_eq!(json["level"], "WARN", "{json}");
                counts[1] += 1;
            }
            ttlog::Level::Debug => {
                assert_eq!(msg, "plain literal");
                // A literal message is the callsite's text: no bytes of it in the event.
                assert_eq!(d.args(e).into_iter().count(), 0);
                counts[2] += 1;
            }
            other => panic!("a {other:?} event: {msg}"),
        }
    }
    assert_eq!(per_thread.len(), 4, "{per_thread:?}");
    for (name, counts) in &per_thread {
        let th = d.threads.iter().flatten().find(|t| &t.name == name).unwrap();
        assert_eq!(th.recorded + th.overwritten + th.evicted + th.dropped, 900, "{name}");
        assert_eq!(counts.iter().sum::<u64>(), th.recorded, "{name}");
        if th.overwritten == 0 {
            assert_eq!(*counts, [300, 300, 300], "{name}");
        }
    }
}

#[test]
fn the_log_crate_follows_ttlogs_level() {
    setup();
    // Other tests of this binary set Debug; this one moves it and back.
    ttlog::set_max_level(ttlog::LevelFilter::Warn);
    assert_eq!(log::max_level(), log::LevelFilter::Warn);
    assert!(!log::log_enabled!(log::Level::Info));
    ttlog::set_max_level(ttlog::LevelFilter::Debug);
    assert_eq!(log::max_level(), log::LevelFilter::Debug);
}
