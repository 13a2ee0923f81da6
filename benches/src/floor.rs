//! The floor: the least a deferred-formatting logger can do per event, written by
//! hand, so that ttlog is compared with it in the same run.
//!
//! A thread-local ring of [`CAPACITY`] bytes; an event writes a `u32` id, an
//! `rdtsc` timestamp and the raw bytes of its arguments (integers and floats
//! little-endian at their own width, a string as a `u16` length and its bytes:
//! the argument bytes ttlog records, without ttlog's padding before a string),
//! and moves the position on, wrapping to the start when the record would not fit. Nothing
//! else: no level check, no publication to a reader, no block structure, no
//! sequence numbers, no snapshot. Whatever ttlog costs above this is the price
//! of those features (and of any inefficiency).
//!
//! A thread's first event allocates its ring (cold path, as in ttlog); rings are
//! never freed (the benchmarks use a bounded number of threads).

use std::cell::Cell;

/// Bytes of each thread's ring, the same as ttlog's default buffer.
pub const CAPACITY: usize = 64 << 10;
/// A string argument keeps at most this many bytes (ttlog's `STR_MAX`).
pub const STR_MAX: usize = 1024;

struct Floor {
    base: Cell<*mut u8>,
    pos: Cell<usize>,
}

thread_local! {
    static FLOOR: Floor = const { Floor { base: Cell::new(core::ptr::null_mut()), pos: Cell::new(0) } };
}

#[cold]
#[inline(never)]
fn allocate(f: &Floor) -> *mut u8 {
    let ring: &'static mut [u8] = Box::leak(vec![0u8; CAPACITY].into_boxed_slice());
    let base = ring.as_mut_ptr();
    f.base.set(base);
    base
}

/// Reads the time-stamp counter.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
pub fn rdtsc() -> u64 {
    // SAFETY: `rdtsc` exists on every x86-64 CPU and has no preconditions.
    unsafe { core::arch::x86_64::_rdtsc() }
}

