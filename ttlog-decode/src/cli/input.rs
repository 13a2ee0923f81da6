//! Reading the input files, or a snapshot on standard input (`-`), and
//! reporting on stderr what could not be read.

use std::io::Read;
use std::path::{Path, PathBuf};
use ttlog_decode::Snapshot;

/// The snapshots that could be read, with their names.
pub(crate) struct Inputs {
    /// Each readable file's name (as given) and snapshot.
    pub(crate) names: Vec<String>,
    pub(crate) snaps: Vec<Snapshot>,
    /// Whether every file was read whole.
    pub(crate) ok: bool,
}

fn read(path: &Path) -> Result<Snapshot, ttlog_decode::Error> {
    if path == Path::new("-") {
        let mut bytes = Vec::new();
        std::io::stdin().lock().read_to_end(&mut bytes).map_err(ttlog_decode::Error::Io)?;
        ttlog_decode::from_bytes(&bytes)
    } else {
        ttlog_decode::read_file(path)
    }
}

/// Reads `files`, reporting on stderr each that cannot be read and each
/// problem of a damaged one.
pub(crate) fn read_all(files: &[PathBuf]) -> Inputs {
    let mut inputs = Inputs { names: Vec::new(), snaps: Vec::new(), ok: true };
    for path in files {
        let name = if path == Path::new("-") { "<stdin>".to_owned() } else { path.display().to_string() };
        let shown = super::text(&name, false);
        match read(path) {
            Ok(snap) => {
                for p in &snap.problems {
                    eprintln!("ttlog-decode: {shown}: {}", super::text(&p.to_string(), false));
                }
                if !snap.problems.is_empty() {
                    let lost = snap.problems.iter().fold(0u64, |n, p| n.saturating_add(p.lost_events));
                    eprintln!(
                        "ttlog-decode: {shown}: damaged snapshot: {} events decoded, {lost} known lost, {} problem(s)",
                        snap.events.len(),
                        snap.problems.len()
                    );
                    inputs.ok = false;
                }
                inputs.names.push(name);
                inputs.snaps.push(snap);
            }
            Err(e) => {
                eprintln!("ttlog-decode: {shown}: {}", super::text(&e.to_string(), false));
                inputs.ok = false;
            }
        }
    }
    inputs
}
