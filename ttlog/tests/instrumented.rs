//! `#[ttlog]` end to end: instrumented functions of every shape run on a thread
//! of their own, a real snapshot is taken, and the decoder's view of that
//! thread's events is checked: entry and exit, fields, returned values and
//! errors, outcomes, elapsed times, nesting, async functions across a real
//! `.await` on a timer, and the panic paths.

use std::future::Future;
use std::num::ParseIntError;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::{Pin, pin};
use std::sync::{Arc, Once};
use std::task::{Context, Poll, Wake, Waker};
use std::thread::Thread;
use std::time::{Duration, Instant};
use ttlog::callsite::{CallsiteKind, Outcome};
use ttlog::{Level, ttlog};
use ttlog_decode::calls::Call;

/// One decoded event of a test's thread.
#[derive(Debug)]
struct Ev {
    level: Level,
    kind: CallsiteKind,
    depth: u32,
    target: String,
    /// The message: the function's name for entries and exits.
    message: String,
    /// The fields, rendered.
    fields: Vec<(String, String)>,
    call: Option<Call>,
    /// The text line, from the level on (the timestamp varies).
    line: String,
}

impl Ev {
    fn field(&self, name: &str) -> Option<&str> {
        self.fields.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    fn names(&self) -> Vec<&str> {
        self.fields.iter().map(|(n, _)| n.as_str()).collect()
    }

    fn call(&self) -> Call {
        self.call.unwrap_or_else(|| panic!("not an entry or exit: {self:?}"))
    }
}

fn setup() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| ttlog::set_max_level(ttlog::LevelFilter::Trace));
}

/// Runs `f` on a new thread named `name` and returns that thread's events.
fn run(name: &str, f: impl FnOnce() + Send + 'static) -> Vec<Ev> {
    setup();
    std::thread::Builder::new().name(name.into()).spawn(f).unwrap().join().unwrap();
    events_of(name)
}

fn events_of(thread: &str) -> Vec<Ev> {
    let bytes = ttlog::snapshot("instrumented").to_bytes();
    let snap = ttlog_decode::from_bytes(&bytes).unwrap();
    assert!(snap.is_intact(), "{:?}", snap.problems);
    let mut out = Vec::new();
    for e in &snap.events {
        if snap.thread(e).is_none_or(|t| t.name != thread) {
            continue;
        }
        let cs = snap.callsite(e).unwrap();
        let mut fields = Vec::new();
        for (i, a) in cs.args.iter().enumerate() {
            if a.role == ttlog::callsite::ArgRole::Field {
                let mut v = String::new();
                ttlog_decode::render::message::write_arg(&mut v, cs, snap.args(e), i, 0);
                fields.push((a.name.clone(), v));
            }
        }
        let text = ttlog_decode::render::line::text_line(&snap, e);
        let line = text.split_once(' ').unwrap().1.trim_start().to_owned();
        out.push(Ev {
            level: cs.level,
            kind: cs.kind,
            depth: e.depth,
            target: cs.target.clone(),
            message: ttlog_decode::render::message::message(cs, snap.args(e)),
            fields,
            call: e.call,
            line,
        });
    }
    out
}

/// Checks that `evs` are exactly one call: its entry and its exit, paired.
fn one_call<'a>(evs: &'a [Ev], name: &str) -> (&'a Ev, &'a Ev) {
    assert_eq!(evs.len(), 2, "{evs:#?}");
    let (enter, exit) = (&evs[0], &evs[1]);
    assert_eq!(enter.kind, CallsiteKind::Enter, "{enter:?}");
    assert_eq!(exit.kind, CallsiteKind::Exit, "{exit:?}");
    assert_eq!(enter.message, name);
    assert_eq!(exit.message, name);
    assert_ne!(enter.call().id, 0);
    assert_eq!(enter.call().id, exit.call().id);
    assert!(exit.call().elapsed_ns.is_some(), "{exit:?}");
    (enter, exit)
}

