//! Compile-time logging with a flight recorder.
//!
//! The event macros parse their format string at compile time, check it against
//! the arguments as `format!` does, and register the callsite's metadata once. At
//! run time a log call writes a callsite id, a timestamp and the raw bytes of its
//! arguments into the calling thread's ring buffer: no formatting, no allocation,
//! no lock, no system call. [`snapshot`] copies every thread's ring; the
//! `ttlog-decode` tool (and library) turns the file back into text or JSON.
//!
//! ```
//! let id = 42u64;
//! let micros = 250u32;
//! let host = "db-1";
//! ttlog::info!("request {} took {} us on {}", id, micros, host);
//!
//! let path = std::path::Path::new("/var/data");
//! let delay_ms = 100;
//! ttlog::warn!("retrying {path:?} in {delay_ms:>5} ms", attempt = 3); // `attempt` is a field
//!
//! let snap = ttlog::snapshot("manual");
//! # let dir = std::env::temp_dir().join(format!("ttlog-doc-{}", std::process::id()));
//! # std::fs::create_dir_all(&dir)?;
//! # let file = dir.join("app.ttlog");
//! snap.save(&file)?; // then: ttlog-decode app.ttlog
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! # What is recorded raw, and what is formatted at the call
//!
//! Integers of every width, `f32`, `f64`, `bool`, `char`, `&str`, `String` (and
//! `Box`, `Rc`, `Arc`, `Cow` and references of these) are copied as bytes and
//! formatted only by the decoder, which reproduces `format!`'s output byte for
//! byte. A value of any other type that implements the trait its placeholder
//! asks for (`Display` for `{}`, `Debug` for `{:?}`, ...) is formatted at the
//! call, with the placeholder's spec, directly into the thread's buffer, without
//! a heap allocation. Whatever `format!` accepts, these macros accept.
//!
//! A string argument keeps at most [`STR_MAX`] bytes (less when an event has
//! very many arguments, so that every event fits in a buffer block); the decoder
//! shows a cut string with a visible `…[N bytes cut]` marker.
//!
//! # Levels
//!
//! Events above the compile-time maximum ([`STATIC_MAX_LEVEL`], chosen with the
//! cargo features `max_level_*` and `release_max_level_*`) are removed by the
//! compiler. The runtime maximum starts at `TTLOG_LEVEL` (`off`, `error`, `warn`,
//! `info`, `debug`, `trace`; default `info`) and changes with
//! [`set_max_level`].
//!
//! # Buffers
//!
//! Each thread that logs gets a ring of [`DEFAULT_BUFFER_SIZE`] bytes (see
//! [`Builder::buffer_size`]) that overwrites its oldest events. A snapshot
//! reports, per thread, how many events were overwritten before it copied the
//! ring. All rings together stay within a memory budget ([`Builder::memory_budget`]).
//!
//! # Instrumented functions
//!
//! [`#[ttlog]`](macro@ttlog) on a function records an event when it is entered,
//! with its arguments, and one when it exits, with how it ended; the decoder
//! pairs them by call id, prints the time between them and indents what the
//! call logged in between.
//!
//! # Crash capture
//!
//! Three captures, each opt-in on the [`Builder`] ([`Builder::crash_capture`]
//! for all three), write snapshots to [`snapshot_dir`] in files named
//! `PROGRAM-PID-REASON-YYYYMMDDTHHMMSSZ.ttlog`:
//!
//! - [`Builder::capture_panics`]: a panic in any thread is recorded as an
//!   ERROR event in that thread's ring, a snapshot is written, then the panic
//!   hook installed before runs.
//! - [`Builder::snapshot_on_signal`]: a signal (`kill -USR2 PID`) makes a
//!   thread started at installation write an ordinary snapshot, while the
//!   process goes on.
//! - [`Builder::capture_fatal_signals`]: on one of the [`FATAL_SIGNALS`]
//!   (`SIGSEGV`, `SIGBUS`, `SIGILL`, `SIGFPE`, `SIGABRT`) a handler that does
//!   async-signal-safe work only, on a stack of its own, writes what the rings
//!   hold, then lets the signal end the process as it would have (core dump
//!   included). Everything it needs is made at installation: the file's
//!   directory, the metadata of every callsite registered by then (every
//!   callsite of the program and of the libraries it links statically), a
//!   copy buffer. Such a snapshot holds every thread's ring as it was (the
//!   blocks copied with the same consistency check as any snapshot, not
//!   re-encoded), the threads' names and ids, and the clock calibration; the
//!   decoder reads it as any other snapshot.
//!
//! A snapshot that cannot be written is reported on stderr; it never takes the
//! process down.
//!
//! # The continuous log and the console
//!
//! [`Builder::log_file`] (or `TTLOG_FILE=path`) starts one background thread
//! that drains every thread's ring into a compacted log file, so that every
//! event is kept; [`OnFull`] says what a thread whose ring is full does before
//! the writer drains it, and [`flush`] waits for the file. [`Builder::console`]
//! (or `TTLOG_CONSOLE=1`) makes that thread also print the events on stderr as
//! text lines, as `ttlog-decode` prints them, for development; it needs this
//! crate's `console` feature.
#![warn(missing_docs)]

