//! Events from other logging APIs, recorded into ttlog's rings: `log`
//! records (cargo feature `log`, and `log-kv` for their key-values) and
//! `tracing` events and spans (cargo feature `tracing`).
//!
//! Neither API gives its metadata at compile time in a form ttlog's callsites
//! can hold, so the bridges make a callsite at run time the first time they
//! meet a call (its level, target, file, line and field names), once per
//! process, and cache it per thread. From then on an event costs a cache
//! lookup and the same write into the calling thread's ring as an event of
//! `ttlog::info!`: values recorded raw (numbers, booleans, strings) stay
//! typed, anything else is formatted once, straight into the ring. The
//! decoder shows these events like any other, in time order with the rest.
//!
//! Every snapshot knows these callsites: a fatal-signal snapshot's handler
//! writes the ones made since crash capture was installed from their
//! lock-free list, as it writes the rings, without allocating. After
//! [`CAPACITY`] distinct callsites, further ones are recorded under one
//! catch-all callsite per bridge, with their target as a field.

pub(crate) mod dynamic;
mod value;

pub use dynamic::CAPACITY;

#[cfg(feature = "log")]
pub mod log;
#[cfg(feature = "tracing")]
pub mod tracing;

/// The most fields (key-values) a bridged event records; more are left out.
pub const MAX_FIELDS: usize = 32;
