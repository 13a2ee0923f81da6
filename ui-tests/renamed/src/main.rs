//! `renamed_ttlog` is ttlog under another name (see this crate's Cargo.toml):
//! the event macros reach their runtime through `$crate`, not through the name
//! `ttlog`, and `#[ttlog]`, which has no `$crate`, through the name this
//! crate's Cargo.toml gives the dependency, or its `crate = ...` option.
//! Built and run by `cargo test --workspace`.
use renamed_ttlog::{Level, ttlog};

fn log() {
    renamed_ttlog::info!("through a renamed dependency: {}", 1u8);
    renamed_ttlog::event!(Level::WARN, "event! too {:?}", Some(2));
}

#[ttlog(crate = renamed_ttlog, ret)]
fn instrumented(a: u32) -> u32 {
    a + 1
}

#[ttlog(crate = "renamed_ttlog", err)]
async fn instrumented_async(s: &str) -> Result<u32, std::num::ParseIntError> {
    s.parse()
}

/// No option: the attribute finds the name in Cargo.toml.
#[ttlog]
fn plain(a: u32) -> u32 {
    a * 2
}

#[ttlog(ret)]
async fn plain_async(a: u32) -> u32 {
    a * 3
}

/// The derive, too, finds the name in Cargo.toml.
#[derive(Debug, renamed_ttlog::Record)]
struct Point {
    x: u32,
    y: i16,
}

fn derived() {
    renamed_ttlog::info!("a derived record: {:?}", Point { x: 1, y: -2 });
}

fn main() {
    log();
    derived();
    instrumented(1);
    plain(1);
    drop(plain_async(1));
    drop(instrumented_async("1"));
    println!("{} events", renamed_ttlog::snapshot("renamed").event_count());
}

#[test]
fn macros_work_through_a_renamed_dependency() {
    log();
    derived();
    assert_eq!(instrumented(41), 42);
    assert_eq!(plain(21), 42);
    assert!(renamed_ttlog::snapshot("renamed").event_count() >= 7);
}
