//! Decoding a snapshot, the steps in the order of the data: [`read`](mod@crate::read)
//! the bytes into a snapshot whose events are in file order, put the events in
//! time order ([`order`](crate::order)), then pair the calls of `#[ttlog]`
//! functions ([`calls`](crate::calls)).

use crate::error::Error;
use crate::read;
use crate::snapshot::Snapshot;
use std::path::Path;

/// Reads and decodes the snapshot file at `path`.
pub fn read_file(path: impl AsRef<Path>) -> Result<Snapshot, Error> {
    let bytes = std::fs::read(path).map_err(Error::Io)?;
    from_bytes(&bytes)
}

/// Decodes a snapshot from its bytes.
pub fn from_bytes(bytes: &[u8]) -> Result<Snapshot, Error> {
    let read::Read { mut snap, ticks } = read::read(bytes)?;
    crate::order::sort_by_time(&mut snap.events, &ticks);
    drop(ticks);
    // Events are decoded at depth 0 and without a call: only `#[ttlog]`
    // callsites change that.
    if crate::calls::has_calls(&snap.callsites) {
        crate::calls::pair(&mut snap);
    }
    Ok(snap)
}
