//! A [`log::Log`] that records `log` records into the calling thread's ring:
//! every `log::info!` of the program and its dependencies, in the same
//! snapshots as ttlog's own events.
//!
//! ```no_run
//! ttlog::bridge::log::init().expect("no other logger installed");
//! log::info!(target: "db", "connected to {} in {} ms", "primary", 12);
//! ```
//!
//! Each record keeps its level, target, module path, file and line (in a
//! callsite made the first time the call is met, see [`crate::bridge`]). A
//! message without arguments (`Arguments::as_str` is `Some`) becomes the
//! callsite's text and costs no bytes in the event; otherwise the message is
//! formatted once, into a per-thread buffer that is reused (no allocation
//! once it has grown to the longest message), and copied into the ring. With the
//! `log-kv` feature the record's key-values are recorded as fields, typed:
//! integers, floats, booleans and strings raw, anything else formatted.
//!
//! `log`'s maximum level follows ttlog's ([`crate::set_max_level`],
//! `TTLOG_LEVEL`), so a disabled `log::debug!` costs what `log` makes it cost:
//! one load and a compare, arguments unevaluated.

use super::dynamic::{Key, intern};
use super::value::{Val, record, with_scratch};
use crate::callsite::{ArgMeta, ArgRole, Callsite, CallsiteKind, Piece, Spec};
use crate::level::{Level, LevelFilter};
use core::fmt;
use core::sync::atomic::{AtomicBool, Ordering};

/// The logger [`init`] installs.
#[derive(Debug, Default, Clone, Copy)]
pub struct Logger;

static LOGGER: Logger = Logger;
static INSTALLED: AtomicBool = AtomicBool::new(false);

/// Installs ttlog as the `log` crate's logger and sets `log`'s maximum level
/// to ttlog's. Fails if another logger was installed first.
pub fn init() -> Result<(), log::SetLoggerError> {
    log::set_logger(&LOGGER)?;
    INSTALLED.store(true, Ordering::Relaxed);
    follow(crate::level::max_level());
    Ok(())
}

/// Sets `log`'s maximum level to `filter`, once [`init`] has installed the
/// logger (ttlog's [`set_max_level`](crate::set_max_level) calls it).
pub(crate) fn follow(filter: LevelFilter) {
    if INSTALLED.load(Ordering::Relaxed) {
        log::set_max_level(match filter {
            LevelFilter::Off => log::LevelFilter::Off,
            LevelFilter::Error => log::LevelFilter::Error,
            LevelFilter::Warn => log::LevelFilter::Warn,
            LevelFilter::Info => log::LevelFilter::Info,
            LevelFilter::Debug => log::LevelFilter::Debug,
            LevelFilter::Trace => log::LevelFilter::Trace,
        });
    }
}

fn level(l: log::Level) -> Level {
    match l {
        log::Level::Error => Level::Error,
        log::Level::Warn => Level::Warn,
        log::Level::Info => Level::Info,
        log::Level::Debug => Level::Debug,
        log::Level::Trace => Level::Trace,
    }
}

/// Where records go once [`CAPACITY`](crate::bridge::CAPACITY) callsites
/// exist: the message, the target and the source location as arguments.
static OVERFLOW: Callsite = Callsite {
    level: Level::Info,
    kind: CallsiteKind::Event,
    name: "log",
    target: "log",
    file: "",
    line: 0,
    pieces: &[Piece::Arg { arg: 0, slot: 0 }],
    args: &[
        ArgMeta { name: "message", role: ArgRole::Positional, specs: &[Spec::DISPLAY] },
        ArgMeta { name: "target", role: ArgRole::Field, specs: &[Spec::DISPLAY] },
        ArgMeta { name: "file", role: ArgRole::Field, specs: &[Spec::DISPLAY] },
        ArgMeta { name: "line", role: ArgRole::Field, specs: &[Spec::DISPLAY] },
    ],
    path: None,
};

crate::callsite::register!(OVERFLOW);

fn arguments(a: &fmt::Arguments<'_>, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    fmt::Display::fmt(a, f)
}

impl log::Log for Logger {
    fn enabled(&self, metadata: &log::Metadata<'_>) -> bool {
        LevelFilter::from_level(level(metadata.level())) <= crate::level::max_level()
    }

    fn log(&self, r: &log::Record<'_>) {
        let lvl = level(r.level());
        if LevelFilter::from_level(lvl) > crate::level::max_level() {
            return;
        }
        // Arrays sized for the record's fields: most have none or a few.
        match field_count(r) {
            0 => log_with::<0, 1>(r, lvl),
            1..=4 => log_with::<4, 5>(r, lvl),
            _ => log_with::<{ super::MAX_FIELDS }, { super::MAX_FIELDS + 1 }>(r, lvl),
        }
    }

    fn flush(&self) {}
}

