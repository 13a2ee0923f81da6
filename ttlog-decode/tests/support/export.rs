//! The snapshot the export tests read: a real one of this process, with
//! typed arguments and fields, nested `#[ttlog]` calls, a call whose entry the
//! ring overwrote, one still running when the snapshot was taken, and an
//! `async fn` that moves between threads.

use std::future::Future;
use std::path::PathBuf;
use std::pin::pin;
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll, Wake, Waker};
use ttlog::ttlog;

#[ttlog(ret)]
fn inner(k: u32) -> u32 {
    ttlog::debug!(target: "app::calc", "inner step {}", k);
    k * 2
}

#[ttlog]
fn outer(n: u32) {
    for k in 0..n {
        inner(k);
    }
}

#[ttlog(level = "debug")]
fn chatty(lines: u32) {
    for i in 0..lines {
        ttlog::trace!(target: "app::chatty", "line {i} of a call whose entry the ring will overwrite");
    }
}

#[ttlog]
fn takes_snapshot() -> Vec<u8> {
    ttlog::info!(target: "app::mid", "about to snapshot");
    ttlog::snapshot("export").to_bytes()
}

struct NoopWaker;

impl Wake for NoopWaker {
    fn wake(self: Arc<Self>) {}
}

/// Pending once, then ready.
struct YieldOnce(bool);

impl Future for YieldOnce {
    type Output = ();

    fn poll(mut self: std::pin::Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.0 {
            return Poll::Ready(());
        }
        self.0 = true;
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

#[ttlog(ret)]
async fn migrates(n: u32) -> u32 {
    YieldOnce(false).await;
    ttlog::info!(target: "app::async", "resumed");
    n + 1
}

type Boxed = std::pin::Pin<Box<dyn Future<Output = u32> + Send>>;

fn poll_on(name: &str, mut fut: Boxed) -> (Poll<u32>, Boxed) {
    std::thread::Builder::new()
        .name(name.into())
        .spawn(move || {
            let waker = Waker::from(Arc::new(NoopWaker));
            let poll = pin!(&mut fut).poll(&mut Context::from_waker(&waker));
            (poll, fut)
        })
        .unwrap()
        .join()
        .unwrap()
}

fn on_thread<T: Send + 'static>(name: &str, f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new().name(name.into()).spawn(f).unwrap().join().unwrap()
}

/// The snapshot file (made once per test binary).
pub fn snapshot() -> &'static PathBuf {
    static FILE: OnceLock<PathBuf> = OnceLock::new();
    FILE.get_or_init(|| {
        ttlog::set_max_level(ttlog::LevelFilter::Trace);
        on_thread("ex-server", || {
            for i in 0..40u64 {
                let host = if i.is_multiple_of(2) { "db-1" } else { "db-2" };
                let ratio = i as f64 / 4.0;
                ttlog::info!(target: "app::server", "request {} took {} us", i, 100 + i, host = host, ok = !i.is_multiple_of(3), ratio = ratio, delta = -(i as i64));
                if i.is_multiple_of(5) {
                    ttlog::warn!(target: "app::db", "slow query {}", i, rows = i * 1000);
                }
            }
            ttlog::error!(target: "app::server", "giving up on {}", "db-3", big = u64::MAX);
        });
        on_thread("ex-calls", || outer(3));
        on_thread("ex-chatty", || chatty(5_000));
        let (first, fut) = poll_on("ex-poll-1", Box::pin(migrates(1)));
        assert!(first.is_pending());
        let (second, _) = poll_on("ex-poll-2", fut);
        assert_eq!(second, Poll::Ready(2));
        let bytes = on_thread("ex-mid", takes_snapshot);
        let path = std::env::temp_dir().join(format!("ttlog-export-{}.ttlog", std::process::id()));
        std::fs::write(&path, bytes).unwrap();
        path
    })
}

/// A scratch directory for this test binary's outputs.
pub fn out_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ttlog-export-out-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs `ttlog-decode ARGS`, which must succeed; its stdout.
pub fn decode(args: &[&str]) -> Vec<u8> {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_ttlog-decode")).args(args).output().unwrap();
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    out.stdout
}
