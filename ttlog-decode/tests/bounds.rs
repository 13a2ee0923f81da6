//! What hostile input may cost: the decoder's memory stays within a bound
//! that grows with the bytes of the input (a field that claims four billion
//! of something allocates nothing for them), and its time with their number,
//! not its square. This test binary counts every allocation, so its tests
//! take turns.

#[path = "support/file.rs"]
mod file;

use file::{Block, File};
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use ttlog::Level;
use ttlog::callsite::{ArgMeta, ArgRole, ArgType, Callsite, CallsiteKind, Piece, Spec};
use ttlog::wire::{self, End};
use ttlog_decode::{Snapshot, from_bytes};

/// Bytes allocated now, and the most since the last reset.
static CURRENT: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

/// The system allocator, counting.
struct Counting;

fn grew(n: usize) {
    let now = CURRENT.fetch_add(n, Ordering::Relaxed) + n;
    PEAK.fetch_max(now, Ordering::Relaxed);
}

fn shrank(n: usize) {
    CURRENT.fetch_sub(n, Ordering::Relaxed);
}

// SAFETY: every method passes its arguments to `System` unchanged and returns
// what it returns, so `System` upholds the `GlobalAlloc` contract; the
// counting beside it allocates nothing.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller gives `alloc`'s guarantees, which `System.alloc` needs.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            grew(layout.size());
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: as for `alloc`.
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            grew(layout.size());
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from this allocator, that is from `System`, with `layout`.
        unsafe { System.dealloc(ptr, layout) };
        shrank(layout.size());
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: `ptr` came from `System` with `layout`; the caller gives the
        // guarantees on `new_size`.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            shrank(layout.size());
            grew(new_size);
        }
        p
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// One test at a time: the counts are the process's.
static TURN: Mutex<()> = Mutex::new(());

/// Decodes `bytes`: the snapshot, and the most bytes allocated meanwhile
/// beyond what was allocated before.
fn decode_counting(bytes: &[u8]) -> (Snapshot, usize) {
    let before = CURRENT.load(Ordering::Relaxed);
    PEAK.store(before, Ordering::Relaxed);
    let snap = from_bytes(bytes).expect("a file with a valid preamble decodes");
    (snap, PEAK.load(Ordering::Relaxed).saturating_sub(before))
}

/// The bound: 128 bytes a byte of input, and a MiB. The densest intact file
/// ([`the_densest_events_stay_within_the_bound`]) takes 55 bytes a byte.
fn bound(len: usize) -> usize {
    128 * len + (1 << 20)
}

/// Runs `f` on another thread and fails if it takes longer than a minute.
fn within_a_minute<T: Send + 'static>(what: &str, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (done, finished) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = done.send(f());
    });
    finished.recv_timeout(Duration::from_secs(60)).unwrap_or_else(|_| panic!("{what}: not done after a minute"))
}

static VALUE: Callsite = Callsite {
    level: Level::Info,
    kind: CallsiteKind::Event,
    name: "bounds",
    target: "bounds",
    file: "tests/bounds.rs",
    line: 1,
    path: None,
    pieces: &[Piece::Lit("value "), Piece::Arg { arg: 0, slot: 0 }],
    args: &[ArgMeta { name: "v", role: ArgRole::Positional, specs: &[Spec::DISPLAY] }],
};

/// Thread and callsite frames of a few bytes each, each index 65536 beyond
/// the last: the tables would grow by 65536 entries a frame (gigabytes for
/// these 30 KB) if their indices were trusted.
#[test]
fn indices_far_apart_do_not_grow_the_tables() {
    let _turn = TURN.lock().unwrap_or_else(|e| e.into_inner());
    let mut f = File::new();
    f.header();
    for i in 0..1000u32 {
        f.frame(wire::kind::THREAD, &file::thread_payload(i * 65_536, ""));
        f.callsite(i * 65_536, &VALUE, &[ArgType::U64]);
    }
    f.end(0);
    let (snap, peak) = decode_counting(&f.bytes);
    assert!(peak <= bound(f.bytes.len()), "{peak} bytes for {}", f.bytes.len());
    assert!(snap.threads.len() <= f.bytes.len() / wire::FRAME_HEADER_LEN);
    assert!(snap.callsites.len() <= f.bytes.len() / wire::FRAME_HEADER_LEN);
    assert!(snap.problems.iter().any(|p| p.message.contains("out of range")), "{:#?}", snap.problems);
}

