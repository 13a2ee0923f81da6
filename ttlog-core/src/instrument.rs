//! Runtime support of `#[ttlog]`: the guard that records a call's exit event on
//! every way out of the function, and the future that does the same for an
//! `async fn`.
//!
//! The attribute's expansion records the entry event itself (with the event
//! macros' code generator), taking a per-call id from
//! [`call_id`](crate::write::call_id), then creates a [`FnExit`] that holds the
//! id. Dropping the guard records the exit event (call id, [`Outcome`]): at the
//! end of the body, on an early `return` or `?`, and while a panic unwinds. When
//! the function records its returned value (`ret`, `err`), the expansion writes
//! that exit event itself and tells the guard with [`FnExit::recorded`].
//!
//! An `async fn`'s body runs inside a [`FnFuture`], which tells a completed
//! call from one whose future was dropped before completion (cancelled) and from
//! one whose poll panicked. A call is open on a thread only while its future is
//! polled there: a poll that returns `Pending` records a
//! [`CallsiteKind::Suspend`](crate::callsite::CallsiteKind::Suspend) event, and
//! the next poll, on whatever thread, a
//! [`CallsiteKind::Resume`](crate::callsite::CallsiteKind::Resume) event, so that
//! the decoder nests under the call only what its polls logged.

use crate::callsite::{Callsite, Outcome};

use core::fmt;
use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll};

/// Records the exit event of one call of an instrumented function when it is
/// dropped, unless the call id is 0 (the entry was not recorded) or the exit was
/// already recorded.
pub struct FnExit {
    cs: &'static Callsite,
    id: u64,
    outcome: Outcome,
    /// Whether a drop during unwinding means that the call panicked: false when
    /// the thread was already unwinding at entry (a function called from a
    /// destructor during a panic returns normally, since a second panic would
    /// abort), and for an `async fn`, whose [`FnFuture`] knows better.
    unwinding_means_panic: bool,
}

impl FnExit {
    /// The guard of the call with id `id` (0: record nothing), whose plain exit
    /// event has the callsite `cs`.
    #[inline(always)]
    pub fn new(cs: &'static Callsite, id: u64) -> FnExit {
        FnExit { cs, id, outcome: Outcome::Returned, unwinding_means_panic: id != 0 && !std::thread::panicking() }
    }

    /// The call id (0 when the entry was not recorded).
    #[inline(always)]
    pub fn id(&self) -> u64 {
        self.id
    }

    /// How the call ended, if it does not panic.
    #[inline(always)]
    pub fn set_outcome(&mut self, outcome: Outcome) {
        self.outcome = outcome;
    }

    /// The expansion recorded the exit event itself: the guard records nothing.
    #[inline(always)]
    pub fn recorded(&mut self) {
        self.id = 0;
    }
}

impl fmt::Debug for FnExit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FnExit")
            .field("name", &self.cs.name)
            .field("id", &self.id)
            .field("outcome", &self.outcome)
            .finish()
    }
}

impl Drop for FnExit {
    #[inline(always)]
    fn drop(&mut self) {
        if self.id != 0 {
            let outcome =
                if self.unwinding_means_panic && std::thread::panicking() { Outcome::Panicked } else { self.outcome };
            record_exit(self.cs, self.id, outcome);
        }
    }
}

/// Writes a plain exit event: the call id and the outcome, which is what
/// `cs`'s arguments declare.
#[inline]
fn record_exit(cs: &'static Callsite, id: u64, outcome: Outcome) {
    crate::write::write_event(cs, (id, outcome as u8));
}

/// The returned value of a function that `#[ttlog]` treats as returning a
/// `Result` (with `err`, or `ret` on a return type written `Result<..>`).
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a `Result`: this option of `#[ttlog]` needs a function that returns one",
    label = "needs a function that returns `Result`"
)]
pub trait AsResult<T, E> {
    /// The value as a `Result` of references.
    fn __ttlog_as_result(&self) -> Result<&T, &E>;
}

