//! RING frames (what crash snapshots write) made by hand with hostile
//! contents: block sizes, block and record lengths, type tags that do not
//! match the bytes, threads and callsites that are not there, truncation, and
//! records made to copy a large callsite once each. Every file decodes
//! without a panic, reports what it skipped with the offset where it starts,
//! and keeps every intact record.

#[path = "support/file.rs"]
mod file;
#[path = "support/rng.rs"]
mod rng;

use file::{Block, File, str_arg, u64_arg};
use rng::Rng;
use ttlog::Level;
use ttlog::callsite::{ArgMeta, ArgRole, ArgType, Callsite, CallsiteKind, Piece, Spec};
use ttlog::wire::{self, record};
use ttlog_decode::render::message::message;
use ttlog_decode::{Problem, Snapshot, from_bytes};

const ONE_ARG: &[ArgMeta] = &[ArgMeta { name: "v", role: ArgRole::Positional, specs: &[Spec::DISPLAY] }];

static VALUE: Callsite = Callsite {
    level: Level::Info,
    kind: CallsiteKind::Event,
    name: "ring",
    target: "ring",
    file: "tests/ring.rs",
    line: 1,
    path: None,
    pieces: &[Piece::Lit("value "), Piece::Arg { arg: 0, slot: 0 }],
    args: ONE_ARG,
};

static PAIR: Callsite = Callsite {
    level: Level::Warn,
    kind: CallsiteKind::Event,
    name: "ring",
    target: "ring",
    file: "tests/ring.rs",
    line: 2,
    path: None,
    pieces: &[Piece::Lit("pair "), Piece::Arg { arg: 0, slot: 0 }, Piece::Lit(" "), Piece::Arg { arg: 1, slot: 0 }],
    args: &[
        ArgMeta { name: "a", role: ArgRole::Positional, specs: &[Spec::DISPLAY] },
        ArgMeta { name: "b", role: ArgRole::Positional, specs: &[Spec::DISPLAY] },
    ],
};

static TEXT: Callsite = Callsite {
    level: Level::Info,
    kind: CallsiteKind::Event,
    name: "ring",
    target: "ring",
    file: "tests/ring.rs",
    line: 3,
    path: None,
    pieces: &[Piece::Lit("text "), Piece::Arg { arg: 0, slot: 0 }],
    args: ONE_ARG,
};

/// Seven arguments: the types of the last two are in an extension word.
static SEVEN: Callsite = Callsite {
    level: Level::Info,
    kind: CallsiteKind::Event,
    name: "ring",
    target: "ring",
    file: "tests/ring.rs",
    line: 4,
    path: None,
    pieces: &[Piece::Lit("seven "), Piece::Arg { arg: 6, slot: 0 }],
    args: &[
        ArgMeta { name: "a", role: ArgRole::Positional, specs: &[Spec::DISPLAY] },
        ArgMeta { name: "b", role: ArgRole::Positional, specs: &[Spec::DISPLAY] },
        ArgMeta { name: "c", role: ArgRole::Positional, specs: &[Spec::DISPLAY] },
        ArgMeta { name: "d", role: ArgRole::Positional, specs: &[Spec::DISPLAY] },
        ArgMeta { name: "e", role: ArgRole::Positional, specs: &[Spec::DISPLAY] },
        ArgMeta { name: "f", role: ArgRole::Positional, specs: &[Spec::DISPLAY] },
        ArgMeta { name: "g", role: ArgRole::Positional, specs: &[Spec::DISPLAY] },
    ],
};

const ID_VALUE: u32 = 10;
const ID_PAIR: u32 = 11;
const ID_TEXT: u32 = 12;
const ID_SEVEN: u32 = 13;

/// Words in the blocks of these tests (4 KiB, as the runtime writes them).
const BLOCK: usize = 512;