// The run time, which builds without the proc macros (and so in parallel with
// syn); its items are this crate's.
#[doc(inline)]
pub use ttlog_core::*;

// The console's renderer, for the writer to find (see `Builder::console`).
#[cfg(feature = "console")]
ttlog_core::__private::inventory::submit! { ttlog_core::console::Factory(ttlog_decode::console::make) }

#[doc(hidden)]
pub mod __private {
    //! What the macros' expansions reach, and nothing else. Not a public API:
    //! it changes with every release, which is why `ttlog` pins `ttlog-core`
    //! and `ttlog-macros` exactly.
    pub use ttlog_core::__private::*;
    pub use ttlog_macros::event;
}

/// Instruments a function: an event when it is entered, with its arguments,
/// and one when it exits, with how it ended; the decoder pairs them by a
/// per-call id, prints the time between them, and indents what the call logged
/// in between.
///
/// ```
/// use ttlog::ttlog;
///
/// #[ttlog]
/// fn handle(id: u64, path: &str) -> usize {
///     ttlog::info!("looking up {path}");
///     path.len()
/// }
/// # handle(42, "/index.html");
/// ```
///
/// ```text
/// $ ttlog-decode app.ttlog
/// ..T12:00:00.000001000Z  INFO [main 4711] app: → app::handle #1.1 id=42 path="/index.html"
/// ..T12:00:00.000001200Z  INFO [main 4711]   app: looking up /index.html
/// ..T12:00:00.000001500Z  INFO [main 4711] app: ← app::handle #1.1 elapsed=0.500µs
/// ```
///
/// The entry event is at INFO, with every argument as a field. The events are
/// named by the function's path as the compiler names it: `app::handle` for a
/// free function, `app::Db::load` for a method, `<app::Db as app::Store>::get`
/// for a method of a trait impl (resolved once, when a snapshot first writes
/// the callsite). After the name comes the call id, `#1.1` (the thread's number
/// and the call's), which matches an exit with its entry.
///
/// An argument is recorded raw when its type allows (integers, floats, `bool`,
/// `char`, strings, as the event macros do), formatted at the call with
/// `Debug` when its type is `Debug`, and otherwise as its type's name,
/// `self=<app::Db>`: a type without `Debug`, an `impl Iterator`, a closure, a
/// generic parameter without a `Debug` bound. The choice is made at compile
/// time, with no cost at the call. Parameters given by pattern record each
/// binding: `(a, b): (u32, u32)` gives `a` and `b`; `self` is a field too.
/// The exit event comes on every way out: the end of the body, `return`, `?`,
/// and a panic unwinding (shown as `panicked`). The elapsed time is computed by
/// the decoder from the two events' timestamps.
///
/// ```
/// use ttlog::ttlog;
///
/// struct Db {
///     rows: u32,
/// } // no `Debug`
///
/// impl Db {
///     #[ttlog]
///     fn load(&self, id: u32, filter: impl Fn(u32) -> bool) -> u32 {
///         // → app::Db::load #1.1 self=<app::Db> id=7 filter=<app::main::{{closure}}>
///         if filter(id) { self.rows } else { 0 }
///     }
/// }
/// # Db { rows: 3 }.load(7, |id| id > 1);
/// ```
///
/// # Options
///
/// | option | effect |
/// | --- | --- |
/// | `level = "debug"`, `level = Level::DEBUG` | the level of the entry and exit events (default INFO) |
/// | `name = "..."` | the events' name instead of the function's path |
/// | `target = "..."` | the target instead of the module path |
/// | `skip(a, self)`, `skip_all` | arguments not to record |
/// | `fields(key = expr, key = ?expr, key = %expr)` | more fields on the entry event, evaluated at entry (`?` renders with `Debug`, `%` or nothing with `Display`) |
/// | `ret`, `ret(Display)`, `ret(level = "warn")` | record the returned value (`Debug` by default) on the exit event; for a function that returns a `Result`, only an `Ok` value |
/// | `err`, `err(Debug)`, `err(level = "warn")` | for a function that returns a `Result`, record an `Err` (`Display` by default) on an exit event at ERROR |
/// | `crate = path` | the path to `ttlog`, when the attribute cannot find it itself (see below) |
///
/// The attribute finds `ttlog` under the name the crate's Cargo.toml gives it,
/// so a renamed dependency (`tt = { package = "ttlog", .. }`) needs no option;
/// `crate = path` (or `crate = "path"`) is for a crate that reaches ttlog
/// through another crate's re-export (`crate = my_logging::ttlog`).
///
/// A function counts as returning a `Result` with `err`, or when its return
/// type is written `Result<..>` (`io::Result<T>` too). Its exit shows
/// `ret=<the Ok value>` or `err=<the error>`; with `ret` alone, an `Err` is
/// shown as `returned Err`. The values of `ret`, `err` and `fields` need the
/// trait they are rendered with (`Debug`, `Display`): a type without it is a
/// compile error that points at the option (`ret`, `err`) or at the field's
/// value.
///
/// ```
/// use ttlog::ttlog;
///
/// #[derive(Debug)]
/// struct Db;
///
/// #[ttlog(level = "debug", skip(db), fields(shard = id % 16), ret, err)]
/// fn load(db: &Db, id: u64) -> Result<String, std::fmt::Error> {
///     Ok(format!("row {id}"))
/// }
/// # load(&Db, 7).unwrap();
/// ```
///
/// # Async functions
///
/// On an `async fn`, the entry event is recorded when the future is first
/// polled and the exit when it completes, so the elapsed time spans its
/// `.await`s; a future dropped before it completes exits as `cancelled`, one
/// whose poll panicked as `panicked`. The call is open on a thread only while
/// its future is polled there: a poll that returns `Pending` records
/// `← name #id pending`, the next poll (on whatever thread the executor
/// chooses) `→ name #id resumed`. What a task logs nests under its own call,
/// and tasks that share a thread do not nest in one another. The future stays
/// `Send` when it was.
///
/// ```
/// use ttlog::ttlog;
///
/// #[ttlog(ret)]
/// async fn fetch(key: u32) -> u32 {
///     key * 2
/// }
/// # let _ = fetch(1);
/// ```
///
/// # Cost
///
/// When the level is enabled: the entry event (a level check, a per-call id
/// from thread-local state, the record), and the exit event; for an `async fn`,
/// a suspend and a resume event for each poll that returns `Pending`. When the
/// level is disabled at run time, one relaxed load; when it is compiled out
/// (the `max_level_*` features), nothing.
///
/// # Where it can be used
///
/// Free functions, methods (`self`, `&self`, `&mut self`, `self: Box<Self>`,
/// ...), trait impl methods and default methods, generic functions, `impl
/// Trait` arguments and return types, `unsafe fn`, `extern "C" fn` and `async
/// fn`. Not on a `const fn`, nor on anything that is not a function with a body:
///
/// ```compile_fail
/// #[ttlog::ttlog]
/// const fn answer() -> u32 {
///     42
/// }
/// ```
///
/// With `ret` or `err`, the body runs in a closure (so that the value can be
/// recorded on every way out), which only `#[track_caller]` can tell: a panic
/// inside reports the function's own location rather than its caller's.
#[doc(inline)]
pub use ttlog_macros::ttlog;

