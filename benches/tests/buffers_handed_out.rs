//! `ttlog::BufferStats::buffers_handed_out`, which the report's
//! concurrent-buffers figure is: a thread that gets a first block (a new one,
//! or one taken from an exited thread) is counted, a thread that gets none is
//! not. In its own process, so that no other test's threads take blocks
//! meanwhile.

use std::sync::{Arc, Barrier};
use std::thread;

const RING: usize = 16 << 10;

#[test]
fn counts_threads_given_a_first_block_and_not_threads_without_one() {
    ttlog::Builder::new().buffer_size(RING).memory_budget(2 * ttlog::BLOCK_BYTES).init().expect("configure ttlog");
    let s0 = ttlog::buffer_stats();

    // Two threads alive at once take the two blocks the budget allows; a
    // third, while they are alive and hold one block each, gets none.
    let logged = Arc::new(Barrier::new(3));
    let release = Arc::new(Barrier::new(3));
    let holders: Vec<_> = (0..2)
        .map(|_| {
            let (logged, release) = (Arc::clone(&logged), Arc::clone(&release));
            thread::spawn(move || {
                ttlog::info!("holding a ring");
                logged.wait();
                release.wait();
            })
        })
        .collect();
    logged.wait();
    thread::spawn(|| ttlog::info!("no ring left")).join().unwrap();
    let s1 = ttlog::buffer_stats();
    assert_eq!(s1.buffers_handed_out - s0.buffers_handed_out, 2, "{s1:?}");
    assert_eq!(s1.bufferless - s0.bufferless, 1, "{s1:?}");
    assert_eq!((s1.buffers, s1.blocks), (2, 2), "{s1:?}");

    // Both holders exit; three more threads, one after the other, each take
    // a block of a thread that exited.
    release.wait();
    for h in holders {
        h.join().unwrap();
    }
    for _ in 0..3 {
        thread::spawn(|| ttlog::info!("a reused ring")).join().unwrap();
    }
    let s2 = ttlog::buffer_stats();
    assert_eq!(s2.buffers_handed_out - s1.buffers_handed_out, 3, "{s2:?}");
    assert_eq!(s2.blocks, 2, "no new block: {s2:?}");
    assert!(s2.evicted_events > 0, "the blocks taken held events: {s2:?}");
}
