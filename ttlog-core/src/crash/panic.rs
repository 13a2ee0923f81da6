//! The panic hook: records the panic as an ERROR event on the panicking
//! thread, with the panic's own location, and writes a snapshot (at most one
//! a storm interval), then runs the hook installed before.
//!
//! The event's callsite is made at run time, one per panic location (file and
//! line), so that the snapshot names the panic's location, not this file's.
//! A panic inside a log call (a `Display` impl that panics) finds its thread
//! in the middle of writing that event: the panic event then goes into a ring
//! of its own, listed under the same thread id and name (see
//! `write::write_beside`), and the snapshot has it all the same.

use super::{save_and_report, storm};
use crate::callsite::{ArgMeta, ArgRole, Callsite, CallsiteKind, Piece, Spec};
use crate::level::Level;
use std::sync::atomic::{AtomicBool, Ordering};

static PANIC_HOOK: AtomicBool = AtomicBool::new(false);

/// The message of every panic event, and its arguments.
static PIECES: [Piece; 10] = [
    Piece::Lit("thread '"),
    Piece::Arg { arg: 0, slot: 0 },
    Piece::Lit("' panicked at "),
    Piece::Arg { arg: 1, slot: 0 },
    Piece::Lit(":"),
    Piece::Arg { arg: 2, slot: 0 },
    Piece::Lit(":"),
    Piece::Arg { arg: 3, slot: 0 },
    Piece::Lit(": "),
    Piece::Arg { arg: 4, slot: 0 },
];
const DISPLAY: &[Spec] = &[Spec::DISPLAY];
static ARGS: [ArgMeta; 5] = [
    ArgMeta { name: "thread", role: ArgRole::Named, specs: DISPLAY },
    ArgMeta { name: "file", role: ArgRole::Named, specs: DISPLAY },
    ArgMeta { name: "line", role: ArgRole::Named, specs: DISPLAY },
    ArgMeta { name: "column", role: ArgRole::Named, specs: DISPLAY },
    ArgMeta { name: "message", role: ArgRole::Named, specs: DISPLAY },
];

/// The callsite of panics at `file:line`: made once per location.
fn panic_callsite(file: &str, line: u32) -> &'static Callsite {
    if let Some(cs) = crate::callsite::runtime().find(|cs| cs.file == file && cs.line == line) {
        return cs;
    }
    let file: &'static str = Box::leak(file.to_owned().into_boxed_str());
    crate::callsite::register_runtime(Callsite {
        level: Level::Error,
        kind: CallsiteKind::Event,
        name: "panic",
        target: "panic",
        file,
        line,
        pieces: &PIECES,
        args: &ARGS,
        path: None,
    })
}

/// Installs the panic hook, once; it runs before the hook that was installed.
pub(crate) fn install_panic_hook() {
    if PANIC_HOOK.swap(true, Ordering::AcqRel) {
        return;
    }
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let message = info.payload_as_str().unwrap_or("Box<dyn Any>");
        let (file, line, column) = info.location().map_or(("<unknown>", 0, 0), |l| (l.file(), l.line(), l.column()));
        let (tid, name) = crate::write::thread_identity();
        let shown = if name.is_empty() { "<unnamed>" } else { &name };
        if crate::level::enabled(Level::Error) {
            let cs = panic_callsite(file, line);
            crate::write::write_beside(cs, (shown, file, line, column, message));
        }
        if storm::admit() {
            let trigger = crate::wire::Trigger {
                tid,
                thread: name.clone(),
                panic_file: file.to_owned(),
                panic_line: line,
                panic_column: column,
                skipped: storm::take_skipped(),
                ..crate::wire::Trigger::default()
            };
            save_and_report(&crate::snapshot::snapshot_for("panic", trigger), "panic");
        } else {
            eprintln!(
                "ttlog: panic snapshot skipped: another automatic snapshot was written less than the storm interval ago"
            );
        }
        previous(info);
    }));
}
