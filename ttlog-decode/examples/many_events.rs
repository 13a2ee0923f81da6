//! Writes a continuous log of many events, to measure exports on:
//! `cargo run --release -p ttlog-decode --example many_events -- OUT.ttlog [EVENTS]`
//! (3 000 000 events by default: requests with typed fields and a warning
//! every 50, on two threads).

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let path = args.next().ok_or("usage: many_events OUT.ttlog [EVENTS]")?;
    let events: u64 = args.next().map_or(Ok(3_000_000), |n| n.parse())?;
    ttlog::Builder::new().log_file(&path).on_full(ttlog::OnFull::Block).init()?;
    let per_thread = events / 2;
    let workers: Vec<_> = (0..2u64)
        .map(|t| {
            std::thread::Builder::new()
                .name(format!("worker-{t}"))
                .spawn(move || {
                    for i in 0..per_thread {
                        let host = if i.is_multiple_of(2) { "db-1" } else { "db-2" };
                        if i.is_multiple_of(50) {
                            ttlog::warn!(target: "app::db", "slow query {}", i, rows = i * 3);
                        } else {
                            ttlog::info!(target: "app::server", "request {} took {} us", i, 100 + i % 900, host = host, ok = !i.is_multiple_of(7), ratio = (i % 100) as f64 / 8.0);
                        }
                    }
                })
                .unwrap()
        })
        .collect();
    for w in workers {
        w.join().unwrap();
    }
    ttlog::flush();
    Ok(())
}
