//! The first event of a process reads `TTLOG_LEVEL` before its arguments are
//! evaluated: a disabled first event runs nothing of its arguments, on every
//! path (event macros, `#[ttlog]` parameters and fields). The test runs
//! itself again as a child process whose environment it controls, since the
//! level is read once per process.

use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};
use ttlog::ttlog;

static EVALUATED: AtomicU32 = AtomicU32::new(0);

fn counted() -> u32 {
    EVALUATED.fetch_add(1, Ordering::Relaxed) + 1
}

#[ttlog(level = "debug", fields(n = counted()))]
fn debug_fn(a: u32) -> u32 {
    a
}

/// What the child runs: every kind of disabled first event, then an enabled
/// one. Prints how many argument expressions ran before the enabled one.
fn child() {
    ttlog::debug!("first {}", counted());
    ttlog::trace!(n = counted(), "fields first");
    ttlog::event!(ttlog::Level::DEBUG, "event {:?}", counted());
    debug_fn(7);
    let disabled = EVALUATED.load(Ordering::Relaxed);
    ttlog::info!("enabled {}", counted());
    println!("disabled={disabled} after_enabled={}", EVALUATED.load(Ordering::Relaxed));
}

fn run_child(level: Option<&str>) -> String {
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.args(["--exact", "child_process", "--nocapture", "--test-threads=1"]).env("TTLOG_FIRST_EVENT_CHILD", "1");
    match level {
        Some(l) => cmd.env("TTLOG_LEVEL", l),
        None => cmd.env_remove("TTLOG_LEVEL"),
    };
    let out = cmd.output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8(out.stdout).unwrap();
    let at = stdout.find("disabled=").unwrap_or_else(|| panic!("no result in {stdout}"));
    stdout[at..].lines().next().unwrap().to_owned()
}

#[test]
fn child_process() {
    if std::env::var_os("TTLOG_FIRST_EVENT_CHILD").is_some() {
        child();
    }
}

#[test]
fn a_disabled_first_event_evaluates_no_argument() {
    // The default level, INFO: the four DEBUG and TRACE events run nothing.
    assert_eq!(run_child(None), "disabled=0 after_enabled=1");
    assert_eq!(run_child(Some("warn")), "disabled=0 after_enabled=0");
    // Enabled, they all run their arguments (`debug_fn` its field).
    assert_eq!(run_child(Some("trace")), "disabled=4 after_enabled=5");
}
