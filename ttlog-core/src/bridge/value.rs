//! A value a bridge records: raw when it is a number, a boolean or a string,
//! formatted at the call otherwise. The number of values is known only at
//! run time, so they are written through the event macros' path for events
//! with many arguments ([`write`](crate::write::write)).

use crate::callsite::Callsite;
use crate::write::RecordWriter;
use crate::write::args::{EncodeArg, FmtPlain};
use core::fmt;

/// One recorded value.
// Each bridge makes some of the variants (the `log` bridge without `log-kv`
// only `Display` and `Str`): with one bridge built, the others' are unused.
#[cfg_attr(not(all(feature = "log-kv", feature = "tracing")), allow(dead_code))]
#[derive(Clone, Copy)]
pub(crate) enum Val<'a> {
    U8(u8),
    U64(u64),
    I64(i64),
    U128(u128),
    I128(i128),
    F64(f64),
    Bool(bool),
    Char(char),
    Str(&'a str),
    /// Formatted with `Display` at the call.
    Display(&'a dyn fmt::Display),
}

impl fmt::Debug for Val<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Val::U8(v) => write!(f, "U8({v})"),
            Val::U64(v) => write!(f, "U64({v})"),
            Val::I64(v) => write!(f, "I64({v})"),
            Val::U128(v) => write!(f, "U128({v})"),
            Val::I128(v) => write!(f, "I128({v})"),
            Val::F64(v) => write!(f, "F64({v})"),
            Val::Bool(v) => write!(f, "Bool({v})"),
            Val::Char(v) => write!(f, "Char({v:?})"),
            Val::Str(v) => write!(f, "Str({v:?})"),
            Val::Display(v) => write!(f, "Display({v})"),
        }
    }
}

fn display(v: &dyn fmt::Display, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    v.fmt(f)
}

/// `$e` applied to the value as its `EncodeArg` type.
macro_rules! each {
    ($v:expr, $x:ident => $e:expr) => {
        match $v {
            Val::U8($x) => $e,
            Val::U64($x) => $e,
            Val::I64($x) => $e,
            Val::U128($x) => $e,
            Val::I128($x) => $e,
            Val::F64($x) => $e,
            Val::Bool($x) => $e,
            Val::Char($x) => $e,
            Val::Str($x) => $e,
            Val::Display(v) => {
                let $x = &FmtPlain::new(*v, display);
                $e
            }
        }
    };
}

impl EncodeArg for Val<'_> {
    fn tag(&self) -> u8 {
        each!(self, x => x.tag())
    }
    fn is_fmt(&self) -> bool {
        matches!(self, Val::Display(_))
    }
    fn is_whole_raw(&self, bound: usize) -> bool {
        each!(self, x => x.is_whole_raw(bound))
    }
    fn size(&self, bound: usize) -> usize {
        each!(self, x => x.size(bound))
    }
    fn encode(&self, w: &mut RecordWriter, bound: usize) {
        each!(self, x => x.encode(w, bound))
    }
}

/// Records one event of `cs` with `vals`, which must match `cs`'s arguments
/// (in number; their types travel with the event).
pub(crate) fn record(cs: &'static Callsite, vals: &[Val<'_>]) {
    let mut tags = [0u8; super::MAX_FIELDS + 2];
    let vals = &vals[..vals.len().min(tags.len())];
    for (t, v) in tags.iter_mut().zip(vals) {
        *t = v.tag();
    }
    let has_fmt = vals.iter().any(|v| v.is_fmt());
    crate::write::write(
        cs,
        &tags[..vals.len()],
        |bound| vals.iter().map(|v| v.size(bound)).sum(),
        has_fmt,
        |w, bound| {
            for v in vals {
                v.encode(w, bound);
            }
        },
    );
}

std::thread_local! {
    /// Text a bridge formats before it records it, reused.
    static SCRATCH: core::cell::RefCell<String> = const { core::cell::RefCell::new(String::new()) };
}

/// Runs `f` with this thread's scratch text, emptied (or with a new one, when
/// an event is recorded from inside the formatting of another).
pub(crate) fn with_scratch<R>(f: impl FnOnce(&mut String) -> R) -> R {
    let mut f = Some(f);
    let r = SCRATCH.try_with(|s| {
        s.try_borrow_mut().ok().map(|mut s| {
            s.clear();
            (f.take().expect("called once"))(&mut s)
        })
    });
    match r {
        Ok(Some(r)) => r,
        _ => (f.take().expect("not called"))(&mut String::new()),
    }
}
