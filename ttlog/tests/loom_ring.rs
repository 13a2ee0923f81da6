//! Model tests of the ring buffer's publish/copy protocol with loom: every
//! interleaving (up to a preemption bound) of one writer that laps a tiny ring
//! and one reader that copies it.
//!
//! ```text
//! RUSTFLAGS="--cfg ttlog_loom" LOOM_MAX_PREEMPTIONS=3 \
//!     cargo test --release -p ttlog --test loom_ring
//! ```
//!
//! The test compiles the production files into itself: `sync.rs` (which
//! resolves to loom's atomics here), `buffer.rs` (the ring, its reservations
//! and the copy protocol), `write/record_writer.rs` (how the write path stores
//! a record) and `wire/record.rs` (the layout). A record is written exactly as
//! the write path writes one: a reservation (`try_reserve`, else
//! `reserve_rest`, which opens the next block), `put_record`, `commit`. Under
//! loom, blocks are 64 bytes and the smallest ring has two of them.
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

use buffer::{BLOCK, Cursor, MIN_CAPACITY, Ring, RingCopy};
use loom::thread;
use record::RECORD_HEADER;
use record_writer::put_record;

/// The callsite id record `i` carries, so that header and timestamp of one
/// record can be checked against each other.
fn id_of(i: u64) -> u32 {
    1 + (i % 1000) as u32
}

/// Writes record `i` with the write path's own steps: a header whose id
/// encodes `i`, a timestamp word of `i` and, with `payload`, an argument word
/// of `!i`, so a reader can tell a record torn between two writes.
fn write_record(ring: &'static Ring, cur: &Cursor, i: u64, payload: bool) {
    let w = ring.writer();
    let len = RECORD_HEADER + if payload { 8 } else { 0 };
    let res = match w.try_reserve(cur.pos.get(), len) {
        Some(res) => res,
        None => w.reserve_rest(cur, len).expect("a record shorter than a block"),
    };
    let n = put_record(&res, id_of(i), i, &[], |rw| {
        if payload {
            rw.put_le(!i as u128, 8);
        }
    })
    .expect("the record fits its reservation");
    w.commit(cur, res, n);
}

fn write(ring: &'static Ring, cur: &Cursor, i: u64) {
    write_record(ring, cur, i, false);
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
        if let Some(&arg) = words.get(2) {
            assert_eq!(arg, !i, "torn record: timestamp and argument of {i} disagree");
        }
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
        let cur = Cursor::at(ring.start_owner());
        let writer = thread::spawn(move || {
            for i in 0..N {
                write(ring, &cur, i);
            }
        });
        if let Some(copy) = ring.copy(0, usize::MAX) {
            check(&copy, N);
        }
        writer.join().unwrap();
        // Quiescent: the last records are all there.
        let copy = ring.copy(0, usize::MAX).expect("no writer, no lapping");
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
        let cur = Cursor::at(ring.start_owner());
        for i in 0..2 {
            write(ring, &cur, i);
        }
        let writer = thread::spawn(move || {
            for i in 2..4 {
                write(ring, &cur, i);
            }
        });
        let copy = ring.copy(0, usize::MAX).expect("two more records cannot lap the copy");
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
        let cur = Cursor::at(ring.start_owner());
        for i in 0..2 {
            write(ring, &cur, i);
        }
        let second = thread::spawn(move || {
            let start = ring.start_owner();
            let cur = Cursor::at(start);
            for i in 0..2 {
                write(ring, &cur, i);
            }
            start
        });
        // A reader that only trusts data from the new owner's start on.
        let start = second.join().unwrap();
        let copy = ring.copy(start, usize::MAX).unwrap();
        let walk = copy.walk();
        assert_eq!(walk.first_seq, 0);
        assert_eq!(walk.count, 2);
        check(&copy, 2);
    });
}

#[test]
fn records_with_arguments_are_never_torn() {
    // 24-byte records (header, timestamp, one argument word): two per 64-byte
    // block, then a pad word, so that five records lap the two-block ring.
    const N: u64 = 5;
    loom::model(|| {
        let ring = leak_ring();
        let cur = Cursor::at(ring.start_owner());
        let writer = thread::spawn(move || {
            for i in 0..N {
                write_record(ring, &cur, i, true);
            }
        });
        if let Some(copy) = ring.copy(0, usize::MAX) {
            check(&copy, N);
        }
        writer.join().unwrap();
        let copy = ring.copy(0, usize::MAX).expect("no writer, no lapping");
        check(&copy, N);
        assert_eq!(copy.walk().first_seq + copy.walk().count, N);
    });
}
