//! Model tests of the ring buffer's publish/copy protocol with loom: every
//! interleaving (up to a preemption bound) of one writer that laps a tiny ring
//! and one reader that copies it.
//!
//! ```text
//! RUSTFLAGS="--cfg ttlog_loom" LOOM_MAX_PREEMPTIONS=2 \
//!     cargo test --release -p ttlog --test loom_ring
//! ```
//!
//! The test compiles the real `buffer.rs` and `sync.rs` into itself, where
//! `sync` resolves to loom's atomics, blocks are 64 bytes and the smallest ring
//! has two of them.
#![cfg(ttlog_loom)]

#[path = "../src/sync.rs"]
mod sync;

#[path = "../src/wire/record.rs"]
#[allow(dead_code)] // The model writes records; it does not decode their types.
mod record;

/// `buffer.rs` finds the record layout at `crate::wire::record`.
mod wire {
    pub(crate) use super::record;
}

#[path = "../src/buffer.rs"]
#[allow(dead_code)] // The model uses the writer and reader halves, not every helper.
mod buffer;

use buffer::{Cursor, Ring, RingCopy, BLOCK, MIN_CAPACITY};
use record::{header_word, RECORD_HEADER};
use loom::sync::atomic::Ordering;
use loom::thread;

/// The callsite id record `i` carries, so that header and timestamp of one
/// record can be checked against each other.
fn id_of(i: u64) -> u32 {
    1 + (i % 1000) as u32
}

/// Writes record `i`: a header whose id encodes `i` and a timestamp word of `i`,
/// so a reader can tell a record torn between two writes.
fn write(ring: &'static Ring, cur: &mut Cursor, i: u64) {
    let w = ring.writer();
    let len = RECORD_HEADER;
    let at = w.reserve(cur, len);
    let p = w.word_ptr(at);
    // SAFETY: `reserve` made room for `len` bytes from `at` inside one block.
    unsafe {
        (*p.add(1)).store(i, Ordering::Relaxed);
        (*p).store(header_word(id_of(i), len / 8, 0), Ordering::Relaxed);
    }
    w.commit(cur, len);
}

/// Checks a copy: every record intact, sequence numbers contiguous, and the
/// count consistent with how many records the writer had published at most.
fn check(copy: &RingCopy, written_at_most: u64) {
    let walk = copy.walk();
    assert_eq!(walk.malformed, 0, "malformed record in a copy");
    for (k, r) in copy.records().enumerate() {
        let words = r.words;
        let i = words[1];
        assert_eq!(words[0] as u32, id_of(i), "torn record: header and timestamp of {i} disagree");
        assert_eq!(i, walk.first_seq + k as u64, "gap or duplicate in the sequence");
    }
    assert!(walk.first_seq + walk.count <= written_at_most);
}

fn leak_ring() -> &'static Ring {
    Box::leak(Box::new(Ring::new(MIN_CAPACITY)))
}

#[test]
fn a_copy_never_holds_a_torn_record() {
    // 2 blocks of 64 bytes, 16-byte records: three records per block after the
    // block header, then a pad word, so eight records lap the ring, cross every
    // block boundary, and put records after records within a block.
    assert_eq!(MIN_CAPACITY, 2 * BLOCK);
    const N: u64 = 8;
    loom::model(|| {
        let ring = leak_ring();
        let mut cur = ring.start_owner();
        let writer = thread::spawn(move || {
            for i in 0..N {
                write(ring, &mut cur, i);
            }
        });
        if let Some(copy) = ring.copy(0) {
            check(&copy, N);
        }
        writer.join().unwrap();
        // Quiescent: the last records are all there.
        let copy = ring.copy(0).expect("no writer, no lapping");
        check(&copy, N);
        let walk = copy.walk();
        assert_eq!(walk.first_seq + walk.count, N);
        assert!(walk.count >= 2);
    });
}

#[test]
fn a_copy_after_some_writes_sees_them() {
    // A write that happened before the copy started (joined) is always seen.
    loom::model(|| {
        let ring = leak_ring();
        let mut cur = ring.start_owner();
        for i in 0..2 {
            write(ring, &mut cur, i);
        }
        let writer = thread::spawn(move || {
            for i in 2..4 {
                write(ring, &mut cur, i);
            }
        });
        let copy = ring.copy(0).expect("two more records cannot lap the copy");
        check(&copy, 4);
        let walk = copy.walk();
        // Records 0 and 1 were published before the copy began: present, or
        // counted as overwritten.
        assert!(walk.first_seq + walk.count >= 2);
        writer.join().unwrap();
    });
}

#[test]
fn a_new_owner_is_never_mixed_with_the_old_one() {
    loom::model(|| {
        let ring = leak_ring();
        let mut cur = ring.start_owner();
        for i in 0..2 {
            write(ring, &mut cur, i);
        }
        let second = thread::spawn(move || {
            let mut cur = ring.start_owner();
            let start = cur.pos;
            for i in 0..2 {
                write(ring, &mut cur, i);
            }
            start
        });
        // A reader that only trusts data from the new owner's start on.
        let start = second.join().unwrap();
        let copy = ring.copy(start).unwrap();
        let walk = copy.walk();
        assert_eq!(walk.first_seq, 0);
        assert_eq!(walk.count, 2);
        check(&copy, 2);
    });
}
