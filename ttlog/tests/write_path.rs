//! The write path under every shape of input, through the real macros, a real
//! snapshot and the real decoder.
//!
//! Each of several threads logs a long run of events. Event `seq` of thread `t`
//! is generated from a seed of `(t, seq)`: one of many callsites (values
//! formatted at the call of every length from 0 to more than a block, raw
//! integers, floats, `bool`, `char`, strings of every length in UTF-8, up to 40
//! arguments and fields, in many orders), so that a checker can regenerate it
//! and compute the exact text the decoder must print, cut markers included.
//! Small filler events between them move the big ones to every offset of a
//! block, and the small rings wrap many times, so that records end at the
//! ring's last block too. Some events' `Display` impls log (those events are
//! dropped and counted) and some panic (counted as dropped too).
//!
//! Snapshots are taken all along by another thread, and one at the end. For
//! every thread of every snapshot: every event decodes to exactly its text,
//! the events are the thread's newest records without a gap, and recorded +
//! overwritten + dropped is the thread's count at one moment: exactly what it
//! had logged for the final snapshot.
//!
//! `TTLOG_TEST_EVENTS` sets the events per thread (the AddressSanitizer run in
//! CI uses fewer).

use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Barrier};

const THREADS: usize = 4;
/// Per-thread ring: small, so that it wraps often.
const RING: usize = 16 << 10;

/// Test data from `fastrand`, in the shapes this test draws.
struct Rng(fastrand::Rng);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(fastrand::Rng::with_seed(seed))
    }

    fn next(&mut self) -> u64 {
        self.0.u64(..)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.0.u64(0..n)
    }

    /// A length: mostly short, often near a cut bound or a word boundary, and
    /// sometimes longer than a block.
    fn len(&mut self) -> usize {
        match self.below(8) {
            0..=3 => self.below(41) as usize,
            4 => 1010 + self.below(30) as usize,
            5 => 8 * self.below(20) as usize + self.below(3) as usize,
            _ => self.below(6000) as usize,
        }
    }

    /// Text of about `n` bytes: ASCII, with characters of two, three and four
    /// bytes in places (so that cuts fall inside characters).
    fn text(&mut self, n: usize) -> String {
        let mut s = String::with_capacity(n + 4);
        while s.len() < n {
            match self.below(16) {
                0 => s.push('é'),
                1 => s.push('€'),
                2 => s.push('𝄞'),
                _ => s.push((b'a' + self.below(26) as u8) as char),
            }
        }
        s
    }
}

/// The prefix of `s` that is at most `n` bytes, cut at a character boundary.
fn floor_char(s: &str, mut n: usize) -> &str {
    if n >= s.len() {
        return s;
    }
    while !s.is_char_boundary(n) {
        n -= 1;
    }
    &s[..n]
}

/// How the decoder shows a value that kept `kept` of its `len` bytes.
fn with_marker(kept: &str, len: usize) -> String {
    if kept.len() == len { kept.to_owned() } else { format!("{kept}…[{} bytes cut]", len - kept.len()) }
}

/// An argument as the decoder shows it, for an event of `nargs` arguments.
trait Shown {
    fn shown(&self, nargs: usize) -> String;
}

macro_rules! shown_by_display {
    ($($t:ty),*) => {$(
        impl Shown for $t {
            fn shown(&self, _: usize) -> String {
                self.to_string()
            }
        }
    )*};
}

shown_by_display!(u8, u16, u32, u64, u128, i8, i16, i32, i64, i128, f32, f64, bool, char, usize);

/// A string recorded raw: cut at the event's string bound.
impl Shown for &str {
    fn shown(&self, nargs: usize) -> String {
        with_marker(floor_char(self, ttlog::__private::str_bound(nargs)), self.len())
    }
}

/// A value formatted at the call keeps what fits in the string bound with
/// five bytes left for the cut marker.
fn formatted_shown(text: &str, nargs: usize) -> String {
    let bound = ttlog::__private::str_bound(nargs);
    if text.len() + 5 <= bound { text.to_owned() } else { with_marker(floor_char(text, bound - 5), text.len()) }
}

