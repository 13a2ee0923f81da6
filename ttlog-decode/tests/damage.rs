//! The decoder on damaged input: truncated files, flipped bits and random bytes.
//! It must never panic, must report what it skipped, and must still return every
//! event of every intact frame.

#[path = "support/file.rs"]
mod file;
#[path = "support/rng.rs"]
mod rng;

use file::frames;
use rng::Rng;
use std::collections::HashMap;
use std::sync::OnceLock;
use ttlog::wire;
use ttlog_decode::{Error, from_bytes};

/// A real snapshot: three threads, several thousand events, many frames.
fn snapshot_bytes() -> &'static [u8] {
    static BYTES: OnceLock<Vec<u8>> = OnceLock::new();
    BYTES.get_or_init(|| {
        let handles: Vec<_> = (0..3u32)
            .map(|t| {
                std::thread::Builder::new()
                    .name(format!("damage-{t}"))
                    .spawn(move || {
                        for i in 0..1500u32 {
                            ttlog::info!("thread {} event {} of {}", t, i, "damage");
                            if i % 100 == 0 {
                                ttlog::warn!("checkpoint {i:>6} {:?}", Some(i), ratio = i as f64 / 7.0);
                            }
                        }
                    })
                    .unwrap()
            })
            .collect();
        for h in handles {
            h.join().unwrap();
        }
        ttlog::snapshot("damage-test").to_bytes()
    })
}

/// Events per EVENTS frame offset, read from the frame payload's count field.
fn events_in_frame(bytes: &[u8], off: usize) -> u64 {
    let mut r = wire::Reader::new(&bytes[off + wire::FRAME_HEADER_LEN..], 0);
    r.varint().unwrap();
    u32::from_le_bytes(r.array().unwrap()) as u64
}

/// Every event rendered as a text line, as a multiset.
fn lines(snap: &ttlog_decode::Snapshot) -> HashMap<String, usize> {
    let mut m = HashMap::new();
    for e in &snap.events {
        let cs = snap.callsite(e).map(|c| ttlog_decode::render::message::message(c, snap.args(e)));
        *m.entry(format!("{}|{:?}|{}", e.thread, cs, e.ticks)).or_insert(0) += 1;
    }
    m
}

fn assert_subset(part: &HashMap<String, usize>, whole: &HashMap<String, usize>) {
    for (k, n) in part {
        assert!(whole.get(k).copied().unwrap_or(0) >= *n, "decoded an event that was never logged: {k}");
    }
}

/// Decodes `bytes` and checks that its message lines include `expected`.
fn decode_and_expect(bytes: &[u8], expected: &str) {
    let snap = from_bytes(bytes).expect("decodes");
    let found = snap
        .events
        .iter()
        .any(|e| snap.callsite(e).is_some_and(|c| ttlog_decode::render::message::message(c, snap.args(e)) == expected));
    assert!(found, "no event renders as {expected:?}");
}

#[test]
fn the_intact_file_decodes_whole() {
    let bytes = snapshot_bytes();
    let snap = from_bytes(bytes).unwrap();
    assert!(snap.is_intact(), "{:?}", snap.problems);
    assert_eq!(snap.end.unwrap().events, snap.events.len() as u64);
    decode_and_expect(bytes, "thread 2 event 1499 of damage");
    decode_and_expect(bytes, "checkpoint    700 Some(700)");
    assert!(frames(bytes).iter().filter(|f| f.kind == wire::kind::EVENTS).count() >= 3);
}

#[test]
fn truncation_keeps_every_frame_before_the_cut() {
    let bytes = snapshot_bytes();
    let whole = from_bytes(bytes).unwrap();
    let all = lines(&whole);
    let frames = frames(bytes);
    // Every cut inside the first frames, then a stride through the rest.
    let cuts = (0..200).chain((200..bytes.len()).step_by(97)).chain([bytes.len() - 1]);
    for cut in cuts {
        let part = &bytes[..cut];
        match from_bytes(part) {
            Err(Error::UnexpectedEof { .. }) | Err(Error::NotASnapshot { .. }) => {
                assert!(cut < wire::PREAMBLE_LEN, "cut at {cut} rejected the whole file");
            }
            Err(e) => panic!("cut at {cut}: unexpected error {e}"),
            Ok(snap) => {
                assert!(!snap.problems.is_empty(), "cut at {cut} went unreported");
                let got = lines(&snap);
                assert_subset(&got, &all);
                // Events of EVENTS frames that end before the cut all decode,
                // provided the callsites they use come before it too (they do:
                // callsite frames precede events).
                let intact: u64 = frames
                    .iter()
                    .filter(|f| f.kind == wire::kind::EVENTS && f.end() <= cut)
                    .map(|f| events_in_frame(bytes, f.offset))
                    .sum();
                assert_eq!(snap.events.len() as u64, intact, "cut at {cut}");
            }
        }
    }
}

