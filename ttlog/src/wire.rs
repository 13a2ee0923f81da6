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
//!    kind    u8       HEADER, CALLSITE, THREAD, EVENTS, END
//!    len     u32 LE   payload bytes (at most MAX_FRAME)
//!    crc     u32 LE   CRC-32 (IEEE) of kind, the 4 len bytes, and the payload
//!    payload len bytes
//! ```
//!
//! Frames appear in the order HEADER, CALLSITE*, THREAD*, EVENTS*, then the same
//! HEADER, CALLSITE* and THREAD* frames again, then END. Events carry no type or
//! length bytes, so an event whose callsite is lost cannot be skipped; the
//! second copy of the metadata (a few hundred bytes per callsite, nothing per
//! event) means that damage to one copy costs no events. A reader keeps the
//! first intact copy of each item. A reader that finds a frame whose CRC or
//! length is wrong reports its offset and searches forward for the next sync
//! marker whose frame checks out, so damage costs the frames it touches and
//! nothing else. A missing END frame means the
//! file was truncated. A reader skips frames of a kind it does not know (a newer
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
//! ```
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

use crate::callsite::{Align, ArgRole, ArgType, Count, FmtType, Sign, Spec};
use crate::clock::{Clock, ClockPoint};
use crate::level::Level;
use core::fmt;

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
}

/// The type byte of an argument in a CALLSITE_STATIC frame: its types travel
/// with each record.
pub const UNTYPED: u8 = 0xFF;

/// Flag bits of a THREAD frame: the thread had exited.
pub const THREAD_EXITED: u8 = 1;
/// Flag bits of a THREAD frame: its ring could not be copied.
pub const THREAD_NOT_COPIED: u8 = 2;
/// Flag bits of a spec.
pub const SPEC_ALTERNATE: u8 = 1;
/// Flag bits of a spec.
pub const SPEC_ZERO: u8 = 2;

// ---------------------------------------------------------------------------
// Writing
// ---------------------------------------------------------------------------

/// Where encoded bytes go: a `Vec`, or (for the crash path, which must not
/// allocate) a fixed buffer.
pub trait Out {
    /// Appends bytes.
    fn put(&mut self, bytes: &[u8]);
    /// Appends one byte.
    #[inline]
    fn put_byte(&mut self, b: u8) {
        self.put(&[b]);
    }
}

impl Out for Vec<u8> {
    #[inline]
    fn put(&mut self, bytes: &[u8]) {
        self.extend_from_slice(bytes);
    }
    #[inline(always)]
    fn put_byte(&mut self, b: u8) {
        self.push(b);
    }
}

/// A fixed buffer that never allocates; what does not fit is dropped and
/// remembered.
#[derive(Debug)]
pub struct SliceOut<'a> {
    buf: &'a mut [u8],
    len: usize,
    overflowed: bool,
}

impl<'a> SliceOut<'a> {
    /// Writes into `buf` from its start.
    pub fn new(buf: &'a mut [u8]) -> SliceOut<'a> {
        SliceOut { buf, len: 0, overflowed: false }
    }

    /// The bytes written, or `None` if some did not fit.
    pub fn bytes(&self) -> Option<&[u8]> {
        if self.overflowed { None } else { Some(&self.buf[..self.len]) }
    }
}

impl Out for SliceOut<'_> {
    fn put(&mut self, bytes: &[u8]) {
        match self.buf.get_mut(self.len..self.len + bytes.len()) {
            Some(dst) => {
                dst.copy_from_slice(bytes);
                self.len += bytes.len();
            }
            None => self.overflowed = true,
        }
    }
}

/// Appends `v` as unsigned LEB128.
#[inline]
pub fn put_varint(out: &mut impl Out, mut v: u64) {
    while v >= 0x80 {
        out.put_byte(v as u8 | 0x80);
        v >>= 7;
    }
    out.put_byte(v as u8);
}

/// Appends a `u128` as unsigned LEB128.
pub fn put_varint128(out: &mut impl Out, mut v: u128) {
    while v >= 0x80 {
        out.put_byte(v as u8 | 0x80);
        v >>= 7;
    }
    out.put_byte(v as u8);
}

/// Zigzag-maps a signed value.
#[inline]
pub const fn zigzag(v: i64) -> u64 {
    ((v << 1) ^ (v >> 63)) as u64
}