/// A file with the header, the static callsites and threads 0 and 1, ready
/// for RING frames.
fn file() -> File {
    let mut f = File::new();
    f.header();
    f.static_callsite(ID_VALUE, &VALUE);
    f.static_callsite(ID_PAIR, &PAIR);
    f.static_callsite(ID_TEXT, &TEXT);
    f.static_callsite(ID_SEVEN, &SEVEN);
    f.thread(0, "t0");
    f.thread(1, "t1");
    f
}

/// A block of `value {v}` records.
fn values(vs: &[u64]) -> Block {
    let mut b = Block::new(BLOCK);
    for &v in vs {
        b.record(ID_VALUE, 1000 + v, &[ArgType::U64], &u64_arg(v));
    }
    b
}

/// The messages of the decoded events, in time order.
fn messages(snap: &Snapshot) -> Vec<String> {
    snap.events.iter().map(|e| snap.callsite(e).map_or_else(|| "?".to_owned(), |c| message(c, snap.args(e)))).collect()
}

/// Decodes `bytes`, which must have a valid preamble; every event renders as
/// a text and a JSON line.
fn decode(bytes: &[u8]) -> Snapshot {
    let snap = from_bytes(bytes).expect("a file with a valid preamble decodes");
    for e in &snap.events {
        ttlog_decode::render::line::text_line(&snap, e);
        ttlog_decode::render::line::json_line(&snap, e);
    }
    snap
}

/// The problem at `offset`, which must be there.
fn problem_at(snap: &Snapshot, offset: usize) -> &Problem {
    snap.problems
        .iter()
        .find(|p| p.offset == offset as u64)
        .unwrap_or_else(|| panic!("no problem at byte {offset}: {:#?}", snap.problems))
}

/// The payload offset of the RING frame at `frame`, and the offset of its
/// words (after a one-byte thread and a two-byte block size).
fn ring_offsets(frame: usize) -> (usize, usize) {
    let base = frame + wire::FRAME_HEADER_LEN;
    (base, base + 3)
}

#[test]
fn intact_ring_frames_decode_whole() {
    let mut f = file();
    let mut b = Block::new(BLOCK);
    b.record(ID_VALUE, 1, &[ArgType::U64], &u64_arg(1));
    b.record(ID_PAIR, 2, &[ArgType::U8, ArgType::I16], &[2, 0xFD, 0xFF]);
    b.record(ID_TEXT, 3, &[ArgType::Str], &str_arg("hi"));
    let mut seven = vec![0u8; 6];
    seven.extend_from_slice(&7u32.to_le_bytes());
    b.record(ID_SEVEN, 4, &[ArgType::U8; 6].iter().copied().chain([ArgType::U32]).collect::<Vec<_>>(), &seven);
    let mut words = b.words();
    words.extend(values(&[5, 6]).words());
    f.ring(0, 4096, &words);
    f.end(6);
    let snap = decode(&f.bytes);
    assert!(snap.is_intact(), "{:#?}", snap.problems);
    assert_eq!(messages(&snap), ["value 1", "pair 2 -3", "text hi", "seven 7", "value 5", "value 6"]);
    assert!(snap.events.iter().all(|e| e.thread == 0));
}

#[test]
fn bad_block_sizes_skip_their_frame_and_keep_the_others() {
    for block in [0u64, 1, 2, 3, 8, 63, 96, 100, 4095, 4097, 1 << 21, 1 << 40, 1 << 63, u64::MAX] {
        let mut f = file();
        f.ring(0, 4096, &values(&[1]).words());
        let bad = f.ring(1, block, &values(&[99]).words());
        f.ring(0, 4096, &values(&[2]).words());
        f.end(3);
        let snap = decode(&f.bytes);
        assert_eq!(messages(&snap), ["value 1", "value 2"], "block size {block}");
        let p = problem_at(&snap, ring_offsets(bad).0);
        assert!(p.message.contains(&format!("block size {block}")), "{p}");
    }
    // A block size whose varint does not end, or overflows 64 bits.
    for tail in [vec![0xFF; 3], vec![0xFF; 11]] {
        let mut f = file();
        f.ring(0, 4096, &values(&[1]).words());
        let mut payload = vec![1];
        payload.extend(tail);
        let bad = f.frame(wire::kind::RING, &payload);
        f.end(1);
        let snap = decode(&f.bytes);
        assert_eq!(messages(&snap), ["value 1"]);
        let p = snap.problems.iter().find(|p| p.message.starts_with("ring frame:")).expect("reported");
        assert!(p.offset as usize > bad && (p.offset as usize) < f.bytes.len(), "{p}");
    }
}