// ---------------------------------------------------------------------------
// Entry, exit, and every way out
// ---------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq)]
struct Point {
    x: i32,
    y: i32,
}

#[ttlog]
fn describe(id: u64, name: &str, tags: Option<u8>, at: Point) -> usize {
    name.len() + tags.unwrap_or(0) as usize + at.x.unsigned_abs() as usize + id as usize
}

#[test]
fn entry_has_the_arguments_and_exit_the_elapsed_time() {
    let evs = run("t-args", || {
        describe(42, "ana", Some(3), Point { x: 1, y: -2 });
    });
    let (enter, exit) = one_call(&evs, "instrumented::describe");
    assert_eq!(enter.level, Level::Info);
    assert_eq!(enter.target, "instrumented");
    assert_eq!(
        enter.fields,
        [("id", "42"), ("name", "\"ana\""), ("tags", "Some(3)"), ("at", "Point { x: 1, y: -2 }")]
            .map(|(a, b)| (a.to_owned(), b.to_owned()))
    );
    // The call id after the name: the thread's number and the call's.
    let id = enter.call().id;
    let shown = format!("#{}.{}", id >> 32, id & 0xFFFF_FFFF);
    assert_eq!(
        enter.line,
        "INFO [t-args] instrumented: → instrumented::describe #ID id=42 name=\"ana\" tags=Some(3) at=Point { x: 1, y: -2 }"
            .replace("[t-args]", &thread_tag(&enter.line))
            .replace("#ID", &shown)
    );
    assert_eq!(exit.call().outcome, Some(Outcome::Returned));
    assert!(exit.fields.is_empty());
    let exit_prefix = format!("instrumented: ← instrumented::describe {shown} elapsed=");
    assert!(exit.line.contains(&exit_prefix), "{}", exit.line);
    assert!(!exit.line.contains("elapsed=?"), "{}", exit.line);
}

/// The `[name tid]` part of a line, which has the OS thread id.
fn thread_tag(line: &str) -> String {
    let open = line.find('[').unwrap();
    let close = line.find(']').unwrap();
    line[open..=close].to_owned()
}

#[ttlog]
fn early(n: u32) -> Result<u32, ParseIntError> {
    if n == 0 {
        return Ok(0);
    }
    let parsed: u32 = if n == 1 { "x".parse()? } else { "7".parse()? };
    Ok(parsed + n)
}

#[test]
fn every_way_out_records_one_exit() {
    let evs = run("t-ways", || {
        assert_eq!(early(0), Ok(0)); // early `return`
        assert!(early(1).is_err()); // `?`
        assert_eq!(early(2), Ok(9)); // the body's value
    });
    assert_eq!(evs.len(), 6, "{evs:#?}");
    for pair in evs.chunks(2) {
        let (enter, exit) = one_call(pair, "instrumented::early");
        assert_eq!(exit.call().outcome, Some(Outcome::Returned), "{exit:?}");
        assert!(enter.call().id != evs[0].call().id || std::ptr::eq(pair.as_ptr(), evs.as_ptr()));
    }
}

#[ttlog]
fn sleepy(ms: u64) {
    std::thread::sleep(Duration::from_millis(ms));
}

#[test]
fn elapsed_time_is_the_time_between_entry_and_exit() {
    let evs = run("t-elapsed", || sleepy(30));
    let (_, exit) = one_call(&evs, "instrumented::sleepy");
    let ns = exit.call().elapsed_ns.unwrap();
    // The clock's calibration may be off by a little; the sleep is not shorter.
    assert!(ns >= 29_000_000, "{ns}");
    assert!(ns < 5_000_000_000, "{ns}");
    assert!(exit.line.contains("ms"), "{}", exit.line);
}

// ---------------------------------------------------------------------------
// ret and err
// ---------------------------------------------------------------------------

#[ttlog(ret, err)]
fn parse_both(s: &str) -> Result<u32, ParseIntError> {
    s.parse()
}