/// Undoes [`zigzag`].
#[inline]
pub const fn unzigzag(v: u64) -> i64 {
    ((v >> 1) as i64) ^ -((v & 1) as i64)
}

/// Zigzag-maps a signed 128-bit value.
pub const fn zigzag128(v: i128) -> u128 {
    ((v << 1) ^ (v >> 127)) as u128
}

/// Undoes [`zigzag128`].
pub const fn unzigzag128(v: u128) -> i128 {
    ((v >> 1) as i128) ^ -((v & 1) as i128)
}

/// Appends a length-prefixed string.
pub fn put_str(out: &mut impl Out, s: &str) {
    put_varint(out, s.len() as u64);
    out.put(s.as_bytes());
}

/// Appends a recorded string argument: `varint(len << 1 | cut != 0)`, the cut
/// count when nonzero, the bytes.
#[inline]
pub fn put_arg_str(out: &mut impl Out, bytes: &[u8], cut: u64) {
    put_varint(out, (bytes.len() as u64) << 1 | (cut != 0) as u64);
    if cut != 0 {
        put_varint(out, cut);
    }
    out.put(bytes);
}

/// Appends the file preamble.
pub fn put_preamble(out: &mut impl Out) {
    out.put(&MAGIC);
    out.put(&VERSION.to_le_bytes());
    out.put(&0u16.to_le_bytes());
}

/// CRC-32 (IEEE 802.3, reflected, polynomial 0xEDB88320: the CRC of zlib and
/// `crc32fast`) by table lookup: slower than `crc32fast`'s SIMD, but it needs
/// almost no stack, which the fatal-signal handler (running on a small
/// alternate signal stack) requires.
#[derive(Clone, Copy, Debug)]
pub struct SmallCrc(u32);

const CRC_TABLE: [u32; 256] = {
    let mut t = [0u32; 256];
    let mut i = 0;
    while i < 256 {
        let mut c = i as u32;
        let mut k = 0;
        while k < 8 {
            c = if c & 1 != 0 { 0xEDB8_8320 ^ (c >> 1) } else { c >> 1 };
            k += 1;
        }
        t[i] = c;
        i += 1;
    }
    t
};

impl SmallCrc {
    /// A CRC of nothing yet.
    pub const fn new() -> SmallCrc {
        SmallCrc(!0)
    }

    /// Adds bytes.
    pub fn update(&mut self, bytes: &[u8]) {
        let mut c = self.0;
        for &b in bytes {
            c = CRC_TABLE[((c ^ b as u32) & 0xff) as usize] ^ (c >> 8);
        }
        self.0 = c;
    }

    /// The CRC of the bytes added.
    pub const fn finish(self) -> u32 {
        !self.0
    }
}

impl Default for SmallCrc {
    fn default() -> Self {
        SmallCrc::new()
    }
}

/// The CRC of a frame.
pub fn frame_crc(kind: u8, payload: &[u8]) -> u32 {
    let mut h = crc32fast::Hasher::new();
    h.update(&[kind]);
    h.update(&(payload.len() as u32).to_le_bytes());
    h.update(payload);
    h.finalize()
}

/// Appends a frame around `payload`.
pub fn put_frame(out: &mut impl Out, kind: u8, payload: &[u8]) {
    out.put(&frame_header(kind, payload.len() as u32, frame_crc(kind, payload)));
    out.put(payload);
}

/// The header of a frame whose payload has length `len` and CRC `crc` (from
/// [`frame_crc`], or a [`crc32fast::Hasher`] fed the kind, the length's four
/// bytes and the payload, when the payload is written in pieces).
pub fn frame_header(kind: u8, len: u32, crc: u32) -> [u8; FRAME_HEADER_LEN] {
    let mut h = [0u8; FRAME_HEADER_LEN];
    h[..4].copy_from_slice(&SYNC);
    h[4] = kind;
    h[5..9].copy_from_slice(&len.to_le_bytes());
    h[9..].copy_from_slice(&crc.to_le_bytes());
    h
}

fn put_point(out: &mut impl Out, p: &ClockPoint) {
    put_varint(out, p.ticks);
    put_varint(out, p.mono_ns);
    put_varint(out, p.real_ns);
}

fn put_count(out: &mut impl Out, c: &Count) {
    match c {
        Count::Implied => out.put(&[0]),
        Count::Is(n) => {
            out.put(&[1]);
            put_varint(out, *n as u64);
        }
        Count::Arg(i) => {
            out.put(&[2]);
            put_varint(out, *i as u64);
        }
    }
}

