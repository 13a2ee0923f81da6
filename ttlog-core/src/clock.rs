//! Timestamps: which clock an event reads, and how a snapshot turns its readings
//! into wall-clock time.
//!
//! The default on x86-64 with an invariant time-stamp counter is `rdtsc`: no
//! system call, no conversion on the hot path. A process has one calibration
//! (`calibration`): a point (counter, `CLOCK_MONOTONIC` and
//! `CLOCK_REALTIME`, read together) at its first event, and one at its first
//! snapshot, at least [`MIN_CALIBRATION_NS`] later; every snapshot of the
//! process carries the same two (the CLOCK frame), from which the decoder maps
//! counter values to nanoseconds since the Unix epoch, so that an event has one
//! time in all of them.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU8, AtomicU32, AtomicU64, Ordering};

ttlog_spec::wire_enum! {
    /// The clock that timestamps events.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
    pub enum Clock {
        /// The CPU's time-stamp counter (`rdtsc`), calibrated against
        /// `CLOCK_MONOTONIC`. The default where the counter is invariant (x86-64).
        Tsc = 1,
        /// `CLOCK_MONOTONIC`, in nanoseconds. The default elsewhere.
        Monotonic = 2,
        /// A millisecond clock: a background thread (started by the first event)
        /// stores `CLOCK_MONOTONIC` in memory once a millisecond, and events read
        /// that memory: the cost of a load, a resolution of about a millisecond
        /// (more when that thread waits for a core). A child created by `fork`
        /// starts a thread of its own at the first event of each of its threads.
        Coarse = 3,
        /// No clock: events keep their order within a thread, and carry no time.
        None = 4,
    }
    /// The clock with the given wire value.
    pub const fn from_u8(v: u8) -> Option<Self>;
}

impl Clock {
    /// The clock ttlog uses unless told otherwise: the counter where it is
    /// invariant, `CLOCK_MONOTONIC` elsewhere.
    pub fn default_for_this_machine() -> Clock {
        if tsc_is_invariant() { Clock::Tsc } else { Clock::Monotonic }
    }
}

/// Reads `clock` now. `Clock::None` reads 0.
#[inline(always)]
pub(crate) fn read(clock: u8) -> u64 {
    // The counter first: it is the common case and the branch predicts.
    if clock == Clock::Tsc as u8 {
        rdtsc()
    } else if clock == Clock::None as u8 {
        0
    } else {
        read_slow(clock)
    }
}

#[inline(never)]
fn read_slow(clock: u8) -> u64 {
    if clock == Clock::Coarse as u8 { coarse() } else { monotonic_ns() }
}

/// The millisecond clock's memory (see [`Clock::Coarse`]).
static TICKER: AtomicU64 = AtomicU64::new(0);

/// Reads [`Clock::Coarse`]: one relaxed load.
#[inline(always)]
pub(crate) fn coarse() -> u64 {
    TICKER.load(Ordering::Relaxed)
}

/// The process whose ticker thread runs (0: none yet).
static TICKER_PID: AtomicU32 = AtomicU32::new(0);

/// Starts the thread that keeps [`Clock::Coarse`], once per process: a child
/// created by `fork` has no thread of its parent's, so the first event of each
/// of its threads (every thread's first event in a child comes here, see
/// `write.rs`) starts one for it.
///
/// The thread is a bare `pthread_create`, not `std::thread`: a std thread
/// takes a lock of std's own as it starts (its stack-overflow guard's table),
/// and in a child of a multithreaded parent that lock may have been copied
/// held by a parent's thread that was starting one; the ticker would then
/// never tick. The bare thread's body only sleeps, reads the clock and
/// stores: it takes no lock.
fn start_ticker() {
    // SAFETY: `getpid` has no preconditions.
    let pid = unsafe { libc::getpid() } as u32;
    let running = TICKER_PID.load(Ordering::Acquire);
    if running == pid || TICKER_PID.compare_exchange(running, pid, Ordering::AcqRel, Ordering::Acquire).is_err() {
        return;
    }
    TICKER.store(monotonic_ns(), Ordering::Relaxed);
    if let Err(rc) = spawn_ticker() {
        eprintln!("ttlog: cannot start the coarse clock's thread (error {rc}): events keep the time of the first one");
    }
}