#[ttlog(ret)]
fn parse_ret(s: &str) -> Result<u32, ParseIntError> {
    s.parse()
}

#[ttlog(err)]
fn parse_err(s: &str) -> Result<u32, ParseIntError> {
    s.parse()
}

#[ttlog(ret(Display), level = "debug")]
fn greeting(name: &str) -> String {
    format!("hello {name}")
}

#[ttlog(ret(level = "warn"))]
fn doubled(x: u8) -> u8 {
    x * 2
}

#[derive(Debug)]
#[allow(dead_code)] // Read through `Debug`, which the lint ignores.
struct Oops {
    code: u16,
}

#[ttlog(err(Debug, level = "warn"))]
fn fails(code: u16) -> Result<(), Oops> {
    Err(Oops { code })
}

#[ttlog(ret)]
fn unit() {}

#[test]
fn ret_records_the_value_and_err_the_error() {
    let evs = run("t-ret", || {
        assert_eq!(parse_both("42"), Ok(42));
        assert!(parse_both("4x").is_err());
    });
    assert_eq!(evs.len(), 4, "{evs:#?}");
    let (_, ok) = one_call(&evs[..2], "instrumented::parse_both");
    assert_eq!(ok.fields, [("ret".to_owned(), "42".to_owned())]);
    assert_eq!(ok.level, Level::Info);
    assert_eq!(ok.call().outcome, Some(Outcome::Returned));
    assert!(ok.line.ends_with(" ret=42"), "{}", ok.line);

    let (_, err) = one_call(&evs[2..], "instrumented::parse_both");
    assert_eq!(err.level, Level::Error);
    assert_eq!(err.call().outcome, Some(Outcome::Err));
    assert_eq!(err.field("err"), Some("invalid digit found in string"));
    assert!(err.line.starts_with("ERROR "), "{}", err.line);
    assert!(err.line.ends_with(" err=invalid digit found in string"), "{}", err.line);
    assert!(!err.line.contains("returned Err"), "{}", err.line);
}

#[test]
fn ret_alone_on_a_result_records_ok_values_only() {
    let evs = run("t-ret-only", || {
        let _ = parse_ret("5");
        let _ = parse_ret("no");
        let _ = parse_err("6");
        let _ = parse_err("no");
    });
    assert_eq!(evs.len(), 8, "{evs:#?}");
    let (_, ok) = one_call(&evs[..2], "instrumented::parse_ret");
    assert_eq!(ok.fields, [("ret".to_owned(), "5".to_owned())]);
    let (_, err) = one_call(&evs[2..4], "instrumented::parse_ret");
    assert!(err.fields.is_empty(), "{err:?}");
    assert_eq!(err.level, Level::Info);
    assert_eq!(err.call().outcome, Some(Outcome::Err));
    assert!(err.line.ends_with(" returned Err"), "{}", err.line);

    let (_, ok) = one_call(&evs[4..6], "instrumented::parse_err");
    assert!(ok.fields.is_empty(), "{ok:?}");
    assert_eq!(ok.call().outcome, Some(Outcome::Returned));
    let (_, err) = one_call(&evs[6..], "instrumented::parse_err");
    assert_eq!(err.field("err"), Some("invalid digit found in string"));
    assert_eq!(err.level, Level::Error);
}

#[test]
fn ret_and_err_modes_and_levels() {
    let evs = run("t-modes", || {
        greeting("bo");
        doubled(4);
        let _ = fails(7);
        unit();
    });
    assert_eq!(evs.len(), 8, "{evs:#?}");
    let (enter, exit) = one_call(&evs[..2], "instrumented::greeting");
    assert_eq!((enter.level, exit.level), (Level::Debug, Level::Debug));
    assert_eq!(exit.field("ret"), Some("hello bo"));
    let (enter, exit) = one_call(&evs[2..4], "instrumented::doubled");
    assert_eq!((enter.level, exit.level), (Level::Info, Level::Warn));
    assert_eq!(exit.field("ret"), Some("8"));
    let (enter, exit) = one_call(&evs[4..6], "instrumented::fails");
    assert_eq!((enter.level, exit.level), (Level::Info, Level::Warn));
    assert_eq!(exit.field("err"), Some("Oops { code: 7 }"));
    let (_, exit) = one_call(&evs[6..], "instrumented::unit");
    assert_eq!(exit.field("ret"), Some("()"));
}