/// Appends a spec.
pub fn put_spec(out: &mut impl Out, s: &Spec) {
    put_varint(out, s.fill as u64);
    out.put(&[s.align as u8, s.sign as u8]);
    out.put(&[if s.alternate { SPEC_ALTERNATE } else { 0 } | if s.zero { SPEC_ZERO } else { 0 }]);
    put_count(out, &s.width);
    put_count(out, &s.precision);
    out.put(&[s.ty as u8]);
}

// ---------------------------------------------------------------------------
// Frame contents, as both sides see them
// ---------------------------------------------------------------------------

/// The HEADER frame.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Header {
    /// The program's name.
    pub program: String,
    /// Its process id.
    pub pid: u64,
    /// The host name.
    pub host: String,
    /// Why the snapshot was taken.
    pub reason: String,
    /// Version of the ttlog that wrote the file.
    pub ttlog_version: String,
    /// The event clock.
    pub clock: Clock,
    /// Calibration point at the first event.
    pub anchor: ClockPoint,
    /// Calibration point when the snapshot was taken.
    pub taken: ClockPoint,
    /// Events of exited threads discarded when their buffers were reused.
    pub evicted: u64,
    /// Events dropped by threads that were ending.
    pub late_dropped: u64,
}

/// The fields of a HEADER frame, borrowed: what the crash path encodes without
/// allocating.
#[derive(Clone, Copy, Debug)]
pub struct HeaderRef<'a> {
    /// The program's name.
    pub program: &'a str,
    /// Its process id.
    pub pid: u64,
    /// The host name.
    pub host: &'a str,
    /// Why the snapshot was taken.
    pub reason: &'a str,
    /// The event clock.
    pub clock: Clock,
    /// Calibration point at the first event.
    pub anchor: ClockPoint,
    /// Calibration point when the snapshot was taken.
    pub taken: ClockPoint,
    /// Events of exited threads discarded for reuse.
    pub evicted: u64,
    /// Events dropped by ending threads.
    pub late_dropped: u64,
}

impl HeaderRef<'_> {
    /// Encodes the payload (with this crate's version).
    pub fn encode(&self, out: &mut impl Out) {
        put_str(out, self.program);
        put_varint(out, self.pid);
        put_str(out, self.host);
        put_str(out, self.reason);
        put_str(out, env!("CARGO_PKG_VERSION"));
        out.put(&[self.clock as u8]);
        put_point(out, &self.anchor);
        put_point(out, &self.taken);
        put_varint(out, self.evicted);
        put_varint(out, self.late_dropped);
    }
}

impl Header {
    /// Encodes the payload.
    pub fn encode(&self, out: &mut impl Out) {
        put_str(out, &self.program);
        put_varint(out, self.pid);
        put_str(out, &self.host);
        put_str(out, &self.reason);
        put_str(out, &self.ttlog_version);
        out.put(&[self.clock as u8]);
        put_point(out, &self.anchor);
        put_point(out, &self.taken);
        put_varint(out, self.evicted);
        put_varint(out, self.late_dropped);
    }

    /// Decodes the payload.
    pub fn decode(r: &mut Reader<'_>) -> Result<Header, WireError> {
        Ok(Header {
            program: r.str()?.to_owned(),
            pid: r.varint()?,
            host: r.str()?.to_owned(),
            reason: r.str()?.to_owned(),
            ttlog_version: r.str()?.to_owned(),
            clock: {
                let at = r.offset();
                let v = r.u8()?;
                Clock::from_u8(v).ok_or_else(|| WireError::malformed(at, format!("unknown clock {v}")))?
            },
            anchor: r.point()?,
            taken: r.point()?,
            evicted: r.varint()?,
            late_dropped: r.varint()?,
        })
    }

    /// Nanoseconds since the Unix epoch for an event clock reading, if the clock
    /// tells time.
    pub fn unix_nanos(&self, ticks: u64) -> Option<i128> {
        match self.clock {
            Clock::None => None,
            _ => {
                // Differences of u64 readings, as i64: exact for spans under
                // 292 years. 64-bit arithmetic only: the decoder does this for
                // every line.
                let dt = self.taken.ticks.wrapping_sub(self.anchor.ticks) as i64;
                let dm = self.taken.mono_ns.wrapping_sub(self.anchor.mono_ns) as i64;
                let since = ticks.wrapping_sub(self.taken.ticks) as i64;
                let ns = if dt > 0 && dm > 0 {
                    // ns = since * dm / dt, in floating point: both spans fit an f64
                    // with sub-nanosecond error for any realistic process life.
                    (since as f64 * (dm as f64 / dt as f64)).round() as i64
                } else {
                    since
                };
                Some(self.taken.real_ns as i128 + ns as i128)
            }
        }
    }
}

