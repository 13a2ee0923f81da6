//! Fuzzes `ttlog_decode::from_bytes`, and renders every event it decodes.
//!
//! The first byte of the input chooses what the rest is:
//!
//! - even: the bytes of a file after its preamble, as they are, so that the
//!   framing, the checksums and the search for the next frame are fuzzed;
//! - odd: frames, each a kind byte, a two-byte little-endian length and that
//!   many payload bytes (fewer at the end), written with their checksums, so
//!   that the payload decoders of every kind see hostile payloads rather than
//!   checksum failures.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ttlog::wire;
use ttlog_decode::render::line::{json_line, text_line};

fuzz_target!(|data: &[u8]| {
    let Some((&mode, mut rest)) = data.split_first() else { return };
    let mut file = Vec::new();
    wire::put_preamble(&mut file);
    if mode & 1 == 0 {
        file.extend_from_slice(rest);
    } else {
        while let [kind, lo, hi, tail @ ..] = rest {
            let n = usize::from(u16::from_le_bytes([*lo, *hi])).min(tail.len());
            wire::put_frame(&mut file, *kind, &tail[..n]);
            rest = &tail[n..];
        }
    }
    let snap = ttlog_decode::from_bytes(&file).expect("a file with a valid preamble decodes");
    for e in &snap.events {
        text_line(&snap, e);
        json_line(&snap, e);
    }
});
