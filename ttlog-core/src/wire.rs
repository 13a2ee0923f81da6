//! The snapshot file format, version 1: the one definition that the snapshot
//! writer (this crate) and the decoder (`ttlog-decode`) share.
//!
//! ```text
//!  application threads          snapshot (any thread)             ttlog-decode
//!  ───────────────────          ─────────────────────             ────────────
//!  info!(..) ─▶ ring (raw       copy rings ─▶ walk records ─▶     frames ─▶ callsites,
//!  words, see buffer.rs)        intern (callsite, arg types),     threads, events ─▶
//!                               re-encode compactly, frame+CRC    merge by time ─▶ text
//! ```
//!
//! # File
//!
//! ```text
//!  offset 0   "TTLOGSNP"                 8 bytes, magic
//!  offset 8   version: u16 LE            this module's VERSION
//!  offset 10  flags: u16 LE              0; reserved
//!  offset 12  frame, frame, ...          until the END frame
//!
//!  frame:
//!    sync    4 bytes  F5 54 4C 46 ("\xF5TLF"), lets a reader resynchronise
//!    kind    u8       HEADER, CALLSITE, THREAD, EVENTS, END, ... (see `kind`)
//!    len     u32 LE   payload bytes (at most MAX_FRAME)
//!    crc     u32 LE   CRC-32 (IEEE) of kind, the 4 len bytes, and the payload
//!    payload len bytes
//! ```
//!
//! Frames appear in the order HEADER, TRIGGER, CLOCK, CALLSITE*, THREAD*,
//! EVENTS*, then the same HEADER, TRIGGER, CLOCK, CALLSITE* and THREAD* frames
//! again, then END (CLOCK is missing when the process logged nothing). A
//! snapshot written by a signal handler has HEADER, TRIGGER, CLOCK,
//! CALLSITE_STATIC*, then per thread a THREAD frame and its RING frames, then
//! HEADER, TRIGGER, CLOCK and CALLSITE_STATIC* again, then END. Events carry no type or
//! length bytes, so an event whose callsite is lost cannot be skipped; the
//! second copy of the metadata (a few hundred bytes per callsite, nothing per
//! event) means that damage to one copy costs no events. A reader keeps the
//! first intact copy of each item. A reader that finds a frame whose CRC or
//! length is wrong reports its offset and searches forward for the next sync
//! marker whose frame checks out, so damage costs the frames it touches and
//! nothing else. A missing END frame means the file was truncated; a reader
//! also reports a file whose intact frames before END are not `frames` in
//! number, or that holds more events than `events`. A reader skips frames of a kind it does not know (a newer
//! writer may add kinds without changing the version); a file whose version is
//! not [`VERSION`] is rejected with a message naming both versions.
//!
//! # Payloads
//!
//! `varint` is unsigned LEB128 (at most 10 bytes for u64, 19 for u128);
//! `zigzag` maps signed to unsigned (`0,-1,1,-2` → `0,1,2,3`) before the varint;
//! `str` is a varint byte length then UTF-8 bytes.
//!
//! ```text
//!  HEADER    program: str, pid: varint, host: str, reason: str,
//!            ttlog_version: str, clock: u8 (Clock),
//!            anchor: ClockPoint, taken: ClockPoint      (three varints each:
//!                                                        ticks, mono_ns, real_ns)
//!            evicted: varint, late_dropped: varint
//!  CALLSITE  index: varint (dense, 0..), level: u8, kind: u8, name: str,
//!            target: str, file: str, line: varint,
//!            nargs: varint, per argument:
//!                name: str, role: u8, type: u8 (ArgType), nspecs: varint,
//!                specs: fill: varint (char), align: u8, sign: u8,
//!                       flags: u8 (1 = '#', 2 = '0'), width: count,
//!                       precision: count, type: u8 (FmtType)
//!                count: u8 tag (0 none, 1 literal, 2 argument) [varint]
//!            npieces: varint, per piece:
//!                0 str (literal) | 1 arg: varint slot: varint
//!  THREAD    index: varint, tid: varint, name: str,
//!            flags: u8 (1 = exited, 2 = its ring could not be copied),
//!            recorded: varint, overwritten: varint, dropped: varint
//!  EVENTS    thread: varint, count: u32 LE, base_ticks: varint, then count
//!            events: callsite: varint (CALLSITE index),
//!                    delta: varint (ticks - previous ticks, wrapping u64),
//!                    arguments in the callsite's order, by type:
//!                      u8, bool           1 byte
//!                      u16..u128, char    varint
//!                      i8..i128           zigzag varint
//!                      f32, f64           4 / 8 bytes LE
//!                      str                varint (len << 1 | cut), [varint cut
//!                                         bytes if cut], len bytes
//!                      formatted          one str per spec of the argument
//!  END       frames: varint (frames before END, both metadata copies
//!            counted), events: varint
//!  CALLSITE_STATIC  as CALLSITE, with index the runtime callsite id and every
//!            argument type byte UNTYPED (0xFF): crash snapshots
//!  RING      thread: varint, block: varint (bytes: a power of two, 64 to 1 MiB),
//!            then whole little-endian u64 words: ring blocks as `record`
//!            lays them out; a thread's ring may span several RING frames
//!            (crash snapshots)
//!  TRIGGER   signal: varint (0: none), si_code: zigzag varint,
//!            si_addr: varint (the faulting address of SIGSEGV, SIGBUS,
//!            SIGILL, SIGFPE; 0 otherwise), sender pid: varint (a signal sent
//!            by a process; 0 otherwise), tid: varint, thread: str (the
//!            crashing, panicking or asking thread; for a signal sent by a
//!            process, the thread that received it), panic file: str,
//!            panic line: varint, panic column: varint ("" and 0 unless a
//!            panic), skipped: varint (automatic snapshots the storm limit
//!            skipped since the previous one written)
//!  CLOCK     clock: u8 (Clock), anchor: ClockPoint (the process's first
//!            event), point: ClockPoint (taken at its first snapshot, at
//!            least 10 ms after the anchor): the process's one calibration,
//!            the same in every snapshot of it, so an event has one time in
//!            all of them. A reader prefers it to the header's points.
//!  TYPE      a type that derives `ttlog::Record`: see [`types`], which
//!            also gives the encoding of its values (inside `formatted`
//!            arguments); written with the CALLSITE frames, in both copies
//!  DROPS     thread: varint, ticks: varint, count: varint: `count` events
//!            of the thread lost at that point of a continuous log (its ring
//!            was overwritten before the writer drained it, or the events
//!            could not be recorded); the time is that of the first event
//!            kept after them, or of the drain that noticed them
//! ```
//!
//! TRIGGER and CLOCK go with the header, in both copies of the metadata, in
//! files of ttlog 0.1 and later; a reader of an older file finds neither.
//!
//! # Continuous logs
//!
//! A continuous log (`Builder::log_file`) is a stream of the same frames,
//! appended as the background writer drains the rings: HEADER, then per drain
//! the CALLSITE frames of signatures used for the first time in this file, a
//! THREAD frame for each thread seen for the first time (its counts are 0:
//! losses are DROPS frames, where they happened), then DROPS and EVENTS
//! frames; END when the file is closed (at exit, or when it rotates). A file
//! cut off (the process killed) has no END frame and decodes up to the cut.
//! Each file of a rotated set carries the metadata its events use.
//!
//! The CALLSITE frame carries the *concrete* argument types: one callsite whose
//! arguments had different types (a generic function) gets one frame per
//! combination, so events need no type bytes.
//!
//! # Functions instrumented with `#[ttlog]`
//!
//! A call writes an entry event (callsite kind 1, `Enter`) and an exit event
//! (kind 2, `Exit`); both callsites are named after the function, and their
//! message is that name. Roles (`role: u8` above): 0 positional, 1 named,
//! 2 field, 3 call id, 4 outcome.
//!
//! ```text
//!  entry   call id (role 3, u64), then the parameters and `fields(..)` (role 2)
//!  exit    call id (role 3, u64), outcome (role 4, u8), then `ret` or `err` (role 2), if recorded
//!          outcome: 0 returned, 1 returned `Err`, 2 a panic unwound out of the call,
//!                   3 an `async fn` future dropped before completing
//! ```
//!
//! The call id is unique in the process (the thread's number in the high 32
//! bits, a count of the thread's calls in the low 32); 0 means that the entry
//! was not recorded (an `err` exit recorded at a level the entry's level was
//! not). A reader pairs an exit with the entry of the same call id; the elapsed
//! time is the difference of their timestamps. A reader that does not know
//! these roles cannot decode the callsite (roles 3 and 4 came with `#[ttlog]`,
//! within version 1, before its release).