/// A CALLSITE frame: a callsite with the concrete types of its arguments.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallsiteInfo {
    /// Dense index events refer to.
    pub index: u32,
    /// Severity.
    pub level: Level,
    /// Event, function entry or exit.
    pub kind: crate::callsite::CallsiteKind,
    /// Name.
    pub name: String,
    /// Target.
    pub target: String,
    /// Source file.
    pub file: String,
    /// Source line.
    pub line: u32,
    /// Arguments, in recording order.
    pub args: Vec<ArgInfo>,
    /// The message.
    pub pieces: Vec<PieceInfo>,
}

/// An argument of a [`CallsiteInfo`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ArgInfo {
    /// Name (identifier, or the expression's text for positional arguments).
    pub name: String,
    /// Positional, named or field.
    pub role: ArgRole,
    /// The value's type.
    pub ty: ArgType,
    /// The specs the message applies to it.
    pub specs: Vec<Spec>,
}

/// A piece of a [`CallsiteInfo`]'s message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PieceInfo {
    /// Literal text.
    Lit(String),
    /// `args[arg]` rendered with its `slot`-th spec.
    Arg {
        /// Argument index.
        arg: u16,
        /// Spec index.
        slot: u16,
    },
}

impl CallsiteInfo {
    /// Encodes a callsite from its static metadata: with the concrete types of
    /// its arguments (a CALLSITE frame), or without (`None`: a CALLSITE_STATIC
    /// frame, where `index` is the runtime callsite id and each type byte is
    /// [`UNTYPED`]).
    pub fn encode_static(out: &mut impl Out, index: u32, cs: &crate::callsite::Callsite, types: Option<&[ArgType]>) {
        put_varint(out, index as u64);
        out.put(&[cs.level as u8, cs.kind as u8]);
        put_str(out, cs.name);
        put_str(out, cs.target);
        put_str(out, cs.file);
        put_varint(out, cs.line as u64);
        put_varint(out, cs.args.len() as u64);
        for (i, a) in cs.args.iter().enumerate() {
            put_str(out, a.name);
            let ty = types.and_then(|t| t.get(i)).map_or(UNTYPED, |t| *t as u8);
            out.put(&[a.role as u8, ty]);
            put_varint(out, a.specs.len() as u64);
            for s in a.specs {
                put_spec(out, s);
            }
        }
        put_varint(out, cs.pieces.len() as u64);
        for p in cs.pieces {
            match p {
                crate::callsite::Piece::Lit(s) => {
                    out.put(&[0]);
                    put_str(out, s);
                }
                crate::callsite::Piece::Arg { arg, slot } => {
                    out.put(&[1]);
                    put_varint(out, *arg as u64);
                    put_varint(out, *slot as u64);
                }
            }
        }
    }

    /// Decodes a CALLSITE payload, checking that every reference inside it is
    /// in range.
    pub fn decode(r: &mut Reader<'_>) -> Result<CallsiteInfo, WireError> {
        Self::decode_frame(r, false)
    }

    /// Decodes a CALLSITE_STATIC payload: `index` is the runtime callsite id,
    /// and every argument's `ty` is [`ArgType::Formatted`] until a record's
    /// types replace it.
    pub fn decode_untyped(r: &mut Reader<'_>) -> Result<CallsiteInfo, WireError> {
        Self::decode_frame(r, true)
    }