/// A record length of 1, past the block, or past the frame (in a last block
/// that the frame cuts short) costs the rest of its block, reported at the
/// record; a length of 0 is the pad word, which ends the block's records.
#[test]
fn record_lengths_that_do_not_fit_cost_the_rest_of_their_block() {
    for (len, last_block) in [(1u64, false), (BLOCK as u64 - 3, false), (1023, false), (1, true), (40, true)] {
        let mut f = file();
        let mut b = values(&[1]);
        b.raw(&[record::header_word(ID_VALUE, len, ArgType::U64 as u64), 9999, 5]);
        b.record(ID_VALUE, 1002, &[ArgType::U64], &u64_arg(2));
        let mut words = values(&[3]).words();
        if last_block {
            // The frame ends 30 words into the second block.
            words.extend(&b.words()[..30]);
        } else {
            words.extend(b.words());
            words.extend(values(&[4]).words());
        }
        let frame = f.ring(0, 4096, &words);
        f.end(4);
        let snap = decode(&f.bytes);
        let kept = if last_block { vec!["value 1", "value 3"] } else { vec!["value 1", "value 3", "value 4"] };
        let mut got = messages(&snap);
        got.sort();
        assert_eq!(got, kept, "length {len}");
        // Block 1, word 4: after the sequence number and the 3-word record.
        let at = ring_offsets(frame).1 + (BLOCK + 4) * 8;
        let p = problem_at(&snap, at);
        assert!(p.message.contains(&format!("ring record of {len} words at word 4")), "{p}");
    }
    let mut f = file();
    let mut b = values(&[1]);
    b.raw(&[0]);
    b.record(ID_VALUE, 1002, &[ArgType::U64], &u64_arg(2));
    let mut words = b.words();
    words.extend(values(&[3]).words());
    f.ring(0, 4096, &words);
    f.end(2);
    let snap = decode(&f.bytes);
    assert!(snap.is_intact(), "{:#?}", snap.problems);
    assert_eq!(messages(&snap), ["value 1", "value 3"]);
}

/// A block of only its sequence number, and a frame of no words at all.
#[test]
fn blocks_and_frames_without_records() {
    let mut f = file();
    f.ring(0, 4096, &[]);
    f.ring(0, 4096, &[42]);
    f.ring(1, 64, &[1, 2, 3, 4, 5, 6, 7, 8, 9]);
    f.end(0);
    let snap = decode(&f.bytes);
    assert!(snap.events.is_empty());
    // Word 1 of the first 8-word block, 2, is a record of length 0: the pad.
    assert!(snap.is_intact(), "{:#?}", snap.problems);
}

