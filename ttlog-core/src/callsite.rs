//! Callsite metadata: everything about a log call that is known at compile time.
//!
//! The event macros parse the format string and emit one `static` [`Callsite`] per
//! call, built by `const fn`s, and submit a reference to it through `inventory`. At
//! run time an event carries only the callsite's numeric id; the snapshot writer maps
//! ids back to these statics and copies the metadata into the file, so that the
//! decoder can render text without the binary.
//!
//! The pieces of the message are already parsed: the decoder renders from
//! [`Piece`]s and [`Spec`]s and never sees a format string.

use crate::level::Level;

// Defined with the macros, which compute them.
pub use ttlog_spec::{Align, ArgRole, FmtType, Sign};

/// The metadata of one log call, fixed at compile time.
#[derive(Debug)]
pub struct Callsite {
    /// Severity of the event.
    pub level: Level,
    /// What kind of record this callsite writes.
    pub kind: CallsiteKind,
    /// Name: for events the module path, for `#[ttlog]` functions `module::function`.
    pub name: &'static str,
    /// The target, `module_path!()` unless the call gave `target:`.
    pub target: &'static str,
    /// Source file, as `file!()` gives it.
    pub file: &'static str,
    /// Source line.
    pub line: u32,
    /// The message: literal text and references to argument slots.
    pub pieces: &'static [Piece],
    /// The recorded arguments, in recording order.
    pub args: &'static [ArgMeta],
    /// For a `#[ttlog]` function without a `name` option: gives the function's
    /// path as the compiler names it, `app::Db::load` for a method and
    /// `<app::Db as app::Greet>::greet` for a trait impl's, which a macro
    /// cannot know. Called on the cold path only, when a snapshot writes the
    /// callsite: its result replaces `name` and the message. `None` for events.
    pub path: Option<fn() -> &'static str>,
}

impl Callsite {
    /// The name as snapshots record it: [`Callsite::path`]'s result where
    /// there is one, else [`Callsite::name`].
    pub fn resolved_name(&self) -> &'static str {
        match self.path {
            Some(path) => path(),
            None => self.name,
        }
    }
}

/// The path of the function that holds the item whose type name is
/// `type_name`: that name without its last segment, nor the `{{closure}}`
/// that an `async fn`'s body is (what `#[ttlog]`'s [`Callsite::path`] gives,
/// from a function item declared in the body).
#[doc(hidden)]
pub fn enclosing_path(type_name: &'static str) -> &'static str {
    let mut path = match type_name.rfind("::") {
        Some(at) => &type_name[..at],
        None => type_name,
    };
    while let Some(outer) = path.strip_suffix("::{{closure}}") {
        path = outer;
    }
    path
}

/// The callsite's numeric id, as records carry it: the low 32 bits of its
/// address in words (the callsite is word-aligned). Distinct for callsites
/// less than 32 GiB apart, that is for all of one binary's statics, and
/// computed without any initialisation: an address and a shift. (Any value is
/// valid: a ring's pad word is told apart by its zero length, not by its id.)
#[inline(always)]
pub fn callsite_id(cs: &'static Callsite) -> u32 {
    ((cs as *const Callsite as usize) >> 3) as u32
}

/// Registers a callsite, so that snapshots can map its id back to it: one per
/// callsite. On Linux and Android the macros place it in the
/// `ttlog_callsites` link section, which the linker gathers into one array:
/// data only, no code per callsite and nothing to run before `main`.
/// Elsewhere they submit it through `inventory` (a constructor per callsite).
#[doc(hidden)]
#[derive(Debug)]
pub struct Registration(pub &'static Callsite);

#[cfg(not(any(target_os = "linux", target_os = "android")))]
inventory::collect!(Registration);

/// Registers one of the runtime's own callsites, as the macros do theirs.
macro_rules! register {
    ($cs:path) => {
        const _: () = {
            #[cfg(any(target_os = "linux", target_os = "android"))]
            #[used]
            #[unsafe(link_section = "ttlog_callsites")]
            static REGISTRATION: $crate::callsite::Registration = $crate::callsite::Registration(&$cs);
            #[cfg(not(any(target_os = "linux", target_os = "android")))]
            inventory::submit! { $crate::callsite::Registration(&$cs) }
        };
    };
}
pub(crate) use register;

/// The registrations in the `ttlog_callsites` section of this binary (or
/// shared object): every callsite the macros made, in every crate linked in,
/// and the runtime's own (which keep the section from being empty).
#[cfg(any(target_os = "linux", target_os = "android"))]
fn linked() -> impl Iterator<Item = &'static Registration> {
    // The linker defines these two for a section whose name is a C
    // identifier: its start and its end.
    unsafe extern "Rust" {
        #[link_name = "__start_ttlog_callsites"]
        static START: [Registration; 0];
        #[link_name = "__stop_ttlog_callsites"]
        static STOP: [Registration; 0];
    }
    let start = (&raw const START).cast::<Registration>();
    let stop = (&raw const STOP).cast::<Registration>();
    // SAFETY: the section holds nothing but `Registration`s (the statics
    // that `register!` and the macros place there, each a word, so the
    // linker packs them with no gap), initialised at link time and never
    // written; `START` and `STOP` bound it, in the same object.
    let all: &'static [Registration] = unsafe { core::slice::from_raw_parts(start, stop.offset_from(start) as usize) };
    all.iter()
}

#[cfg(not(any(target_os = "linux", target_os = "android")))]
fn linked() -> impl Iterator<Item = &'static Registration> {
    inventory::iter::<Registration>.into_iter()
}