    fn decode_frame(r: &mut Reader<'_>, untyped: bool) -> Result<CallsiteInfo, WireError> {
        let index = r.varint_u32()?;
        let at = r.offset();
        let level = Level::from_u8(r.u8()?).ok_or_else(|| WireError::malformed(at, "unknown level"))?;
        let at = r.offset();
        let kind = crate::callsite::CallsiteKind::from_u8(r.u8()?)
            .ok_or_else(|| WireError::malformed(at, "unknown callsite kind"))?;
        let name = r.str()?.to_owned();
        let target = r.str()?.to_owned();
        let file = r.str()?.to_owned();
        let line = r.varint_u32()?;
        let nargs = r.count(4)?;
        let mut args = Vec::with_capacity(nargs);
        for _ in 0..nargs {
            let name = r.str()?.to_owned();
            let at = r.offset();
            let role = ArgRole::from_u8(r.u8()?).ok_or_else(|| WireError::malformed(at, "unknown argument role"))?;
            let at = r.offset();
            let t = r.u8()?;
            let ty = match (t, untyped) {
                (UNTYPED, true) => ArgType::Formatted,
                _ => ArgType::from_tag(t).ok_or_else(|| WireError::malformed(at, format!("unknown argument type {t}")))?,
            };
            let nspecs = r.count(8)?;
            let mut specs = Vec::with_capacity(nspecs);
            for _ in 0..nspecs {
                specs.push(r.spec(nargs)?);
            }
            args.push(ArgInfo { name, role, ty, specs });
        }
        let npieces = r.count(2)?;
        let mut pieces = Vec::with_capacity(npieces);
        for _ in 0..npieces {
            let at = r.offset();
            match r.u8()? {
                0 => pieces.push(PieceInfo::Lit(r.str()?.to_owned())),
                1 => {
                    let at = r.offset();
                    let arg = r.varint()?;
                    let slot = r.varint()?;
                    let ok = (arg as usize) < args.len() && (slot as usize) < args[arg as usize].specs.len();
                    if !ok {
                        return Err(WireError::malformed(at, "message piece refers to a missing argument"));
                    }
                    pieces.push(PieceInfo::Arg { arg: arg as u16, slot: slot as u16 });
                }
                t => return Err(WireError::malformed(at, format!("unknown piece tag {t}"))),
            }
        }
        Ok(CallsiteInfo { index, level, kind, name, target, file, line, args, pieces })
    }
}

/// A THREAD frame.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ThreadInfo {
    /// Index EVENTS frames refer to.
    pub index: u32,
    /// OS thread id.
    pub tid: u64,
    /// Thread name ("" when unnamed).
    pub name: String,
    /// Whether the thread had exited when the snapshot was taken.
    pub exited: bool,
    /// Events in the snapshot.
    pub recorded: u64,
    /// Events overwritten in the ring before the snapshot copied it.
    pub overwritten: u64,
    /// Events the thread could not record, or that the snapshot could not
    /// re-encode: `recorded + overwritten + dropped` is what the thread logged.
    pub dropped: u64,
    /// Whether the snapshot could copy the thread's ring. When it could not
    /// (a writer that kept overwriting its ring during every attempt), the
    /// thread has no events and `recorded` and `overwritten` are unknown (0).
    pub copied: bool,
}

impl ThreadInfo {
    /// Encodes the payload.
    pub fn encode(&self, out: &mut impl Out) {
        let flags = ThreadFlags { exited: self.exited, copied: self.copied };
        encode_thread(out, self.index, self.tid, &self.name, flags, self.recorded, self.overwritten, self.dropped);
    }
}

/// The flags of a THREAD frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ThreadFlags {
    /// [`ThreadInfo::exited`].
    pub exited: bool,
    /// [`ThreadInfo::copied`].
    pub copied: bool,
}

impl ThreadFlags {
    fn byte(self) -> u8 {
        (if self.exited { THREAD_EXITED } else { 0 }) | (if self.copied { 0 } else { THREAD_NOT_COPIED })
    }
}

/// Encodes a THREAD payload from its parts (the crash path has no `String`).
#[allow(clippy::too_many_arguments)]
pub fn encode_thread(
    out: &mut impl Out,
    index: u32,
    tid: u64,
    name: &str,
    flags: ThreadFlags,
    recorded: u64,
    overwritten: u64,
    dropped: u64,
) {
    put_varint(out, index as u64);
    put_varint(out, tid);
    put_str(out, name);
    out.put(&[flags.byte()]);
    put_varint(out, recorded);
    put_varint(out, overwritten);
    put_varint(out, dropped);
}