/// Counts that claim billions: an END frame's count of events, an EVENTS
/// frame's count, a callsite's count of arguments.
#[test]
fn counts_that_lie_allocate_nothing_for_what_is_not_there() {
    let _turn = TURN.lock().unwrap_or_else(|e| e.into_inner());
    let mut f = File::new();
    f.header();
    f.callsite(0, &VALUE, &[ArgType::U64]);
    f.thread(0, "t");
    let mut p = Vec::new();
    wire::put_varint(&mut p, 0);
    p.extend_from_slice(&u32::MAX.to_le_bytes());
    wire::put_varint(&mut p, 5);
    p.extend_from_slice(&[0, 1, 42, 0, 1, 43]);
    f.frame(wire::kind::EVENTS, &p);
    // A callsite frame that claims 2^62 arguments.
    let mut p = vec![1, Level::Info as u8, 0, 0, 0, 0, 1];
    wire::put_varint(&mut p, 1 << 62);
    f.frame(wire::kind::CALLSITE, &p);
    let mut p = Vec::new();
    End { frames: u64::MAX, events: u64::MAX }.encode(&mut p);
    f.frame(wire::kind::END, &p);
    let (snap, peak) = decode_counting(&f.bytes);
    assert!(peak <= bound(f.bytes.len()), "{peak} bytes for {}", f.bytes.len());
    assert_eq!(snap.events.len(), 2);
    assert!(snap.problems.iter().any(|p| p.message.contains("exceeds the data")), "{:#?}", snap.problems);
}

/// A ring whose every record makes a new typed copy of a callsite whose
/// static frame is large (each record a new combination of its five
/// arguments' types): the copies would take the square of the file.
#[test]
fn typed_copies_stay_within_the_bound() {
    let _turn = TURN.lock().unwrap_or_else(|e| e.into_inner());
    const ARGS: &[ArgMeta] = &[
        ArgMeta { name: "a", role: ArgRole::Positional, specs: &[Spec::DISPLAY] },
        ArgMeta { name: "b", role: ArgRole::Positional, specs: &[Spec::DISPLAY] },
        ArgMeta { name: "c", role: ArgRole::Positional, specs: &[Spec::DISPLAY] },
        ArgMeta { name: "d", role: ArgRole::Positional, specs: &[Spec::DISPLAY] },
        ArgMeta { name: "e", role: ArgRole::Positional, specs: &[Spec::DISPLAY] },
    ];
    let target: &'static str = Box::leak("t".repeat(50_000).into_boxed_str());
    let big: &'static Callsite = Box::leak(Box::new(Callsite { target, args: ARGS, ..VALUE }));
    let mut f = File::new();
    f.header();
    f.static_callsite(1, big);
    f.thread(0, "t");
    let mut words = Vec::new();
    let mut records = 0u64;
    for _ in 0..40 {
        let mut b = Block::new(512);
        for _ in 0..42 {
            // The types that 80 zero bytes satisfy (all but formatted).
            let tags: Vec<ArgType> = (0..5).map(|i| ArgType::ALL[(records / 15u64.pow(i) % 15) as usize]).collect();
            b.record(1, records, &tags, &[0; 80]);
            records += 1;
        }
        words.extend(b.words());
    }
    f.ring(0, 4096, &words);
    f.end(records);
    let (snap, peak) = decode_counting(&f.bytes);
    assert!(peak <= bound(f.bytes.len()), "{peak} bytes for {}", f.bytes.len());
    assert!(!snap.events.is_empty() && (snap.events.len() as u64) < records);
}