// ---------------------------------------------------------------------------
// Panics
// ---------------------------------------------------------------------------

#[ttlog]
fn boom(n: u32) -> u32 {
    if n > 0 {
        panic!("boom {n}");
    }
    n
}

#[ttlog(ret)]
fn boom_ret(n: u32) -> u32 {
    if n > 0 {
        panic!("boom {n}");
    }
    n
}

/// Calls an instrumented function from its destructor.
struct CleansUp;

impl Drop for CleansUp {
    fn drop(&mut self) {
        cleanup(1);
    }
}

#[ttlog]
fn cleanup(n: u32) -> u32 {
    n
}

#[test]
fn a_panic_unwinding_out_is_recorded_as_such() {
    let evs = run("t-panic", || {
        assert!(catch_unwind(|| boom(1)).is_err());
        assert!(catch_unwind(|| boom_ret(2)).is_err());
        assert_eq!(boom(0), 0);
    });
    assert_eq!(evs.len(), 6, "{evs:#?}");
    let (enter, exit) = one_call(&evs[..2], "instrumented::boom");
    assert_eq!(enter.field("n"), Some("1"));
    assert_eq!(exit.call().outcome, Some(Outcome::Panicked));
    assert!(exit.line.ends_with(" panicked"), "{}", exit.line);
    let (_, exit) = one_call(&evs[2..4], "instrumented::boom_ret");
    assert_eq!(exit.call().outcome, Some(Outcome::Panicked));
    assert!(exit.fields.is_empty());
    let (_, exit) = one_call(&evs[4..], "instrumented::boom");
    assert_eq!(exit.call().outcome, Some(Outcome::Returned));
}

#[test]
fn a_function_called_while_unwinding_returns_normally() {
    let evs = run("t-unwinding", || {
        let r = catch_unwind(|| {
            let _guard = CleansUp;
            panic!("unwinding");
        });
        assert!(r.is_err());
    });
    let (_, exit) = one_call(&evs, "instrumented::cleanup");
    assert_eq!(exit.call().outcome, Some(Outcome::Returned), "{exit:?}");
}

// ---------------------------------------------------------------------------
// Nesting
// ---------------------------------------------------------------------------

#[ttlog(level = "debug")]
fn outer(n: u32) -> u32 {
    ttlog::info!("before {}", n);
    let r = inner(n + 1) + inner(n + 2);
    ttlog::info!("after");
    r
}

#[ttlog(ret)]
fn inner(m: u32) -> u32 {
    ttlog::debug!("inside {m}");
    m * 10
}