/// The ticker's body: every millisecond, the monotonic clock into [`TICKER`].
extern "C" fn tick(_: *mut libc::c_void) -> *mut libc::c_void {
    let pause = libc::timespec { tv_sec: 0, tv_nsec: 1_000_000 };
    loop {
        // SAFETY: `pause` is a valid timespec; the remainder may be null.
        unsafe { libc::nanosleep(&pause, core::ptr::null_mut()) };
        TICKER.store(monotonic_ns(), Ordering::Relaxed);
    }
}

/// Starts [`tick`] on a detached bare thread named `ttlog-clock`, with every
/// signal blocked (process-directed signals go to the program's threads).
fn spawn_ticker() -> Result<(), i32> {
    // SAFETY: every pointer passed below is to a local that outlives the call
    // that reads it; `attr` is initialised before use and destroyed once;
    // `tick` is an `extern "C" fn` that lives as long as the program and
    // ignores its argument (null). The signal mask is the calling thread's,
    // put back before returning, and the new thread inherits the blocked one.
    unsafe {
        let mut attr: libc::pthread_attr_t = core::mem::zeroed();
        let rc = libc::pthread_attr_init(&mut attr);
        if rc != 0 {
            return Err(rc);
        }
        libc::pthread_attr_setdetachstate(&mut attr, libc::PTHREAD_CREATE_DETACHED);
        libc::pthread_attr_setstacksize(&mut attr, 64 * 1024);
        let mut all: libc::sigset_t = core::mem::zeroed();
        let mut old: libc::sigset_t = core::mem::zeroed();
        libc::sigfillset(&mut all);
        libc::pthread_sigmask(libc::SIG_SETMASK, &all, &mut old);
        let mut thread: libc::pthread_t = core::mem::zeroed();
        let rc = libc::pthread_create(&mut thread, &attr, tick, core::ptr::null_mut());
        libc::pthread_sigmask(libc::SIG_SETMASK, &old, core::ptr::null_mut());
        libc::pthread_attr_destroy(&mut attr);
        if rc != 0 {
            return Err(rc);
        }
        libc::pthread_setname_np(thread, c"ttlog-clock".as_ptr());
    }
    Ok(())
}

#[cfg(target_arch = "x86_64")]
#[inline(always)]
pub(crate) fn rdtsc() -> u64 {
    // SAFETY: `rdtsc` exists on every x86-64 CPU and has no preconditions; it is
    // only selected when `tsc_is_invariant` said the counter is usable.
    unsafe { core::arch::x86_64::_rdtsc() }
}

#[cfg(not(target_arch = "x86_64"))]
#[inline(always)]
pub(crate) fn rdtsc() -> u64 {
    monotonic_ns()
}

/// Whether the time-stamp counter ticks at a constant rate in every power state
/// (CPUID leaf 0x8000_0007, EDX bit 8), so that it can stand for time.
#[cfg(target_arch = "x86_64")]
fn tsc_is_invariant() -> bool {
    use core::arch::x86_64::__cpuid;
    // Leaf 0x8000_0000 reports the highest extended leaf, checked before leaf
    // 0x8000_0007 is read.
    let max_ext = __cpuid(0x8000_0000).eax;
    if max_ext < 0x8000_0007 {
        return false;
    }
    let edx = __cpuid(0x8000_0007).edx;
    edx & (1 << 8) != 0
}

#[cfg(not(target_arch = "x86_64"))]
fn tsc_is_invariant() -> bool {
    false
}

fn clock_gettime_ns(id: libc::clockid_t) -> u64 {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: `ts` is a valid, writable timespec; `clock_gettime` only writes it.
    // It is async-signal-safe, so the crash path may call it too.
    let rc = unsafe { libc::clock_gettime(id, &mut ts) };
    if rc != 0 {
        return 0;
    }
    (ts.tv_sec as u64).wrapping_mul(1_000_000_000).wrapping_add(ts.tv_nsec as u64)
}

/// `CLOCK_MONOTONIC` in nanoseconds.
pub(crate) fn monotonic_ns() -> u64 {
    clock_gettime_ns(libc::CLOCK_MONOTONIC)
}

/// `CLOCK_REALTIME` in nanoseconds since the Unix epoch.
pub(crate) fn realtime_ns() -> u64 {
    clock_gettime_ns(libc::CLOCK_REALTIME)
}

