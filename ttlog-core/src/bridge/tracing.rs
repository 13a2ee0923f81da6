//! A [`tracing_subscriber::Layer`] that records `tracing` events and spans
//! into the calling thread's ring.
//!
//! ```no_run
//! use tracing_subscriber::layer::SubscriberExt;
//! let subscriber = tracing_subscriber::registry().with(ttlog::bridge::tracing::layer());
//! tracing::subscriber::set_global_default(subscriber).expect("no other subscriber");
//! tracing::info!(user = "ann", attempt = 3, "login failed");
//! ```
//!
//! Each tracing callsite becomes a ttlog callsite once, when tracing
//! registers it (`register_callsite`), not per event. An event's fields are
//! recorded typed: `record_u64`, `record_i64`, `record_u128`, `record_i128`,
//! `record_f64` and `record_bool` raw, `record_str` and `record_debug` (the
//! message among them) as text. A span's entry and exit are recorded as
//! `#[ttlog]`'s entry and exit events are (a call id pairs them, the span's
//! fields go with the entry), so the decoder pairs and nests them, shows the
//! time spent inside, and its exports see calls. A span entered several times
//! (an `async` task polled again) is one call per entry.

use super::dynamic::{Key, intern};
use super::value::{Val, record, with_scratch};
use crate::callsite::{ArgRole, Callsite, CallsiteKind, Outcome};
use crate::level::{Level, LevelFilter};
use core::cell::RefCell;
use core::fmt::{self, Write as _};
use rustc_hash::FxHashMap;
use std::sync::Mutex;
use tracing_core::field::{Field, Visit};
use tracing_core::span::{Attributes, Id, Record};
use tracing_core::subscriber::Interest;
use tracing_core::{Event, Metadata, Subscriber};
use tracing_subscriber::layer::Context;
use tracing_subscriber::registry::LookupSpan;

/// The layer; see the [module docs](self).
#[derive(Debug, Default, Clone, Copy)]
pub struct Layer {
    _private: (),
}

/// The layer that records into ttlog.
pub fn layer() -> Layer {
    Layer::default()
}

/// What a tracing callsite became: for an event, its callsite and where each
/// field goes among its arguments; for a span, its entry and exit callsites.
#[derive(Debug)]
struct Site {
    /// The event's callsite, or the span's entry.
    main: &'static Callsite,
    /// The span's exit (`None` for events).
    exit: Option<&'static Callsite>,
    /// For each field (by its index in the metadata), its argument.
    position: Box<[u16]>,
}

type Sites = FxHashMap<usize, &'static Site>;

static SITES: Mutex<Option<Sites>> = Mutex::new(None);

std::thread_local! {
    static CACHE: RefCell<Sites> = RefCell::new(Sites::default());
    /// The spans this thread is in, innermost last, with their call ids.
    static ENTERED: RefCell<Vec<(u64, u64)>> = const { RefCell::new(Vec::new()) };
}

fn key_of(meta: &Metadata<'_>) -> usize {
    meta as *const Metadata<'_> as *const () as usize
}

fn level(l: &tracing_core::Level) -> Level {
    match *l {
        tracing_core::Level::ERROR => Level::Error,
        tracing_core::Level::WARN => Level::Warn,
        tracing_core::Level::INFO => Level::Info,
        tracing_core::Level::DEBUG => Level::Debug,
        _ => Level::Trace,
    }
}

fn enabled(meta: &Metadata<'_>) -> bool {
    LevelFilter::from_level(level(meta.level())) <= crate::level::max_level()
}

