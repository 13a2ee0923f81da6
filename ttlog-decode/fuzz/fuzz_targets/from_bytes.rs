//! Fuzzes `ttlog_decode::from_bytes`, and renders every event it decodes
//! (the input's form: `src/input.rs`).
#![no_main]

#[path = "../src/input.rs"]
mod input;

use libfuzzer_sys::fuzz_target;
use ttlog_decode::render::line::{json_line, text_line};

fuzz_target!(|data: &[u8]| {
    let Some(file) = input::file_of(data) else { return };
    let snap = ttlog_decode::from_bytes(&file).expect("a file with a valid preamble decodes");
    for e in &snap.events {
        text_line(&snap, e);
        json_line(&snap, e);
    }
});
