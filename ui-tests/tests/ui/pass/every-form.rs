//! Every way of calling the event macros that format! users expect.
use ttlog::Level;

#[derive(Debug)]
struct Job {
    id: u32,
}

fn generic<T: std::fmt::Display + std::fmt::Debug>(value: T) {
    ttlog::info!("generic {} {:?}", value, value);
}

fn main() {
    let (a, b) = (1u64, "b");
    let width = 10usize;
    ttlog::trace!("trace");
    ttlog::debug!("debug {}", a);
    ttlog::info!("info {a} {b:?}");
    ttlog::warn!("warn {0} {0:x} {1}", a, b,);
    ttlog::error!("error {:>1$}", b, width);
    ttlog::info!(target: "custom", "with target {}", a);
    ttlog::info!("fields", user = "ana", id = ?Job { id: 1 }, ok = %true);
    ttlog::info!("{:p}", &a);
    ttlog::event!(Level::INFO, "event {}", a);
    ttlog::event!(ttlog::Level::Trace, "event with variant name");
    ttlog::info!("{}", format!("a temporary {}", 1));
    ttlog::info!("{:?}", Job { id: 2 });
    generic(5u8);
    generic("text");
    let s = String::from("owned");
    ttlog::info!("{s} {} {}", &s, s.len());
}