/// Makes the ttlog callsites of `meta` (once per process).
fn make_site(meta: &'static Metadata<'static>) -> Option<&'static Site> {
    let mut sites = SITES.lock().unwrap_or_else(|e| e.into_inner());
    let sites = sites.get_or_insert_with(Sites::default);
    if let Some(site) = sites.get(&key_of(meta)) {
        return Some(site);
    }
    let lvl = level(meta.level());
    let (file, line) = (meta.file().unwrap_or(""), meta.line().unwrap_or(0));
    let fields: Vec<&'static str> = meta.fields().iter().map(|f| f.name()).collect();
    let site = if meta.is_span() {
        let mut args = vec![("call_id", ArgRole::CallId)];
        args.extend(fields.iter().map(|f| (*f, ArgRole::Field)));
        let enter = Key {
            kind: CallsiteKind::Enter,
            message: Some(meta.name()),
            args: &args,
            ..Key::event(lvl, meta.name(), meta.target(), file, line)
        };
        let exit_args = [("call_id", ArgRole::CallId), ("outcome", ArgRole::Outcome)];
        let exit = Key { kind: CallsiteKind::Exit, args: &exit_args, ..enter };
        let position = (1..=fields.len() as u16).collect();
        Site { main: intern(&enter)?, exit: Some(intern(&exit)?), position }
    } else {
        // The message first, as the callsite's text; the other fields after it.
        let message = fields.iter().position(|f| *f == "message");
        let mut args = Vec::with_capacity(fields.len());
        let mut position = vec![0u16; fields.len()];
        if let Some(m) = message {
            args.push(("message", ArgRole::Positional));
            position[m] = 0;
        }
        for (i, f) in fields.iter().enumerate() {
            if Some(i) != message {
                position[i] = args.len() as u16;
                args.push((*f, ArgRole::Field));
            }
        }
        let key = Key {
            message: if message.is_some() { None } else { Some("") },
            args: &args,
            ..Key::event(lvl, meta.name(), meta.target(), file, line)
        };
        Site { main: intern(&key)?, exit: None, position: position.into_boxed_slice() }
    };
    let site: &'static Site = Box::leak(Box::new(site));
    sites.insert(key_of(meta), site);
    Some(site)
}

/// The site of `meta`, from this thread's cache, else made.
fn site(meta: &'static Metadata<'static>) -> Option<&'static Site> {
    let key = key_of(meta);
    let cached = CACHE.try_with(|c| c.try_borrow().ok().and_then(|c| c.get(&key).copied())).ok().flatten();
    if cached.is_some() {
        return cached;
    }
    let site = make_site(meta)?;
    let _ = CACHE.try_with(|c| {
        if let Ok(mut c) = c.try_borrow_mut() {
            c.insert(key, site);
        }
    });
    Some(site)
}

/// A field's value as a visitor gets it: numbers as they are, text as a
/// range of the scratch buffer.
#[derive(Clone, Copy, Debug)]
enum Got {
    Missing,
    U64(u64),
    I64(i64),
    U128(u128),
    I128(i128),
    F64(f64),
    Bool(bool),
    Text(usize, usize),
}

struct Collect<'s, const N: usize> {
    got: [Got; N],
    text: &'s mut String,
}

impl<const N: usize> Collect<'_, N> {
    fn put(&mut self, field: &Field, v: Got) {
        if let Some(slot) = self.got.get_mut(field.index()) {
            *slot = v;
        }
    }
    fn text(&mut self, field: &Field, f: impl FnOnce(&mut String)) {
        if field.index() < self.got.len() {
            let start = self.text.len();
            f(self.text);
            let end = self.text.len();
            self.put(field, Got::Text(start, end));
        }
    }
}

impl<const N: usize> Visit for Collect<'_, N> {
    fn record_u64(&mut self, field: &Field, value: u64) {
        self.put(field, Got::U64(value));
    }
    fn record_i64(&mut self, field: &Field, value: i64) {
        self.put(field, Got::I64(value));
    }
    fn record_u128(&mut self, field: &Field, value: u128) {
        self.put(field, Got::U128(value));
    }
    fn record_i128(&mut self, field: &Field, value: i128) {
        self.put(field, Got::I128(value));
    }
    fn record_f64(&mut self, field: &Field, value: f64) {
        self.put(field, Got::F64(value));
    }
    fn record_bool(&mut self, field: &Field, value: bool) {
        self.put(field, Got::Bool(value));
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.text(field, |t| t.push_str(value));
    }
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.text(field, |t| {
            let _ = write!(t, "{value:?}");
        });
    }
}

