//! The payload of each frame kind, as both sides see it: what the writer
//! encodes and the reader decodes.

use super::primitives::{Out, put_arg_str, put_point, put_str, put_varint, put_varint128, zigzag, zigzag128};
#[cfg(feature = "read")]
use super::reader::{Reader, WireError};
use super::types;
use super::write::{HeaderRef, ThreadCounts, ThreadFlags, TriggerRef, encode_thread};
use super::{COUNT_ARG, COUNT_IMPLIED, COUNT_LITERAL, PIECE_ARG, PIECE_LIT, SPEC_ALTERNATE, SPEC_ZERO, UNTYPED};
#[cfg(feature = "read")]
use super::{THREAD_EXITED, THREAD_NOT_COPIED};
use crate::callsite::{ArgRole, ArgType, Count, Spec};
use crate::clock::{Clock, ClockPoint};
use crate::level::Level;

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

impl Header {
    /// Encodes the payload.
    pub fn encode(&self, out: &mut impl Out) {
        HeaderRef::from(self).encode_with_version(out, &self.ttlog_version);
    }

    #[cfg(feature = "read")]
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
    /// tells time, from the header's own two points (files without a CLOCK
    /// frame; see [`Calibration`]).
    pub fn unix_nanos(&self, ticks: u64) -> Option<i128> {
        Calibration { clock: self.clock, anchor: self.anchor, point: self.taken }.unix_nanos(ticks)
    }
}

/// The CLOCK frame: the process's calibration, computed once (at its first
/// snapshot) and written into every snapshot of the process, so that an event
/// decodes to the same wall-clock time in each.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Calibration {
    /// The event clock.
    pub clock: Clock,
    /// The point taken at the process's first event.
    pub anchor: ClockPoint,
    /// The point taken at its first snapshot.
    pub point: ClockPoint,
}

impl Calibration {
    /// Encodes the payload.
    pub fn encode(&self, out: &mut impl Out) {
        out.put(&[self.clock as u8]);
        put_point(out, &self.anchor);
        put_point(out, &self.point);
    }

    #[cfg(feature = "read")]
    /// Decodes the payload.
    pub fn decode(r: &mut Reader<'_>) -> Result<Calibration, WireError> {
        let at = r.offset();
        let v = r.u8()?;
        let clock = Clock::from_u8(v).ok_or_else(|| WireError::malformed(at, format!("unknown clock {v}")))?;
        Ok(Calibration { clock, anchor: r.point()?, point: r.point()? })
    }

    /// Nanoseconds since the Unix epoch for an event clock reading, if the
    /// clock tells time: the wall-clock time of `point`, plus the ticks since
    /// it at the rate measured between the two points.
    pub fn unix_nanos(&self, ticks: u64) -> Option<i128> {
        match self.clock {
            Clock::None => None,
            _ => {
                // Differences of u64 readings, as i64: exact for spans under
                // 292 years. 64-bit arithmetic only: the decoder does this for
                // every line.
                let dt = self.point.ticks.wrapping_sub(self.anchor.ticks) as i64;
                let dm = self.point.mono_ns.wrapping_sub(self.anchor.mono_ns) as i64;
                let since = ticks.wrapping_sub(self.point.ticks) as i64;
                let ns = if dt > 0 && dm > 0 && dt != dm {
                    // ns = since * dm / dt, in floating point: both spans fit an f64
                    // with sub-nanosecond error for any realistic process life.
                    round_to_i64(since as f64 * (dm as f64 / dt as f64))
                } else {
                    since
                };
                Some(self.point.real_ns as i128 + ns as i128)
            }
        }
    }
}

/// `x.round() as i64` (halves away from zero, saturating, NaN to 0) without
/// the call to `round` that baseline x86-64 makes (it has no rounding
/// instruction before SSE4.1); the decoder does this for every line.
///
/// `x as i64` truncates toward zero (saturating); the fraction left, `x - t`,
/// is exact for every `|x| < 2^63` (the fraction of a double needs no more
/// bits than the double has), so comparing it with one half rounds exactly
/// as `round` does. Past `i64`'s range, and for NaN, the comparisons keep
/// what the saturating cast gave.
#[inline]
fn round_to_i64(x: f64) -> i64 {
    let t = x as i64;
    let frac = x - t as f64;
    if frac >= 0.5 {
        t.saturating_add(1)
    } else if frac <= -0.5 {
        t.saturating_sub(1)
    } else {
        t
    }
}