impl ThreadInfo {
    /// Decodes the payload.
    pub fn decode(r: &mut Reader<'_>) -> Result<ThreadInfo, WireError> {
        let index = r.varint_u32()?;
        let tid = r.varint()?;
        let name = r.str()?.to_owned();
        let flags = r.u8()?;
        Ok(ThreadInfo {
            index,
            tid,
            name,
            exited: flags & THREAD_EXITED != 0,
            recorded: r.varint()?,
            overwritten: r.varint()?,
            dropped: r.varint()?,
            copied: flags & THREAD_NOT_COPIED == 0,
        })
    }
}

/// The END frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct End {
    /// Frames written before END.
    pub frames: u64,
    /// Events in all EVENTS frames.
    pub events: u64,
}

impl End {
    /// Encodes the payload.
    pub fn encode(&self, out: &mut impl Out) {
        put_varint(out, self.frames);
        put_varint(out, self.events);
    }

    /// Decodes the payload.
    pub fn decode(r: &mut Reader<'_>) -> Result<End, WireError> {
        Ok(End { frames: r.varint()?, events: r.varint()? })
    }
}

/// Re-encodes a record's argument bytes (the ring encoding, see [`record`]) in
/// the compact encoding of EVENTS frames. `slots(i)` is the number of specs of
/// argument `i` (the number of texts a formatted argument has). `None` if the
/// bytes do not match the types.
#[inline]
pub fn transcode_args(
    types: &[ArgType],
    slots: impl Fn(usize) -> Option<usize>,
    b: &[u8],
    out: &mut impl Out,
) -> Option<()> {
    /// The `N` bytes at `*at`, advancing it.
    #[inline(always)]
    fn take<const N: usize>(b: &[u8], at: &mut usize) -> Option<[u8; N]> {
        let v = b.get(*at..*at + N)?.try_into().ok()?;
        *at += N;
        Some(v)
    }
    let mut at = 0;
    for (i, ty) in types.iter().enumerate() {
        match ty {
            ArgType::U8 | ArgType::Bool => out.put_byte(take::<1>(b, &mut at)?[0]),
            ArgType::U16 => put_varint(out, u16::from_le_bytes(take(b, &mut at)?) as u64),
            ArgType::U32 | ArgType::Char => put_varint(out, u32::from_le_bytes(take(b, &mut at)?) as u64),
            ArgType::U64 => put_varint(out, u64::from_le_bytes(take(b, &mut at)?)),
            ArgType::U128 => put_varint128(out, u128::from_le_bytes(take(b, &mut at)?)),
            ArgType::I8 => put_varint(out, zigzag(i8::from_le_bytes(take(b, &mut at)?) as i64)),
            ArgType::I16 => put_varint(out, zigzag(i16::from_le_bytes(take(b, &mut at)?) as i64)),
            ArgType::I32 => put_varint(out, zigzag(i32::from_le_bytes(take(b, &mut at)?) as i64)),
            ArgType::I64 => put_varint(out, zigzag(i64::from_le_bytes(take(b, &mut at)?))),
            ArgType::I128 => put_varint128(out, zigzag128(i128::from_le_bytes(take(b, &mut at)?))),
            ArgType::F32 => out.put(&take::<4>(b, &mut at)?),
            ArgType::F64 => out.put(&take::<8>(b, &mut at)?),
            ArgType::Str => {
                let head = u16::from_le_bytes(take(b, &mut at)?) as usize;
                let cut = if head & 0x8000 != 0 { u32::from_le_bytes(take(b, &mut at)?) as u64 } else { 0 };
                let n = head & 0x7fff;
                // The bytes start at the next word boundary.
                at = at.next_multiple_of(8);
                put_arg_str(out, b.get(at..at + n)?, cut);
                at += n;
            }
            ArgType::Formatted => {
                for _ in 0..slots(i)? {
                    let end = b.get(at..)?.iter().position(|&c| c >= 0xFE)?;
                    let s = &b[at..at + end];
                    at += end;
                    let marker = take::<1>(b, &mut at)?[0];
                    let cut = if marker == 0xFE { u32::from_le_bytes(take(b, &mut at)?) as u64 } else { 0 };
                    put_arg_str(out, s, cut);
                }
            }
        }
    }
    Some(())
}

/// The most bytes [`transcode_args`] writes for `n` bytes of a record: a
/// 16-byte integer becomes at most 19, a string's 2-byte length at most 3
/// (its cut count 5 for 4, its padding nothing): never more than twice the
/// input, plus slack.
pub const fn transcode_bound(n: usize) -> usize {
    2 * n + 16
}

// ---------------------------------------------------------------------------
// Reading
// ---------------------------------------------------------------------------

