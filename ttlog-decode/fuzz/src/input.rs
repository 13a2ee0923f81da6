//! What a fuzz input stands for, shared by the fuzz targets and the
//! regression test that replays their findings on stable
//! (`ttlog-decode/tests/fuzz_regressions.rs`).
//!
//! The first byte of the input chooses what the rest is:
//!
//! - even: the bytes of a file after its preamble, as they are, so that the
//!   framing, the checksums and the search for the next frame are fuzzed;
//! - odd: frames, each a kind byte, a two-byte little-endian length and that
//!   many payload bytes (fewer at the end), written with their checksums, so
//!   that the payload decoders of every kind see hostile payloads rather than
//!   checksum failures.

use ttlog::wire;

/// The file an input stands for; `None` for the empty input.
pub fn file_of(data: &[u8]) -> Option<Vec<u8>> {
    let (&mode, mut rest) = data.split_first()?;
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
    Some(file)
}