/// The TRIGGER frame: what made the snapshot, and where.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Trigger {
    /// The signal (0: none: a panic, an exit, or a snapshot the program asked for).
    pub signal: u32,
    /// The signal's `si_code` (`SEGV_MAPERR`, `SI_USER`, ...).
    pub code: i32,
    /// The faulting address of `SIGSEGV`, `SIGBUS`, `SIGILL` or `SIGFPE`.
    pub addr: u64,
    /// The process that sent the signal (`kill`), 0 if none.
    pub sender_pid: u32,
    /// OS thread id of the crashing, panicking or asking thread (for a
    /// signal sent by a process: the thread that received it).
    pub tid: u64,
    /// That thread's name ("" when unnamed).
    pub thread: String,
    /// The panic's source file ("" unless a panic).
    pub panic_file: String,
    /// The panic's line.
    pub panic_line: u32,
    /// The panic's column.
    pub panic_column: u32,
    /// Automatic snapshots skipped by the storm limit since the previous
    /// one was written.
    pub skipped: u64,
}

impl Trigger {
    /// Encodes the payload.
    pub fn encode(&self, out: &mut impl Out) {
        TriggerRef::from(self).encode(out);
    }

    #[cfg(feature = "read")]
    /// Decodes the payload.
    pub fn decode(r: &mut Reader<'_>) -> Result<Trigger, WireError> {
        let signal = r.varint_u32()?;
        let code = r.varint()?;
        let code = i32::try_from(super::unzigzag(code)).map_err(|_| WireError::malformed(r.offset(), "bad si_code"))?;
        Ok(Trigger {
            signal,
            code,
            addr: r.varint()?,
            sender_pid: r.varint_u32()?,
            tid: r.varint()?,
            thread: r.str()?.to_owned(),
            panic_file: r.str()?.to_owned(),
            panic_line: r.varint_u32()?,
            panic_column: r.varint_u32()?,
            skipped: r.varint()?,
        })
    }
}