/// Thread-local state: the events this thread logged from inside a
/// `Display` impl or that panicked (ttlog drops and counts both), and
/// whether the event being generated has a value that panics.
mod local {
    use std::cell::Cell;
    thread_local! {
        static DROPS: Cell<u64> = const { Cell::new(0) };
        static PANICS: Cell<bool> = const { Cell::new(false) };
    }
    pub fn drops() -> u64 {
        DROPS.with(Cell::get)
    }
    pub fn add_drop() {
        DROPS.with(|d| d.set(d.get() + 1));
    }
    pub fn set_panics(v: bool) {
        PANICS.with(|p| p.set(v));
    }
    pub fn panics() -> bool {
        PANICS.with(Cell::get)
    }
}

/// What a panicking `Display` impl panics with.
const PANIC: &str = "a Display impl that panics";

/// A value formatted at the call: `text`, written in pieces of `chunk` bytes.
/// With `nested`, its `Display` also logs an event (which ttlog drops and
/// counts); with `panics`, it panics after writing half of its text.
struct Pad {
    text: String,
    chunk: usize,
    nested: bool,
    panics: bool,
}

impl Pad {
    fn new(r: &mut Rng) -> Pad {
        let n = r.len();
        let p = Pad {
            text: r.text(n),
            chunk: 1 + r.below(64) as usize,
            nested: r.below(50) == 0,
            panics: r.below(300) == 0,
        };
        if p.panics && !p.text.is_empty() {
            local::set_panics(true);
        }
        p
    }
}

impl fmt::Display for Pad {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.nested {
            local::add_drop();
            ttlog::info!("logged from a Display impl: {}", 7u8);
        }
        let mut rest = self.text.as_str();
        let mut written = 0;
        while !rest.is_empty() {
            let n = floor_char(rest, self.chunk.max(4)).len();
            let (piece, tail) = rest.split_at(n);
            f.write_str(piece)?;
            written += n;
            rest = tail;
            if self.panics && written >= self.text.len() / 2 {
                std::panic::panic_any(PANIC);
            }
        }
        Ok(())
    }
}

impl Shown for Pad {
    fn shown(&self, nargs: usize) -> String {
        formatted_shown(&self.text, nargs)
    }
}

/// A struct recorded with `{:?}`: formatted at the call.
#[derive(Debug)]
#[allow(dead_code)] // Read through `Debug`, which the lint does not count.
struct Dbg {
    id: u32,
    name: String,
}

/// Logs the event (when `log`) and returns the text the decoder must show.
/// Every placeholder is a plain `{}`, so that the expected text is `format!`
/// of the arguments as shown.
macro_rules! case {
    ($log:expr, $fmt:literal, $($a:expr),*) => {{
        let nargs = 0 $(+ { let _ = stringify!($a); 1 })*;
        if $log {
            ttlog::info!($fmt, $($a),*);
        }
        format!($fmt, $(Shown::shown(&$a, nargs)),*)
    }};
}

