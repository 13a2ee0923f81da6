//! `#[ttlog]` as people meet it: arguments whose types are not `Debug`,
//! methods named with their type, typed values in JSON, call ids in text.
//! Each test runs its calls on a thread of its own, takes a real snapshot and
//! reads that thread's events through the real decoder.

use std::sync::Once;
use ttlog::ttlog;

fn setup() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| ttlog::set_max_level(ttlog::LevelFilter::Trace));
}

/// Runs `f` on a thread named `name`; its events as (text from the target on,
/// JSON line).
fn run(name: &str, f: impl FnOnce() + Send + 'static) -> Vec<(String, serde_json::Value)> {
    setup();
    std::thread::Builder::new().name(name.into()).spawn(f).unwrap().join().unwrap();
    let bytes = ttlog::snapshot("names").to_bytes();
    let snap = ttlog_decode::from_bytes(&bytes).unwrap();
    snap.events
        .iter()
        .filter(|e| snap.thread(e).is_some_and(|t| t.name == name))
        .map(|e| {
            let text = ttlog_decode::render::line::text_line(&snap, e);
            let from_target = text.split_once("] ").unwrap().1.trim_start().to_owned();
            let json = serde_json::from_str(&ttlog_decode::render::line::json_line(&snap, e)).unwrap();
            (from_target, json)
        })
        .collect()
}

/// Drops ` #<call id>` and ` elapsed=...` so that lines compare exactly.
fn plain(line: &str) -> String {
    line.split(' ').filter(|w| !w.starts_with('#') && !w.starts_with("elapsed=")).collect::<Vec<_>>().join(" ")
}

/// A type without `Debug`.
struct Db {
    rows: u32,
}

impl Db {
    #[ttlog]
    fn load(&self, id: u64) -> u32 {
        self.rows + id as u32
    }
}

#[ttlog]
fn consume(items: impl Iterator<Item = u8>, label: &str) -> usize {
    items.count() + label.len()
}

#[ttlog]
fn generic<T>(value: T, shown: u8) -> u8 {
    drop(value);
    shown
}

#[test]
fn arguments_that_are_not_debug_are_recorded_by_their_type_name() {
    let evs = run("not-debug", || {
        Db { rows: 2 }.load(40);
        consume([1u8, 2].into_iter(), "ab");
        generic(Db { rows: 0 }, 7);
        generic(vec![1u8], 8);
    });
    let lines: Vec<String> = evs.iter().map(|(t, _)| plain(t)).collect();
    let db = "instrumented_names::Db";
    assert_eq!(lines[0], format!("instrumented_names: → instrumented_names::Db::load self=<{db}> id=40"));
    assert!(
        lines[2].starts_with(
            "instrumented_names: → instrumented_names::consume items=<core::array::iter::IntoIter<u8, 2>> label=\"ab\""
        ),
        "{}",
        lines[2]
    );
    assert_eq!(lines[4], format!("instrumented_names: → instrumented_names::generic value=<{db}> shown=7"));
    assert_eq!(lines[6], "instrumented_names: → instrumented_names::generic value=<alloc::vec::Vec<u8>> shown=8");
}

trait Greet {
    fn greet(&self, n: u8) -> u8;
    #[ttlog]
    fn default_greet(&self) -> u8 {
        self.greet(1)
    }
}

impl Greet for Db {
    #[ttlog]
    fn greet(&self, n: u8) -> u8 {
        n
    }
}

struct Wrapper<T>(T);

impl<T> Wrapper<T> {
    #[ttlog(skip(self))]
    fn get(&self) -> &T {
        &self.0
    }
}

mod inner {
    #[ttlog::ttlog]
    pub async fn fetch(n: u8) -> u8 {
        n
    }

    #[ttlog::ttlog(name = "custom")]
    pub fn named() {}
}

/// Polls `fut` to completion: it never waits.
fn block_on<F: std::future::Future>(fut: F) -> F::Output {
    let mut fut = std::pin::pin!(fut);
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    loop {
        if let std::task::Poll::Ready(v) = fut.as_mut().poll(&mut cx) {
            return v;
        }
    }
}

#[test]
fn methods_are_named_with_their_type() {
    let evs = run("names", || {
        let db = Db { rows: 1 };
        db.greet(2);
        db.default_greet();
        Wrapper(3u8).get();
        block_on(inner::fetch(4));
        inner::named();
    });
    let entries: Vec<String> = evs
        .iter()
        .filter(|(_, j)| j["kind"] == "enter")
        .map(|(_, j)| j["message"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        entries,
        [
            "<instrumented_names::Db as instrumented_names::Greet>::greet",
            "instrumented_names::Greet::default_greet",
            "<instrumented_names::Db as instrumented_names::Greet>::greet",
            "instrumented_names::Wrapper<_>::get",
            "instrumented_names::inner::fetch",
            "custom",
        ]
    );
    // The text line names them the same way, entry and exit.
    let (text, _) = &evs[0];
    assert!(
        text.starts_with("instrumented_names: → <instrumented_names::Db as instrumented_names::Greet>::greet"),
        "{text}"
    );
}

#[test]
fn tracing_syntax_fields_before_the_message() {
    let evs = run("tracing-syntax", || {
        let user = "ana";
        let attempt = 3u8;
        let db = Some(2u8);
        ttlog::info!(user = user, "login");
        ttlog::warn!(target: "audit", user, ?db, %attempt, "retry {}", attempt + 1);
        ttlog::debug!(code = 7u16, ok = true);
        ttlog::info!(shard = 2u8, "late {}", 1u8, extra = ?db);
    });
    let lines: Vec<&str> = evs.iter().map(|(t, _)| t.as_str()).collect();
    assert_eq!(
        lines,
        [
            "instrumented_names: login user=ana",
            "audit: retry 4 user=ana db=Some(2) attempt=3",
            "instrumented_names: code=7 ok=true",
            "instrumented_names: late 1 extra=Some(2) shard=2",
        ]
    );
    let fields = &evs[1].1["fields"];
    assert_eq!(fields["user"], "ana");
    assert_eq!(fields["attempt"], 3);
    assert_eq!(evs[2].1["fields"]["ok"], true);
}