pub mod record;
pub mod types;

mod frames;
mod primitives;
#[cfg(feature = "read")]
mod reader;
pub(crate) mod write;

pub use frames::*;
pub use primitives::*;
#[cfg(feature = "read")]
pub use reader::{Reader, WireError};

/// First eight bytes of every snapshot.
pub const MAGIC: [u8; 8] = *b"TTLOGSNP";
/// The format version this module reads and writes.
pub const VERSION: u16 = 1;
/// Bytes before the first frame: magic, version, flags.
pub const PREAMBLE_LEN: usize = 12;
/// Marks the start of every frame.
pub const SYNC: [u8; 4] = [0xF5, b'T', b'L', b'F'];
/// Bytes of a frame before its payload: sync, kind, len, crc.
pub const FRAME_HEADER_LEN: usize = 13;
/// The largest payload a reader accepts.
pub const MAX_FRAME: u32 = 16 << 20;
/// Payload bytes after which the writer closes an EVENTS frame.
pub const EVENTS_FRAME_TARGET: usize = 8 << 10;

/// Frame kinds.
pub mod kind {
    /// Program, process, reason and clock calibration.
    pub const HEADER: u8 = 1;
    /// One (callsite, argument types) pair.
    pub const CALLSITE: u8 = 2;
    /// One thread.
    pub const THREAD: u8 = 3;
    /// Events of one thread.
    pub const EVENTS: u8 = 4;
    /// Totals; its presence means the file is complete.
    pub const END: u8 = 5;
    /// A callsite without argument types, keyed by its runtime id (crash
    /// snapshots, which are written without re-encoding).
    pub const CALLSITE_STATIC: u8 = 6;
    /// Ring blocks of one thread, as they are in memory (crash snapshots).
    pub const RING: u8 = 7;
    /// What made the snapshot: signal, thread, fault address, panic location,
    /// snapshots skipped before it.
    pub const TRIGGER: u8 = 8;
    /// The process's clock calibration: the same in every snapshot of the
    /// process.
    pub const CLOCK: u8 = 9;
    /// Events of one thread lost at one point of a continuous log.
    pub const DROPS: u8 = 10;
    /// A type that derives `ttlog::Record`: its names (see [`super::types`]).
    pub const TYPE: u8 = 11;
}