/// Every callsite registered so far: the macros' statics, then those the
/// bridges made at run time.
pub(crate) fn registered() -> impl Iterator<Item = &'static Callsite> {
    linked().map(|r| r.0).chain(runtime()).chain(made_at_run_time())
}

/// The callsites the bridges made (`ttlog::bridge`).
#[cfg(any(feature = "log", feature = "tracing"))]
fn made_at_run_time() -> impl Iterator<Item = &'static Callsite> {
    crate::bridge::dynamic::registered()
}

#[cfg(not(any(feature = "log", feature = "tracing")))]
fn made_at_run_time() -> impl Iterator<Item = &'static Callsite> {
    core::iter::empty()
}

/// A callsite made at run time (the panic hook's: one per panic location),
/// in an append-only, lock-free list.
struct RuntimeSite {
    cs: Callsite,
    next: core::sync::atomic::AtomicPtr<RuntimeSite>,
}

static RUNTIME: core::sync::atomic::AtomicPtr<RuntimeSite> = core::sync::atomic::AtomicPtr::new(core::ptr::null_mut());

/// The callsites made at run time, newest first.
pub(crate) fn runtime() -> impl Iterator<Item = &'static Callsite> {
    use core::sync::atomic::Ordering;
    let mut p = RUNTIME.load(Ordering::Acquire);
    core::iter::from_fn(move || {
        // SAFETY: entries are leaked `Box`es, never freed, fully initialised
        // before being published by the release CAS in `register_runtime`
        // that this acquire load (or that of the previous entry's `next`)
        // pairs with.
        let site: &'static RuntimeSite = unsafe { p.as_ref()? };
        p = site.next.load(Ordering::Acquire);
        Some(&site.cs)
    })
}

/// Makes `cs` a callsite for the rest of the process: snapshots find it as
/// they find the registered ones. Its id (from its address) is checked to be
/// unlike every other callsite's; a clash gets another address.
pub(crate) fn register_runtime(cs: Callsite) -> &'static Callsite {
    use core::sync::atomic::{AtomicPtr, Ordering};
    let mut site: &'static RuntimeSite =
        Box::leak(Box::new(RuntimeSite { cs, next: AtomicPtr::new(core::ptr::null_mut()) }));
    while registered().any(|other| callsite_id(other) == callsite_id(&site.cs)) {
        // The clashing one stays leaked, out of every list: a few bytes, once
        // in billions of panics.
        let again = RuntimeSite { cs: Callsite { ..site.cs }, next: AtomicPtr::new(core::ptr::null_mut()) };
        site = Box::leak(Box::new(again));
    }
    let mut head = RUNTIME.load(Ordering::Relaxed);
    loop {
        site.next.store(head, Ordering::Relaxed);
        let me = site as *const RuntimeSite as *mut RuntimeSite;
        match RUNTIME.compare_exchange_weak(head, me, Ordering::Release, Ordering::Relaxed) {
            Ok(_) => return &site.cs,
            Err(h) => head = h,
        }
    }
}

ttlog_spec::wire_enum! {
    /// What a callsite records.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
    pub enum CallsiteKind {
        /// A plain event from `info!` and friends.
        Event = 0,
        /// Entry into a function instrumented with `#[ttlog]`.
        Enter = 1,
        /// Exit from a function instrumented with `#[ttlog]`.
        Exit = 2,
        /// A poll of an instrumented `async fn` returned `Pending`: the call
        /// leaves the thread (it stays open, and resumes on some thread).
        Suspend = 3,
        /// A later poll of an instrumented `async fn` began: the call is
        /// open on this thread again, until it suspends or exits.
        Resume = 4,
    }
    /// The kind with the given wire value.
    pub const fn from_u8(v: u8) -> Option<Self>;
}

/// One piece of a parsed message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Piece {
    /// Literal text, with `{{` and `}}` already unescaped.
    Lit(&'static str),
    /// An argument rendered with one of its specs: `args[arg].specs[slot]`.
    Arg {
        /// Index into [`Callsite::args`].
        arg: u16,
        /// Index into that argument's [`ArgMeta::specs`].
        slot: u16,
    },
}

ttlog_spec::wire_enum! {
    /// How a call of a `#[ttlog]` function ended, as its exit event records it.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
    pub enum Outcome {
        /// It returned (by its last expression, `return` or `?`).
        Returned = 0 => "returned",
        /// It returned an `Err` (known only with the `ret` or `err` option).
        Err = 1 => "err",
        /// A panic unwound out of it.
        Panicked = 2 => "panicked",
        /// An `async fn` whose future was dropped before it completed.
        Cancelled = 3 => "cancelled",
    }
    /// The outcome with the given wire value.
    pub const fn from_u8(v: u8) -> Option<Self>;
    /// The outcome's name, as the decoder shows it (`elapsed=.. panicked`,
    /// `"outcome":"panicked"`).
    pub const fn name(self) -> &'static str;
}