/// Makes a struct or enum loggable raw: its fields are recorded as bytes and
/// the decoder renders them as `Debug` would, or with the type's display
/// format for `{}`. See [`Record`](trait@Record) for the field types it takes
/// and the README's section on `#[derive(ttlog::Record)]`.
///
/// ```
/// #[derive(ttlog::Record)]
/// #[ttlog(display = "({x}, {y})")]
/// struct Point {
///     x: i32,
///     y: i32,
/// }
///
/// #[derive(ttlog::Record)]
/// enum Shape<'a> {
///     Empty,
///     Dot(Point),
///     Line { from: Point, to: Point, label: Option<&'a str> },
/// }
///
/// #[derive(ttlog::Record)]
/// struct Request {
///     id: u64,
///     shapes: Vec<Shape<'static>>,
///     #[ttlog(debug)] // not recordable: formatted with `Debug` at the call
///     deadline: std::time::Instant,
/// }
///
/// let (p, s) = (Point { x: 1, y: 2 }, Shape::Dot(Point { x: 3, y: 4 }));
/// ttlog::info!("at {} moving {:?}", p, s, shape = ?s);
/// let r = Request { id: 7, shapes: vec![Shape::Empty], deadline: std::time::Instant::now() };
/// ttlog::info!("{:?}", r);
/// ```
///
/// `{}` on a type without a display format does not compile:
///
/// ```compile_fail
/// #[derive(ttlog::Record)]
/// struct Point {
///     x: i32,
/// }
/// ttlog::info!("{}", Point { x: 1 });
/// ```
pub use ttlog_macros::Record;

