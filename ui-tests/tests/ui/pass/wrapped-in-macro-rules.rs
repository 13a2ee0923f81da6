//! A caller's own macro that forwards the format string and arguments.
macro_rules! app_log {
    ($fmt:literal $($rest:tt)*) => {
        ttlog::info!(target: "app", $fmt $($rest)*)
    };
}

macro_rules! app_warn {
    ($($rest:tt)*) => {
        ttlog::warn!($($rest)*)
    };
}

macro_rules! with_level {
    ($level:path, $fmt:literal $(, $arg:expr)*) => {
        ttlog::event!($level, $fmt $(, $arg)*)
    };
}

fn main() {
    let user = "ana";
    app_log!("plain");
    app_log!("{} and {}", 1, "two");
    app_log!("{user} with a field", attempt = 3u8);
    app_warn!("{:>8.2}", 3.14159f64);
    with_level!(ttlog::Level::ERROR, "{} {}", 1u8, 2u16);
}
