//! The log file(s): opening, rotating by size or age, the names of rotated
//! files (which sort in time order) and how many are kept.
//!
//! Without rotation the log is the path given, created or truncated. With
//! rotation every file is named after the path's stem and extension with the
//! time it was opened and a count between them:
//! `app.ttlog` gives `app-20261203T122545.123Z-0001.ttlog`, then
//! `app-20261203T122601.004Z-0002.ttlog`; a directory listing sorts them in
//! time order. With [`keep`](crate::Builder::keep), once a new file is opened
//! the oldest files of that pattern in the directory are removed until `n`
//! remain (those of earlier runs included).
//!
//! With a console ([`crate::Builder::console`]) the same bytes also go to
//! the console's [`Sink`](super::console::Sink), with or without a file.

use super::Config;
use super::console::Sink;
use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Where the writer's bytes go: the file (none for a console alone) and the
/// console.
#[derive(Debug)]
pub(crate) struct Output {
    file: Option<File>,
    console: Console,
    /// Bytes in the open file.
    pub(crate) written: u64,
    opened: Instant,
    base: PathBuf,
    rotate_size: Option<u64>,
    rotate_every: Option<Duration>,
    keep: Option<usize>,
    /// Files opened so far by this process.
    count: u64,
}

impl Output {
    /// Opens the first file (none without a path), with the console's sink.
    pub(crate) fn open(config: &Config, console: Option<Box<dyn Sink>>) -> io::Result<Output> {
        let mut console = Console(console);
        if config.path.is_none() {
            if config.rotate_size.is_some() || config.rotate_every.is_some() || config.keep.is_some() {
                return Err(io::Error::new(io::ErrorKind::InvalidInput, "rotation needs a log file"));
            }
            console.start_file();
            return Ok(Output {
                file: None,
                console,
                written: 0,
                opened: Instant::now(),
                base: PathBuf::new(),
                rotate_size: None,
                rotate_every: None,
                keep: None,
                count: 1,
            });
        }
        let base = config.path.clone().unwrap_or_default();
        if base.file_name().is_none() {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, "the log file path names no file"));
        }
        if config.rotate_size == Some(0) {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, "rotate_size must be more than 0 bytes"));
        }
        if config.rotate_every == Some(Duration::ZERO) {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, "rotate_every must be longer than 0"));
        }
        if config.keep == Some(0) {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, "keep must be at least 1 file"));
        }
        let rotates = config.rotate_size.is_some() || config.rotate_every.is_some();
        let path = if rotates { rotated_name(&base, crate::clock::realtime_ns(), 1) } else { base.clone() };
        let file = File::create(&path)?;
        console.start_file();
        let out = Output {
            file: Some(file),
            console,
            written: 0,
            opened: Instant::now(),
            base,
            rotate_size: config.rotate_size,
            rotate_every: config.rotate_every,
            keep: config.keep,
            count: 1,
        };
        out.retain();
        Ok(out)
    }

    /// Appends `parts` to the open file, then hands them to the console
    /// (even when the file could not take them).
    pub(crate) fn write(&mut self, parts: &[&[u8]]) -> io::Result<()> {
        let mut r = Ok(());
        if let Some(file) = self.file.as_mut() {
            for p in parts {
                r = file.write_all(p);
                if r.is_err() {
                    break;
                }
                self.written += p.len() as u64;
            }
        }
        if let Some(c) = self.console.0.as_mut() {
            c.write(parts);
        }
        r
    }

    /// A drain of every ring is over: the console shows its lines.
    pub(crate) fn end_drain(&mut self) {
        if let Some(c) = self.console.0.as_mut() {
            c.end_drain();
        }
    }

    /// Syncs the open file's data to disk.
    pub(crate) fn sync(&self) -> io::Result<()> {
        self.file.as_ref().map_or(Ok(()), File::sync_data)
    }

    /// Whether the open file is due to rotate.
    pub(crate) fn due(&self) -> bool {
        self.rotate_size.is_some_and(|s| self.written >= s)
            || self.rotate_every.is_some_and(|d| self.opened.elapsed() >= d)
    }

    /// How long until the open file is due to rotate by age, if it rotates so.
    pub(crate) fn due_in(&self) -> Option<Duration> {
        self.rotate_every.map(|d| d.saturating_sub(self.opened.elapsed()))
    }

    /// Opens the next file (the caller closed the open one), then removes
    /// the oldest beyond `keep`.
    pub(crate) fn rotate(&mut self) -> io::Result<()> {
        self.count += 1;
        let path = rotated_name(&self.base, crate::clock::realtime_ns(), self.count);
        // The writer starts a new file's bytes whether or not it opens.
        self.console.start_file();
        self.file = Some(File::create(&path)?);
        self.written = 0;
        self.opened = Instant::now();
        self.retain();
        Ok(())
    }

    /// Removes the oldest rotated files beyond `keep` (errors ignored: a file
    /// someone else removed is gone as wanted).
    fn retain(&self) {
        let Some(keep) = self.keep else { return };
        if self.rotate_size.is_none() && self.rotate_every.is_none() {
            return;
        }
        let mut names = rotated_files(&self.base);
        names.sort();
        let excess = names.len().saturating_sub(keep);
        for p in &names[..excess] {
            let _ = std::fs::remove_file(p);
        }
    }
}

