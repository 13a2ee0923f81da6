//! Where the fatal-signal handler does its work: a stack of its own, mapped
//! at installation, and the switch to it.

use std::io;

/// A stack for the fatal-signal handler's work. The alternate signal stack
/// that Rust gives each thread (where the handler starts, so that it can run
/// after a stack overflow) is a few KiB, less than the snapshot's code needs
/// in a debug build. Mapped at installation, with an inaccessible page below
/// it so that an overflow faults rather than overwrites.
pub(super) struct HandlerStack {
    /// The lowest address of the mapping (the guard page).
    base: *mut u8,
    /// Bytes mapped, guard page included.
    len: usize,
}

impl HandlerStack {
    /// Bytes of the stack, besides the guard page.
    const SIZE: usize = 256 << 10;

    pub(super) fn new() -> io::Result<HandlerStack> {
        // SAFETY: `sysconf` has no preconditions.
        let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) }.max(4096) as usize;
        let len = Self::SIZE + page;
        // SAFETY: an anonymous private mapping at an address the kernel
        // chooses, checked for failure below.
        let base = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            )
        };
        if base == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: the first page of the mapping just made.
        if unsafe { libc::mprotect(base, page, libc::PROT_NONE) } != 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(HandlerStack { base: base.cast(), len })
    }

    /// One past the highest byte: where the stack starts (16-byte aligned,
    /// as both the mapping and its length are page-aligned).
    pub(super) fn top(&self) -> *mut u8 {
        self.base.wrapping_add(self.len)
    }
}

/// Runs `f` with the stack pointer at `top`, and back on the current stack
/// when it returns.
///
/// # Safety
///
/// `top` is the 16-byte aligned top of a mapped, writable stack that nothing
/// else uses while `f` runs, large enough for `f`. `f` must not unwind (it
/// runs behind an `extern "C"` function, which aborts if it does).
pub(super) unsafe fn on_stack<F: FnMut()>(top: *mut u8, mut f: F) {
    extern "C" fn trampoline<F: FnMut()>(f: *mut libc::c_void) {
        // SAFETY: `on_stack` passes a pointer to its `F`, which outlives the call.
        unsafe { (*f.cast::<F>())() }
    }
    let arg = (&mut f as *mut F).cast::<libc::c_void>();
    let call: extern "C" fn(*mut libc::c_void) = trampoline::<F>;
    // SAFETY: the caller's contract for the new stack. The old stack pointer
    // is kept in a callee-saved register, which the call preserves, and put
    // back after it; every register the C ABI lets the callee change is
    // declared clobbered.
    #[cfg(target_arch = "x86_64")]
    unsafe {
        core::arch::asm!(
            "mov r12, rsp",
            "mov rsp, {top}",
            "call {call}",
            "mov rsp, r12",
            top = in(reg) top,
            call = in(reg) call,
            in("rdi") arg,
            out("r12") _,
            clobber_abi("C"),
        );
    }
    // SAFETY: as above.
    #[cfg(target_arch = "aarch64")]
    unsafe {
        core::arch::asm!(
            "mov x20, sp",
            "mov sp, {top}",
            "blr {call}",
            "mov sp, x20",
            top = in(reg) top,
            call = in(reg) call,
            in("x0") arg,
            out("x20") _,
            clobber_abi("C"),
        );
    }
    #[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
    {
        let _ = top;
        call(arg);
    }
}

// SAFETY: `HandlerStack` owns its mapping (a pointer to it and its length);
// nothing about it is tied to the thread that made it.
unsafe impl Send for HandlerStack {}