impl<T, E> AsResult<T, E> for Result<T, E> {
    #[inline(always)]
    fn __ttlog_as_result(&self) -> Result<&T, &E> {
        self.as_ref()
    }
}

/// Runs the body of an instrumented function that records its returned value.
///
/// The body is a closure, so that `return` and `?` leave it with the value; a
/// closure written as this function's argument is `FnOnce`, so that the body
/// can return references into what it captured (`&mut self` included) as the
/// function could.
#[inline(always)]
pub fn call_once<R, F: FnOnce() -> R>(body: F) -> R {
    body()
}

/// The body of an instrumented `async fn`, with the guard of its call.
///
/// While the body is pending, dropping this future records the call as
/// [`Outcome::Cancelled`]; if a poll of the body panics, as
/// [`Outcome::Panicked`] (whenever the future is then dropped, during the
/// unwinding or after an executor caught the panic). When the body completes,
/// the guard is handed back with the output, for the expansion to record the
/// exit. `ON` is the constant `static_enabled(level)`: when the level is
/// compiled out, polling does nothing but poll the body.
pub struct FnFuture<F, const ON: bool> {
    fut: F,
    exit: FnExit,
    /// The callsites of the call's suspend and resume events.
    moves: &'static Moves,
    /// Whether a poll returned `Pending`: the next one resumes the call.
    suspended: bool,
}

/// The callsites of an instrumented `async fn`'s suspend and resume events,
/// which record the call id only.
#[derive(Debug)]
pub struct Moves {
    /// [`CallsiteKind::Suspend`](crate::callsite::CallsiteKind::Suspend).
    pub suspend: &'static Callsite,
    /// [`CallsiteKind::Resume`](crate::callsite::CallsiteKind::Resume).
    pub resume: &'static Callsite,
}

impl<F: Future, const ON: bool> FnFuture<F, ON> {
    /// Runs `fut` as the body of the call that `exit` guards, polled first
    /// right after the entry event, on the same thread.
    #[inline(always)]
    pub fn new(mut exit: FnExit, moves: &'static Moves, fut: F) -> Self {
        exit.outcome = Outcome::Cancelled;
        exit.unwinding_means_panic = false;
        FnFuture { fut, exit, moves, suspended: false }
    }
}

/// Records a suspend or resume event of call `id`.
#[cold]
#[inline(never)]
fn record_move(cs: &'static Callsite, id: u64) {
    crate::write::write_event(cs, (id,));
}

impl<F, const ON: bool> fmt::Debug for FnFuture<F, ON> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FnFuture").field("exit", &self.exit).finish_non_exhaustive()
    }
}

impl<F: Future, const ON: bool> Future for FnFuture<F, ON> {
    type Output = (F::Output, FnExit);

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // SAFETY: `fut` is pinned structurally and `exit` is not: nothing moves
        // `fut` out of a `FnFuture` (no method hands it out by value, and
        // `FnFuture` has no `Drop` impl of its own), and `FnFuture` is `Unpin`
        // only when `F` is. `exit` is only ever accessed by `&mut`, never pinned.
        let this = unsafe { self.get_unchecked_mut() };
        // SAFETY: `this.fut` is pinned, as argued above.
        let fut = unsafe { Pin::new_unchecked(&mut this.fut) };
        if ON {
            // Stays so if the poll unwinds.
            this.exit.outcome = Outcome::Panicked;
            if this.suspended && this.exit.id != 0 {
                this.suspended = false;
                record_move(this.moves.resume, this.exit.id);
            }
        }
        match fut.poll(cx) {
            Poll::Pending => {
                if ON {
                    this.exit.outcome = Outcome::Cancelled;
                    if this.exit.id != 0 {
                        this.suspended = true;
                        record_move(this.moves.suspend, this.exit.id);
                    }
                }
                Poll::Pending
            }
            Poll::Ready(out) => {
                let exit = FnExit {
                    cs: this.exit.cs,
                    id: this.exit.id,
                    outcome: Outcome::Returned,
                    unwinding_means_panic: false,
                };
                this.exit.id = 0;
                Poll::Ready((out, exit))
            }
        }
    }
}