#[test]
fn events_inside_a_call_are_nested_under_it() {
    let evs = run("t-nest", || {
        outer(1);
        ttlog::info!("done");
    });
    let shape: Vec<(CallsiteKind, u32, &str)> = evs.iter().map(|e| (e.kind, e.depth, e.message.as_str())).collect();
    use CallsiteKind::{Enter, Event, Exit};
    assert_eq!(
        shape,
        [
            (Enter, 0, "instrumented::outer"),
            (Event, 1, "before 1"),
            (Enter, 1, "instrumented::inner"),
            (Event, 2, "inside 2"),
            (Exit, 1, "instrumented::inner"),
            (Enter, 1, "instrumented::inner"),
            (Event, 2, "inside 3"),
            (Exit, 1, "instrumented::inner"),
            (Event, 1, "after"),
            (Exit, 0, "instrumented::outer"),
            (Event, 0, "done"),
        ]
    );
    // Each exit pairs with its own entry.
    assert_eq!(evs[2].call().id, evs[4].call().id);
    assert_eq!(evs[5].call().id, evs[7].call().id);
    assert_eq!(evs[0].call().id, evs[9].call().id);
    assert_ne!(evs[2].call().id, evs[5].call().id);
    let outer_ns = evs[9].call().elapsed_ns.unwrap();
    assert!(outer_ns >= evs[4].call().elapsed_ns.unwrap() + evs[7].call().elapsed_ns.unwrap());
    // Two spaces per open call, before the target.
    assert!(evs[3].line.contains("]     instrumented: inside 2"), "{}", evs[3].line);
    assert!(evs[4].line.contains("]   instrumented: ← instrumented::inner #"), "{}", evs[4].line);
    assert!(evs[4].line.contains(" elapsed="), "{}", evs[4].line);
    assert!(evs[10].line.contains("] instrumented: done"), "{}", evs[10].line);
}

// ---------------------------------------------------------------------------
// Options
// ---------------------------------------------------------------------------

#[derive(Debug)]
struct Conn {
    peer: &'static str,
}

struct NotDebug;

#[ttlog(skip(conn, secret), fields(peer = conn.peer, len = ?data.len(), shown = %true))]
fn send(conn: &Conn, secret: NotDebug, data: &[u8]) -> usize {
    let _ = secret;
    data.len()
}

#[ttlog(skip_all, name = "custom name", target = "audit", level = "trace")]
fn hidden(_token: NotDebug, n: u32) -> u32 {
    n
}

#[ttlog(level = Level::WARN)]
fn warned() {}

#[test]
fn options_change_what_is_recorded() {
    let evs = run("t-options", || {
        send(&Conn { peer: "db-1" }, NotDebug, b"abc");
        hidden(NotDebug, 3);
        warned();
    });
    assert_eq!(evs.len(), 6, "{evs:#?}");
    let (enter, _) = one_call(&evs[..2], "instrumented::send");
    assert_eq!(enter.names(), ["data", "peer", "len", "shown"]);
    assert_eq!(enter.field("data"), Some("[97, 98, 99]"));
    assert_eq!(enter.field("peer"), Some("db-1"));
    assert_eq!(enter.field("len"), Some("3"));
    assert_eq!(enter.field("shown"), Some("true"));
    let (enter, exit) = one_call(&evs[2..4], "custom name");
    assert!(enter.fields.is_empty());
    assert_eq!((enter.level, exit.level), (Level::Trace, Level::Trace));
    assert_eq!((enter.target.as_str(), exit.target.as_str()), ("audit", "audit"));
    assert!(enter.line.contains("audit: → custom name"), "{}", enter.line);
    let (enter, exit) = one_call(&evs[4..], "instrumented::warned");
    assert_eq!((enter.level, exit.level), (Level::Warn, Level::Warn));
}

// ---------------------------------------------------------------------------
// Function shapes
// ---------------------------------------------------------------------------

#[derive(Debug)]
struct Counter {
    n: u32,
}

impl Counter {
    #[ttlog]
    fn get(&self) -> u32 {
        self.n
    }

    #[ttlog(ret)]
    fn bump(&mut self) -> &u32 {
        self.n += 1;
        &self.n
    }

    #[ttlog]
    fn into_n(self) -> u32 {
        self.n
    }

    #[ttlog]
    fn boxed(self: Box<Self>) -> u32 {
        self.n
    }

    #[ttlog]
    fn with_mut(mut self, by: u32) -> Self {
        self.n += by;
        self
    }
}

trait Shape: std::fmt::Debug {
    fn area(&self) -> f64;

    #[ttlog(ret)]
    fn describe(&self) -> String {
        format!("area {}", self.area())
    }
}

#[derive(Debug)]
struct Square(f64);