/// Each record whose type tags do not match its bytes is skipped and
/// reported at its offset; its neighbours decode.
#[test]
fn records_whose_types_do_not_match_their_bytes() {
    let bad_char = 0xD800u32.to_le_bytes();
    let too_long = {
        let mut s = str_arg("abc");
        s[0] = 100;
        s
    };
    let not_utf8 = {
        let mut s = str_arg("ab");
        s[9] = 0xFF;
        s
    };
    let cases: Vec<(&str, u32, Vec<ArgType>, Vec<u8>)> = vec![
        ("u128 in one word", ID_VALUE, vec![ArgType::U128], u64_arg(1)),
        ("bool byte 2", ID_VALUE, vec![ArgType::Bool], vec![2]),
        ("a surrogate as char", ID_VALUE, vec![ArgType::Char], bad_char.to_vec()),
        ("a string longer than its record", ID_VALUE, vec![ArgType::Str], too_long),
        ("a string that is not UTF-8", ID_VALUE, vec![ArgType::Str], not_utf8),
        ("formatted text without its end marker", ID_VALUE, vec![ArgType::Formatted], b"abcdefgh".to_vec()),
        ("two arguments in no bytes", ID_PAIR, vec![ArgType::U8, ArgType::U8], vec![]),
    ];
    for (what, id, tags, args) in cases {
        let mut f = file();
        let mut b = values(&[1]);
        b.record(id, 1001, &tags, &args);
        b.record(ID_VALUE, 1002, &[ArgType::U64], &u64_arg(2));
        let frame = f.ring(0, 4096, &b.words());
        f.end(3);
        let snap = decode(&f.bytes);
        assert_eq!(messages(&snap), ["value 1", "value 2"], "{what}");
        let p = problem_at(&snap, ring_offsets(frame).1 + 4 * 8);
        assert_eq!(p.lost_events, 1, "{what}: {p}");
    }
    // Seven arguments need an extension word of types, which a record of
    // two words does not have.
    let mut f = file();
    let mut b = values(&[1]);
    b.raw(&[record::header_word(ID_SEVEN, 2, 0), 1001]);
    b.record(ID_VALUE, 1002, &[ArgType::U64], &u64_arg(2));
    let frame = f.ring(0, 4096, &b.words());
    f.end(3);
    let snap = decode(&f.bytes);
    assert_eq!(messages(&snap), ["value 1", "value 2"]);
    assert!(problem_at(&snap, ring_offsets(frame).1 + 4 * 8).message.contains("too short for its types"));
}

#[test]
fn threads_that_are_missing_keep_their_events() {
    for thread in [2u64, 77, u32::MAX as u64] {
        let mut f = file();
        let frame = f.ring(thread, 4096, &values(&[1, 2]).words());
        f.end(2);
        let snap = decode(&f.bytes);
        assert_eq!(messages(&snap), ["value 1", "value 2"]);
        assert!(snap.events.iter().all(|e| e.thread as u64 == thread && snap.thread(e).is_none()));
        let p = problem_at(&snap, ring_offsets(frame).0);
        assert!(p.message.contains("thread frame is missing"), "{p}");
    }
    // A thread index that does not fit in 32 bits: the frame is skipped.
    let mut f = file();
    f.ring(1 << 32, 4096, &values(&[1]).words());
    f.ring(0, 4096, &values(&[2]).words());
    f.end(2);
    let snap = decode(&f.bytes);
    assert_eq!(messages(&snap), ["value 2"]);
    assert!(snap.problems.iter().any(|p| p.message.contains("too large")), "{:#?}", snap.problems);
}

#[test]
fn records_of_unknown_callsites_are_skipped_one_by_one() {
    let mut f = file();
    let mut b = values(&[1]);
    b.record(999, 1001, &[ArgType::U64], &u64_arg(5));
    b.record(0, 1001, &[], &[]);
    b.record(ID_VALUE, 1002, &[ArgType::U64], &u64_arg(2));
    let frame = f.ring(0, 4096, &b.words());
    f.end(4);
    let snap = decode(&f.bytes);
    assert_eq!(messages(&snap), ["value 1", "value 2"]);
    let words = ring_offsets(frame).1;
    assert!(problem_at(&snap, words + 4 * 8).message.contains("unknown callsite id 999"));
    assert!(problem_at(&snap, words + 7 * 8).message.contains("unknown callsite id 0"));
    let lost: u64 = snap.problems.iter().map(|p| p.lost_events).sum();
    assert_eq!(lost, 2);
}

