//! DROPS frames (continuous logs): a marker line with the count, at the place
//! of the loss, not counted as an event of the END frame.

#[path = "support/file.rs"]
mod file;

use ttlog::wire::{self, Drops};
use ttlog_decode::{Value, from_bytes};

fn drops_payload(thread: u32, ticks: u64, count: u64) -> Vec<u8> {
    let mut p = Vec::new();
    Drops { thread, ticks, count }.encode(&mut p);
    p
}

#[test]
fn a_drops_frame_is_a_marker_line_with_its_count() {
    let mut f = file::File::new();
    f.header();
    f.thread(0, "worker-1");
    f.frame(wire::kind::DROPS, &drops_payload(0, 5, 1397));
    f.end(0);
    let snap = from_bytes(&f.bytes).unwrap();
    assert!(snap.is_intact(), "{:?}", snap.problems);
    assert_eq!(snap.events.len(), 1);
    let e = &snap.events[0];
    assert_eq!(snap.args(e).into_iter().collect::<Vec<_>>(), [Value::U64(1397)]);
    let line = ttlog_decode::render::line::text_line(&snap, e);
    assert!(line.contains(" WARN [worker-1 "), "{line}");
    assert!(line.ends_with("ttlog: 1397 events dropped"), "{line}");
    assert_eq!(snap.threads[0].as_ref().unwrap().dropped, 1397);
}

#[test]
fn a_drops_frame_that_cannot_be_read_is_a_problem_not_an_event() {
    let mut f = file::File::new();
    f.header();
    f.thread(0, "worker-1");
    f.frame(wire::kind::DROPS, &[0x80]);
    f.end(0);
    let snap = from_bytes(&f.bytes).unwrap();
    assert!(snap.events.is_empty());
    assert!(snap.problems.iter().any(|p| p.message.contains("drops frame")), "{:?}", snap.problems);
}
