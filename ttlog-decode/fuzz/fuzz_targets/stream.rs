//! Fuzzes the streaming reader, `ttlog_decode::stream::Stream`, and renders
//! every event it yields (the input's form: `src/input.rs`).
#![no_main]

#[path = "../src/input.rs"]
mod input;

use libfuzzer_sys::fuzz_target;
use ttlog_decode::render::line::{json_line, text_line};
use ttlog_decode::stream::Stream;

fuzz_target!(|data: &[u8]| {
    let Some(file) = input::file_of(data) else { return };
    let mut stream = Stream::new(std::io::Cursor::new(&file)).expect("a file with a valid preamble opens");
    while let Some((snap, e)) = stream.next_event() {
        text_line(snap, e);
        json_line(snap, e);
    }
});
