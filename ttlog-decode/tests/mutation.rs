//! Random damage to real snapshots: an ordinary one (EVENTS frames) and a
//! crash snapshot (RING frames, written by the fatal-signal handler of a child
//! process), each mutated thousands of times, with seeded randomness, by bit
//! flips, overwritten, inserted, deleted and duplicated bytes and truncation,
//! one to three at a time. Every time the decoder must finish without a
//! panic, render every event, report any change after the preamble (frames
//! cut out or added whole included), decode every event of every frame the
//! mutations left alone (provided a copy of its callsite survived) with the
//! same values, and decode nothing that was not logged.

#[path = "support/file.rs"]
mod file;
#[path = "support/rng.rs"]
mod rng;

use file::{FrameAt, frames};
use rng::Rng;
use std::collections::HashMap;
use std::path::Path;
use std::process::Command;
use std::sync::OnceLock;
use ttlog::ttlog;
use ttlog::wire::{self, CallsiteInfo, Reader};
use ttlog_decode::{Snapshot, from_bytes};

const CHILD: &str = "TTLOG_MUTATION_CHILD";

#[derive(Debug)]
#[allow(dead_code)] // Read through `Debug`.
struct Point {
    x: i32,
    y: i32,
}

#[ttlog(ret)]
fn work(n: u32, label: &str) -> u64 {
    ttlog::debug!("working on {} in {label:?}", n);
    n as u64 * 3
}

/// What both snapshots hold: several threads' events with every kind of
/// argument, and calls of a `#[ttlog]` function.
fn log_some(threads: u32, events: u32) {
    ttlog::set_max_level(ttlog::LevelFilter::Debug);
    let handles: Vec<_> = (0..threads)
        .map(|t| {
            std::thread::Builder::new()
                .name(format!("mutation-{t}"))
                .spawn(move || {
                    for i in 0..events {
                        match i % 5 {
                            0 => ttlog::info!("thread {} event {} of {}", t, i, "mutation"),
                            1 => {
                                let (ratio, ok) = (i as f64 / 7.0, i % 2 == 0);
                                ttlog::warn!("{:>8.3} {:#x} {}", ratio, i as u16, i as i64 - 100, ok = ok)
                            }
                            2 => {
                                let point = Point { x: i as i32, y: -1 };
                                ttlog::info!("point {:?} char {} big {}", point, 'é', u128::MAX - i as u128)
                            }
                            3 => ttlog::error!("text {:?} {}", "a \"quoted\" string", -(i as i8 as i32)),
                            _ => {
                                work(i, "calls");
                            }
                        }
                    }
                })
                .unwrap()
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
}

/// An ordinary snapshot, taken in this process.
fn ordinary() -> &'static [u8] {
    static BYTES: OnceLock<Vec<u8>> = OnceLock::new();
    BYTES.get_or_init(|| {
        log_some(3, 120);
        ttlog::snapshot("mutation-test").to_bytes()
    })
}

/// A crash snapshot: a child process logs, then aborts; its fatal-signal
/// handler writes the snapshot.
fn crash() -> &'static [u8] {
    static BYTES: OnceLock<Vec<u8>> = OnceLock::new();
    BYTES.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("ttlog-mutation-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let out = Command::new(std::env::current_exe().unwrap())
            .args(["--exact", "child_entry", "--nocapture", "--test-threads=1"])
            .env(CHILD, &dir)
            .output()
            .unwrap();
        let files: Vec<_> = std::fs::read_dir(&dir).unwrap().flatten().map(|e| e.path()).collect();
        assert_eq!(files.len(), 1, "one crash snapshot: {files:?}\n{}", String::from_utf8_lossy(&out.stderr));
        let bytes = std::fs::read(&files[0]).unwrap();
        let _ = std::fs::remove_dir_all(&dir);
        bytes
    })
}

/// The child process's work: see [`crash`].
#[test]
fn child_entry() {
    let Ok(dir) = std::env::var(CHILD) else { return };
    // No core file from the deliberate crash.
    let no_core = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: `setrlimit` reads the struct passed by reference.
    unsafe { libc::setrlimit(libc::RLIMIT_CORE, &no_core) };
    ttlog::Builder::new().snapshot_dir(Path::new(&dir)).crash_capture().init().expect("crash capture installs");
    log_some(2, 100);
    std::process::abort();
}

/// An event, as the test compares it: thread, time, the callsite's identity
/// and the values of the arguments.
fn signature(snap: &Snapshot, e: &ttlog_decode::Event) -> String {
    let cs = snap.callsite(e).map(|c| format!("{} {} {}:{} {:?}", c.name, c.target, c.file, c.line, c.kind));
    format!("{} {} {cs:?} {:?}", e.thread, e.ticks, snap.args(e))
}

