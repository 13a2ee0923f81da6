//! Asks for the console in a build of ttlog without the feature: by
//! `Builder::console()` (argument `builder`), or by `TTLOG_CONSOLE` at the
//! first event (no argument).

fn main() {
    if std::env::args().nth(1).as_deref() == Some("builder") {
        match ttlog::Builder::new().console().init() {
            Err(e @ ttlog::InitError::NoConsole) => println!("init: {e}"),
            other => panic!("expected InitError::NoConsole, got {other:?}"),
        }
    }
    ttlog::info!("one {}", 1);
    ttlog::info!("two {}", 2);
    ttlog::flush();
}
