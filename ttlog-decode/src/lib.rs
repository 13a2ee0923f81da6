//! Decoder of ttlog snapshots.