/// One recorded argument of a callsite.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ArgMeta {
    /// The argument's name: the identifier for named arguments and fields, the
    /// expression's text for positional ones (kept for diagnostics and JSON).
    pub name: &'static str,
    /// Positional, named, or field.
    pub role: ArgRole,
    /// The distinct format specs the message applies to this argument. A value of a
    /// raw type is recorded once and rendered with each spec at decode time; a value
    /// of any other type is formatted at the call once per spec, in this order.
    pub specs: &'static [Spec],
}

/// A parsed format spec: everything between `:` and `}` in `{0:>8.3x}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Spec {
    /// Fill character (`' '` unless given).
    pub fill: char,
    /// Alignment, if given.
    pub align: Align,
    /// `+` or `-`, if given.
    pub sign: Sign,
    /// The `#` flag.
    pub alternate: bool,
    /// The `0` flag.
    pub zero: bool,
    /// Minimum width.
    pub width: Count,
    /// Precision.
    pub precision: Count,
    /// Which formatting trait renders the value.
    pub ty: FmtType,
}

impl Spec {
    /// `{}`: Display with no options.
    pub const DISPLAY: Spec = Spec {
        fill: ' ',
        align: Align::Unknown,
        sign: Sign::None,
        alternate: false,
        zero: false,
        width: Count::Implied,
        precision: Count::Implied,
        ty: FmtType::Display,
    };

    /// `{:?}`: Debug with no options.
    pub const DEBUG: Spec = Spec { ty: FmtType::Debug, ..Spec::DISPLAY };
}

/// A width or precision.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Count {
    /// Not given.
    Implied,
    /// A literal number, `{:8}`.
    Is(u16),
    /// Taken from a recorded argument (a `usize`), `{:1$}`, `{:width$}` or `{:.*}`:
    /// the index into [`Callsite::args`].
    Arg(u16),
}

ttlog_spec::wire_enum! {
    /// The type of a recorded argument value, as the event's record gives it.
    ///
    /// The callsite cannot know these: a `static` inside a generic function is shared
    /// by all its instantiations, so the types travel with each event (four bits per
    /// argument, inside the record header) and the snapshot interns each distinct
    /// (callsite, types) pair once.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
    pub enum ArgType {
        /// `u8`
        U8 = 0 => "u8",
        /// `u16`
        U16 = 1 => "u16",
        /// `u32`
        U32 = 2 => "u32",
        /// `u64`, and `usize` on 64-bit targets
        U64 = 3 => "u64",
        /// `u128`
        U128 = 4 => "u128",
        /// `i8`
        I8 = 5 => "i8",
        /// `i16`
        I16 = 6 => "i16",
        /// `i32`
        I32 = 7 => "i32",
        /// `i64`, and `isize` on 64-bit targets
        I64 = 8 => "i64",
        /// `i128`
        I128 = 9 => "i128",
        /// `f32`
        F32 = 10 => "f32",
        /// `f64`
        F64 = 11 => "f64",
        /// `bool`
        Bool = 12 => "bool",
        /// `char`
        Char = 13 => "char",
        /// `str` and its owners: recorded as UTF-8 bytes, rendered at decode time.
        Str = 14 => "str",
        /// Any other type: formatted at the call, once per spec of the argument, into
        /// the record; rendered verbatim.
        Formatted = 15 => "formatted",
    }
    /// Every type, in tag order (`ALL[t]` has tag `t`).
    pub const ALL: [Self; _];
    /// The type with the given 4-bit tag.
    pub const fn from_tag(tag: u8) -> Option<Self>;
    /// The Rust name of the type, for diagnostics.
    pub const fn name(self) -> &'static str;
}

#[cfg(test)]
mod tests {
    use super::{ArgType, enclosing_path};

    #[test]
    fn the_enclosing_path_is_the_function_of_the_item() {
        let cases = [
            ("app::load::__ttlog_path", "app::load"),
            ("app::Db::load::__ttlog_path", "app::Db::load"),
            ("<app::Db as app::Greet>::greet::__ttlog_path", "<app::Db as app::Greet>::greet"),
            ("app::fetch::{{closure}}::__ttlog_path", "app::fetch"),
            ("app::main::{{closure}}::inner::__ttlog_path", "app::main::{{closure}}::inner"),
            ("alone", "alone"),
        ];
        for (name, path) in cases {
            assert_eq!(enclosing_path(name), path, "{name}");
        }
    }

    #[test]
    fn all_arg_types_are_in_tag_order() {
        for (tag, ty) in ArgType::ALL.into_iter().enumerate() {
            assert_eq!(ArgType::from_tag(tag as u8), Some(ty));
            assert_eq!(ty as u8, tag as u8);
        }
        assert_eq!(ArgType::from_tag(16), None);
    }
}
