//! The fuzz targets' regression corpus, replayed on stable: every input in
//! `fuzz/regressions/` (seeds made from real snapshots, crash snapshots with
//! RING frames among them; `kept-*`, 300 inputs of up to 3,000 bytes that
//! fuzzing kept for their coverage; and any crash fuzzing finds)
//! goes through both readers and both renderers, as the targets do, and must
//! neither panic nor take long. A new finding is added by copying its input
//! there (`fuzz/artifacts/<target>/crash-*`).

#[path = "../fuzz/src/input.rs"]
mod input;

use std::time::{Duration, Instant};
use ttlog_decode::render::line::{json_line, text_line};
use ttlog_decode::stream::Stream;

#[test]
fn every_input_of_the_regression_corpus_decodes() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/regressions");
    let mut inputs: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    inputs.sort();
    assert!(inputs.len() >= 10, "{} inputs in {}", inputs.len(), dir.display());
    let (mut events, mut streamed, mut with_rings) = (0usize, 0usize, 0usize);
    for path in &inputs {
        let data = std::fs::read(path).unwrap();
        let Some(file) = input::file_of(&data) else { continue };
        let start = Instant::now();
        let snap = ttlog_decode::from_bytes(&file).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        for e in &snap.events {
            text_line(&snap, e);
            json_line(&snap, e);
        }
        events += snap.events.len();
        let mut stream = Stream::new(std::io::Cursor::new(&file)).unwrap();
        while let Some((s, e)) = stream.next_event() {
            text_line(s, e);
            streamed += 1;
        }
        with_rings +=
            usize::from(file.windows(5).any(|w| w[..4] == ttlog::wire::SYNC && w[4] == ttlog::wire::kind::RING));
        // Generous for a debug build on a busy machine; a hang or a
        // quadratic search takes far longer.
        assert!(start.elapsed() < Duration::from_secs(20), "{}: {:?}", path.display(), start.elapsed());
    }
    // The corpus exercises decoding, not only rejection.
    assert!(events > 1000 && streamed > 1000 && with_rings > 0, "{events} {streamed} {with_rings}");
}
