//! `#[ttlog]` and the runtime level filter. One test, in a process of its own,
//! since it changes the global maximum level.

use std::sync::atomic::{AtomicU32, Ordering};
use ttlog::callsite::{CallsiteKind, Outcome};
use ttlog::{LevelFilter, ttlog};

static EVALUATED: AtomicU32 = AtomicU32::new(0);

fn counted() -> u32 {
    EVALUATED.fetch_add(1, Ordering::Relaxed) + 1
}

#[ttlog(level = "debug", fields(n = counted()))]
fn debug_level(a: u32) -> u32 {
    a
}

#[ttlog(err)]
fn info_with_err(fail: bool) -> Result<(), String> {
    if fail { Err("broken".to_owned()) } else { Ok(()) }
}

#[ttlog(ret)]
fn turns_logging_off(a: u32) -> u32 {
    ttlog::set_max_level(LevelFilter::Off);
    a
}

/// (kind, call id, outcome, text from the level on) of this thread's events.
fn events(thread: &str) -> Vec<(CallsiteKind, u64, Option<Outcome>, String)> {
    let snap = ttlog_decode::from_bytes(&ttlog::snapshot("levels").to_bytes()).unwrap();
    snap.events
        .iter()
        .filter(|e| snap.thread(e).is_some_and(|t| t.name == thread))
        .map(|e| {
            let cs = snap.callsite(e).unwrap();
            let text = ttlog_decode::render::line::text_line(&snap, e);
            let (id, outcome) = e.call.map_or((0, None), |c| (c.id, c.outcome));
            (cs.kind, id, outcome, text.split_once(' ').unwrap().1.trim_start().to_owned())
        })
        .collect()
}

#[test]
fn levels_decide_what_is_recorded() {
    std::thread::Builder::new()
        .name("levels".into())
        .spawn(|| {
            ttlog::set_max_level(LevelFilter::Warn);
            // Below the level: nothing recorded, the fields not evaluated.
            debug_level(1);
            assert_eq!(EVALUATED.load(Ordering::Relaxed), 0);
            // An INFO function below the level: an `Err` is still recorded at
            // ERROR, as an exit without an entry.
            info_with_err(false).unwrap();
            info_with_err(true).unwrap_err();

            ttlog::set_max_level(LevelFilter::Debug);
            debug_level(2);
            assert_eq!(EVALUATED.load(Ordering::Relaxed), 1);
            // The exit of a call whose entry was recorded is recorded, even if
            // the level changed in between.
            turns_logging_off(3);
            debug_level(4);
            assert_eq!(EVALUATED.load(Ordering::Relaxed), 1);
        })
        .unwrap()
        .join()
        .unwrap();
    let evs = events("levels");
    let kinds: Vec<(CallsiteKind, Option<Outcome>)> = evs.iter().map(|e| (e.0, e.2)).collect();
    use CallsiteKind::{Enter, Exit};
    assert_eq!(
        kinds,
        [
            (Exit, Some(Outcome::Err)),
            (Enter, None),
            (Exit, Some(Outcome::Returned)),
            (Enter, None),
            (Exit, Some(Outcome::Returned)),
        ],
        "{evs:#?}"
    );
    assert_eq!(evs[0].1, 0, "no entry, no call id");
    assert!(
        evs[0].3.starts_with("ERROR ")
            && evs[0].3.ends_with("← instrumented_levels::info_with_err elapsed=? err=broken"),
        "{}",
        evs[0].3
    );
    let id = |i: usize| format!("#{}.{}", evs[i].1 >> 32, evs[i].1 & 0xFFFF_FFFF);
    assert!(evs[1].3.contains(&format!("→ instrumented_levels::debug_level {} a=2 n=1", id(1))), "{}", evs[1].3);
    assert_eq!(evs[1].1, evs[2].1);
    assert!(evs[3].3.contains(&format!("→ instrumented_levels::turns_logging_off {} a=3", id(3))), "{}", evs[3].3);
    assert_eq!(evs[3].1, evs[4].1);
    // With logging off, the value is not recorded, but the guard still closes
    // the call.
    assert!(!evs[4].3.contains("ret="), "{}", evs[4].3);
}
