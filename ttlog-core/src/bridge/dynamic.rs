//! Callsites made at run time, for events that did not come through ttlog's
//! macros (a `log` record, a `tracing` event): their metadata is known only
//! when the first such event arrives.
//!
//! A callsite's id is its address in words, which is distinct for all of one
//! binary's statics (see [`callsite_id`](crate::callsite::callsite_id)); a
//! callsite on the heap could share its low 32 bits with a static one. So
//! these callsites live in an arena that is itself a static, in the binary's
//! zero-initialised data, [`CAPACITY`] of them: their ids are as distinct as
//! the macros' ones, and what a program with unbounded targets can make is
//! bounded. Slots are filled once, under a lock, and published by a count;
//! snapshots read the count and the slots below it without a lock.
//!
//! The bridges look callsites up by their metadata through [`intern`]: a
//! per-thread cache of the ones this thread has used, by the addresses and
//! lengths of their text (no lock, no allocation, and no text compared when
//! the text is `'static`), then the process-wide table, by the text.

use crate::callsite::{ArgMeta, Callsite, CallsiteKind, Piece};
use crate::level::Level;
use core::cell::UnsafeCell;
use core::hash::{Hash, Hasher};
use core::mem::MaybeUninit;
use core::sync::atomic::{AtomicUsize, Ordering};
use rustc_hash::{FxHashMap, FxHasher};
use std::sync::Mutex;

/// How many callsites the bridges can make. Beyond it, a bridge records its
/// events under a catch-all callsite of its own, with their target as a field.
pub const CAPACITY: usize = 4096;

struct Arena {
    slots: [UnsafeCell<MaybeUninit<Callsite>>; CAPACITY],
    /// Slots below it are initialised and never written again.
    published: AtomicUsize,
}

// SAFETY: a slot is written only by `push`, under `TABLE`'s lock, before
// `published` (a release store) covers it; from then on it is only read.
// Readers read only slots below `published` (an acquire load), so they never
// see a slot being written.
unsafe impl Sync for Arena {}

static ARENA: Arena =
    Arena { slots: [const { UnsafeCell::new(MaybeUninit::uninit()) }; CAPACITY], published: AtomicUsize::new(0) };

/// Every callsite made so far (for the snapshot's callsite table).
pub(crate) fn registered() -> impl Iterator<Item = &'static Callsite> {
    let n = ARENA.published.load(Ordering::Acquire);
    // SAFETY: slots below `published` are initialised and immutable (see the
    // `Sync` impl).
    ARENA.slots[..n].iter().map(|s| unsafe { (*s.get()).assume_init_ref() })
}

/// Puts `cs` in the next slot; `None` when the arena is full. Called only with
/// `TABLE` locked (the `_held` guard), so slots are written one at a time.
fn push(_held: &mut Table, cs: Callsite) -> Option<&'static Callsite> {
    let i = ARENA.published.load(Ordering::Relaxed);
    let slot = ARENA.slots.get(i)?;
    // SAFETY: slot `i` is not published yet, so no reader looks at it, and no
    // other writer runs: the caller holds `TABLE`'s lock.
    let cs: &'static Callsite = unsafe { (*slot.get()).write(cs) };
    ARENA.published.store(i + 1, Ordering::Release);
    Some(cs)
}

/// What identifies a bridge's callsite: what its events share.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Key<'a> {
    pub level: Level,
    pub kind: CallsiteKind,
    /// The bridge's name for the callsite (`log`'s module path, a span's name).
    pub name: &'a str,
    pub target: &'a str,
    pub file: &'a str,
    pub line: u32,
    /// The message: a literal, or `None` for one argument (the first).
    pub message: Option<&'a str>,
    /// The names of the arguments and their roles.
    pub args: &'a [(&'a str, crate::callsite::ArgRole)],
    /// Whether `name`, `file` and `message` are `'static` (as `log` says of
    /// its module path and file): text at the same address is then the same
    /// text, and the per-thread cache does not compare them.
    pub static_text: bool,
}