#[test]
fn a_flipped_bit_costs_one_frame_at_most() {
    let bytes = snapshot_bytes();
    let whole = from_bytes(bytes).unwrap();
    let all = lines(&whole);
    let total = whole.events.len() as u64;
    let frames = frames(bytes);
    let mut rng = Rng::new(0x2545_F491_4F6C_DD1D);
    let mut offsets: Vec<usize> = frames.iter().map(|f| f.offset + 2).collect();
    for _ in 0..600 {
        offsets.push(wire::PREAMBLE_LEN + rng.index(bytes.len() - wire::PREAMBLE_LEN));
    }
    for (n, off) in offsets.into_iter().enumerate() {
        let mut damaged = bytes.to_vec();
        damaged[off] ^= 1 << (n % 8);
        let snap = from_bytes(&damaged).unwrap_or_else(|e| panic!("flip at {off}: {e}"));
        assert!(!snap.problems.is_empty(), "flip at {off} went unreported");
        assert!(
            snap.problems.iter().any(|p| p.offset as usize <= off + wire::FRAME_HEADER_LEN || p.offset as usize >= off)
        );
        assert_subset(&lines(&snap), &all);
        let f = *frames.iter().find(|f| f.offset <= off && off < f.end()).unwrap();
        let (foff, kind, flen) = (f.offset, f.kind, f.len);
        let got = snap.events.len() as u64;
        match kind {
            wire::kind::EVENTS => {
                assert_eq!(got, total - events_in_frame(bytes, foff), "flip at {off} in events frame {foff}+{flen}");
            }
            // Metadata frames are written twice: the other copy stands in.
            _ => assert_eq!(got, total, "flip at {off} in frame kind {kind}"),
        }
    }
}

#[test]
fn random_and_hostile_input_never_panics() {
    let mut rng = Rng::new(0x9E37_79B9_7F4A_7C15);
    let mut next = || rng.next();
    for len in [0usize, 1, 7, 8, 11, 12, 13, 40, 300, 5000] {
        for _ in 0..50 {
            let mut b: Vec<u8> = (0..len).map(|_| next() as u8).collect();
            let _ = from_bytes(&b);
            // The same with a valid preamble, and sync markers sprinkled in.
            if b.len() >= wire::PREAMBLE_LEN {
                let mut pre = Vec::new();
                wire::put_preamble(&mut pre);
                b[..wire::PREAMBLE_LEN].copy_from_slice(&pre);
                let mut i = wire::PREAMBLE_LEN;
                while i + 4 < b.len() {
                    if next() % 5 == 0 {
                        b[i..i + 4].copy_from_slice(&wire::SYNC);
                    }
                    i += (next() % 40) as usize + 1;
                }
                let snap = from_bytes(&b).expect("a file with a valid preamble decodes, perhaps to nothing");
                assert!(!snap.problems.is_empty());
            }
        }
    }
    // Valid frames around hostile payloads: checksums pass, contents are garbage.
    for kind in 1..=wire::kind::RING {
        for _ in 0..200 {
            let mut file = Vec::new();
            wire::put_preamble(&mut file);
            let payload: Vec<u8> = (0..(next() % 64)).map(|_| next() as u8).collect();
            wire::put_frame(&mut file, kind, &payload);
            let _ = from_bytes(&file).expect("decodes");
        }
    }
}

#[test]
fn wrong_magic_and_version_are_errors_with_offsets() {
    let bytes = snapshot_bytes();
    let mut b = bytes.to_vec();
    b[3] ^= 0xff;
    match from_bytes(&b) {
        Err(Error::NotASnapshot { offset, .. }) => assert_eq!(offset, 3),
        other => panic!("{other:?}"),
    }
    let mut b = bytes.to_vec();
    b[8] = 99;
    let e = from_bytes(&b).unwrap_err();
    assert!(matches!(e, Error::UnsupportedVersion { offset: 8, found: 99, supported: 1 }));
    assert!(e.to_string().contains("version 99"), "{e}");
    assert!(matches!(from_bytes(b"TTLOG"), Err(Error::UnexpectedEof { offset: 12 })));
    assert!(matches!(from_bytes(b"hello, world"), Err(Error::NotASnapshot { offset: 0, .. })));
}
