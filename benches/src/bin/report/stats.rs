//! Side-by-side timing: every workload is measured in short batches, the
//! workloads taking turns round after round, so that a slow phase of the machine
//! hits all of them alike; a figure is the median over the rounds.
//!
//! A batch is timed with the calling thread's CPU clock
//! (`CLOCK_THREAD_CPUTIME_ID`, user and kernel time), not the wall clock: on a
//! shared machine the thread is often descheduled in the middle of a batch, and
//! that time says nothing about the code measured.

use std::time::Duration;

/// CPU time the calling thread has used (user and kernel).
pub fn thread_cpu() -> Duration {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: `ts` is a valid, writable timespec; `clock_gettime` only writes it.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

/// A workload: `run(n)` does `n` iterations and returns the time they took
/// (set-up the caller does not want measured stays outside that time).
pub struct Workload<'a> {
    pub key: String,
    pub run: Box<dyn FnMut(u64) -> Duration + 'a>,
}

impl<'a> Workload<'a> {
    /// A workload whose whole call is timed (thread CPU time).
    pub fn timed(key: impl Into<String>, mut f: impl FnMut(u64) + 'a) -> Workload<'a> {
        Workload {
            key: key.into(),
            run: Box::new(move |n| {
                let t0 = thread_cpu();
                f(n);
                thread_cpu().saturating_sub(t0)
            }),
        }
    }

    /// A workload that times itself (with [`thread_cpu`]).
    pub fn custom(key: impl Into<String>, f: impl FnMut(u64) -> Duration + 'a) -> Workload<'a> {
        Workload { key: key.into(), run: Box::new(f) }
    }
}

/// Per-iteration times of one workload, in nanoseconds.
#[derive(Clone, Debug)]
pub struct Summary {
    pub key: String,
    pub median: f64,
    pub p25: f64,
    pub p75: f64,
    /// Iterations per batch.
    pub batch: u64,
    /// Iterations done in all, calibration included.
    pub iterations: u64,
    pub rounds: usize,
}

impl Summary {
    /// The interquartile range relative to the median, in percent: how noisy.
    pub fn spread_pct(&self) -> f64 {
        if self.median > 0.0 { 100.0 * (self.p75 - self.p25) / self.median } else { 0.0 }
    }
}

/// The `q` quantile (0..=1) of `v`, by linear interpolation.
pub fn quantile(v: &[f64], q: f64) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    let mut s = v.to_vec();
    s.sort_by(|a, b| a.total_cmp(b));
    let pos = q * (s.len() - 1) as f64;
    let lo = pos.floor() as usize;
    let hi = pos.ceil() as usize;
    s[lo] + (s[hi] - s[lo]) * (pos - lo as f64)
}

/// The median of `v`.
pub fn median(v: &[f64]) -> f64 {
    quantile(v, 0.5)
}

/// Measures every workload in `rounds` rounds of batches of about `batch`
/// each, the workloads taking turns. Returns one summary per workload, in order.
pub fn interleaved(workloads: &mut [Workload<'_>], rounds: usize, batch: Duration) -> Vec<Summary> {
    let mut sizes = Vec::with_capacity(workloads.len());
    let mut done = vec![0u64; workloads.len()];
    for (w, done) in workloads.iter_mut().zip(done.iter_mut()) {
        let n = calibrate(w, batch, done);
        sizes.push(n);
    }
    let mut samples = vec![Vec::with_capacity(rounds); workloads.len()];
    for _ in 0..rounds {
        for (i, w) in workloads.iter_mut().enumerate() {
            let t = (w.run)(sizes[i]);
            done[i] += sizes[i];
            samples[i].push(t.as_nanos() as f64 / sizes[i] as f64);
        }
    }
    workloads
        .iter()
        .enumerate()
        .map(|(i, w)| Summary {
            key: w.key.clone(),
            median: median(&samples[i]),
            p25: quantile(&samples[i], 0.25),
            p75: quantile(&samples[i], 0.75),
            batch: sizes[i],
            iterations: done[i],
            rounds,
        })
        .collect()
}

/// Finds the number of iterations that takes about `batch` (warming the
/// workload up on the way).
fn calibrate(w: &mut Workload<'_>, batch: Duration, done: &mut u64) -> u64 {
    let mut n = 1u64;
    loop {
        let t = (w.run)(n);
        *done += n;
        if t >= batch / 4 || n >= 1 << 32 {
            let per = t.as_nanos().max(1) as f64 / n as f64;
            return ((batch.as_nanos() as f64 / per) as u64).max(1);
        }
        n *= 4;
    }
}
