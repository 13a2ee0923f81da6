//! The callsite table: callsite ids to the statics registered through
//! `inventory`, built on the first snapshot and cached.

use crate::callsite::Callsite;
use rustc_hash::FxHashMap;
use std::sync::{Arc, Mutex, TryLockError};

/// Callsite ids to the statics registered through `inventory`.
///
/// A multiply-and-rotate hash (rustc's): SipHash's resistance to chosen keys
/// buys nothing for callsite ids.
pub(super) type CallsiteTable = FxHashMap<u32, &'static Callsite>;

/// The table, built on the first snapshot and rebuilt when a snapshot meets an
/// id that is not in it (a callsite registered since, by a library loaded
/// later).
pub(super) static TABLE: Mutex<Option<Arc<CallsiteTable>>> = Mutex::new(None);

pub(super) fn build_table() -> CallsiteTable {
    crate::callsite::registered().map(|cs| (crate::callsite::callsite_id(cs), cs)).collect()
}

/// The cached table. Never waits: if another snapshot holds the lock (or this
/// thread does, in a panic hook), it builds a table of its own.
pub(super) fn cached_table() -> Arc<CallsiteTable> {
    let mut guard = match TABLE.try_lock() {
        Ok(g) => g,
        Err(TryLockError::Poisoned(p)) => p.into_inner(),
        Err(TryLockError::WouldBlock) => return Arc::new(build_table()),
    };
    guard.get_or_insert_with(|| Arc::new(build_table())).clone()
}

/// A table built now, which replaces the cached one.
pub(super) fn rebuilt_table() -> Arc<CallsiteTable> {
    let table = Arc::new(build_table());
    match TABLE.try_lock() {
        Ok(mut g) => *g = Some(table.clone()),
        Err(TryLockError::Poisoned(p)) => *p.into_inner() = Some(table.clone()),
        Err(TryLockError::WouldBlock) => {}
    }
    table
}
