//! A set of threads that stay alive between measurements and run one job at a
//! time, all together, so that a measurement of N threads includes neither
//! thread creation nor a thread's first-event set-up after the first job.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Barrier, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// A job: called once on each thread with the thread's index.
pub type Job = Arc<dyn Fn(usize) + Send + Sync>;

struct Shared {
    start: Barrier,
    done: Barrier,
    job: Mutex<Option<Job>>,
    stop: AtomicBool,
}

/// Threads that run [`Pool::run`]'s job together.
pub struct Pool {
    shared: Arc<Shared>,
    handles: Vec<JoinHandle<()>>,
}

impl std::fmt::Debug for Pool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pool").field("threads", &self.handles.len()).finish()
    }
}

impl Pool {
    /// Starts `n` threads named `{name}-{index}`.
    pub fn new(n: usize, name: &str) -> std::io::Result<Pool> {
        let shared = Arc::new(Shared {
            start: Barrier::new(n + 1),
            done: Barrier::new(n + 1),
            job: Mutex::new(None),
            stop: AtomicBool::new(false),
        });
        let mut handles = Vec::with_capacity(n);
        for index in 0..n {
            let shared = Arc::clone(&shared);
            let h = std::thread::Builder::new().name(format!("{name}-{index}")).spawn(move || {
                loop {
                    shared.start.wait();
                    if shared.stop.load(Ordering::Acquire) {
                        return;
                    }
                    let job = shared.job.lock().unwrap_or_else(|e| e.into_inner()).clone();
                    if let Some(job) = job {
                        job(index);
                    }
                    shared.done.wait();
                }
            })?;
            handles.push(h);
        }
        Ok(Pool { shared, handles })
    }

    /// Threads in the pool.
    pub fn len(&self) -> usize {
        self.handles.len()
    }

    /// Whether the pool has no threads.
    pub fn is_empty(&self) -> bool {
        self.handles.is_empty()
    }

    /// Runs `job` on every thread at once; returns the time from releasing the
    /// threads to the last one finishing.
    pub fn run(&self, job: Job) -> Duration {
        *self.shared.job.lock().unwrap_or_else(|e| e.into_inner()) = Some(job);
        let t0 = Instant::now();
        self.shared.start.wait();
        self.shared.done.wait();
        let elapsed = t0.elapsed();
        *self.shared.job.lock().unwrap_or_else(|e| e.into_inner()) = None;
        elapsed
    }
}

impl Drop for Pool {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::Release);
        self.shared.start.wait();
        for h in self.handles.drain(..) {
            let _ = h.join();
        }
    }
}