/// A frame whose payload ends inside a word: the whole words decode. A file
/// cut anywhere: every frame before the cut decodes.
#[test]
fn truncated_ring_frames() {
    for extra in 1..8 {
        let mut f = file();
        let mut bytes: Vec<u8> = values(&[1, 2]).words().iter().flat_map(|w| w.to_le_bytes()).collect();
        bytes.extend(std::iter::repeat_n(0xAB, extra));
        let frame = f.ring_bytes(0, 4096, &bytes);
        f.end(2);
        let snap = decode(&f.bytes);
        assert_eq!(messages(&snap), ["value 1", "value 2"]);
        let p = problem_at(&snap, ring_offsets(frame).1 + BLOCK * 8);
        assert!(p.message.contains(&format!("{extra} bytes of a word")), "{p}");
    }
    for payload in [&[][..], &[0][..], &[0, 0x80][..]] {
        let mut f = file();
        f.frame(wire::kind::RING, payload);
        f.end(0);
        let snap = decode(&f.bytes);
        assert!(snap.problems.iter().any(|p| p.message.starts_with("ring frame:")), "{:#?}", snap.problems);
    }
    let mut f = file();
    f.ring(0, 4096, &values(&[1]).words());
    let second = f.ring(1, 4096, &values(&[2, 3]).words());
    let end = f.end(3);
    for cut in (second..f.bytes.len()).step_by(7) {
        let snap = decode(&f.bytes[..cut]);
        let kept: &[&str] = if cut < end { &["value 1"] } else { &["value 1", "value 2", "value 3"] };
        assert_eq!(messages(&snap), kept, "cut at {cut}");
        assert!(!snap.is_intact());
    }
}

/// A record with a combination of argument types not seen before makes a
/// typed copy of its callsite. A ring whose every record has a new
/// combination, of a callsite with a large static frame, would make one
/// copy a record: the copies together stay within twice the file and a MiB,
/// and records of combinations already seen still decode.
#[test]
fn typed_copies_of_a_large_callsite_are_bounded() {
    const ARGS: &[ArgMeta] = &[
        ArgMeta { name: "a", role: ArgRole::Positional, specs: &[Spec::DISPLAY] },
        ArgMeta { name: "b", role: ArgRole::Positional, specs: &[Spec::DISPLAY] },
        ArgMeta { name: "c", role: ArgRole::Positional, specs: &[Spec::DISPLAY] },
        ArgMeta { name: "d", role: ArgRole::Positional, specs: &[Spec::DISPLAY] },
        ArgMeta { name: "e", role: ArgRole::Positional, specs: &[Spec::DISPLAY] },
    ];
    let target: &'static str = Box::leak("t".repeat(100_000).into_boxed_str());
    let big: &'static Callsite = Box::leak(Box::new(Callsite {
        level: Level::Info,
        kind: CallsiteKind::Event,
        name: "big",
        target,
        file: "tests/ring.rs",
        line: 5,
        path: None,
        pieces: &[Piece::Lit("big "), Piece::Arg { arg: 0, slot: 0 }],
        args: ARGS,
    }));
    let mut f = file();
    f.static_callsite(99, big);
    // Every record a new combination of the types that 80 zero bytes satisfy
    // (all but formatted): 15^5 of them.
    let mut words = Vec::new();
    let mut records = 0u64;
    for blk in 0..40 {
        let mut b = Block::new(BLOCK);
        for _ in 0..(BLOCK - 1) / 12 {
            let mut n = records;
            let tags: Vec<ArgType> = (0..5)
                .map(|_| {
                    let t = ArgType::ALL[(n % 15) as usize];
                    n /= 15;
                    t
                })
                .collect();
            b.record(99, blk * 100 + records, &tags, &[0; 80]);
            records += 1;
        }
        words.extend(b.words());
    }
    // Then the first combination again, and an ordinary record.
    let mut b = Block::new(BLOCK);
    b.record(99, 1 << 40, &[ArgType::U8; 5], &[0; 80]);
    b.record(ID_VALUE, 1 << 41, &[ArgType::U64], &u64_arg(7));
    words.extend(b.words());
    f.ring(0, 4096, &words);
    f.end(records + 2);
    let snap = decode(&f.bytes);
    let copied: usize = snap.callsites.iter().flatten().map(|c| c.target.len()).sum();
    let len = f.bytes.len();
    assert!(copied <= 2 * len + (1 << 20), "{copied} bytes of callsite copies for a file of {len}");
    let decoded = snap.events.iter().filter(|e| snap.callsite(e).is_some_and(|c| c.name == "big")).count();
    assert!(decoded >= 10 && (decoded as u64) < records, "{decoded} of {records}");
    let skipped = snap.problems.iter().filter(|p| p.message.contains("not seen before")).count();
    assert_eq!(decoded + skipped, records as usize + 1);
    let last: Vec<String> = messages(&snap).into_iter().rev().take(2).collect();
    assert_eq!(last, ["value 7", "big 0"]);
}