impl<'a> Key<'a> {
    /// An event's key: level, target, source location, message and fields.
    pub fn event(level: Level, name: &'a str, target: &'a str, file: &'a str, line: u32) -> Key<'a> {
        Key { level, kind: CallsiteKind::Event, name, target, file, line, message: None, args: &[], static_text: false }
    }
}

impl Key<'_> {
    fn hash(&self) -> u64 {
        let mut h = FxHasher::default();
        (self.level as u8, self.kind as u8, self.name, self.target, self.file, self.line, self.message).hash(&mut h);
        for (name, role) in self.args {
            (name, *role as u8).hash(&mut h);
        }
        h.finish()
    }

    /// The key as integers: lengths and addresses of its text, cheap to
    /// hash. Equal fingerprints say that the keys are probably equal; see
    /// [`Key::verify`].
    fn fingerprint(&self) -> Fingerprint {
        let text = |s: &str| (s.as_ptr() as usize, s.len());
        let mut names = FxHasher::default();
        for (name, role) in self.args {
            (text(name), *role as u8).hash(&mut names);
        }
        Fingerprint {
            level: self.level as u8,
            kind: self.kind as u8,
            line: self.line,
            name: text(self.name),
            target: text(self.target),
            file: text(self.file),
            message: self.message.map(text),
            args: names.finish(),
        }
    }

    /// Whether `cs`, found under this key's fingerprint, is this key's: the
    /// text at the same addresses may have changed since (a target in a
    /// `String` that was freed, and another at its address), so it is
    /// compared, except the text known to be `'static`.
    fn verify(&self, cs: &Callsite) -> bool {
        if !self.static_text {
            return self.matches(cs);
        }
        cs.target == self.target && cs.args.iter().zip(self.args).all(|(a, (name, _))| a.name == *name)
    }

    fn matches(&self, cs: &Callsite) -> bool {
        let message_matches = match (self.message, cs.pieces) {
            (Some(m), [Piece::Lit(l)]) => m == *l,
            (None, [Piece::Arg { arg: 0, slot: 0 }]) => true,
            (Some(m), []) => m.is_empty(),
            _ => false,
        };
        cs.level == self.level
            && cs.kind == self.kind
            && cs.line == self.line
            && cs.name == self.name
            && cs.target == self.target
            && cs.file == self.file
            && message_matches
            && cs.args.len() == self.args.len()
            && cs.args.iter().zip(self.args).all(|(a, (name, role))| a.name == *name && a.role == *role)
    }

    /// The callsite, with its strings copied (leaked: a callsite lives as
    /// long as the process, and there are at most [`CAPACITY`]).
    fn make(&self) -> Callsite {
        fn leak(s: &str) -> &'static str {
            if s.is_empty() { "" } else { Box::leak(s.into()) }
        }
        const DISPLAY: &[crate::callsite::Spec] = &[crate::callsite::Spec::DISPLAY];
        let pieces: &'static [Piece] = match self.message {
            Some("") => &[],
            Some(m) => Box::leak(Box::new([Piece::Lit(leak(m))])),
            None => &[Piece::Arg { arg: 0, slot: 0 }],
        };
        let args: Vec<ArgMeta> =
            self.args.iter().map(|(name, role)| ArgMeta { name: leak(name), role: *role, specs: DISPLAY }).collect();
        Callsite {
            level: self.level,
            kind: self.kind,
            name: leak(self.name),
            target: leak(self.target),
            file: leak(self.file),
            line: self.line,
            pieces,
            args: Box::leak(args.into_boxed_slice()),
            path: None,
        }
    }
}

/// See [`Key::fingerprint`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
struct Fingerprint {
    level: u8,
    kind: u8,
    line: u32,
    name: (usize, usize),
    target: (usize, usize),
    file: (usize, usize),
    message: Option<(usize, usize)>,
    args: u64,
}

/// Callsites by the hash of their metadata's text.
type Table = FxHashMap<u64, Vec<&'static Callsite>>;

static TABLE: Mutex<Option<Table>> = Mutex::new(None);

std::thread_local! {
    /// The callsites this thread used, by fingerprint.
    static CACHE: core::cell::RefCell<FxHashMap<Fingerprint, &'static Callsite>> =
        core::cell::RefCell::new(FxHashMap::default());
}

