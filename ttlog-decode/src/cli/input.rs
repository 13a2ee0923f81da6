//! Reading the input files, or a snapshot on standard input (`-`), and
//! reporting on stderr what could not be read.

use indicatif::{ProgressBar, ProgressStyle};
use std::io::{IsTerminal, Read};
use std::path::{Path, PathBuf};
use ttlog_decode::Snapshot;

/// Reading more than this many bytes, or this many files, shows a progress
/// bar (on a terminal).
const LONG_BYTES: u64 = 64 << 20;
const LONG_FILES: usize = 8;

/// The snapshots that could be read, with their names.
pub(crate) struct Inputs {
    /// Each readable file's name (as given) and snapshot.
    pub(crate) names: Vec<String>,
    pub(crate) snaps: Vec<Snapshot>,
    /// Whether every file was read whole.
    pub(crate) ok: bool,
}

/// Reads a whole input, a MiB at a time, counting the bytes on `bar`.
fn read_counted(mut input: impl Read, bar: &ProgressBar) -> std::io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    loop {
        let before = bytes.len();
        let n = input.by_ref().take(1 << 20).read_to_end(&mut bytes)?;
        bar.inc((bytes.len() - before) as u64);
        if n == 0 {
            return Ok(bytes);
        }
    }
}

fn read(path: &Path, bar: &ProgressBar) -> Result<Snapshot, ttlog_decode::Error> {
    let bytes = if path == Path::new("-") {
        read_counted(std::io::stdin().lock(), bar)
    } else {
        std::fs::File::open(path).and_then(|f| read_counted(f, bar))
    }
    .map_err(ttlog_decode::Error::Io)?;
    ttlog_decode::from_bytes(&bytes)
}

/// A bar of the bytes read, on stderr when it is a terminal and the work is
/// long; hidden otherwise.
fn progress(files: &[PathBuf]) -> ProgressBar {
    let total: u64 = files.iter().filter_map(|p| std::fs::metadata(p).ok()).map(|m| m.len()).sum();
    if !std::io::stderr().is_terminal() || (total < LONG_BYTES && files.len() < LONG_FILES) {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(total);
    if let Ok(style) = ProgressStyle::with_template("{msg} [{bar:40}] {bytes}/{total_bytes} ({eta})") {
        bar.set_style(style.progress_chars("=> "));
    }
    bar
}

/// Reads `files`, reporting on stderr each that cannot be read and each
/// problem of a damaged one.
pub(crate) fn read_all(files: &[PathBuf]) -> Inputs {
    let mut inputs = Inputs { names: Vec::new(), snaps: Vec::new(), ok: true };
    let bar = progress(files);
    for path in files {
        let name = if path == Path::new("-") { "<stdin>".to_owned() } else { path.display().to_string() };
        let shown = super::text(&name, false);
        bar.set_message(format!("reading {shown}"));
        let read = read(path, &bar);
        let mut said = Vec::new();
        match read {
            Ok(snap) => {
                for p in &snap.problems {
                    said.push(format!("ttlog-decode: {shown}: {}", super::text(&p.to_string(), false)));
                }
                if !snap.problems.is_empty() {
                    let lost = snap.problems.iter().fold(0u64, |n, p| n.saturating_add(p.lost_events));
                    said.push(format!(
                        "ttlog-decode: {shown}: damaged snapshot: {} events decoded, {lost} known lost, {} problem(s)",
                        snap.events.len(),
                        snap.problems.len()
                    ));
                    inputs.ok = false;
                }
                inputs.names.push(name.clone());
                inputs.snaps.push(snap);
            }
            Err(e) => {
                said.push(format!("ttlog-decode: {shown}: {}", super::text(&e.to_string(), false)));
                inputs.ok = false;
            }
        }
        // Between two redraws of the bar.
        if !said.is_empty() {
            bar.suspend(|| said.iter().for_each(|m| eprintln!("{m}")));
        }
    }
    bar.finish_and_clear();
    inputs
}
