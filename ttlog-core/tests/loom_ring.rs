//! Model tests of the ring buffer's publish/copy protocol with loom: every
//! interleaving (up to a preemption bound) of one writer that laps a tiny ring
//! and one reader that copies it, and of an owner that waits in `Block` mode
//! for a drainer that copies its ring as the continuous writer does.
//!
//! ```text
//! RUSTFLAGS="--cfg ttlog_loom" LOOM_MAX_PREEMPTIONS=3 \
//!     cargo test --release -p ttlog-core --test loom_ring
//! ```
//!
//! The test compiles the production files into itself: `sync.rs` (which
//! resolves to loom's atomics here), `buffer.rs` (the rings, their blocks and
//! reservations, the copy protocol, taking a block from another ring),
//! `write/record_writer.rs` (how the write path stores a record) and
//! `wire/record.rs` (the layout). A record is written exactly as the write
//! path writes one: a reservation (`reserve`, which opens the next block with
//! a block that the test's "registry" gives, or the ring's own oldest),
//! `put_record`, `commit`. Under loom, blocks are 64 bytes: a block holds
//! three 16-byte records after its header word, then a pad word.
#![cfg(ttlog_loom)]

#[path = "../src/sync.rs"]
mod sync;

#[path = "../src/wire/record.rs"]
#[allow(dead_code)] // The model writes records; it does not decode their types.
mod record;

/// `buffer.rs` and `record_writer.rs` find the record layout at
/// `crate::wire::record`.
mod wire {
    pub(crate) use super::record;
}

#[path = "../src/buffer.rs"]
#[allow(dead_code)] // The model uses the writer and reader halves, not every helper.
mod buffer;

#[path = "../src/write/record_writer.rs"]
#[allow(dead_code)] // The model stores whole words, not every kind of argument.
mod record_writer;

use buffer::{Block, Cursor, Ring, RingCopy, RingWriter};
use loom::thread;
use record::RECORD_HEADER;
use record_writer::put_record;

/// The tests of this file one at a time: the `Block`-mode test sets the
/// process-wide [`buffer::BLOCKING_WRITER`], which would make the owners of
/// the other tests wait for a drainer they do not have.
fn one_at_a_time() -> std::sync::MutexGuard<'static, ()> {
    static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

/// The callsite id record `i` of owner `owner` carries, so that header and
/// timestamp of one record can be checked against each other, and a record of
/// another owner told apart.
fn id_of(owner: u64, i: u64) -> u32 {
    (owner * 1000 + i % 1000) as u32
}

/// A new ring of `cap` blocks owned by `owner`, with its first block, and a
/// cursor at its start.
fn ring(cap: usize, owner: u64) -> (&'static Ring, RingWriter, Cursor) {
    let ring: &'static Ring = Box::leak(Box::new(Ring::new(cap)));
    let w = ring.start_owner(owner, Some(Block::leak())).expect("a writer");
    let cur = Cursor::new();
    cur.restart(8);
    (ring, w, cur)
}

/// Writes record `i` with the write path's own steps: a header whose id
/// encodes the owner and `i`, a timestamp word of `i`. When the open block is
/// full, the next block is `given()` (a new or taken block), or the ring's own
/// oldest.
fn write(
    w: RingWriter,
    cur: &Cursor,
    owner: u64,
    i: u64,
    given: &mut dyn FnMut() -> Option<&'static Block>,
) -> RingWriter {
    let (w, res) = w.reserve(cur, RECORD_HEADER, &mut |_| given());
    let res = res.expect("a record shorter than a block");
    let n = put_record(&res, id_of(owner, i), i, &[], |_| {}).expect("the record fits its reservation");
    w.commit(cur, res, n);
    w
}

/// Checks a copy of `owner`'s ring: every record intact and the owner's, the
/// sequence contiguous, and at most `written` records.
fn check(copy: &RingCopy, owner: u64, written: u64) {
    let walk = copy.walk();
    assert_eq!(walk.malformed, 0, "malformed record in a copy");
    for (k, r) in copy.records().enumerate() {
        let i = r.words[1];
        assert_eq!(r.words[0] as u32, id_of(owner, i), "torn or foreign record: header and timestamp of {i} disagree");
        assert_eq!(i, walk.first_seq + k as u64, "gap or duplicate in the sequence");
    }
    assert!(walk.first_seq + walk.count <= written);
}