impl Shape for Square {
    #[ttlog(ret)]
    fn area(&self) -> f64 {
        self.0 * self.0
    }
}

#[ttlog]
fn generic<T, const N: usize>(items: [T; N], extra: impl std::fmt::Debug) -> Vec<T>
where
    T: std::fmt::Debug + Clone,
{
    let _ = extra;
    items.to_vec()
}

#[ttlog(ret)]
fn opaque(n: u32) -> impl std::fmt::Debug + Clone {
    vec![n; 2]
}

#[ttlog]
fn patterns((a, b): (u32, u32), Point { x, y: why }: Point, [first, ..]: [u8; 3], _: u8, mut m: u32) -> u32 {
    m += 1;
    a + b + x as u32 + why as u32 + first as u32 + m
}

/// # Safety
/// `p` must point to a readable `u8`.
#[ttlog]
unsafe fn read_byte(p: *const u8) -> u8 {
    // SAFETY: the caller promises that `p` is readable.
    unsafe { *p }
}

#[ttlog]
extern "C" fn c_add(a: i32, b: i32) -> i32 {
    a + b
}

#[test]
fn every_function_shape_records_its_arguments() {
    let evs = run("t-shapes", || {
        let mut c = Counter { n: 1 };
        assert_eq!(c.get(), 1);
        assert_eq!(*c.bump(), 2);
        let c = c.with_mut(3);
        assert_eq!(Box::new(Counter { n: 9 }).boxed(), 9);
        assert_eq!(c.into_n(), 5);
        assert_eq!(Square(2.0).describe(), "area 4");
        assert_eq!(generic([1u8, 2], "x"), vec![1, 2]);
        assert_eq!(generic::<&str, 1>(["s"], 0.5), vec!["s"]);
        let _ = opaque(4);
        assert_eq!(patterns((1, 2), Point { x: 3, y: 4 }, [5, 6, 7], 0, 10), 26);
        let byte = 7u8;
        // SAFETY: `byte` is a readable `u8`.
        assert_eq!(unsafe { read_byte(&byte) }, 7);
        assert_eq!(c_add(2, 3), 5);
    });
    let entries: Vec<(&str, Vec<(String, String)>)> =
        evs.iter().filter(|e| e.kind == CallsiteKind::Enter).map(|e| (e.message.as_str(), e.fields.clone())).collect();
    let f = |pairs: &[(&str, &str)]| pairs.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect::<Vec<_>>();
    assert_eq!(entries[0], ("instrumented::Counter::get", f(&[("self", "Counter { n: 1 }")])));
    assert_eq!(entries[1], ("instrumented::Counter::bump", f(&[("self", "Counter { n: 1 }")])));
    assert_eq!(entries[2], ("instrumented::Counter::with_mut", f(&[("self", "Counter { n: 2 }"), ("by", "3")])));
    assert_eq!(entries[3], ("instrumented::Counter::boxed", f(&[("self", "Counter { n: 9 }")])));
    assert_eq!(entries[4], ("instrumented::Counter::into_n", f(&[("self", "Counter { n: 5 }")])));
    assert_eq!(entries[5], ("instrumented::Shape::describe", f(&[("self", "Square(2.0)")])));
    assert_eq!(entries[6], ("<instrumented::Square as instrumented::Shape>::area", f(&[("self", "Square(2.0)")])));
    assert_eq!(entries[7], ("instrumented::generic", f(&[("items", "[1, 2]"), ("extra", "\"x\"")])));
    assert_eq!(entries[8], ("instrumented::generic", f(&[("items", "[\"s\"]"), ("extra", "0.5")])));
    assert_eq!(entries[9], ("instrumented::opaque", f(&[("n", "4")])));
    assert_eq!(
        entries[10],
        ("instrumented::patterns", f(&[("a", "1"), ("b", "2"), ("x", "3"), ("why", "4"), ("first", "5"), ("m", "10")]))
    );
    assert_eq!(entries[11].0, "instrumented::read_byte");
    assert!(entries[11].1[0].1.starts_with("0x"), "{:?}", entries[11]);
    assert_eq!(entries[12], ("instrumented::c_add", f(&[("a", "2"), ("b", "3")])));
    assert_eq!(entries.len(), 13);
    let rets: Vec<&str> = evs.iter().filter_map(|e| e.field("ret")).collect();
    assert_eq!(rets, ["2", "4.0", "\"area 4\"", "[4, 4]"]);
    // Every call is paired and balanced.
    assert_eq!(evs.iter().filter(|e| e.kind == CallsiteKind::Exit).count(), 13);
    assert!(evs.iter().all(|e| e.kind != CallsiteKind::Exit || e.call().elapsed_ns.is_some()));
}

