//! Compile-error and hygiene tests of ttlog's macros: see `tests/ui.rs`.