/// Which metadata frames an event needs.
#[derive(Clone, Debug)]
enum Needs {
    /// One of these (the copies of its callsite's frame).
    AnyOf(Vec<usize>),
    /// All of these (the static callsite frames with its callsite's identity).
    AllOf(Vec<usize>),
}

/// A snapshot, its frames, and the events of each of its event frames.
struct Original {
    name: &'static str,
    bytes: &'static [u8],
    frames: Vec<FrameAt>,
    /// For each frame: the events it holds, with what each needs (all of it).
    events: Vec<Vec<(String, Vec<Needs>)>>,
    /// Every event's signature.
    all: HashMap<String, usize>,
}

fn is_event_frame(kind: u8) -> bool {
    kind == wire::kind::EVENTS || kind == wire::kind::RING
}

impl Original {
    fn new(name: &'static str, bytes: &'static [u8]) -> Original {
        let frames = frames(bytes);
        let whole = from_bytes(bytes).unwrap();
        assert!(whole.is_intact(), "{name}: {:#?}", whole.problems);
        let mut all = HashMap::new();
        for e in &whole.events {
            *all.entry(signature(&whole, e)).or_insert(0) += 1;
        }
        // The metadata frames, then each event frame alone after them.
        let mut meta = bytes[..wire::PREAMBLE_LEN].to_vec();
        for f in frames.iter().filter(|f| !is_event_frame(f.kind) && f.kind != wire::kind::END) {
            meta.extend_from_slice(&bytes[f.offset..f.end()]);
        }
        let callsite_frames = |index: u32| -> Vec<usize> {
            let copies = |f: &FrameAt| f.kind == wire::kind::CALLSITE && first_varint(f.payload(bytes)) == index as u64;
            frames.iter().enumerate().filter(|(_, f)| copies(f)).map(|(i, _)| i).collect()
        };
        let statics: Vec<(usize, CallsiteInfo)> = frames
            .iter()
            .enumerate()
            .filter(|(_, f)| f.kind == wire::kind::CALLSITE_STATIC)
            .map(|(i, f)| (i, CallsiteInfo::decode_untyped(&mut Reader::new(f.payload(bytes), 0)).unwrap()))
            .collect();
        let events = frames
            .iter()
            .map(|f| {
                if !is_event_frame(f.kind) {
                    return Vec::new();
                }
                let mut alone = meta.clone();
                alone.extend_from_slice(&bytes[f.offset..f.end()]);
                let snap = from_bytes(&alone).unwrap();
                // An event of an EVENTS frame whose callsite is lost ends the
                // frame (events have no length): each event needs every
                // callsite of its frame. A ring record needs only its own.
                let mut used: Vec<u32> = snap.events.iter().map(|e| e.callsite).collect();
                used.sort();
                used.dedup();
                let frame_needs: Vec<Needs> = used.into_iter().map(|c| Needs::AnyOf(callsite_frames(c))).collect();
                snap.events
                    .iter()
                    .map(|e| {
                        let needs = match f.kind {
                            wire::kind::EVENTS => frame_needs.clone(),
                            _ => {
                                let cs = snap.callsite(e).unwrap();
                                let same = |s: &CallsiteInfo| {
                                    (&s.name, &s.target, &s.file, s.line) == (&cs.name, &cs.target, &cs.file, cs.line)
                                };
                                vec![Needs::AllOf(statics.iter().filter(|(_, s)| same(s)).map(|(i, _)| *i).collect())]
                            }
                        };
                        (signature(&snap, e), needs)
                    })
                    .collect()
            })
            .collect::<Vec<_>>();
        let held: usize = events.iter().map(Vec::len).sum();
        assert_eq!(held, whole.events.len(), "{name}: every event belongs to one frame");
        Original { name, bytes, frames, events, all }
    }
}

fn first_varint(payload: &[u8]) -> u64 {
    Reader::new(payload, 0).varint().unwrap()
}

/// One change to the bytes, at an offset of the original.
#[derive(Clone, Debug)]
enum Mutation {
    Flip {
        at: usize,
        bit: u8,
    },
    Overwrite {
        at: usize,
        bytes: Vec<u8>,
    },
    Insert {
        at: usize,
        bytes: Vec<u8>,
    },
    Delete {
        at: usize,
        len: usize,
    },
    /// Inserts a copy of `len` bytes of the original from `from`.
    Duplicate {
        at: usize,
        from: usize,
        len: usize,
    },
    Truncate {
        at: usize,
    },
}

