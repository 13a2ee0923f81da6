//! The streaming reader gives the events `from_bytes` gives, in the same
//! order, for real snapshots and crash snapshots made by hand, intact or
//! damaged, and holds one frame a thread.

mod support {
    pub mod file;
    pub mod rng;
}

use std::io::Cursor;
use support::file::{Block, File, str_arg, u64_arg};
use support::rng::Rng;
use ttlog::callsite::{ArgMeta, ArgRole, ArgType, Callsite, CallsiteKind, Piece, Spec};
use ttlog_decode::render::line::text_line;
use ttlog_decode::stream::Stream;

static VALUE: Callsite = Callsite {
    level: ttlog::Level::Info,
    kind: CallsiteKind::Event,
    name: "v",
    target: "ring",
    file: "src/ring.rs",
    line: 3,
    pieces: &[Piece::Lit("value "), Piece::Arg { arg: 0, slot: 0 }, Piece::Lit(" "), Piece::Arg { arg: 1, slot: 0 }],
    args: &[
        ArgMeta { name: "v", role: ArgRole::Positional, specs: &[Spec::DISPLAY] },
        ArgMeta { name: "s", role: ArgRole::Positional, specs: &[Spec::DISPLAY] },
    ],
    path: None,
};

/// The text lines of every event, through both readers; and the number of
/// problems each found.
fn both(bytes: &[u8]) -> ((Vec<String>, usize), (Vec<String>, usize)) {
    let snap = ttlog_decode::from_bytes(bytes).unwrap();
    let whole: Vec<String> = snap.events.iter().map(|e| text_line(&snap, e)).collect();
    let mut stream = Stream::new(Cursor::new(bytes)).unwrap();
    let mut streamed = Vec::new();
    while let Some((s, e)) = stream.next_event() {
        streamed.push(text_line(s, e));
    }
    ((whole, snap.problems.len()), (streamed, stream.problems().len()))
}

fn real_snapshot() -> Vec<u8> {
    let threads: Vec<_> = (0..4)
        .map(|t| {
            std::thread::Builder::new()
                .name(format!("s{t}"))
                .spawn(move || {
                    for i in 0..3000u64 {
                        ttlog::info!("event {} of thread {} {}", i, t, "some text to take room");
                    }
                })
                .unwrap()
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    ttlog::snapshot("stream").to_bytes()
}

fn ring_snapshot() -> Vec<u8> {
    let mut f = File::new();
    f.header();
    f.static_callsite(7, &VALUE);
    for t in 0..3u32 {
        f.thread(t, &format!("r{t}"));
        // Each thread's ring: two frames, the newer block first, with
        // the threads' times interleaved.
        for block in [1u64, 0] {
            let mut b = Block::new(64);
            for i in 0..5u64 {
                let ticks = 1000 * block + 10 * i + u64::from(t);
                b.record(7, ticks, &[ArgType::U64, ArgType::Str], &[u64_arg(ticks), str_arg("x")].concat());
            }
            f.ring(u64::from(t), 512, &b.words());
        }
    }
    f.header();
    f.static_callsite(7, &VALUE);
    f.end(30);
    f.bytes
}

#[test]
fn the_same_events_in_the_same_order() {
    for (what, bytes) in [("real", real_snapshot()), ("ring", ring_snapshot())] {
        let ((whole, wp), (streamed, sp)) = both(&bytes);
        assert!(whole.len() >= 30, "{what}: {}", whole.len());
        assert_eq!(streamed, whole, "{what}");
        assert_eq!((wp, sp), (0, 0), "{what}");
    }
}

#[test]
fn damaged_files_give_the_same_events() {
    let mut rng = Rng::new(0x1234_5678_9ABC_DEF1);
    for (what, bytes) in [("real", real_snapshot()), ("ring", ring_snapshot())] {
        for round in 0..60 {
            let mut b = bytes.clone();
            match round % 3 {
                0 => {
                    let at = 12 + rng.below(b.len() as u64 - 12) as usize;
                    b[at] ^= 1 << rng.below(8);
                }
                1 => b.truncate(12 + rng.below(b.len() as u64 - 12) as usize),
                _ => {
                    let at = 12 + rng.below(b.len() as u64 - 12) as usize;
                    let n = (rng.below(64) as usize).min(b.len() - at);
                    b.drain(at..at + n);
                }
            }
            let ((mut whole, wp), (mut streamed, sp)) = both(&b);
            // Damage can split a thread's frames so that the two readers
            // break ties differently: the same events, maybe not the same
            // order of equal times.
            whole.sort();
            streamed.sort();
            assert_eq!(streamed, whole, "{what} round {round}");
            assert!(wp > 0 && sp > 0, "{what} round {round}: {wp} {sp}");
        }
    }
}

#[test]
fn bad_input_is_an_error_or_a_problem() {
    assert!(Stream::new(Cursor::new(&b""[..])).is_err());
    assert!(Stream::new(Cursor::new(&b"not a snapshot at all"[..])).is_err());
    let mut f = File::new();
    f.header();
    // A frame that claims 4 GiB: a problem, no allocation.
    f.bytes.extend_from_slice(&ttlog::wire::SYNC);
    f.bytes.push(ttlog::wire::kind::EVENTS);
    f.bytes.extend_from_slice(&u32::MAX.to_le_bytes());
    f.bytes.extend_from_slice(&[0; 4]);
    let mut s = Stream::new(Cursor::new(&f.bytes)).unwrap();
    assert!(s.next_event().is_none());
    assert!(s.problems().iter().any(|p| p.message.contains("exceeds the maximum")), "{:?}", s.problems());
    // No END frame: reported at the end of the input.
    let end = s.problems().iter().find(|p| p.message.contains("no END frame")).unwrap();
    assert_eq!(end.offset, f.bytes.len() as u64);
}

/// Frames of 20,000 threads that the file does not list, each holding one
/// event: one cursor each, with the metadata held once, in linear time.
#[test]
fn many_threads_cost_what_their_frames_hold() {
    let mut f = File::new();
    f.header();
    f.callsite(0, &VALUE, &[ArgType::U64, ArgType::Str]);
    for t in 0..20_000u64 {
        let mut p = Vec::new();
        ttlog::wire::put_varint(&mut p, t);
        p.extend_from_slice(&1u32.to_le_bytes());
        ttlog::wire::put_varint(&mut p, 20_000 - t);
        // Callsite 0, delta 0, the u64 7 and the string "x".
        p.extend_from_slice(&[0, 0, 7, 2, b'x']);
        f.frame(ttlog::wire::kind::EVENTS, &p);
    }
    f.end(20_000);
    let start = std::time::Instant::now();
    let ((whole, _), (streamed, _)) = both(&f.bytes);
    assert_eq!(streamed.len(), 20_000);
    assert_eq!(streamed, whole);
    assert!(start.elapsed() < std::time::Duration::from_secs(30), "{:?}", start.elapsed());
}

#[test]
fn opens_files() {
    let path = std::env::temp_dir().join(format!("ttlog-stream-{}.ttlog", std::process::id()));
    std::fs::write(&path, ring_snapshot()).unwrap();
    let mut s = Stream::open(&path).unwrap();
    let mut n = 0;
    while s.next_event().is_some() {
        n += 1;
    }
    assert_eq!(n, 30);
    assert_eq!(s.metadata().threads.len(), 3);
    std::fs::remove_file(&path).ok();
    assert!(matches!(Stream::open(&path), Err(ttlog_decode::Error::Io(_))));
}