/// Records `r` with up to `N` of its fields; `M` is `N + 1` (the message and
/// the fields).
fn log_with<const N: usize, const M: usize>(r: &log::Record<'_>, lvl: Level) {
    let message = r.args().as_str();
    let formatted = crate::write::args::FmtPlain::new(r.args(), arguments);
    // A message with arguments is formatted into this thread's scratch text,
    // then copied into the ring as a string: faster than formatting into the
    // ring piece by piece, since every store into a ring is an atomic word.
    if message.is_some() {
        return with_fields::<N>(r, |fields| record_with::<M>(r, lvl, message, "", &formatted, fields));
    }
    with_scratch(|text| {
        let _ = fmt::Write::write_fmt(text, *r.args());
        let text: &str = text;
        with_fields::<N>(r, |fields| record_with::<M>(r, lvl, message, text, &formatted, fields))
    });
}

/// Records `r` (see [`log_with`]): `text` is its message, formatted, when
/// `message` (the message without arguments) is `None`.
fn record_with<const M: usize>(
    r: &log::Record<'_>,
    lvl: Level,
    message: Option<&'static str>,
    text: &str,
    formatted: &dyn fmt::Display,
    fields: &[(&str, Val<'_>)],
) {
    {
        let mut names = [("message", ArgRole::Positional); M];
        let mut vals = [Val::U64(0); M];
        let mut n = 0;
        if message.is_none() {
            vals[0] = Val::Str(text);
            n = 1;
        }
        for (key, val) in fields {
            if n < M {
                names[n] = (key, ArgRole::Field);
                vals[n] = *val;
                n += 1;
            }
        }
        let (file, module) = (r.file_static(), r.module_path_static());
        let name = r.module_path().unwrap_or(r.target());
        let key = Key {
            message,
            args: &names[..n],
            static_text: (file.is_some() || r.file().is_none()) && (module.is_some() || r.module_path().is_none()),
            ..Key::event(lvl, name, r.target(), r.file().unwrap_or(""), r.line().unwrap_or(0))
        };
        match intern(&key) {
            Some(cs) => record(cs, &vals[..n]),
            None => {
                let line = r.line().unwrap_or(0) as u64;
                let file = r.file().unwrap_or("");
                record(&OVERFLOW, &[Val::Display(formatted), Val::Str(r.target()), Val::Str(file), Val::U64(line)]);
            }
        }
    }
}

/// How many key-values `r` has.
#[cfg(feature = "log-kv")]
fn field_count(r: &log::Record<'_>) -> usize {
    log::kv::Source::count(r.key_values())
}

#[cfg(not(feature = "log-kv"))]
fn field_count(_: &log::Record<'_>) -> usize {
    0
}

/// Calls `f` with up to `N` of the record's key-values as (name, value) pairs.
#[cfg(feature = "log-kv")]
fn with_fields<const N: usize>(r: &log::Record<'_>, f: impl FnOnce(&[(&str, Val<'_>)])) {
    use log::kv::{Error, Key as KvKey, Value, VisitSource};

    struct Collect<'kvs, const N: usize> {
        pairs: [Option<(KvKey<'kvs>, Value<'kvs>)>; N],
        n: usize,
    }
    impl<'kvs, const N: usize> VisitSource<'kvs> for Collect<'kvs, N> {
        fn visit_pair(&mut self, key: KvKey<'kvs>, value: Value<'kvs>) -> Result<(), Error> {
            if let Some(slot) = self.pairs.get_mut(self.n) {
                *slot = Some((key, value));
                self.n += 1;
            }
            Ok(())
        }
    }

    if N == 0 {
        return f(&[]);
    }
    let mut c = Collect::<N> { pairs: core::array::from_fn(|_| None), n: 0 };
    let _ = r.key_values().visit(&mut c);
    let mut fields = [("", Val::U64(0)); N];
    for (slot, pair) in fields.iter_mut().zip(c.pairs.iter().flatten()) {
        let (key, value) = pair;
        let val = if let Some(b) = value.to_bool() {
            Val::Bool(b)
        } else if let Some(u) = value.to_u64() {
            Val::U64(u)
        } else if let Some(i) = value.to_i64() {
            Val::I64(i)
        } else if let Some(u) = value.to_u128() {
            Val::U128(u)
        } else if let Some(i) = value.to_i128() {
            Val::I128(i)
        } else if let Some(x) = value.to_f64() {
            Val::F64(x)
        } else if let Some(ch) = value.to_char() {
            Val::Char(ch)
        } else if let Some(s) = value.to_borrowed_str() {
            Val::Str(s)
        } else {
            Val::Display(value)
        };
        *slot = (key.as_str(), val);
    }
    f(&fields[..c.n]);
}

/// Calls `f` with no fields (the `log-kv` feature is off).
#[cfg(not(feature = "log-kv"))]
fn with_fields<const N: usize>(_: &log::Record<'_>, f: impl FnOnce(&[(&str, Val<'_>)])) {
    f(&[]);
}