/// One simultaneous reading of the event clock, `CLOCK_MONOTONIC` and
/// `CLOCK_REALTIME`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClockPoint {
    /// The event clock's reading.
    pub ticks: u64,
    /// `CLOCK_MONOTONIC`, nanoseconds.
    pub mono_ns: u64,
    /// `CLOCK_REALTIME`, nanoseconds since the Unix epoch.
    pub real_ns: u64,
}

impl ClockPoint {
    /// Reads the three clocks, the event clock between two monotonic readings so
    /// that the pair is as close as the machine allows.
    /// For the counter, the narrowest of a few brackets. Async-signal-safe.
    pub(crate) fn now(clock: Clock) -> ClockPoint {
        let tries = if clock == Clock::Tsc { 8 } else { 1 };
        let (mut m0, mut ticks, mut m1) = (0, 0, u64::MAX);
        for _ in 0..tries {
            let a = monotonic_ns();
            let t = match clock {
                Clock::Tsc => read(clock as u8),
                Clock::Monotonic | Clock::Coarse | Clock::None => 0,
            };
            let b = monotonic_ns();
            if b.saturating_sub(a) < m1.saturating_sub(m0) {
                (m0, ticks, m1) = (a, t, b);
            }
        }
        let real_ns = realtime_ns();
        let mono_ns = m0 + (m1.saturating_sub(m0)) / 2;
        let ticks = match clock {
            Clock::Tsc => ticks,
            // The nanosecond clocks are their own calibration (the coarse one
            // lags by up to its step).
            Clock::Monotonic | Clock::Coarse => mono_ns,
            Clock::None => 0,
        };
        ClockPoint { ticks, mono_ns, real_ns }
    }
}

static CLOCK: AtomicU8 = AtomicU8::new(0);
static ANCHOR: OnceLock<ClockPoint> = OnceLock::new();

/// The clock events are stamped with, fixed at the first event.
pub fn clock() -> Clock {
    Clock::from_u8(init()).unwrap_or(Clock::Monotonic)
}

/// The clock, if the first event fixed it; never initialises (the crash path
/// calls this).
pub(crate) fn current() -> Option<Clock> {
    Clock::from_u8(CLOCK.load(Ordering::Acquire))
}

/// Chooses the clock; succeeds only before the first event was recorded.
pub(crate) fn set_clock(clock: Clock) -> Result<(), Clock> {
    match CLOCK.compare_exchange(0, clock as u8, Ordering::AcqRel, Ordering::Acquire) {
        Ok(_) => Ok(()),
        Err(current) if current == clock as u8 => Ok(()),
        Err(current) => Err(Clock::from_u8(current).unwrap_or(Clock::Monotonic)),
    }
}

/// Fixes the clock (the default, unless one was chosen) and takes the first
/// calibration point. Cold: runs on a thread's first event.
pub(crate) fn init() -> u8 {
    let current = CLOCK.load(Ordering::Acquire);
    let c = if current != 0 {
        current
    } else {
        let default = Clock::default_for_this_machine() as u8;
        match CLOCK.compare_exchange(0, default, Ordering::AcqRel, Ordering::Acquire) {
            Ok(_) => default,
            Err(v) => v,
        }
    };
    if c == Clock::Coarse as u8 {
        start_ticker();
    }
    ANCHOR.get_or_init(|| ClockPoint::now(Clock::from_u8(c).unwrap_or(Clock::Monotonic)));
    c
}

/// The calibration point taken at the first event, if any event was recorded.
pub(crate) fn anchor() -> Option<ClockPoint> {
    ANCHOR.get().copied()
}

/// The shortest time between the two points of the process's calibration:
/// the first snapshot taken sooner after the first event waits for the rest
/// (only with [`Clock::Tsc`], whose rate the two points measure: the other
/// clocks count nanoseconds already). At 10 ms, the rate is known to a few
/// parts per million.
pub const MIN_CALIBRATION_NS: u64 = 10_000_000;

/// The second point of the calibration, once taken: `CAL_STATE` is 0 (none),
/// 1 (being stored) or 2 (stored: `CAL` holds ticks, mono_ns, real_ns).
static CAL_STATE: AtomicU8 = AtomicU8::new(0);
static CAL: [AtomicU64; 3] = [AtomicU64::new(0), AtomicU64::new(0), AtomicU64::new(0)];