/// Why some bytes are not a valid snapshot, and where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WireError {
    /// The input ended inside an item that starts or continues at `offset`.
    UnexpectedEof {
        /// Byte offset in the file.
        offset: u64,
    },
    /// The bytes at `offset` are not what the format allows.
    Malformed {
        /// Byte offset in the file.
        offset: u64,
        /// What is wrong.
        what: String,
    },
}

impl WireError {
    /// A [`WireError::Malformed`].
    pub fn malformed(offset: u64, what: impl Into<String>) -> WireError {
        WireError::Malformed { offset, what: what.into() }
    }

    /// The byte offset the error is about.
    pub fn offset(&self) -> u64 {
        match self {
            WireError::UnexpectedEof { offset } | WireError::Malformed { offset, .. } => *offset,
        }
    }
}

impl fmt::Display for WireError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WireError::UnexpectedEof { offset } => write!(f, "unexpected end of data at byte {offset}"),
            WireError::Malformed { offset, what } => write!(f, "{what} at byte {offset}"),
        }
    }
}

impl std::error::Error for WireError {}

/// A bounds-checked cursor over a payload; every error carries the absolute file
/// offset.
#[derive(Clone, Debug)]
pub struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
    base: u64,
}

impl<'a> Reader<'a> {
    /// Reads `buf`, whose first byte is at file offset `base`.
    pub fn new(buf: &'a [u8], base: u64) -> Reader<'a> {
        Reader { buf, pos: 0, base }
    }

    /// File offset of the next byte.
    pub fn offset(&self) -> u64 {
        self.base + self.pos as u64
    }

    /// Bytes left.
    pub fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }

    /// Whether everything was read.
    pub fn is_empty(&self) -> bool {
        self.pos == self.buf.len()
    }

    /// Reads one byte.
    #[inline]
    pub fn u8(&mut self) -> Result<u8, WireError> {
        let b = *self.buf.get(self.pos).ok_or(WireError::UnexpectedEof { offset: self.offset() })?;
        self.pos += 1;
        Ok(b)
    }

    /// Reads `n` bytes.
    #[inline]
    pub fn bytes(&mut self, n: usize) -> Result<&'a [u8], WireError> {
        if n > self.remaining() {
            return Err(WireError::UnexpectedEof { offset: self.offset() });
        }
        let s = &self.buf[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }

    /// Reads an array.
    #[inline]
    pub fn array<const N: usize>(&mut self) -> Result<[u8; N], WireError> {
        let b = self.bytes(N)?;
        let mut a = [0u8; N];
        a.copy_from_slice(b);
        Ok(a)
    }

    /// Reads an unsigned LEB128 `u64`.
    #[inline]
    pub fn varint(&mut self) -> Result<u64, WireError> {
        // Most varints in a snapshot are one byte: callsite indexes, time
        // deltas, small numbers.
        if let Some(&b) = self.buf.get(self.pos)
            && b < 0x80
        {
            self.pos += 1;
            return Ok(b as u64);
        }
        self.varint_long()
    }

    #[inline(never)]
    fn varint_long(&mut self) -> Result<u64, WireError> {
        // With ten bytes at hand (the longest u64 varint), no check per byte.
        if let Some(b) = self.buf.get(self.pos..self.pos + 10) {
            let mut v = 0u64;
            for (i, &byte) in b.iter().enumerate() {
                v |= ((byte & 0x7f) as u64) << (7 * i);
                if byte < 0x80 {
                    if i == 9 && byte > 1 {
                        break;
                    }
                    self.pos += i + 1;
                    return Ok(v);
                }
            }
            return Err(WireError::malformed(self.offset(), "varint overflows 64 bits"));
        }
        let start = self.offset();
        let mut v = 0u64;
        let mut shift = 0u32;
        loop {
            let b = self.u8()?;
            if shift == 63 && b > 1 {
                return Err(WireError::malformed(start, "varint overflows 64 bits"));
            }
            v |= ((b & 0x7f) as u64) << shift;
            if b & 0x80 == 0 {
                return Ok(v);
            }
            shift += 7;
            if shift > 63 {
                return Err(WireError::malformed(start, "varint overflows 64 bits"));
            }
        }
    }

