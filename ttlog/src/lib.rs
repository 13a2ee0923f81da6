//! ttlog (work in progress skeleton)
pub mod callsite;
pub mod level;