/// The type byte of an argument in a CALLSITE_STATIC frame: its types travel
/// with each record.
pub const UNTYPED: u8 = 0xFF;

/// Flag bits of a THREAD frame: the thread had exited.
pub const THREAD_EXITED: u8 = 1;
/// Flag bits of a THREAD frame: its ring could not be copied.
pub const THREAD_NOT_COPIED: u8 = 2;
/// The tag of a width or precision: not given.
pub const COUNT_IMPLIED: u8 = 0;
/// The tag of a width or precision: a literal number follows.
pub const COUNT_LITERAL: u8 = 1;
/// The tag of a width or precision: an argument's index follows.
pub const COUNT_ARG: u8 = 2;
/// The tag of a message piece: literal text follows.
pub const PIECE_LIT: u8 = 0;
/// The tag of a message piece: an argument and its spec slot follow.
pub const PIECE_ARG: u8 = 1;
/// Flag bits of a spec.
pub const SPEC_ALTERNATE: u8 = 1;
/// Flag bits of a spec.
pub const SPEC_ZERO: u8 = 2;

/// The stem and extension (with its dot, or empty) of a log's base path.
pub(crate) fn stem_ext(base: &std::path::Path) -> (String, String) {
    let stem = base.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    let ext = base.extension().map(|e| format!(".{}", e.to_string_lossy())).unwrap_or_default();
    (stem, ext)
}

/// Whether `name` is the name of a rotated file of the continuous log at
/// `base`: `STEM-YYYYMMDDTHHMMSS.mmmZ-N.EXT`, as the writer names them (so
/// that a directory listing sorts them in time order).
pub fn is_rotated_name(base: &std::path::Path, name: &str) -> bool {
    let (stem, ext) = stem_ext(base);
    let Some(mid) =
        name.strip_prefix(stem.as_str()).and_then(|r| r.strip_prefix('-')).and_then(|r| r.strip_suffix(ext.as_str()))
    else {
        return false;
    };
    let b = mid.as_bytes();
    b.len() > 21
        && b[..8].iter().all(u8::is_ascii_digit)
        && b[8] == b'T'
        && b[9..15].iter().all(u8::is_ascii_digit)
        && b[15] == b'.'
        && b[16..19].iter().all(u8::is_ascii_digit)
        && b[19] == b'Z'
        && b[20] == b'-'
        && b[21..].iter().all(u8::is_ascii_digit)
}

#[cfg(all(test, feature = "read"))]
mod tests {
    use super::write::SmallCrc;
    use super::*;
    use crate::clock::{Clock, ClockPoint};