// ---------------------------------------------------------------------------
// async fn
// ---------------------------------------------------------------------------

struct ThreadWaker(Thread);

impl Wake for ThreadWaker {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }
}

fn waker() -> Waker {
    Waker::from(Arc::new(ThreadWaker(std::thread::current())))
}

/// A minimal executor: polls on the calling thread, parks while pending.
fn block_on<F: Future>(fut: F) -> F::Output {
    let mut fut = pin!(fut);
    let waker = waker();
    let mut cx = Context::from_waker(&waker);
    loop {
        if let Poll::Ready(v) = fut.as_mut().poll(&mut cx) {
            return v;
        }
        std::thread::park();
    }
}

/// A timer: pending until `deadline`; a helper thread wakes the task then.
struct Sleep {
    deadline: Instant,
    armed: bool,
}

fn sleep(d: Duration) -> Sleep {
    Sleep { deadline: Instant::now() + d, armed: false }
}

impl Future for Sleep {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let now = Instant::now();
        if now >= self.deadline {
            return Poll::Ready(());
        }
        if !self.armed {
            self.armed = true;
            let (waker, left) = (cx.waker().clone(), self.deadline - now);
            std::thread::spawn(move || {
                std::thread::sleep(left);
                waker.wake();
            });
        }
        Poll::Pending
    }
}

#[ttlog(ret)]
async fn slow_double(x: u32) -> u32 {
    sleep(Duration::from_millis(25)).await;
    ttlog::info!("woke up");
    x * 2
}

#[ttlog(err)]
async fn async_parse(s: &str) -> Result<u32, ParseIntError> {
    sleep(Duration::from_millis(1)).await;
    let v: u32 = s.parse()?;
    Ok(v + 1)
}

#[ttlog]
async fn async_boom(n: u32) {
    sleep(Duration::from_millis(1)).await;
    if n > 0 {
        panic!("async boom");
    }
}

struct Worker {
    id: u8,
}

impl std::fmt::Debug for Worker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "worker#{}", self.id)
    }
}

impl Worker {
    #[ttlog(ret)]
    async fn work(&self, ms: u64) -> u8 {
        sleep(Duration::from_millis(ms)).await;
        self.id
    }
}

fn assert_send<T: Send>(t: T) -> T {
    t
}