impl Mutation {
    /// The original bytes it changes or removes (inserting changes none).
    fn span(&self) -> (usize, usize) {
        match *self {
            Mutation::Flip { at, .. } => (at, at + 1),
            Mutation::Overwrite { at, ref bytes } => (at, at + bytes.len()),
            Mutation::Insert { at, .. } | Mutation::Duplicate { at, .. } => (at, at),
            Mutation::Delete { at, len } => (at, at + len),
            Mutation::Truncate { at } => (at, usize::MAX),
        }
    }

    fn apply(&self, b: &mut Vec<u8>, original: &[u8]) {
        match *self {
            Mutation::Flip { at, bit } => b[at] ^= 1 << bit,
            Mutation::Overwrite { at, ref bytes } => b[at..at + bytes.len()].copy_from_slice(bytes),
            Mutation::Insert { at, ref bytes } => {
                b.splice(at..at, bytes.iter().copied());
            }
            Mutation::Delete { at, len } => {
                b.drain(at..at + len);
            }
            Mutation::Duplicate { at, from, len } => {
                b.splice(at..at, original[from..from + len].iter().copied());
            }
            Mutation::Truncate { at } => b.truncate(at),
        }
    }
}

/// An offset in `o`: anywhere, or in a frame's header, or at its end.
fn offset(rng: &mut Rng, o: &Original) -> usize {
    let f = rng.pick(&o.frames);
    match rng.below(4) {
        0 => f.offset + rng.index(wire::FRAME_HEADER_LEN),
        1 => f.end() - 1 - rng.index(f.len.min(4)),
        _ => rng.index(o.bytes.len()),
    }
}

fn mutation(rng: &mut Rng, o: &Original) -> Mutation {
    let len = o.bytes.len();
    let at = offset(rng, o);
    let room = |at: usize| len - at;
    let some = |rng: &mut Rng, at: usize| {
        let most = if rng.one_in(8) { 300 } else { 8 };
        1 + rng.index(room(at).min(most))
    };
    match rng.below(12) {
        0..=3 => Mutation::Flip { at, bit: rng.below(8) as u8 },
        4 | 5 => {
            let n = some(rng, at);
            let mut bytes = rng.bytes(n);
            if bytes == o.bytes[at..at + n] {
                bytes[0] ^= 1;
            }
            Mutation::Overwrite { at, bytes }
        }
        6 => {
            let n = 1 + rng.index(20);
            let mut bytes = rng.bytes(n);
            // Sometimes a sync marker, to make the search for the next frame work.
            if rng.one_in(2) && n >= 4 {
                bytes[..4].copy_from_slice(&wire::SYNC);
            }
            Mutation::Insert { at, bytes }
        }
        7 => Mutation::Delete { at, len: some(rng, at) },
        8 => {
            // Whole frames, as a lost block of a file would take them.
            let i = rng.index(o.frames.len());
            let j = (i + rng.index(3)).min(o.frames.len() - 1);
            let at = o.frames[i].offset;
            Mutation::Delete { at, len: o.frames[j].end() - at }
        }
        9 | 10 => {
            // A whole frame, or any stretch of bytes.
            let (from, n) = if rng.one_in(2) {
                let f = rng.pick(&o.frames);
                (f.offset, f.len)
            } else {
                let from = rng.index(len);
                (from, some(rng, from))
            };
            let at = if rng.one_in(2) { rng.pick(&o.frames).offset } else { at };
            Mutation::Duplicate { at, from, len: n }
        }
        _ => Mutation::Truncate { at },
    }
}

/// One to three mutations whose spans do not overlap, in order.
fn mutations(rng: &mut Rng, o: &Original) -> Vec<Mutation> {
    let mut ms: Vec<Mutation> = (0..1 + rng.below(3)).map(|_| mutation(rng, o)).collect();
    ms.sort_by_key(|m| m.span());
    let mut kept: Vec<Mutation> = Vec::new();
    for m in ms {
        let (start, _) = m.span();
        if kept.last().is_none_or(|k| k.span().1 <= start && !matches!(k, Mutation::Truncate { .. })) {
            kept.push(m);
        }
    }
    kept
}

/// What the mutations leave alone: whether the preamble is intact, and which
/// frames are.
fn untouched(o: &Original, ms: &[Mutation]) -> (bool, Vec<bool>) {
    let mut preamble = true;
    let mut intact = vec![true; o.frames.len()];
    for m in ms {
        let (start, end) = m.span();
        let inserted = start == end;
        if start < wire::PREAMBLE_LEN {
            preamble = false;
        }
        for (i, f) in o.frames.iter().enumerate() {
            let hit = if inserted { f.offset < start && start < f.end() } else { f.offset < end && start < f.end() };
            if hit {
                intact[i] = false;
            }
        }
        // An END frame put in the middle of the file: what follows it is ignored.
        if let Mutation::Duplicate { at, from, len } = *m {
            let copied = |f: &&FrameAt| from <= f.offset && f.end() <= from + len;
            let copies_end = o.frames.iter().filter(copied).any(|f| f.kind == wire::kind::END);
            if copies_end {
                for (i, f) in o.frames.iter().enumerate() {
                    if f.offset >= at {
                        intact[i] = false;
                    }
                }
            }
        }
    }
    (preamble, intact)
}

