//! The main job in one command: several threads log, one snapshot captures all
//! of their buffers, and the snapshot is decoded and printed.
//!
//! ```text
//! cargo run --release -p ttlog --example flight_recorder
//! ```
//!
//! The snapshot file is written to the system's temporary directory and its
//! path printed; `ttlog-decode FILE` prints it again.

use std::fmt;
use std::time::Duration;

/// A type that is not recorded raw: it is formatted at the call.
#[derive(Debug)]
struct Peer {
    host: &'static str,
    port: u16,
}

impl fmt::Display for Peer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.host, self.port)
    }
}

fn worker(n: usize) {
    let host = ["db-1", "db-2", "cache-1"][n % 3];
    ttlog::info!("worker {n} started");
    for request in 0..5u64 {
        let micros = 150 + (request as u32) * 37 + n as u32;
        ttlog::info!("request {} took {} us on {}", request, micros, host);
        if micros > 270 {
            ttlog::warn!("slow request {request}: {micros:>6} us", peer = Peer { host, port: 5432 });
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    ttlog::debug!("not recorded at the default level (info)");
    ttlog::error!("worker {} giving up after {:.2} s, state {:?}", n, 0.005f64 * 5.0, Peer { host, port: 6379 });
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let handles: Vec<_> = (0..4)
        .map(|n| std::thread::Builder::new().name(format!("worker-{n}")).spawn(move || worker(n)))
        .collect::<Result<_, _>>()?;
    for h in handles {
        h.join().map_err(|_| "a worker panicked")?;
    }
    ttlog::info!("all workers done");

    let snap = ttlog::snapshot("manual");
    let path = std::env::temp_dir().join(format!("ttlog-flight-recorder-{}.ttlog", std::process::id()));
    snap.save(&path)?;
    let bytes = std::fs::metadata(&path)?.len();
    println!(
        "snapshot: {} events from {} threads, {bytes} bytes, saved to {}\n",
        snap.event_count(),
        snap.threads().len(),
        path.display()
    );

    let decoded = ttlog_decode::read_file(&path)?;
    for event in &decoded.events {
        println!("{}", ttlog_decode::render::line::text_line(&decoded, event));
    }
    for problem in &decoded.problems {
        eprintln!("problem: {problem}");
    }
    Ok(())
}
