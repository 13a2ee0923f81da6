//! String arguments of every length the write path treats differently: empty,
//! shorter than a word, whole words, a partial last word, and strings at, just
//! under and just over `ttlog::STR_MAX` (cut on a character boundary, with
//! multi-byte characters across the cut), alone and next to other arguments
//! that shift where the string starts. Each goes through the real macros, a
//! snapshot and the decoder, and must read back as `format!` would print it,
//! or, when cut, as its longest prefix that fits plus the cut marker.

use ttlog_decode::render::message::message;

/// The string of length `n` bytes used for `n`: ASCII, or with a two-byte
/// character where `multibyte` asks (so that some lengths end mid-character
/// if cut).
fn text(n: usize, multibyte: bool) -> String {
    let mut s = String::with_capacity(n);
    let mut i = 0u32;
    while s.len() < n {
        let c = if multibyte && s.len() + 2 <= n && i % 3 == 1 { 'é' } else { char::from(b'a' + (i % 26) as u8) };
        s.push(c);
        i += 1;
    }
    s
}

/// What the decoder must print for `s` given that strings keep `max` bytes.
fn expected(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_owned();
    }
    let mut n = max;
    while !s.is_char_boundary(n) {
        n -= 1;
    }
    format!("{}…[{} bytes cut]", &s[..n], s.len() - n)
}

fn snapshot_messages() -> Vec<String> {
    let bytes = ttlog::snapshot("strings").to_bytes();
    let snap = ttlog_decode::from_bytes(&bytes).expect("the snapshot decodes");
    assert!(snap.is_intact(), "{:?}", snap.problems);
    snap.events.iter().map(|e| message(snap.callsite(e).expect("callsite"), snap.args(e))).collect()
}

#[test]
fn every_string_length_reads_back() {
    let mut lengths: Vec<usize> = (0..=80).collect();
    let max = ttlog::STR_MAX;
    lengths.extend([max - 9, max - 8, max - 7, max - 1, max, max + 1, max + 2, max + 7, 2 * max, 5000]);
    let mut want = Vec::new();
    // A thread of its own, with a ring large enough to keep every event.
    std::thread::spawn(move || {
        ttlog::Builder::new().buffer_size(1 << 20).init().unwrap();
        for &n in &lengths {
            for multibyte in [false, true] {
                let s = text(n, multibyte);
                let shown = expected(&s, max);
                ttlog::info!("{}", s.as_str());
                want.push(shown.clone());
                // After one byte, and after a u64: the string's length prefix
                // lands at different places in its word.
                ttlog::info!("{} {}", 7u8, s.as_str());
                want.push(format!("7 {shown}"));
                ttlog::info!("{} [{}] {}", u64::MAX, s.as_str(), 'z');
                want.push(format!("{} [{shown}] z", u64::MAX));
                // Owned and borrowed-through-a-box forms take the same path.
                let owned = s.clone();
                ttlog::info!("{owned}|{}", Box::<str>::from(s.as_str()));
                want.push(format!("{shown}|{shown}"));
            }
        }
        want
    })
    .join()
    .map(|want| {
        let got = snapshot_messages();
        assert_eq!(got.len(), want.len(), "events in the snapshot");
        for (i, (g, w)) in got.iter().zip(&want).enumerate() {
            assert_eq!(g, w, "event {i}");
        }
    })
    .unwrap();
}