    #[test]
    fn varints_round_trip() {
        for v in [0u64, 1, 127, 128, 300, u32::MAX as u64, u64::MAX] {
            let mut b = Vec::new();
            put_varint(&mut b, v);
            let mut r = Reader::new(&b, 0);
            assert_eq!(r.varint().unwrap(), v);
            assert!(r.is_empty());
        }
        for v in [0u128, u64::MAX as u128 + 1, u128::MAX] {
            let mut b = Vec::new();
            put_varint128(&mut b, v);
            assert_eq!(Reader::new(&b, 0).varint128().unwrap(), v);
        }
        for v in [0i64, -1, 1, i64::MIN, i64::MAX] {
            assert_eq!(unzigzag(zigzag(v)), v);
        }
        for v in [0i128, -1, i128::MIN, i128::MAX] {
            assert_eq!(unzigzag128(zigzag128(v)), v);
        }
        assert_eq!(zigzag(-1), 1);
    }

    #[test]
    fn both_crcs_agree() {
        let data: Vec<u8> = (0..10_000u32).map(|i| (i * 7 + i / 13) as u8).collect();
        for len in [0, 1, 7, 64, 1000, 10_000] {
            let mut small = SmallCrc::new();
            small.update(&data[..len / 2]);
            small.update(&data[len / 2..len]);
            assert_eq!(small.finish(), crc32fast::hash(&data[..len]), "{len}");
        }
        assert_eq!(SmallCrc::new().finish(), 0);
    }

    #[test]
    fn overlong_varints_are_errors_not_panics() {
        let b = [0xffu8; 12];
        assert!(matches!(Reader::new(&b, 5).varint(), Err(WireError::Malformed { offset: 5, .. })));
        let b = [0xffu8; 20];
        assert!(Reader::new(&b, 0).varint128().is_err());
        let b = [0x80u8];
        assert_eq!(Reader::new(&b, 9).varint(), Err(WireError::UnexpectedEof { offset: 10 }));
    }

    #[test]
    fn counts_are_bounded_by_the_data() {
        let mut b = Vec::new();
        put_varint(&mut b, 1 << 40);
        assert!(Reader::new(&b, 0).count(1).is_err());
    }

    #[test]
    fn trigger_and_calibration_round_trip() {
        let t = Trigger {
            signal: 11,
            code: -6,
            addr: 0xdead_beef,
            sender_pid: 77,
            tid: 1234,
            thread: "crasher".into(),
            panic_file: "src/main.rs".into(),
            panic_line: 9,
            panic_column: 5,
            skipped: 199,
        };
        let mut b = Vec::new();
        t.encode(&mut b);
        assert_eq!(Trigger::decode(&mut Reader::new(&b, 0)).unwrap(), t);
        assert!(Trigger::decode(&mut Reader::new(&b[..b.len() - 1], 0)).is_err());
        let c = Calibration {
            clock: Clock::Tsc,
            anchor: ClockPoint { ticks: 1_000, mono_ns: 500, real_ns: 0 },
            point: ClockPoint { ticks: 3_000, mono_ns: 1_500, real_ns: 1_000_000 },
        };
        let mut b = Vec::new();
        c.encode(&mut b);
        assert_eq!(Calibration::decode(&mut Reader::new(&b, 0)).unwrap(), c);
        // Two ticks per nanosecond, from the point's wall-clock time.
        assert_eq!(c.unix_nanos(5_000), Some(1_001_000));
        assert_eq!(Calibration { clock: Clock::None, ..c }.unix_nanos(5_000), None);
    }

    #[test]
    fn header_round_trips_and_calibrates() {
        let h = Header {
            program: "p".into(),
            pid: 42,
            host: "h".into(),
            reason: "r".into(),
            ttlog_version: "0".into(),
            clock: Clock::Tsc,
            anchor: ClockPoint { ticks: 1_000, mono_ns: 500, real_ns: 0 },
            taken: ClockPoint { ticks: 3_000, mono_ns: 1_500, real_ns: 1_000_000 },
            evicted: 3,
            late_dropped: 4,
        };
        let mut b = Vec::new();
        h.encode(&mut b);
        let back = Header::decode(&mut Reader::new(&b, 0)).unwrap();
        assert_eq!(back, h);
        // Two ticks per nanosecond.
        assert_eq!(h.unix_nanos(3_000), Some(1_000_000));
        assert_eq!(h.unix_nanos(1_000), Some(999_000));
    }
}
