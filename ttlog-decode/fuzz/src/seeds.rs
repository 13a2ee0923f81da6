//! Writes the seed corpus of the `from_bytes` fuzz target into the directory
//! given: a real snapshot of this process, as it is and as frames (see the
//! target for the two forms), and a crash snapshot's RING frames made by hand
//! from the format.

#[path = "../../tests/support/file.rs"]
mod file;

use file::{frames, str_arg, u64_arg, Block, File};
use std::path::Path;
use ttlog::callsite::{ArgMeta, ArgRole, ArgType, Callsite, CallsiteKind, Piece, Spec};

#[derive(Debug)]
#[allow(dead_code)] // Read through `Debug`.
struct Point {
    x: i32,
}

#[ttlog::ttlog(ret)]
fn work(n: u32) -> u32 {
    n * 2
}

static VALUE: Callsite = Callsite {
    level: ttlog::Level::Info,
    kind: CallsiteKind::Event,
    name: "seeds",
    target: "seeds",
    file: "src/seeds.rs",
    line: 1,
    path: None,
    pieces: &[Piece::Lit("value "), Piece::Arg { arg: 0, slot: 0 }, Piece::Lit(" "), Piece::Arg { arg: 1, slot: 0 }],
    args: &[
        ArgMeta { name: "v", role: ArgRole::Positional, specs: &[Spec::DISPLAY] },
        ArgMeta { name: "s", role: ArgRole::Field, specs: &[Spec::DEBUG] },
    ],
};

/// The frames of `bytes`, in the target's second form.
fn as_frames(bytes: &[u8]) -> Vec<u8> {
    let mut out = vec![1];
    for f in frames(bytes) {
        let payload = f.payload(bytes);
        let Ok(len) = u16::try_from(payload.len()) else { continue };
        out.push(f.kind);
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(payload);
    }
    out
}

fn main() -> std::io::Result<()> {
    let dir = std::env::args().nth(1).unwrap_or_else(|| "corpus/from_bytes".to_owned());
    let dir = Path::new(&dir);
    std::fs::create_dir_all(dir)?;
    for i in 0..40u32 {
        ttlog::info!("event {} of {} at {:.3}", i, "seeds", i as f64 / 3.0, point = ?Point { x: i as i32 });
        work(i);
    }
    let ordinary = ttlog::snapshot("seeds").to_bytes();
    let mut raw = vec![0];
    raw.extend_from_slice(&ordinary[ttlog::wire::PREAMBLE_LEN..]);
    std::fs::write(dir.join("ordinary-raw"), raw)?;
    std::fs::write(dir.join("ordinary-frames"), as_frames(&ordinary))?;

    let mut f = File::new();
    f.header();
    f.static_callsite(7, &VALUE);
    f.thread(0, "t0");
    let mut b = Block::new(64);
    b.record(7, 100, &[ArgType::U64, ArgType::Str], &[u64_arg(5), str_arg("five")].concat());
    b.record(7, 101, &[ArgType::I8, ArgType::Bool], &[0xFF, 1]);
    f.ring(0, 512, &b.words());
    f.end(2);
    std::fs::write(dir.join("ring-frames"), as_frames(&f.bytes))?;
    Ok(())
}