/// Whether the decoder must report the changes: any change after the
/// preamble (whose flags are reserved), damage and whole frames cut out or
/// added alike, unless whole frames were cut out and added with as many
/// frames and events as before (a file tells only how many it has of each).
fn must_report(o: &Original, ms: &[Mutation]) -> bool {
    let boundary = |at: usize| at == o.bytes.len() || o.frames.iter().any(|f| f.offset == at);
    // The frames and events in `from..from + len`, if that is whole frames
    // and no END frame.
    let whole = |from: usize, len: usize| -> Option<(i64, i64)> {
        let inside = || o.frames.iter().enumerate().filter(|(_, f)| from <= f.offset && f.end() <= from + len);
        let whole = boundary(from) && boundary(from + len) && !inside().any(|(_, f)| f.kind == wire::kind::END);
        whole.then(|| (inside().count() as i64, inside().map(|(i, _)| o.events[i].len() as i64).sum()))
    };
    let (mut frames, mut events) = (0, 0);
    for m in ms {
        let change = match *m {
            _ if m.span().0 < wire::PREAMBLE_LEN => continue,
            Mutation::Delete { at, len } => whole(at, len).map(|(f, e)| (-f, -e)),
            Mutation::Duplicate { at, from, len } => whole(from, len).filter(|_| boundary(at)),
            _ => None,
        };
        let Some((f, e)) = change else { return true };
        frames += f;
        events += e;
    }
    frames != 0 || events != 0
}

fn check(o: &Original, ms: &[Mutation], case: usize) {
    let mut bytes = o.bytes.to_vec();
    for m in ms.iter().rev() {
        m.apply(&mut bytes, o.bytes);
    }
    let what = || format!("{} case {case}: {ms:?}", o.name);
    let (preamble, intact) = untouched(o, ms);
    let snap = match from_bytes(&bytes) {
        Ok(snap) => snap,
        Err(e) => {
            assert!(!preamble, "{}: {e}", what());
            return;
        }
    };
    if must_report(o, ms) {
        assert!(!snap.problems.is_empty(), "{}: damage not reported", what());
    }
    for p in &snap.problems {
        assert!(p.offset <= bytes.len() as u64, "{}: {p} is past the end", what());
    }
    // Every event decoded was logged, with these values.
    let mut got: HashMap<String, usize> = HashMap::new();
    for e in &snap.events {
        let sig = signature(&snap, e);
        assert!(o.all.contains_key(&sig), "{}: decoded an event that was never logged: {sig}", what());
        *got.entry(sig).or_insert(0) += 1;
        if case.is_multiple_of(8) {
            ttlog_decode::render::line::text_line(&snap, e);
            ttlog_decode::render::line::json_line(&snap, e);
        }
    }
    // Every event of an untouched frame whose callsite survived is there.
    let mut want: HashMap<&str, usize> = HashMap::new();
    for (i, events) in o.events.iter().enumerate() {
        if !intact[i] {
            continue;
        }
        for (sig, needs) in events {
            let ok = needs.iter().all(|n| match n {
                Needs::AnyOf(fs) => fs.iter().any(|&f| intact[f]),
                Needs::AllOf(fs) => fs.iter().all(|&f| intact[f]),
            });
            if ok {
                *want.entry(sig).or_insert(0) += 1;
            }
        }
    }
    for (sig, n) in want {
        let found = got.get(sig).copied().unwrap_or(0);
        assert!(found >= n, "{}: {n} events {sig} expected, {found} decoded\n{:#?}", what(), snap.problems);
    }
}

fn mutate(o: &Original, seed: u64, cases: usize) {
    let mut rng = Rng::new(seed);
    for case in 0..cases {
        let ms = mutations(&mut rng, o);
        check(o, &ms, case);
    }
}

#[test]
fn mutated_ordinary_snapshots() {
    let o = Original::new("ordinary", ordinary());
    assert!(o.frames.iter().filter(|f| f.kind == wire::kind::EVENTS).count() >= 3);
    mutate(&o, 0x853C_49E6_748F_EA9B, 2_000);
}

#[test]
fn mutated_crash_snapshots() {
    let o = Original::new("crash", crash());
    assert!(o.frames.iter().filter(|f| f.kind == wire::kind::RING).count() >= 2);
    mutate(&o, 0xDA3E_39CB_94B9_5BDB, 2_000);
}