#[test]
fn a_copy_never_holds_a_torn_record() {
    // A ring of two blocks that grows to two, then reuses its oldest: eight
    // records cross every block boundary and lap the ring.
    const N: u64 = 8;
    let _serial = one_at_a_time();
    loom::model(|| {
        let (ring, w, cur) = ring(2, 1);
        let writer = thread::spawn(move || {
            let mut w = w;
            for i in 0..N {
                w = write(w, &cur, 1, i, &mut || Some(Block::leak()));
            }
        });
        if let Some(copy) = ring.copy(1, usize::MAX) {
            check(&copy, 1, N);
        }
        writer.join().unwrap();
        // Quiescent: the last records are all there.
        let copy = ring.copy(1, usize::MAX).expect("no writer, a copy");
        check(&copy, 1, N);
        let walk = copy.walk();
        assert_eq!(walk.first_seq + walk.count, N);
        assert!(walk.count >= 2);
    });
}

#[test]
fn a_copy_after_some_writes_sees_them() {
    // A write that happened before the copy started (joined) is always seen.
    let _serial = one_at_a_time();
    loom::model(|| {
        let (ring, mut w, cur) = ring(2, 1);
        for i in 0..2 {
            w = write(w, &cur, 1, i, &mut || None);
        }
        let writer = thread::spawn(move || {
            let mut w = w;
            for i in 2..4 {
                w = write(w, &cur, 1, i, &mut || Some(Block::leak()));
            }
        });
        let copy = ring.copy(1, usize::MAX).expect("two more records cannot lap the copy");
        check(&copy, 1, 4);
        let walk = copy.walk();
        // Records 0 and 1 were published before the copy began: present, or
        // counted as overwritten.
        assert!(walk.first_seq + walk.count >= 2);
        writer.join().unwrap();
    });
}

#[test]
fn a_block_taken_by_another_thread_is_never_copied_with_its_data() {
    // Ring 1 holds two blocks (records 0..5). Another thread takes its oldest
    // block and writes its own record into it; meanwhile a reader copies ring
    // 1. The copy never holds the other thread's record, and when the evicted
    // count reads the same before and after, the counts add up.
    let _serial = one_at_a_time();
    loom::model(|| {
        let (ring1, mut w, cur) = ring(2, 1);
        for i in 0..5 {
            w = write(w, &cur, 1, i, &mut || Some(Block::leak()));
        }
        assert_eq!(ring1.count(), 2);
        let thief = thread::spawn(move || {
            let (block, events) = ring1.take_oldest().expect("two blocks");
            assert_eq!(events, 3);
            let (_, w2, cur2) = ring(2, 2);
            // Its first block is full after three records; the fourth goes to
            // the taken block.
            let mut w2 = w2;
            let mut taken = Some(block);
            for i in 0..4 {
                w2 = write(w2, &cur2, 2, i, &mut || taken.take());
            }
        });
        // `None` when the block was being taken: a capture tries again.
        if let Some(copy) = ring1.copy(1, usize::MAX) {
            check(&copy, 1, 5);
            let walk = copy.walk();
            // One moment: recorded + overwritten + evicted = 5, overwritten 0.
            assert_eq!(walk.first_seq + walk.count, 5);
            assert_eq!(walk.first_seq, copy.evicted, "the events before the copy are the evicted ones");
        }
        thief.join().unwrap();
        let walk = ring1.copy(1, usize::MAX).expect("a copy").walk();
        assert_eq!((walk.first_seq, walk.count, ring1.evicted()), (3, 2, 3));
    });
}

#[test]
fn the_owner_and_a_thief_agree_on_the_oldest_block() {
    // The owner fills its two-block ring and reuses its oldest while another
    // thread takes the oldest: every event ends up recorded, overwritten or
    // evicted, exactly once.
    let _serial = one_at_a_time();
    loom::model(|| {
        let (ring1, mut w, cur) = ring(2, 1);
        for i in 0..4 {
            w = write(w, &cur, 1, i, &mut || Some(Block::leak()));
        }
        let thief = thread::spawn(move || ring1.take_oldest().map(|(_, events)| events));
        let mut w = w;
        for i in 4..7 {
            w = write(w, &cur, 1, i, &mut || None);
        }
        let _ = w;
        let taken = thief.join().unwrap();
        let walk = ring1.copy(1, usize::MAX).expect("a copy").walk();
        let evicted = ring1.evicted();
        assert_eq!(taken.unwrap_or(0), evicted);
        assert!(walk.first_seq >= evicted);
        assert_eq!(walk.first_seq + walk.count, 7, "evicted {evicted}, {walk:?}");
    });
}

