//! Procedural macros of ttlog.