/// Records an event at a level given as the first argument.
///
/// ```
/// use ttlog::Level;
/// ttlog::event!(Level::WARN, "disk {}% full", 91u8);
/// ```
///
/// The level must be one of `Level::ERROR`, `WARN`, `INFO`, `DEBUG`, `TRACE`
/// (or `Level::Error` .. `Level::Trace`), written as a path: it is needed at
/// compile time.
///
/// ```compile_fail
/// let level = ttlog::Level::INFO;
/// ttlog::event!(level, "not a constant level");
/// ```
#[macro_export]
macro_rules! event {
    ($($arg:tt)*) => { $crate::__private::event!($crate, @ $($arg)*) };
}

/// Records an event at the ERROR level. See [`info!`] for the syntax.
#[macro_export]
macro_rules! error {
    ($($arg:tt)*) => { $crate::__private::event!($crate, Error, $($arg)*) };
}

/// Records an event at the WARN level. See [`info!`] for the syntax.
#[macro_export]
macro_rules! warn {
    ($($arg:tt)*) => { $crate::__private::event!($crate, Warn, $($arg)*) };
}

/// Records an event at the INFO level.
///
/// The syntax is `format!`'s: a string literal, then positional arguments, then
/// named arguments; identifiers in the string are captured from the scope.
/// Named arguments that the message does not use are structured fields,
/// rendered after the message as `name=value` (`name = ?expr` renders with
/// `Debug`, `name = %expr` with `Display`). An optional `target: "name",` first
/// replaces the module path.
///
/// tracing's syntax works too, so that code moves between the two by changing
/// the path: fields before the message (`user = id`, `?value`, `%value`, or a
/// variable's name alone for a field of that name), and fields with no message
/// at all. Fields before the message are fields only: the message does not see
/// them.
///
/// ```
/// let user = "ana";
/// let bytes = 1_500_000u64;
/// ttlog::info!("{user} uploaded {:>10} bytes", bytes, shard = 7u16);
/// ttlog::info!(target: "audit", "login by {}", user);
/// ttlog::info!(user, bytes = %bytes, "uploaded"); // uploaded user=ana bytes=1500000
/// ttlog::debug!(code = 7u16, ok = true); // code=7 ok=true
/// ```
///
/// A format string that `format!` would reject is a compile error:
///
/// ```compile_fail
/// ttlog::info!("{} and {}", 1);
/// ```
#[macro_export]
macro_rules! info {
    ($($arg:tt)*) => { $crate::__private::event!($crate, Info, $($arg)*) };
}

/// Records an event at the DEBUG level. See [`info!`] for the syntax.
#[macro_export]
macro_rules! debug {
    ($($arg:tt)*) => { $crate::__private::event!($crate, Debug, $($arg)*) };
}

/// Records an event at the TRACE level. See [`info!`] for the syntax.
#[macro_export]
macro_rules! trace {
    ($($arg:tt)*) => { $crate::__private::event!($crate, Trace, $($arg)*) };
}