/// The console's sink, if there is one.
struct Console(Option<Box<dyn Sink>>);

impl Console {
    fn start_file(&mut self) {
        if let Some(c) = self.0.as_mut() {
            c.start_file();
        }
    }
}

impl std::fmt::Debug for Console {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_some() { "Console(on)" } else { "Console(off)" })
    }
}

/// The name of the `n`th file of a rotated log opened at `unix_ns`:
/// `STEM-YYYYMMDDTHHMMSS.mmmZ-NNNN.EXT` beside the base path.
pub(crate) fn rotated_name(base: &Path, unix_ns: u64, n: u64) -> PathBuf {
    let (stem, ext) = crate::wire::stem_ext(base);
    let (y, mo, d, h, mi, s) = crate::snapshot::file::civil((unix_ns / 1_000_000_000) as i64);
    let ms = unix_ns / 1_000_000 % 1000;
    let name = format!("{stem}-{y:04}{mo:02}{d:02}T{h:02}{mi:02}{s:02}.{ms:03}Z-{n:04}{ext}");
    base.with_file_name(name)
}

/// The rotated files of the log at `base` that its directory holds.
pub(crate) fn rotated_files(base: &Path) -> Vec<PathBuf> {
    let dir = match base.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let Ok(entries) = std::fs::read_dir(&dir) else { return Vec::new() };
    entries
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_str().is_some_and(|n| crate::wire::is_rotated_name(base, n)))
        .map(|e| dir.join(e.file_name()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rotated_names_sort_in_time_order_and_are_recognised() {
        let base = Path::new("/var/log/app.ttlog");
        let a = rotated_name(base, 1_764_764_745_123_000_000, 1);
        assert_eq!(a, Path::new("/var/log/app-20251203T122545.123Z-0001.ttlog"));
        let b = rotated_name(base, 1_764_764_745_123_000_000, 2);
        let c = rotated_name(base, 1_764_764_801_004_000_000, 3);
        let mut v = vec![c.clone(), a.clone(), b.clone()];
        v.sort();
        assert_eq!(v, [a.clone(), b, c]);
        let name = a.file_name().unwrap().to_str().unwrap();
        assert!(crate::wire::is_rotated_name(Path::new("app.ttlog"), name));
        assert!(!crate::wire::is_rotated_name(Path::new("app.ttlog"), "app.ttlog"));
        assert!(!crate::wire::is_rotated_name(Path::new("app.ttlog"), "app-notes.ttlog"));
        assert!(!crate::wire::is_rotated_name(Path::new("app.ttlog"), "app-20251203T122545.123Z-0001.txt"));
        let bare = rotated_name(Path::new("log"), 0, 12);
        assert_eq!(bare, Path::new("log-19700101T000000.000Z-0012"));
        assert!(crate::wire::is_rotated_name(Path::new("log"), "log-19700101T000000.000Z-0012"));
    }
}