    /// Reads an unsigned LEB128 `u128`.
    pub fn varint128(&mut self) -> Result<u128, WireError> {
        let start = self.offset();
        let mut v = 0u128;
        let mut shift = 0u32;
        loop {
            let b = self.u8()?;
            if shift == 126 && b > 3 {
                return Err(WireError::malformed(start, "varint overflows 128 bits"));
            }
            v |= ((b & 0x7f) as u128) << shift;
            if b & 0x80 == 0 {
                return Ok(v);
            }
            shift += 7;
            if shift > 126 {
                return Err(WireError::malformed(start, "varint overflows 128 bits"));
            }
        }
    }

    /// Reads a varint that must fit in `u32`.
    pub fn varint_u32(&mut self) -> Result<u32, WireError> {
        let at = self.offset();
        let v = self.varint()?;
        u32::try_from(v).map_err(|_| WireError::malformed(at, format!("value {v} too large")))
    }

    /// Reads an element count, checking that `count * min_bytes` could still
    /// follow (so corrupt counts cannot ask for huge allocations).
    pub fn count(&mut self, min_bytes: usize) -> Result<usize, WireError> {
        let at = self.offset();
        let n = self.varint()?;
        if n.saturating_mul(min_bytes.max(1) as u64) > self.remaining() as u64 {
            return Err(WireError::malformed(at, format!("count {n} exceeds the data that follows")));
        }
        Ok(n as usize)
    }

    /// Reads a length-prefixed UTF-8 string.
    pub fn str(&mut self) -> Result<&'a str, WireError> {
        let at = self.offset();
        let n = self.varint()?;
        if n > self.remaining() as u64 {
            return Err(WireError::UnexpectedEof { offset: at });
        }
        let b = self.bytes(n as usize)?;
        core::str::from_utf8(b).map_err(|_| WireError::malformed(at, "string is not UTF-8"))
    }

    /// Reads a recorded string argument: its text and the count of bytes cut.
    pub fn arg_str(&mut self) -> Result<(&'a str, u64), WireError> {
        let at = self.offset();
        let head = self.varint()?;
        let cut = if head & 1 == 1 { self.varint()? } else { 0 };
        let n = head >> 1;
        if n > self.remaining() as u64 {
            return Err(WireError::UnexpectedEof { offset: at });
        }
        let b = self.bytes(n as usize)?;
        let s = core::str::from_utf8(b).map_err(|_| WireError::malformed(at, "string argument is not UTF-8"))?;
        Ok((s, cut))
    }

    fn point(&mut self) -> Result<ClockPoint, WireError> {
        Ok(ClockPoint { ticks: self.varint()?, mono_ns: self.varint()?, real_ns: self.varint()? })
    }

    fn count_field(&mut self, nargs: usize) -> Result<Count, WireError> {
        let at = self.offset();
        match self.u8()? {
            0 => Ok(Count::Implied),
            1 => {
                let at = self.offset();
                let v = self.varint()?;
                u16::try_from(v).map(Count::Is).map_err(|_| WireError::malformed(at, "width or precision too large"))
            }
            2 => {
                let at = self.offset();
                let v = self.varint()?;
                if v as usize >= nargs {
                    return Err(WireError::malformed(at, "width or precision refers to a missing argument"));
                }
                Ok(Count::Arg(v as u16))
            }
            t => Err(WireError::malformed(at, format!("unknown count tag {t}"))),
        }
    }

    fn spec(&mut self, nargs: usize) -> Result<Spec, WireError> {
        let at = self.offset();
        let fill = self.varint()?;
        let fill = u32::try_from(fill)
            .ok()
            .and_then(char::from_u32)
            .ok_or_else(|| WireError::malformed(at, "fill is not a char"))?;
        let at = self.offset();
        let align = Align::from_u8(self.u8()?).ok_or_else(|| WireError::malformed(at, "unknown alignment"))?;
        let at = self.offset();
        let sign = Sign::from_u8(self.u8()?).ok_or_else(|| WireError::malformed(at, "unknown sign"))?;
        let flags = self.u8()?;
        let width = self.count_field(nargs)?;
        let precision = self.count_field(nargs)?;
        let at = self.offset();
        let ty = FmtType::from_u8(self.u8()?).ok_or_else(|| WireError::malformed(at, "unknown format trait"))?;
        Ok(Spec {
            fill,
            align,
            sign,
            alternate: flags & SPEC_ALTERNATE != 0,
            zero: flags & SPEC_ZERO != 0,
            width,
            precision,
            ty,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