/// Event `seq` of thread `t`: logs it (when `log`) and returns its text and
/// whether one of its values panics while formatted (it then records nothing
/// and counts as dropped).
fn event(t: u8, seq: u64, log: bool) -> (String, bool) {
    let mut r = Rng::new(((t as u64) << 48) ^ seq.wrapping_mul(0x2545_F491_4F6C_DD1D));
    local::set_panics(false);
    let text = match r.below(18) {
        // The shape that overflowed: a value formatted at the call, then a raw one.
        0 => {
            let p = Pad::new(&mut r);
            let n = r.next();
            case!(log, "{} {} a {} {}", t, seq, p, n)
        }
        1 => {
            let (n, p) = (r.next() as u32, Pad::new(&mut r));
            case!(log, "{} {} b {} {}", t, seq, n, p)
        }
        2 => {
            let (p, s, n) = (Pad::new(&mut r), r.len(), r.next() as i128 * -3);
            let s = r.text(s);
            case!(log, "{} {} c {} {} {}", t, seq, p, &*s, n)
        }
        3 => {
            let n = r.len();
            let s = r.text(n);
            let (p, q, x) = (Pad::new(&mut r), Pad::new(&mut r), r.next() as f64 / 7.0);
            case!(log, "{} {} d {} {} {} {}", t, seq, &*s, p, q, x)
        }
        4 => {
            let p = Pad::new(&mut r);
            let v: Vec<u64> = (0..5).map(|_| r.next() >> r.below(64)).collect();
            case!(log, "{} {} e {} {} {} {} {} {}", t, seq, p, v[0], v[1], v[2], v[3], v[4])
        }
        5 => {
            let n = r.len();
            let s = r.text(n);
            case!(log, "{} {} f {}", t, seq, &*s)
        }
        6 => {
            let p = Pad::new(&mut r);
            case!(log, "{} {} g {}", t, seq, p)
        }
        7 => {
            // Twelve arguments: the largest tuple.
            let (b, c) = (r.below(2) == 1, char::from_u32(0x61 + r.below(26) as u32).unwrap_or('x'));
            let (p, i) = (Pad::new(&mut r), r.next() as i8);
            let s: Vec<String> = (0..2)
                .map(|_| {
                    let n = r.len();
                    r.text(n)
                })
                .collect();
            let (f, n, q, u, j) =
                (r.next() as f32, r.next() as u16, Pad::new(&mut r), r.next() as u128 * 3, r.next() as i64);
            case!(log, "{} {} h {} {} {} {} {} {} {} {} {} {} {}", t, seq, b, c, p, i, &*s[0], f, n, q, &*s[1], u, j)
        }
        8 => {
            // Fourteen: the write path for more than twelve arguments.
            let p: Vec<Pad> = (0..4).map(|_| Pad::new(&mut r)).collect();
            let s: Vec<String> = (0..4)
                .map(|_| {
                    let n = r.len();
                    r.text(n)
                })
                .collect();
            let (a, b, c, d) = (r.next(), r.next() as u8, r.next() as i32, r.next() as f64);
            case!(
                log,
                "{} {} i {} {} {} {} {} {} {} {} {} {} {} {}",
                t,
                seq,
                p[0],
                &*s[0],
                a,
                p[1],
                &*s[1],
                b,
                p[2],
                &*s[2],
                c,
                p[3],
                &*s[3],
                d
            )
        }
        9 => {
            // Forty arguments: a smaller string bound.
            let p: Vec<Pad> = (0..10).map(|_| Pad::new(&mut r)).collect();
            let s: Vec<String> = (0..10)
                .map(|_| {
                    let n = r.len();
                    r.text(n)
                })
                .collect();
            let n: Vec<u64> = (0..18).map(|_| r.next()).collect();
            case!(
                log,
                "{} {} j {} {} {} {} {} {} {} {} {} {} {} {} {} {} {} {} {} {} {} {} {} {} {} {} {} {} {} {} {} {} {} {} {} {} {} {} {} {}",
                t,
                seq,
                p[0],
                &*s[0],
                n[0],
                n[1],
                p[1],
                &*s[1],
                n[2],
                n[3],
                p[2],
                &*s[2],
                n[4],
                n[5],
                p[3],
                &*s[3],
                n[6],
                n[7],
                p[4],
                &*s[4],
                n[8],
                n[9],
                p[5],
                &*s[5],
                n[10],
                n[11],
                p[6],
                &*s[6],
                n[12],
                n[13],
                p[7],
                &*s[7],
                n[14],
                n[15],
                p[8],
                &*s[8],
                n[16],
                n[17],
                p[9],
                &*s[9]
            )
        }
        10 => {
            // Fields: raw, and one formatted at the call with `?`.
            let (p, n) = (Pad::new(&mut r), r.next());
            let d = Dbg {
                id: r.next() as u32,
                name: {
                    let n = r.len();
                    r.text(n)
                },
            };
            let h = {
                let n = r.len();
                r.text(n)
            };
            if log {
                ttlog::info!("{} {} k {}", t, seq, p, n = n, host = &*h, who = ?d);
            }
            format!(
                "{} {} k {} n={} host={} who={}",
                t,
                seq,
                p.shown(6),
                n,
                (&*h).shown(6),
                formatted_shown(&format!("{d:?}"), 6)
            )
        }
        11 => {
            let d = Dbg {
                id: r.next() as u32,
                name: {
                    let n = r.len();
                    r.text(n)
                },
            };
            let n = r.next() as i16;
            if log {
                ttlog::info!("{} {} l {:?} {}", t, seq, d, n);
            }
            format!("{} {} l {} {}", t, seq, formatted_shown(&format!("{d:?}"), 4), n)
        }
        12 => {
            // Thirteen raw arguments, strings of every length among them:
            // the write path for more than twelve, without a formatted value.
            let s: Vec<String> = (0..6)
                .map(|_| {
                    let n = r.len();
                    r.text(n)
                })
                .collect();
            let n: Vec<u32> = (0..5).map(|_| r.next() as u32).collect();
            case!(
                log,
                "{} {} q {} {} {} {} {} {} {} {} {} {} {}",
                t,
                seq,
                &*s[0],
                n[0],
                &*s[1],
                n[1],
                &*s[2],
                n[2],
                &*s[3],
                n[3],
                &*s[4],
                n[4],
                &*s[5]
            )
        }
        16 => {
            // Raw values only, strings among them of every length: the fast
            // paths for short, medium and long strings, and values appended
            // after a string's last partial word.
            let (a, b) = (r.len(), r.len());
            let (s1, s2) = (r.text(a), r.text(b));
            let (n, x, c) = (r.next() as u32, r.next() as f64 / 3.0, char::from_u32(0x61 + r.below(26) as u32));
            let c = c.unwrap_or('x');
            case!(log, "{} {} r {} {} {} {} {}", t, seq, &*s1, n, &*s2, x, c)
        }
        // Fillers: short records of several lengths, to move the others to
        // every offset of a block.
        13 => case!(log, "{} {} m", t, seq),
        14 => {
            let n = r.next();
            case!(log, "{} {} n {}", t, seq, n)
        }
        15 => {
            let n = r.below(24) as usize;
            let s = r.text(n);
            case!(log, "{} {} o {}", t, seq, &*s)
        }
        _ => {
            let (a, b) = (r.next() as u8, r.next() as u128);
            case!(log, "{} {} p {} {}", t, seq, a, b)
        }
    };
    (text, local::panics())
}

