//! Every option of `#[ttlog]`, alone and together, without a warning.
#![deny(warnings)]

use ttlog::{ttlog, Level};

struct NotDebug;

#[derive(Debug)]
struct E;

impl std::fmt::Display for E {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("e")
    }
}

#[ttlog(level = "trace")]
fn level_str() {}

#[ttlog(level = "WARN")]
fn level_upper() {}

#[ttlog(level = Level::DEBUG)]
fn level_path() {}

#[ttlog(level = ttlog::Level::Error)]
fn level_variant() {}

#[ttlog(name = "custom")]
fn named() {}

#[ttlog(target = "audit")]
fn targeted() {}

#[ttlog(skip(secret))]
fn skipped(id: u32, secret: NotDebug) -> u32 {
    let _ = secret;
    id
}

struct Handler;

impl Handler {
    #[ttlog(skip(self, token), fields(kind = "handler"))]
    fn handle(&self, token: NotDebug, id: u32) -> u32 {
        let _ = token;
        id
    }
}

#[ttlog(skip_all)]
fn all_skipped(a: NotDebug, b: NotDebug) {
    let _ = (a, b);
}

#[ttlog(fields(len = data.len(), first = ?data.first(), shown = %"x"))]
fn with_fields(data: &[u8]) -> usize {
    data.len()
}

#[ttlog(ret)]
fn ret_debug() -> Option<u32> {
    Some(1)
}

#[ttlog(ret(Display))]
fn ret_display() -> String {
    "x".into()
}

#[ttlog(ret(level = "warn"))]
fn ret_level() -> u32 {
    1
}

#[ttlog(ret(Debug, level = Level::TRACE))]
fn ret_both() -> u32 {
    1
}

#[ttlog(err)]
fn err_display() -> Result<(), E> {
    Err(E)
}

#[ttlog(err(Debug))]
fn err_debug() -> Result<(), E> {
    Ok(())
}

#[ttlog(err(level = "warn", Display))]
fn err_level() -> Result<(), E> {
    Ok(())
}

#[ttlog(level = "debug", name = "everything", target = "all", skip(b), fields(c = a * 2), ret(Display), err(Debug, level = "info"),)]
fn everything(a: u32, b: NotDebug) -> Result<u32, E> {
    let _ = b;
    Ok(a)
}

#[ttlog(crate = ttlog)]
fn crate_path() {}

#[ttlog(crate = "::ttlog")]
fn crate_string() {}

fn main() {
    level_str();
    level_upper();
    level_path();
    level_variant();
    named();
    targeted();
    skipped(1, NotDebug);
    Handler.handle(NotDebug, 1);
    all_skipped(NotDebug, NotDebug);
    with_fields(b"ab");
    ret_debug();
    ret_display();
    ret_level();
    ret_both();
    let _ = err_display();
    let _ = err_debug();
    let _ = err_level();
    let _ = everything(1, NotDebug);
    crate_path();
    crate_string();
}