/// Reads the time-stamp counter (`CLOCK_MONOTONIC` where there is none).
#[cfg(not(target_arch = "x86_64"))]
#[inline(always)]
pub fn rdtsc() -> u64 {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: `ts` is a valid, writable timespec.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

/// Arguments the floor can record.
pub trait FloorArg: Copy {
    /// Bytes the argument takes.
    fn size(self) -> usize;
    /// Writes the argument at `dst`.
    ///
    /// # Safety
    ///
    /// `dst` must be valid for writes of `self.size()` bytes.
    unsafe fn put(self, dst: *mut u8);
}

macro_rules! floor_num {
    ($($t:ty),*) => {$(
        impl FloorArg for $t {
            #[inline(always)]
            fn size(self) -> usize {
                core::mem::size_of::<$t>()
            }
            #[inline(always)]
            unsafe fn put(self, dst: *mut u8) {
                // SAFETY: the caller guarantees room for `size_of::<$t>()` bytes;
                // the write is unaligned.
                unsafe { dst.cast::<[u8; core::mem::size_of::<$t>()]>().write_unaligned(self.to_le_bytes()) }
            }
        }
    )*};
}

floor_num!(i32, u32, u64, f64);

impl FloorArg for &str {
    #[inline(always)]
    fn size(self) -> usize {
        2 + self.len().min(STR_MAX)
    }
    #[inline(always)]
    unsafe fn put(self, dst: *mut u8) {
        let n = self.len().min(STR_MAX);
        // SAFETY: the caller guarantees room for `2 + n` bytes; the source is
        // `n` bytes of the string, which cannot overlap the ring.
        unsafe {
            dst.cast::<[u8; 2]>().write_unaligned((n as u16).to_le_bytes());
            core::ptr::copy_nonoverlapping(self.as_ptr(), dst.add(2), n);
        }
    }
}

/// A tuple of [`FloorArg`]s: an event's arguments.
pub trait FloorArgs: Copy {
    /// Bytes the arguments take together.
    fn size(self) -> usize;
    /// Writes the arguments one after the other at `dst`.
    ///
    /// # Safety
    ///
    /// `dst` must be valid for writes of `self.size()` bytes.
    unsafe fn put(self, dst: *mut u8);
}

macro_rules! floor_tuple {
    ($(($($a:ident),*)),*) => {$(
        impl<$($a: FloorArg),*> FloorArgs for ($($a,)*) {
            #[inline(always)]
            #[allow(non_snake_case)]
            fn size(self) -> usize {
                let ($($a,)*) = self;
                0 $(+ $a.size())*
            }
            #[inline(always)]
            #[allow(non_snake_case, unused_variables, unused_mut, unused_assignments)]
            unsafe fn put(self, dst: *mut u8) {
                let ($($a,)*) = self;
                let mut at = dst;
                $(
                    // SAFETY: the caller guarantees room for every argument;
                    // each is written after the previous one.
                    unsafe {
                        $a.put(at);
                        at = at.add($a.size());
                    }
                )*
            }
        }
    )*};
}

floor_tuple!((), (A), (A, B), (A, B, C), (A, B, C, D, E));

/// Records one event: `id`, the time-stamp counter and `args`.
#[inline(always)]
pub fn record<A: FloorArgs>(id: u32, args: A) {
    FLOOR.with(|f| {
        let mut base = f.base.get();
        if base.is_null() {
            base = allocate(f);
        }
        let len = 12 + args.size();
        let mut pos = f.pos.get();
        if pos + len > CAPACITY {
            pos = 0;
        }
        // SAFETY: `base` points to `CAPACITY` bytes owned by this thread, and
        // `pos + len <= CAPACITY` (every record is far smaller than the ring:
        // at most 12 + 5 * (2 + STR_MAX) bytes).
        unsafe {
            let p = base.add(pos);
            p.cast::<[u8; 4]>().write_unaligned(id.to_le_bytes());
            p.add(4).cast::<[u8; 8]>().write_unaligned(rdtsc().to_le_bytes());
            args.put(p.add(12));
        }
        f.pos.set(pos + len);
    })
}

/// The calling thread's ring position and the id of the record at the start of
/// its ring: reading what the floor wrote, so that the writes are observable.
pub fn digest() -> (usize, u32) {
    FLOOR.with(|f| {
        let base = f.base.get();
        if base.is_null() {
            return (0, 0);
        }
        let mut id = [0u8; 4];
        // SAFETY: `base` points to `CAPACITY` (> 4) initialised bytes.
        unsafe { core::ptr::copy_nonoverlapping(base, id.as_mut_ptr(), 4) };
        (f.pos.get(), u32::from_le_bytes(id))
    })
}

/// What the calling thread's ring holds from its start to the current position:
/// every record written since the ring last wrapped (empty before the thread's
/// first event). For checking what the floor wrote; not for measuring.
pub fn written() -> Vec<u8> {
    FLOOR.with(|f| {
        let base = f.base.get();
        if base.is_null() {
            return Vec::new();
        }
        // SAFETY: `base` points to `CAPACITY` initialised bytes owned by this
        // thread, and `pos <= CAPACITY`.
        unsafe { core::slice::from_raw_parts(base, f.pos.get()) }.to_vec()
    })
}

/// The six messages through the floor, with the same inputs (the same values,
/// at the same widths) as the loggers.
pub mod messages {
    use super::record;
    use crate::messages::{Inputs, Message, repeat};

    /// staticString.
    #[inline(always)]
    pub fn static_string(_i: &Inputs) {
        record(1, ());
    }

    /// stringConcat.
    #[inline(always)]
    pub fn string_concat(i: &Inputs) {
        record(2, (i.coordinator,));
    }

    /// singleInteger.
    #[inline(always)]
    pub fn single_integer(i: &Inputs) {
        record(3, (i.speed_mb,));
    }

    /// twoIntegers.
    #[inline(always)]
    pub fn two_integers(i: &Inputs) {
        record(4, (i.consumed, i.allocation));
    }

    /// singleDouble.
    #[inline(always)]
    pub fn single_double(i: &Inputs) {
        record(5, (i.ratio,));
    }

    /// complexFormat.
    #[inline(always)]
    pub fn complex_format(i: &Inputs) {
        record(6, (i.rx_buffers, i.rx_mb, i.tx_buffers, i.tx_mb, i.took_ms));
    }

    /// shortString.
    #[inline(always)]
    pub fn short_string(i: &Inputs) {
        record(7, (i.request, i.took_us, i.worker));
    }

    /// Logs `m` `n` times; `None` for the workloads the floor has no
    /// counterpart for (the disabled level, a `Debug` struct).
    pub fn run(m: Message, n: u64, i: &Inputs) -> Option<()> {
        match m {
            Message::StaticString => repeat(static_string, n, i),
            Message::StringConcat => repeat(string_concat, n, i),
            Message::SingleInteger => repeat(single_integer, n, i),
            Message::TwoIntegers => repeat(two_integers, n, i),
            Message::SingleDouble => repeat(single_double, n, i),
            Message::ComplexFormat => repeat(complex_format, n, i),
            Message::ShortString => repeat(short_string, n, i),
            Message::Disabled | Message::DebugStruct | Message::DerivedStruct => return None,
        }
        Some(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_are_laid_out_and_wrap() {
        std::thread::spawn(|| {
            record(7, (1u64, "abc"));
            let (pos, id) = digest();
            assert_eq!(pos, 12 + 8 + 2 + 3);
            assert_eq!(id, 7);
            for _ in 0..10_000 {
                record(9, (1u32,));
            }
            let (pos, _) = digest();
            assert!(pos <= CAPACITY);
        })
        .join()
        .unwrap();
    }

    /// Each message's record in the floor holds, after the id and timestamp,
    /// exactly the argument bytes ttlog records for it (string padding aside).
    #[test]
    fn the_floor_copies_the_argument_bytes_ttlog_records() {
        use crate::messages::tests::ttlog_args;
        use crate::messages::{Inputs, Message};
        for m in Message::RAW {
            let floor_args = std::thread::spawn(move || {
                super::messages::run(m, 1, &Inputs::NANOLOG);
                written()
            })
            .join()
            .unwrap();
            let ttlog: Vec<u8> = ttlog_args(m).into_iter().flat_map(|(_, bytes)| bytes).collect();
            assert_eq!(floor_args.get(12..), Some(&ttlog[..]), "{m}: the floor's argument bytes differ from ttlog's");
        }
    }
}