/// What a logging thread publishes for the checkers.
struct Progress {
    /// Events logged so far.
    logged: AtomicU64,
    /// `drops_after[seq]`: the thread's count of dropped events once event
    /// `seq` returned (events logged by `Display` impls, and panics).
    drops_after: Vec<AtomicU64>,
    /// `panics[seq]`: whether event `seq` panics (it records nothing).
    panics: Vec<bool>,
}

fn events_per_thread() -> u64 {
    std::env::var("TTLOG_TEST_EVENTS").ok().and_then(|v| v.parse().ok()).unwrap_or(6_000)
}

fn log_thread(t: u8, progress: &Progress) {
    for seq in 0..progress.panics.len() as u64 {
        let r = std::panic::catch_unwind(|| event(t, seq, true));
        assert_eq!(r.is_err(), progress.panics[seq as usize], "event {seq} panicked, or did not, unexpectedly");
        if r.is_err() {
            local::add_drop();
        }
        progress.drops_after[seq as usize].store(local::drops(), Ordering::Release);
        progress.logged.store(seq + 1, Ordering::Release);
    }
}

/// Takes a snapshot and checks it (`done`: after every thread finished);
/// returns the events it checked.
fn check(progress: &[Progress], done: bool) -> u64 {
    // What each thread had logged before the snapshot began (and, below,
    // after it ended).
    let before: Vec<u64> = progress.iter().map(|p| p.logged.load(Ordering::Acquire)).collect();
    let snap = ttlog::snapshot(if done { "final" } else { "meanwhile" });
    let decoded = ttlog_decode::from_bytes(&snap.to_bytes()).expect("a snapshot decodes");
    assert!(decoded.problems.is_empty(), "{:?}", decoded.problems);
    let mut per_thread: Vec<Vec<(u64, String)>> = vec![Vec::new(); THREADS];
    for e in &decoded.events {
        let Some(t) = decoded.thread(e).and_then(|th| th.name.strip_prefix("writer-")?.parse::<usize>().ok()) else {
            continue;
        };
        let cs = decoded.callsite(e).expect("callsite");
        let mut text = ttlog_decode::render::message::message(cs, decoded.args(e));
        ttlog_decode::render::message::write_fields(&mut text, cs, decoded.args(e));
        let mut words = text.splitn(3, ' ');
        assert_eq!(words.next(), Some(&*t.to_string()), "{text}");
        let seq = words.next().and_then(|s| s.parse().ok()).unwrap_or_else(|| panic!("no sequence number: {text:?}"));
        per_thread[t].push((seq, text));
    }
    let mut checked = 0;
    for th in decoded.threads.iter().flatten() {
        let Some(t) = th.name.strip_prefix("writer-").and_then(|n| n.parse::<usize>().ok()) else { continue };
        let p = &progress[t];
        assert!(th.copied, "thread {t}: its ring was not copied");
        let events = std::mem::take(&mut per_thread[t]);
        assert_eq!(events.len() as u64, th.recorded, "thread {t}: events decoded and recorded differ");
        // Records are numbered over the events that do not panic.
        let records_before = |seq: u64| p.panics[..seq as usize].iter().filter(|&&x| !x).count() as u64;
        for (k, (seq, text)) in events.iter().enumerate() {
            assert!(!p.panics[*seq as usize], "thread {t}: event {seq} panicked but was recorded");
            assert_eq!(*text, event(t as u8, *seq, false).0, "thread {t}, event {seq}");
            // The events are the thread's records `overwritten..overwritten + recorded`.
            assert_eq!(records_before(*seq), th.overwritten + k as u64, "thread {t}, event {seq}: a gap");
        }
        checked += events.len() as u64;
        let after = p.logged.load(Ordering::Acquire);
        // The counts are those of one moment: after the last event kept and
        // before the next one that records.
        let last = events.last().map(|(s, _)| *s);
        let kept_through = last.map_or(0, |s| s + 1);
        let next = (kept_through..after).find(|&s| !p.panics[s as usize]);
        let drops_lo = last.map_or(0, |s| p.drops_after[s as usize].load(Ordering::Acquire));
        // (With no later record among the events logged by now, the thread
        // may have been inside an event that had logged from a `Display`
        // impl already: no upper bound but the final snapshot's.)
        let drops_hi = next.map_or(u64::MAX, |s| p.drops_after[s as usize].load(Ordering::Acquire));
        assert!(
            (drops_lo..=drops_hi).contains(&th.dropped),
            "thread {t}: dropped {} is not between {drops_lo} and {drops_hi}",
            th.dropped
        );
        // At most one more than the events logged by now: the one in progress
        // may be recorded already.
        let (lo, hi) = (records_before(before[t]), records_before((after + 1).min(p.panics.len() as u64)));
        assert!(
            (lo..=hi).contains(&(th.recorded + th.overwritten)),
            "thread {t}: recorded {} + overwritten {} is not between {lo} and {hi}",
            th.recorded,
            th.overwritten
        );
        if done {
            let n = p.panics.len() as u64;
            assert_eq!(after, n);
            assert_eq!(th.recorded + th.overwritten, records_before(n), "thread {t}: records");
            assert_eq!(th.dropped, p.drops_after[n as usize - 1].load(Ordering::Acquire), "thread {t}: drops");
        }
    }
    checked
}

