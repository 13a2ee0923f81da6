//! Exports of events to the formats other tools read: OpenTelemetry logs
//! ([`otlp`], OTLP/JSON), timelines ([`perfetto`], Perfetto's protobuf
//! TrackEvent trace or Chrome's trace event JSON), tables for SQL engines
//! ([`parquet`], with the `parquet` feature, on by default).
//!
//! Each format is a [`Sink`]: it is told where each input file begins
//! ([`Sink::begin`], with the file's metadata), given the events in time
//! order ([`Sink::event`]) and told where the input ends ([`Sink::end`]);
//! [`Sink::finish`] writes what it still holds. A sink holds a bounded batch,
//! so a [`Stream`] of a file of any size exports in
//! bounded memory:
//!
//! ```no_run
//! use ttlog_decode::export::{Sink, otlp::Otlp};
//!
//! let mut stream = ttlog_decode::stream::Stream::open("big.ttlog")?;
//! let mut sink = Otlp::new(std::io::stdout().lock());
//! ttlog_decode::export::run(&mut stream, &mut sink, |_, _, _| true)?;
//! sink.finish()?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! The arguments of an event become typed values ([`Typed`], see
//! [`typed_args`]): integers that fit an `i64`, floats, booleans, and text for
//! the rest (strings, characters, wider integers, values formatted at the
//! call). The call id and outcome of a `#[ttlog]` entry or exit are not
//! among them: the formats that show calls show those as the calls.

pub mod otlp;
#[cfg(feature = "parquet")]
pub mod parquet;
pub mod perfetto;

use crate::render::message::{write_arg, write_cut_marker};
use crate::snapshot::{CallsiteInfo, Event, Snapshot};
use crate::stream::Stream;
use crate::value::{Args, Value};
use std::borrow::Cow;
use std::io::{self, Read, Seek};
use ttlog_core::callsite::ArgRole;

/// A destination of exported events (see the module).
pub trait Sink {
    /// A new input begins: `meta` has its header, callsites and threads.
    fn begin(&mut self, meta: &Snapshot) -> io::Result<()>;
    /// An event of the input begun last, in time order; `snap` has its
    /// arguments and the input's metadata.
    fn event(&mut self, snap: &Snapshot, e: &Event) -> io::Result<()>;
    /// The input begun last has no more events.
    fn end(&mut self, meta: &Snapshot) -> io::Result<()>;
    /// Writes what is still held; the output is complete once it returns.
    fn finish(&mut self) -> io::Result<()>;
}

/// Gives `sink` one input: [`Sink::begin`], each event of `stream` that `keep`
/// keeps (it is given the event's Unix time), then [`Sink::end`]. Returns the
/// number of events given.
pub fn run<R: Read + Seek>(
    stream: &mut Stream<R>,
    sink: &mut dyn Sink,
    mut keep: impl FnMut(&Snapshot, &Event, Option<i128>) -> bool,
) -> io::Result<u64> {
    sink.begin(stream.metadata())?;
    let mut n = 0u64;
    while let Some((snap, e)) = stream.next_event() {
        if keep(snap, e, snap.unix_nanos(e)) {
            sink.event(snap, e)?;
            n += 1;
        }
    }
    sink.end(stream.metadata())?;
    Ok(n)
}

/// An argument's value as the export formats type it.
#[derive(Clone, Debug, PartialEq)]
pub enum Typed<'a> {
    /// Any integer that fits an `i64`.
    Int(i64),
    /// `f32` and `f64`.
    Float(f64),
    /// `bool`.
    Bool(bool),
    /// Strings (with the marker of a cut one), characters, integers wider
    /// than an `i64` (in decimal), values formatted at the call.
    Str(Cow<'a, str>),
}

/// Whether the argument of this role is data (not the call id or outcome of
/// a `#[ttlog]` entry or exit).
pub fn is_data(role: ArgRole) -> bool {
    !matches!(role, ArgRole::CallId | ArgRole::Outcome)
}

/// Argument `i` of an event, typed; `None` when the event lacks it.
pub fn typed_arg<'a>(cs: &CallsiteInfo, args: Args<'a>, i: usize) -> Option<Typed<'a>> {
    let wide = |s: String| Some(Typed::Str(Cow::Owned(s)));
    Some(match args.get(i)? {
        Value::U8(v) => Typed::Int(v.into()),
        Value::U16(v) => Typed::Int(v.into()),
        Value::U32(v) => Typed::Int(v.into()),
        Value::U64(v) => return i64::try_from(v).map_or_else(|_| wide(v.to_string()), |v| Some(Typed::Int(v))),
        Value::U128(v) => return i64::try_from(v).map_or_else(|_| wide(v.to_string()), |v| Some(Typed::Int(v))),
        Value::I8(v) => Typed::Int(v.into()),
        Value::I16(v) => Typed::Int(v.into()),
        Value::I32(v) => Typed::Int(v.into()),
        Value::I64(v) => Typed::Int(v),
        Value::I128(v) => return i64::try_from(v).map_or_else(|_| wide(v.to_string()), |v| Some(Typed::Int(v))),
        Value::F32(v) => Typed::Float(v.into()),
        Value::F64(v) => Typed::Float(v),
        Value::Bool(v) => Typed::Bool(v),
        Value::Char(c) => Typed::Str(Cow::Owned(c.to_string())),
        Value::Str(t) if t.truncated == 0 => Typed::Str(Cow::Borrowed(t.text)),
        Value::Str(t) => {
            let mut s = t.text.to_owned();
            write_cut_marker(&mut s, t.truncated);
            Typed::Str(Cow::Owned(s))
        }
        Value::Formatted(_) => {
            let mut s = String::new();
            write_arg(&mut s, cs, args, i, 0);
            Typed::Str(Cow::Owned(s))
        }
    })
}

/// The data arguments of an event (see [`is_data`]), with their names, typed.
pub fn typed_args<'a>(cs: &'a CallsiteInfo, args: Args<'a>) -> impl Iterator<Item = (&'a str, Typed<'a>)> + 'a {
    cs.args
        .iter()
        .enumerate()
        .filter(|(_, a)| is_data(a.role))
        .filter_map(move |(i, a)| Some((a.name.as_str(), typed_arg(cs, args, i)?)))
}