/// Makes this process the `Block`-mode writer (the drainer of the tests
/// stands for it) until the guard is dropped, however the test ends.
fn blocking_writer() -> impl Drop {
    struct NoWriter;
    impl Drop for NoWriter {
        fn drop(&mut self) {
            buffer::BLOCKING_WRITER.store(0, std::sync::atomic::Ordering::Relaxed);
        }
    }
    buffer::BLOCKING_WRITER.store(std::process::id(), std::sync::atomic::Ordering::Relaxed);
    NoWriter
}

#[test]
fn in_block_mode_the_owner_waits_for_the_drain_and_no_event_is_lost() {
    // The continuous writer's `Block` mode: the owner fills its one-block ring
    // and must reuse that block for its fourth record; a drainer copies the ring as the
    // continuous writer does (a copy, the records from the first it has not
    // taken, then `set_drained`). Every event reaches the drainer exactly
    // once, in order: the owner never overwrites a block before it is drained.
    const N: u64 = 4;
    let _serial = one_at_a_time();
    let _writer = blocking_writer();
    loom::model(|| {
        let (ring, w, cur) = ring(1, 1);
        let writer = thread::spawn(move || {
            let mut w = w;
            for i in 0..N {
                w = write(w, &cur, 1, i, &mut || None);
            }
        });
        let mut next = 0;
        while next < N {
            if let Some(copy) = ring.copy(1, usize::MAX) {
                check(&copy, 1, N);
                let walk = copy.walk();
                assert!(
                    walk.first_seq <= next,
                    "event {next} was lost before it was drained: the copy starts at {}",
                    walk.first_seq
                );
                let end = walk.first_seq + walk.count;
                if end > next {
                    next = end;
                    ring.set_drained(1, next, 0);
                    continue;
                }
            }
            loom::thread::yield_now();
        }
        writer.join().unwrap();
        assert_eq!(next, N);
    });
}

#[test]
fn in_block_mode_a_drain_a_block_at_a_time_loses_no_event() {
    // The continuous writer's chunked drain: a two-block ring, seven events
    // (the seventh reuses block 0), and a drainer that copies one block at a
    // time from the block where its last copy ended (`copy_from`, as the
    // writer does) and releases what each copy held at once. The owner may
    // reuse block 0 while the drainer is still to copy block 1: every event
    // still reaches the drainer exactly once, in order.
    const N: u64 = 7;
    let _serial = one_at_a_time();
    let _writer = blocking_writer();
    // The owner's wait at a block switch and the drainer's look for new
    // events are spins: more branches than loom's default bound.
    let mut model = loom::model::Builder::new();
    model.max_branches = 20_000;
    model.check(|| {
        let (ring, w, cur) = ring(2, 1);
        let writer = thread::spawn(move || {
            let mut w = w;
            for i in 0..N {
                w = write(w, &cur, 1, i, &mut || Some(Block::leak()));
            }
        });
        let (mut next, mut from) = (0, 0);
        while next < N {
            if let Some(copy) = ring.copy_from(1, from, 1, Vec::new()) {
                check(&copy, 1, N);
                assert!(copy.words.len() <= buffer::BLOCK_WORDS, "a copy of one block holds more");
                let walk = copy.walk();
                assert!(
                    walk.first_seq <= next,
                    "event {next} was lost before it was drained: the copy starts at {}",
                    walk.first_seq
                );
                // The next copy starts at the block where this one ended,
                // whether or not it held new events.
                let moved = copy.end / buffer::BLOCK > from;
                if copy.end > 0 {
                    from = copy.end / buffer::BLOCK;
                }
                let end = walk.first_seq + walk.count;
                if end > next {
                    next = end;
                    ring.set_drained(1, next, copy.end);
                    continue;
                }
                if moved {
                    continue;
                }
            }
            loom::thread::yield_now();
        }
        writer.join().unwrap();
        assert_eq!(next, N);
    });
}
