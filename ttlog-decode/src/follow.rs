//! Following a continuous log as it is written, across its rotations.
//!
//! [`Tail`] reads one file that is still being written: the events of each
//! frame once the frame is complete, waiting for one written in part. The
//! files of a log are the path given to the writer
//! (`ttlog::Builder::log_file`) when it does not rotate; when it rotates,
//! files beside it named after its stem and extension with the time each was
//! opened and a count (`app.ttlog` gives `app-20261203T122545.123Z-0001.ttlog`,
//! then `...-0002.ttlog`), which sort in time order: [`rotated_files`] lists
//! them. The writer closes a file with its END frame before it opens the
//! next one.
//!
//! ```no_run
//! let mut tail = ttlog_decode::follow::Tail::open("app.ttlog")?;
//! loop {
//!     while let Some((snap, e)) = tail.next_event() {
//!         println!("{}", ttlog_decode::render::line::text_line(snap, e));
//!     }
//!     for p in tail.take_problems() {
//!         eprintln!("{p}");
//!     }
//!     std::thread::sleep(std::time::Duration::from_millis(50));
//! }
//! # Ok::<(), ttlog_decode::Error>(())
//! ```

use std::path::{Path, PathBuf};

pub use crate::read::tail::Tail;

/// Whether `name` is the name of a rotated file of the log at `base`:
/// `STEM-YYYYMMDDTHHMMSS.mmmZ-N.EXT`, as the writer names them.
pub fn is_rotated(base: &Path, name: &str) -> bool {
    ttlog_core::wire::is_rotated_name(base, name)
}

/// The rotated files of the log at `base` in its directory, in name order,
/// which is the order the writer opened them in.
pub fn rotated_files(base: &Path) -> Vec<PathBuf> {
    let dir = match base.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let Ok(entries) = std::fs::read_dir(&dir) else { return Vec::new() };
    let mut names: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_str().is_some_and(|n| is_rotated(base, n)))
        .map(|e| dir.join(e.file_name()))
        .collect();
    names.sort();
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rotated_names_are_recognised() {
        let base = Path::new("/var/log/app.ttlog");
        assert!(is_rotated(base, "app-20251203T122545.123Z-0001.ttlog"));
        assert!(is_rotated(base, "app-20251203T122545.123Z-12345.ttlog"));
        assert!(!is_rotated(base, "app.ttlog"));
        assert!(!is_rotated(base, "app-notes.ttlog"));
        assert!(!is_rotated(base, "app-20251203T122545.123Z-0001.txt"));
        assert!(!is_rotated(base, "other-20251203T122545.123Z-0001.ttlog"));
        assert!(is_rotated(Path::new("log"), "log-19700101T000000.000Z-0012"));
        assert!(!is_rotated(Path::new("log"), "log-19700101T000000.000Z-0012.ttlog"));
    }
}