/// Ring words at random, made of what records are made of: headers with ids
/// of callsites that exist or not, every length and random type tags,
/// timestamps, argument bytes, pad words; block sizes that are valid or not;
/// frames cut inside a word. No panic, every problem inside the file, and
/// every event of a callsite that exists, with as many arguments.
#[test]
fn random_ring_words_never_panic() {
    let mut rng = Rng::new(0xB504_F333_F9DE_6484);
    let ids = [ID_VALUE, ID_PAIR, ID_TEXT, ID_SEVEN, 0, 999];
    for round in 0..3_000 {
        let mut f = file();
        for _ in 0..1 + rng.below(3) {
            let block = match rng.below(8) {
                0 => rng.next() >> rng.below(64),
                1 => 1 << rng.below(24),
                2..=4 => 64,
                _ => 4096,
            };
            let mut words = Vec::new();
            for _ in 0..rng.below(200) {
                let w = match rng.below(8) {
                    0..=2 => {
                        let len = if rng.one_in(4) { rng.below(1 << 10) } else { rng.below(12) };
                        record::header_word(*rng.pick(&ids), len, rng.below(1 << 20))
                    }
                    3 => 0,
                    4 => rng.below(1 << 16),
                    5 => u64::from_le_bytes(*b"ab\xff\xfecd\xfe\xff"),
                    _ => rng.next(),
                };
                words.push(w);
            }
            let mut bytes: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
            if rng.one_in(5) {
                bytes.truncate(rng.index(bytes.len() + 1));
            }
            f.ring_bytes(rng.below(4), block, &bytes);
        }
        f.end(rng.below(100));
        let snap = decode(&f.bytes);
        for p in &snap.problems {
            assert!(p.offset <= f.bytes.len() as u64, "round {round}: {p}");
        }
        for e in &snap.events {
            let cs = snap.callsite(e).unwrap_or_else(|| panic!("round {round}: an event without its callsite"));
            assert_eq!(cs.name, "ring");
            assert_eq!(snap.args(e).len(), cs.args.len(), "round {round}");
        }
    }
}

#[test]
fn a_thread_whose_ring_was_not_copied_is_listed_and_reported() {
    let mut f = File::new();
    f.header();
    f.thread(0, "t0");
    // THREAD frame of thread 1 with flag 2: its ring could not be copied.
    let mut p = Vec::new();
    wire::put_varint(&mut p, 1);
    wire::put_varint(&mut p, 1001);
    wire::put_str(&mut p, "busy");
    p.extend_from_slice(&[wire::THREAD_NOT_COPIED, 0, 0, 3]);
    let at = f.frame(wire::kind::THREAD, &p);
    f.end(0);
    let snap = from_bytes(&f.bytes).expect("a snapshot");
    let t = snap.threads[1].as_ref().expect("thread 1 is listed");
    assert!(!t.copied && t.dropped == 3, "{t:?}");
    assert!(snap.threads[0].as_ref().is_some_and(|t| t.copied));
    let about: Vec<&Problem> = snap.problems.iter().filter(|p| p.message.contains("could not be copied")).collect();
    assert_eq!(about.len(), 1, "{:?}", snap.problems);
    assert_eq!(about[0].offset, (at + wire::FRAME_HEADER_LEN) as u64);
}