/// Finds or makes the callsite of `key`; `None` once [`CAPACITY`] callsites
/// exist and `key` is not one of them.
pub(crate) fn intern(key: &Key<'_>) -> Option<&'static Callsite> {
    let fp = key.fingerprint();
    let cached = CACHE
        .try_with(|c| c.try_borrow().ok().and_then(|c| c.get(&fp).copied().filter(|cs| key.verify(cs))))
        .ok()
        .flatten();
    if cached.is_some() {
        return cached;
    }
    let hash = key.hash();
    let cs = {
        let mut table = TABLE.lock().unwrap_or_else(|e| e.into_inner());
        let table = table.get_or_insert_with(Table::default);
        match table.get(&hash).and_then(|v| v.iter().copied().find(|cs| key.matches(cs))) {
            Some(cs) => cs,
            None => {
                let cs = push(table, key.make())?;
                table.entry(hash).or_default().push(cs);
                cs
            }
        }
    };
    let _ = CACHE.try_with(|c| {
        if let Ok(mut c) = c.try_borrow_mut() {
            c.insert(fp, cs);
        }
    });
    Some(cs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::callsite::ArgRole;

    fn key<'a>(target: &'a str, line: u32, args: &'a [(&'a str, ArgRole)]) -> Key<'a> {
        Key {
            level: Level::Info,
            kind: CallsiteKind::Event,
            name: "app",
            target,
            file: "src/main.rs",
            line,
            message: None,
            args,
            static_text: false,
        }
    }

    #[test]
    fn the_same_metadata_gives_the_same_callsite() {
        let fields = [("message", ArgRole::Positional), ("user", ArgRole::Field)];
        let a = intern(&key("app::db", 7, &fields)).unwrap();
        let b = intern(&key(&String::from("app::db"), 7, &fields)).unwrap();
        assert!(core::ptr::eq(a, b));
        let other_line = intern(&key("app::db", 8, &fields)).unwrap();
        let other_fields = intern(&key("app::db", 7, &fields[..1])).unwrap();
        assert!(!core::ptr::eq(a, other_line) && !core::ptr::eq(a, other_fields));
        assert_eq!((a.target, a.line, a.args[1].name, a.args[1].role), ("app::db", 7, "user", ArgRole::Field));
        let all: Vec<_> = registered().collect();
        assert!(all.iter().any(|cs| core::ptr::eq(*cs, a)) && all.iter().any(|cs| core::ptr::eq(*cs, other_line)));
        // From another thread (another cache), the same one.
        let c = std::thread::spawn(move || intern(&key("app::db", 7, &fields)).unwrap() as *const Callsite as usize)
            .join()
            .unwrap();
        assert_eq!(c, a as *const Callsite as usize);
    }

    #[test]
    fn text_changed_at_the_same_address_is_another_callsite() {
        // The per-thread cache finds callsites by the addresses of their
        // text; the same address with other text must not find the old one.
        for static_text in [false, true] {
            let mut target = String::from("aaaa-target");
            let fields = [("f", ArgRole::Field)];
            let a = intern(&Key { static_text, ..key(&target, 31, &fields) }).unwrap();
            target.replace_range(.., "bbbb-target");
            let b = intern(&Key { static_text, ..key(&target, 31, &fields) }).unwrap();
            assert_eq!((a.target, b.target), ("aaaa-target", "bbbb-target"));
            let mut name = String::from("g");
            let c = intern(&Key { static_text, ..key("t", 32, &[(&name, ArgRole::Field)]) }).unwrap();
            name.replace_range(.., "h");
            let d = intern(&Key { static_text, ..key("t", 32, &[(&name, ArgRole::Field)]) }).unwrap();
            assert_eq!((c.args[0].name, d.args[0].name), ("g", "h"));
        }
    }

    #[test]
    fn ids_are_distinct_from_every_static_callsite() {
        let a = intern(&key("ids", 1, &[])).unwrap();
        let id = crate::callsite::callsite_id(a);
        let same: Vec<_> = crate::callsite::registered()
            .filter(|cs| crate::callsite::callsite_id(cs) == id)
            .map(|cs| cs as *const Callsite)
            .collect();
        assert_eq!(same, [a as *const Callsite]);
    }
}