/// Hostile framing: a sync marker every 13 bytes, each claiming a frame that
/// runs to the end of the input with a wrong checksum, and intact frames of
/// a few bytes each followed by such a claim. Checking each claim's checksum
/// directly reads the rest of the input for each: 170 GB of checksums for
/// these 2 MiB.
#[test]
fn claimed_frames_that_fail_their_checksum_take_linear_time() {
    let _turn = TURN.lock().unwrap_or_else(|e| e.into_inner());
    const LEN: usize = 2 << 20;
    let claims = |mut bytes: Vec<u8>, intact: bool| {
        let mut good = Vec::new();
        wire::put_frame(&mut good, 200, &[]);
        while bytes.len() + 2 * wire::FRAME_HEADER_LEN < LEN {
            if intact {
                bytes.extend_from_slice(&good);
            }
            let at = bytes.len();
            let len = (LEN - at - wire::FRAME_HEADER_LEN) as u32;
            bytes.extend_from_slice(&wire::frame_header(wire::kind::EVENTS, len, 0xDEAD_BEEF));
        }
        bytes.resize(LEN, 0);
        bytes
    };
    let mut f = File::new();
    f.header();
    f.callsite(0, &VALUE, &[ArgType::U64]);
    f.thread(0, "t");
    let start = f.bytes.clone();
    for intact in [false, true] {
        let bytes = claims(start.clone(), intact);
        let problems = within_a_minute("decoding", move || from_bytes(&bytes).map(|s| s.problems.len()));
        assert!(problems.expect("decodes") > 0);
    }
    // The same input with one frame in the middle whose checksum is right:
    // it is found, after more than the direct checks' budget was spent.
    let mut bytes = claims(start, false);
    let mut intact = Vec::new();
    let mut payload = Vec::new();
    wire::put_varint(&mut payload, 0);
    payload.extend_from_slice(&1u32.to_le_bytes());
    payload.extend_from_slice(&[0, 0, 0, 9]);
    wire::put_frame(&mut intact, wire::kind::EVENTS, &payload);
    let at = LEN / 2 / wire::FRAME_HEADER_LEN * wire::FRAME_HEADER_LEN + wire::PREAMBLE_LEN + 1;
    bytes[at..at + intact.len()].copy_from_slice(&intact);
    let snap = within_a_minute("decoding", move || from_bytes(&bytes));
    let snap = snap.expect("decodes");
    assert_eq!(snap.events.len(), 1, "{:#?}", &snap.problems[..3]);
    assert!(snap.problems.iter().any(|p| p.message.contains(&format!("next intact frame at byte {at}"))));
}

/// The most an intact file costs: events of two bytes each, which decode to
/// 64 bytes of event, 8 of time and the time order's 4, with and without an
/// END frame (whose count reserves room ahead, argument slots included), in
/// frames out of time order, so that the sort has work to do.
#[test]
fn the_densest_events_stay_within_the_bound() {
    let _turn = TURN.lock().unwrap_or_else(|e| e.into_inner());
    static EMPTY: Callsite = Callsite { pieces: &[Piece::Lit("empty")], args: &[], ..VALUE };
    for with_end in [false, true] {
        let mut f = File::new();
        f.header();
        f.callsite(0, &EMPTY, &[]);
        for t in 0..4u32 {
            f.thread(t, "t");
        }
        for frame in 0..64u64 {
            let mut p = Vec::new();
            wire::put_varint(&mut p, frame % 4);
            p.extend_from_slice(&4000u32.to_le_bytes());
            wire::put_varint(&mut p, 1_000_000 - frame * 1000);
            for _ in 0..4000 {
                p.extend_from_slice(&[0, 0]);
            }
            f.frame(wire::kind::EVENTS, &p);
        }
        if with_end {
            f.end(64 * 4000);
        }
        let (snap, peak) = decode_counting(&f.bytes);
        assert_eq!(snap.events.len(), 64 * 4000);
        assert!(peak <= bound(f.bytes.len()), "{peak} bytes for {}", f.bytes.len());
    }
}

/// A callsite of many arguments that take no bytes in an event (formatted,
/// with no spec, so no text), and events of two bytes each that use it:
/// every event would store a slot for every argument, the product of the two
/// counts.
#[test]
fn arguments_of_no_bytes_stay_within_the_bound() {
    let _turn = TURN.lock().unwrap_or_else(|e| e.into_inner());
    const ARGS: u64 = 10_000;
    let mut f = File::new();
    f.header();
    let mut p = vec![0, Level::Info as u8, 0, 0, 0, 0, 0];
    wire::put_varint(&mut p, ARGS);
    for _ in 0..ARGS {
        // No name, positional, formatted, no spec.
        p.extend_from_slice(&[0, 0, ArgType::Formatted as u8, 0]);
    }
    p.push(0);
    f.frame(wire::kind::CALLSITE, &p);
    f.thread(0, "t");
    let mut p = Vec::new();
    wire::put_varint(&mut p, 0);
    p.extend_from_slice(&4000u32.to_le_bytes());
    wire::put_varint(&mut p, 0);
    for _ in 0..4000 {
        p.extend_from_slice(&[0, 1]);
    }
    f.frame(wire::kind::EVENTS, &p);
    f.end(4000);
    let (snap, peak) = decode_counting(&f.bytes);
    assert!(peak <= bound(f.bytes.len()), "{peak} bytes for {}", f.bytes.len());
    assert!(!snap.events.is_empty(), "the events that fit are kept");
    assert!(snap.problems.iter().any(|p| p.lost_events > 0), "{:#?}", snap.problems);
}