#[test]
fn every_event_exact_under_every_shape() {
    // Panics of the `Display` impls are expected: keep their messages quiet.
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if info.payload_as_str() != Some(PANIC) {
            default(info);
        }
    }));
    ttlog::Builder::new().buffer_size(RING).init().expect("configure ttlog");
    let n = events_per_thread();
    let progress: Arc<Vec<Progress>> = Arc::new(
        (0..THREADS)
            .map(|t| Progress {
                logged: AtomicU64::new(0),
                drops_after: (0..n).map(|_| AtomicU64::new(0)).collect(),
                panics: (0..n).map(|seq| event(t as u8, seq, false).1).collect(),
            })
            .collect(),
    );
    let panicking: usize = progress.iter().map(|p| p.panics.iter().filter(|&&x| x).count()).sum();
    let start = Arc::new(Barrier::new(THREADS + 1));
    let stop = Arc::new(AtomicBool::new(false));
    let writers: Vec<_> = (0..THREADS)
        .map(|t| {
            let (progress, start) = (Arc::clone(&progress), Arc::clone(&start));
            std::thread::Builder::new()
                .name(format!("writer-{t}"))
                .spawn(move || {
                    start.wait();
                    log_thread(t as u8, &progress[t]);
                })
                .expect("spawn a writer")
        })
        .collect();
    let snapshots = {
        let (progress, stop) = (Arc::clone(&progress), Arc::clone(&stop));
        std::thread::spawn(move || {
            let (mut taken, mut checked) = (0u64, 0u64);
            while !stop.load(Ordering::Acquire) {
                checked += check(&progress, false);
                taken += 1;
            }
            (taken, checked)
        })
    };
    start.wait();
    for w in writers {
        w.join().expect("a writer");
    }
    stop.store(true, Ordering::Release);
    let (taken, checked) = snapshots.join().expect("the snapshot thread");
    let last = check(&progress, true);
    let _ = std::panic::take_hook();
    let drops: u64 = progress.iter().map(|p| p.drops_after[n as usize - 1].load(Ordering::Relaxed)).sum();
    println!(
        "{THREADS} threads x {n} events ({panicking} panicking, {drops} dropped in all); \
         {taken} snapshots while logging checked {checked} events; the final one {last}"
    );
    assert!(last > 0 && taken > 0);
}