impl<'a> From<&'a Trigger> for TriggerRef<'a> {
    fn from(t: &'a Trigger) -> TriggerRef<'a> {
        TriggerRef {
            signal: t.signal,
            code: t.code,
            addr: t.addr,
            sender_pid: t.sender_pid,
            tid: t.tid,
            thread: &t.thread,
            panic_file: &t.panic_file,
            panic_line: t.panic_line,
            panic_column: t.panic_column,
            skipped: t.skipped,
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
        let name = cs.resolved_name();
        put_str(out, name);
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
        // A `#[ttlog]` callsite's message is its name.
        let named = [crate::callsite::Piece::Lit(name)];
        let pieces = if cs.path.is_some() { &named[..] } else { cs.pieces };
        put_varint(out, pieces.len() as u64);
        for p in pieces {
            match p {
                crate::callsite::Piece::Lit(s) => {
                    out.put(&[PIECE_LIT]);
                    put_str(out, s);
                }
                crate::callsite::Piece::Arg { arg, slot } => {
                    out.put(&[PIECE_ARG]);
                    put_varint(out, *arg as u64);
                    put_varint(out, *slot as u64);
                }
            }
        }
    }

    #[cfg(feature = "read")]
    /// Decodes a CALLSITE payload, checking that every reference inside it is
    /// in range.
    pub fn decode(r: &mut Reader<'_>) -> Result<CallsiteInfo, WireError> {
        Self::decode_frame(r, false)
    }

    #[cfg(feature = "read")]
    /// Decodes a CALLSITE_STATIC payload: `index` is the runtime callsite id,
    /// and every argument's `ty` is [`ArgType::Formatted`] until a record's
    /// types replace it.
    pub fn decode_untyped(r: &mut Reader<'_>) -> Result<CallsiteInfo, WireError> {
        Self::decode_frame(r, true)
    }

    #[cfg(feature = "read")]
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
                _ => ArgType::from_tag(t)
                    .ok_or_else(|| WireError::malformed(at, format!("unknown argument type {t}")))?,
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
                PIECE_LIT => pieces.push(PieceInfo::Lit(r.str()?.to_owned())),
                PIECE_ARG => {
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
    /// re-encode: `recorded + overwritten + evicted + dropped` is what the
    /// thread logged.
    pub dropped: u64,
    /// Whether the snapshot could copy the thread's ring. When it could not
    /// (a writer that kept overwriting its ring during every attempt), the
    /// thread has no events and `recorded` and `overwritten` are unknown (0).
    pub copied: bool,
    /// Events taken from the thread's ring with its oldest blocks, for other
    /// threads, when the memory budget was spent (0 in files that predate the
    /// field).
    pub evicted: u64,
}

impl ThreadInfo {
    /// Encodes the payload.
    pub fn encode(&self, out: &mut impl Out) {
        let flags = ThreadFlags { exited: self.exited, copied: self.copied };
        let n = ThreadCounts {
            recorded: self.recorded,
            overwritten: self.overwritten,
            dropped: self.dropped,
            evicted: self.evicted,
        };
        encode_thread(out, self.index, self.tid, &self.name, flags, n);
    }
}

impl ThreadInfo {
    #[cfg(feature = "read")]
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
            evicted: if r.is_empty() { 0 } else { r.varint()? },
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

    #[cfg(feature = "read")]
    /// Decodes the payload.
    pub fn decode(r: &mut Reader<'_>) -> Result<End, WireError> {
        Ok(End { frames: r.varint()?, events: r.varint()? })
    }
}

/// A DROPS frame: events of one thread lost at one point of a continuous log.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Drops {
    /// The thread's index (as in THREAD and EVENTS frames).
    pub thread: u32,
    /// Where the loss sits in time: the clock reading of the first event kept
    /// after it, or of the drain that noticed it.
    pub ticks: u64,
    /// Events lost.
    pub count: u64,
}

impl Drops {
    /// Encodes the payload.
    pub fn encode(&self, out: &mut impl Out) {
        put_varint(out, self.thread as u64);
        put_varint(out, self.ticks);
        put_varint(out, self.count);
    }

    #[cfg(feature = "read")]
    /// Decodes the payload.
    pub fn decode(r: &mut Reader<'_>) -> Result<Drops, WireError> {
        Ok(Drops { thread: r.varint_u32()?, ticks: r.varint()?, count: r.varint()? })
    }
}

/// Re-encodes a record's argument bytes (the ring encoding, see [`crate::wire::record`]) in
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
            ArgType::Formatted if b.get(at) == Some(&types::RECORD_MARK) => {
                // A derived record: one value, whatever the specs.
                let n = types::value_len(b.get(at + 1..)?)?;
                put_record_value(out, &b[at + 1..at + 1 + n]);
                at += 1 + n;
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

/// Writes a record argument's value (its bytes as the ring holds them, after
/// the mark) in an EVENTS frame: the text header that no text has (a cut of
/// 0 bytes), then the bytes with their length. At most `n + 7` bytes for `n`.
#[inline]
pub fn put_record_value(out: &mut impl Out, value: &[u8]) {
    out.put(&[1, 0]);
    put_varint(out, value.len() as u64);
    out.put(value);
}

/// The most bytes [`transcode_args`] writes for `n` bytes of a record: a
/// 16-byte integer becomes at most 19, a string's 2-byte length at most 3
/// (its cut count 5 for 4, its padding nothing): never more than twice the
/// input, plus slack.
pub const fn transcode_bound(n: usize) -> usize {
    2 * n + 16
}

pub(crate) fn put_count(out: &mut impl Out, c: &Count) {
    match c {
        Count::Implied => out.put(&[COUNT_IMPLIED]),
        Count::Is(n) => {
            out.put(&[COUNT_LITERAL]);
            put_varint(out, *n as u64);
        }
        Count::Arg(i) => {
            out.put(&[COUNT_ARG]);
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

impl<'a> From<&'a Header> for HeaderRef<'a> {
    fn from(h: &'a Header) -> HeaderRef<'a> {
        HeaderRef {
            program: &h.program,
            pid: h.pid,
            host: &h.host,
            reason: &h.reason,
            clock: h.clock,
            anchor: h.anchor,
            taken: h.taken,
            evicted: h.evicted,
            late_dropped: h.late_dropped,
        }
    }
}

#[cfg(all(test, not(ttlog_loom)))]
mod tests {
    use super::round_to_i64;

    /// The same as `f64::round` then `as i64`, on the values near every
    /// rounding boundary and on random bit patterns of every magnitude.
    #[test]
    fn rounds_as_round_does() {
        let check = |x: f64| assert_eq!(round_to_i64(x), x.round() as i64, "{x:e} ({:#x})", x.to_bits());
        for x in [0.0, -0.0, 0.5, -0.5, 1.5, -1.5, 2.5, 0.49999999999999994, -0.49999999999999994, f64::NAN] {
            check(x);
        }
        for x in [f64::INFINITY, f64::NEG_INFINITY, f64::MAX, f64::MIN, i64::MAX as f64, i64::MIN as f64] {
            check(x);
        }
        for k in -4_000i64..4_000 {
            let half = k as f64 + 0.5;
            for x in [half, f64::from_bits(half.to_bits() + 1), f64::from_bits(half.to_bits() - 1)] {
                check(x);
                check(-x);
            }
        }
        let mut state = 0x2545_F491_4F6C_DD1Du64;
        for _ in 0..1_000_000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            check(f64::from_bits(state));
            // Magnitudes where the fraction matters: below 2^53.
            check((state >> 11) as f64 / (1u64 << (state % 53)) as f64);
        }
    }
}