/// Records `site.main`: `lead` (a span's call id), then the fields of `event`
/// or those `kept` from a span's creation. Arrays sized for the callsite's
/// fields (most have a few).
fn record_fields(site: &Site, lead: &[Val<'_>], event: Option<&Event<'_>>, kept: Option<&SpanFields>) {
    match site.position.len() {
        0..=4 => record_n::<4, 6>(site, lead, event, kept),
        _ => record_n::<{ super::MAX_FIELDS }, { super::MAX_FIELDS + 2 }>(site, lead, event, kept),
    }
}

/// [`record_fields`] for up to `N` fields; `M` is `N + 2` (a call id before
/// them, and room to spare).
fn record_n<const N: usize, const M: usize>(
    site: &Site,
    lead: &[Val<'_>],
    event: Option<&Event<'_>>,
    kept: Option<&SpanFields>,
) {
    with_scratch(|text| {
        let mut c = Collect::<N> { got: [Got::Missing; N], text };
        if let Some(event) = event {
            event.record(&mut c);
        }
        if let Some(kept) = kept {
            for (slot, got) in c.got.iter_mut().zip(&kept.got) {
                *slot = match *got {
                    Got::Text(a, b) => {
                        let start = c.text.len();
                        c.text.push_str(&kept.text[a..b]);
                        Got::Text(start, c.text.len())
                    }
                    other => other,
                };
            }
        }
        let n = site.main.args.len().min(M);
        let mut vals = [Val::Str(""); M];
        vals[..lead.len()].copy_from_slice(lead);
        let text: &str = c.text;
        for (got, pos) in c.got.iter().zip(site.position.iter()) {
            let Some(slot) = vals.get_mut(*pos as usize) else { continue };
            *slot = match *got {
                Got::Missing => Val::Str(""),
                Got::U64(v) => Val::U64(v),
                Got::I64(v) => Val::I64(v),
                Got::U128(v) => Val::U128(v),
                Got::I128(v) => Val::I128(v),
                Got::F64(v) => Val::F64(v),
                Got::Bool(v) => Val::Bool(v),
                Got::Text(a, b) => Val::Str(&text[a..b]),
            };
        }
        record(site.main, &vals[..n]);
    });
}

/// A span's fields, kept from its creation (and `record`) for its entries.
#[derive(Debug, Default)]
struct SpanFields {
    got: Vec<Got>,
    text: String,
}

impl<S> tracing_subscriber::Layer<S> for Layer
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn register_callsite(&self, meta: &'static Metadata<'static>) -> Interest {
        let _ = make_site(meta);
        Interest::sometimes()
    }

    fn enabled(&self, meta: &Metadata<'_>, _: Context<'_, S>) -> bool {
        enabled(meta)
    }

    fn on_event(&self, event: &Event<'_>, _: Context<'_, S>) {
        let meta = event.metadata();
        if !enabled(meta) {
            return;
        }
        if let Some(site) = site(meta) {
            record_fields(site, &[], Some(event), None);
        }
    }

    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(id) else { return };
        let mut fields = SpanFields::default();
        let mut c = Collect::<{ super::MAX_FIELDS }> { got: [Got::Missing; super::MAX_FIELDS], text: &mut fields.text };
        attrs.record(&mut c);
        let n = attrs.metadata().fields().len().min(super::MAX_FIELDS);
        fields.got = c.got[..n].to_vec();
        span.extensions_mut().insert(fields);
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(id) else { return };
        let mut ext = span.extensions_mut();
        let Some(fields) = ext.get_mut::<SpanFields>() else { return };
        let mut c = Collect::<{ super::MAX_FIELDS }> { got: [Got::Missing; super::MAX_FIELDS], text: &mut fields.text };
        values.record(&mut c);
        for (old, new) in fields.got.iter_mut().zip(c.got) {
            if !matches!(new, Got::Missing) {
                *old = new;
            }
        }
    }

    fn on_enter(&self, id: &Id, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(id) else { return };
        let meta = span.metadata();
        if !enabled(meta) {
            return;
        }
        let Some(site) = site(meta) else { return };
        let call = crate::write::call_id(site.main.level);
        if call == 0 {
            return;
        }
        let ext = span.extensions();
        record_fields(site, &[Val::U64(call)], None, ext.get::<SpanFields>());
        let _ = ENTERED.try_with(|e| e.borrow_mut().push((id.into_u64(), call)));
    }

    fn on_exit(&self, id: &Id, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(id) else { return };
        let Some(site) = site(span.metadata()) else { return };
        let Some(exit) = site.exit else { return };
        let call = ENTERED
            .try_with(|e| {
                let mut e = e.borrow_mut();
                let i = e.iter().rposition(|(span, _)| *span == id.into_u64())?;
                Some(e.remove(i).1)
            })
            .ok()
            .flatten();
        if let Some(call) = call {
            record(exit, &[Val::U64(call), Val::U8(Outcome::Returned as u8)]);
        }
    }
}