/// The process's calibration: the anchor (the first event's point) and the
/// point taken at the first call, reused by every later call; `None` before
/// the first event. Async-signal-safe (atomics, `clock_gettime`, `nanosleep`),
/// so the fatal-signal handler calls it too. A call that finds the point being
/// stored by another (or by the code it interrupted) uses a point of its own.
pub(crate) fn calibration() -> Option<(Clock, ClockPoint, ClockPoint)> {
    let clock = current()?;
    let anchor = anchor()?;
    if let Some(p) = stored_point() {
        return Some((clock, anchor, p));
    }
    let mut point = ClockPoint::now(clock);
    let span = point.mono_ns.saturating_sub(anchor.mono_ns);
    if clock == Clock::Tsc && span < MIN_CALIBRATION_NS {
        let rest = MIN_CALIBRATION_NS - span;
        let ts = libc::timespec { tv_sec: 0, tv_nsec: rest as libc::c_long };
        // SAFETY: `nanosleep` is async-signal-safe and reads a valid timespec;
        // an interrupted sleep only makes the span shorter, still correct.
        unsafe { libc::nanosleep(&ts, core::ptr::null_mut()) };
        point = ClockPoint::now(clock);
    }
    if CAL_STATE.compare_exchange(0, 1, Ordering::Acquire, Ordering::Relaxed).is_ok() {
        CAL[0].store(point.ticks, Ordering::Relaxed);
        CAL[1].store(point.mono_ns, Ordering::Relaxed);
        CAL[2].store(point.real_ns, Ordering::Relaxed);
        CAL_STATE.store(2, Ordering::Release);
    } else if let Some(p) = stored_point() {
        return Some((clock, anchor, p));
    }
    Some((clock, anchor, point))
}

fn stored_point() -> Option<ClockPoint> {
    (CAL_STATE.load(Ordering::Acquire) == 2).then(|| ClockPoint {
        ticks: CAL[0].load(Ordering::Relaxed),
        mono_ns: CAL[1].load(Ordering::Relaxed),
        real_ns: CAL[2].load(Ordering::Relaxed),
    })
}

/// In a child created by `fork`: a calibration that the parent was storing
/// (by a thread that the child does not have) is dropped, for the child's
/// first snapshot to take one. A stored one is kept: parent and child read
/// the same counter.
pub(crate) fn after_fork_in_child() {
    if CAL_STATE.load(Ordering::Relaxed) == 1 {
        CAL_STATE.store(0, Ordering::Relaxed);
    }
}

/// The date (year, month 1 to 12, day 1 to 31) in the proleptic Gregorian
/// calendar of a count of days since 1970-01-01, for every count: days are
/// counted in 400-year eras from 0000-03-01, in which the calendar repeats.
/// Snapshot file names and the decoder's timestamps use it.
pub const fn civil_from_days(days: i64) -> (i64, u32, u32) {
    /// Days from 0000-03-01 to 1970-01-01.
    const EPOCH_SHIFT: i64 = 719_468;
    /// Days in a 400-year era.
    const DAYS_PER_ERA: i64 = 146_097;
    let z = days.saturating_add(EPOCH_SHIFT);
    let era = z.div_euclid(DAYS_PER_ERA);
    let day_of_era = z.rem_euclid(DAYS_PER_ERA); // 0..=146_096
    let year_of_era = (day_of_era - day_of_era / 1_460 + day_of_era / 36_524 - day_of_era / 146_096) / 365; // 0..=399
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100); // 0..=365
    let month_from_march = (5 * day_of_year + 2) / 153; // 0..=11
    let day = (day_of_year - (153 * month_from_march + 2) / 5 + 1) as u32;
    let month = if month_from_march < 10 { month_from_march + 3 } else { month_from_march - 9 } as u32;
    let year = era * 400 + year_of_era + (month <= 2) as i64;
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn monotonic_advances() {
        let a = monotonic_ns();
        let b = monotonic_ns();
        assert!(b >= a);
        assert!(realtime_ns() > 1_600_000_000_000_000_000);
    }

    #[test]
    fn point_pairs_clocks() {
        let p = ClockPoint::now(Clock::Monotonic);
        assert_eq!(p.ticks, p.mono_ns);
        let q = ClockPoint::now(Clock::default_for_this_machine());
        assert!(q.mono_ns >= p.mono_ns);
    }

    #[test]
    fn none_reads_zero() {
        assert_eq!(read(Clock::None as u8), 0);
        assert_ne!(read(Clock::Monotonic as u8), 0);
    }
}