#[test]
fn async_entry_is_at_first_poll_and_elapsed_spans_the_awaits() {
    let evs = run("t-async", || {
        let fut = assert_send(slow_double(21));
        ttlog::info!("created");
        assert_eq!(block_on(fut), 42);
        let w = Worker { id: 3 };
        assert_eq!(block_on(assert_send(w.work(2))), 3);
    });
    let shape: Vec<(CallsiteKind, u32, &str)> = evs.iter().map(|e| (e.kind, e.depth, e.message.as_str())).collect();
    use CallsiteKind::{Enter, Event, Exit, Resume, Suspend};
    // Each `.await` on the timer: the poll returns `Pending` (suspend), the
    // next one resumes the call.
    assert_eq!(
        shape,
        [
            (Event, 0, "created"),
            (Enter, 0, "instrumented::slow_double"),
            (Suspend, 0, "instrumented::slow_double"),
            (Resume, 0, "instrumented::slow_double"),
            (Event, 1, "woke up"),
            (Exit, 0, "instrumented::slow_double"),
            (Enter, 0, "instrumented::Worker::work"),
            (Suspend, 0, "instrumented::Worker::work"),
            (Resume, 0, "instrumented::Worker::work"),
            (Exit, 0, "instrumented::Worker::work"),
        ]
    );
    assert!(evs[2].line.ends_with(" pending") && evs[3].line.ends_with(" resumed"), "{evs:#?}");
    let (enter, exit) = (&evs[1], &evs[5]);
    assert_eq!(enter.field("x"), Some("21"));
    assert_eq!(enter.call().id, exit.call().id);
    assert_eq!(exit.field("ret"), Some("42"));
    assert_eq!(exit.call().outcome, Some(Outcome::Returned));
    let ns = exit.call().elapsed_ns.unwrap();
    assert!(ns >= 24_000_000, "the elapsed time spans the await: {ns}");
    let (enter, exit) = (&evs[6], &evs[9]);
    assert_eq!(enter.call().id, exit.call().id);
    assert!(exit.call().elapsed_ns.is_some());
    assert_eq!(enter.fields, [("self".to_owned(), "worker#3".to_owned()), ("ms".to_owned(), "2".to_owned())]);
    assert_eq!(exit.field("ret"), Some("3"));
}

#[test]
fn async_errors_cancellation_and_panics() {
    let evs = run("t-async-end", || {
        assert_eq!(block_on(async_parse("41")), Ok(42));
        assert!(block_on(async_parse("x")).is_err());

        // Polled once, then dropped while it waits on the timer.
        let waker = waker();
        let mut cx = Context::from_waker(&waker);
        let mut fut = Box::pin(slow_double(1));
        assert!(fut.as_mut().poll(&mut cx).is_pending());
        drop(fut);

        // A never-polled future records nothing.
        drop(slow_double(2));

        // The poll panics and the executor catches it, then drops the future
        // later, when nothing is unwinding any more.
        let mut fut = Box::pin(async_boom(1));
        let r = catch_unwind(AssertUnwindSafe(|| {
            loop {
                if fut.as_mut().poll(&mut cx).is_ready() {
                    break;
                }
                std::thread::park();
            }
        }));
        assert!(r.is_err());
        drop(fut);
        // Dropped by the unwinding itself.
        assert!(catch_unwind(|| block_on(async_boom(2))).is_err());
        block_on(async_boom(0));
    });
    let exits: Vec<(&str, Option<Outcome>, Option<&str>)> = evs
        .iter()
        .filter(|e| e.kind == CallsiteKind::Exit)
        .map(|e| (e.message.as_str(), e.call().outcome, e.field("err")))
        .collect();
    assert_eq!(
        exits,
        [
            ("instrumented::async_parse", Some(Outcome::Returned), None),
            ("instrumented::async_parse", Some(Outcome::Err), Some("invalid digit found in string")),
            ("instrumented::slow_double", Some(Outcome::Cancelled), None),
            ("instrumented::async_boom", Some(Outcome::Panicked), None),
            ("instrumented::async_boom", Some(Outcome::Panicked), None),
            ("instrumented::async_boom", Some(Outcome::Returned), None),
        ]
    );
    assert_eq!(evs.iter().filter(|e| e.kind == CallsiteKind::Enter).count(), 6);
    let cancelled = evs.iter().find(|e| e.call.is_some_and(|c| c.outcome == Some(Outcome::Cancelled))).unwrap();
    assert!(cancelled.line.contains("← instrumented::slow_double #") && cancelled.line.ends_with(" cancelled"));
    assert!(cancelled.line.contains(" elapsed="), "{}", cancelled.line);
    assert!(evs.iter().all(|e| e.depth == 0), "{evs:#?}");
}
