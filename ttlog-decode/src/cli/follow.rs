//! `print --follow`: a continuous log's lines as it is written, like
//! `tail -f`, across its rotations.
//!
//! Which file: the log's base path (as given to `log_file`) names it. When
//! files exist already, the one written last of the base and its rotated
//! files is printed from its start, then followed; older rotated files are
//! not printed. When none exists yet, the first to appear is, and every one
//! after it. A rotated file is left for the next one in name order once that
//! one appears (the writer ends a file with its END frame before it opens
//! the next); the base path, once the file there is replaced or truncated
//! (a new run of the program), is followed again from its start.

use super::args::PrintArgs;
use super::print::Lines;
use super::{Outcome, text};
use std::ffi::OsString;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};
use ttlog_decode::filter::Filter;
use ttlog_decode::follow::{Tail, rotated_files};

/// How long to wait before looking at the files again.
const POLL: Duration = Duration::from_millis(50);

/// The file being followed.
struct Current {
    path: PathBuf,
    tail: Tail,
    /// The file's identity (device, inode), to notice that the base path
    /// names another file.
    id: Option<(u64, u64)>,
    /// The next file is the first rotated file whose name sorts after this
    /// (all of them with `None`).
    after: Option<OsString>,
    /// The file's length and modification time once its END frame was read:
    /// when either changes, it is being written again.
    ended: Option<(u64, Option<SystemTime>)>,
}

/// Why `--follow` cannot be used with these arguments.
pub(crate) fn usage(a: &PrintArgs) -> Option<String> {
    let files = &a.input.files;
    if files.len() != 1 {
        return Some(format!(
            "`--follow` follows one log, by the path given to `log_file` (its rotated files are found beside it); \
             {} files were given",
            files.len()
        ));
    }
    if files[0] == Path::new("-") {
        return Some("`--follow` needs a file: standard input cannot be followed".to_owned());
    }
    if a.filters.last.is_some() {
        return Some("`--last` needs the end of the input, which a followed log does not have".to_owned());
    }
    if a.summary {
        return Some("`--summary` needs all of the input, which a followed log does not have".to_owned());
    }
    None
}

#[cfg(unix)]
fn identity(m: &std::fs::Metadata) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    Some((m.dev(), m.ino()))
}

#[cfg(not(unix))]
fn identity(_: &std::fs::Metadata) -> Option<(u64, u64)> {
    None
}

fn modified(p: &Path) -> Option<SystemTime> {
    std::fs::metadata(p).and_then(|m| m.modified()).ok()
}

/// The file to start with: the one written last of the base and its rotated
/// files, if any exists.
fn newest(base: &Path) -> Option<PathBuf> {
    let last = rotated_files(base).pop();
    match (last, base.is_file()) {
        (Some(r), true) if modified(base) > modified(&r) => Some(base.to_path_buf()),
        (Some(r), _) => Some(r),
        (None, true) => Some(base.to_path_buf()),
        (None, false) => None,
    }
}

/// The first rotated file of `base` after `after`.
fn next_after(base: &Path, after: Option<&OsString>) -> Option<PathBuf> {
    rotated_files(base).into_iter().find(|p| after.is_none_or(|a| p.file_name().is_some_and(|n| n > a.as_os_str())))
}

/// Opens `path` to follow it from its start.
fn open(base: &Path, path: PathBuf) -> io::Result<Current> {
    let file = std::fs::File::open(&path)?;
    let id = file.metadata().ok().as_ref().and_then(identity);
    let after = if path == base {
        rotated_files(base).pop().and_then(|p| p.file_name().map(Into::into))
    } else {
        path.file_name().map(Into::into)
    };
    Ok(Current { path, tail: Tail::new(file), id, after, ended: None })
}

/// Prints the events that are complete now, and reports the problems found;
/// whether there were any.
fn drain(c: &mut Current, lines: &mut Lines<'_>, out: &mut impl Write) -> io::Result<bool> {
    while let Some((snap, e)) = c.tail.next_event() {
        lines.write(snap, e, out)?;
    }
    out.flush()?;
    let problems = c.tail.take_problems();
    let name = c.path.display().to_string();
    let shown = text(&name, false);
    for p in &problems {
        eprintln!("ttlog-decode: {shown}: {}", text(&p.to_string(), false));
    }
    Ok(!problems.is_empty())
}

pub(crate) fn run(a: &PrintArgs, filter: &Filter, out: &mut impl Write) -> io::Result<Outcome> {
    let base = a.input.files[0].as_path();
    let mut lines = Lines::new(a, filter);
    let shown_base = text(&base.display().to_string(), false).into_owned();
    let cannot_open = |path: &Path, e: io::Error| {
        eprintln!("ttlog-decode: {}: {}", text(&path.display().to_string(), false), text(&e.to_string(), false));
        Ok(Outcome::BadInput)
    };
    let mut current = match newest(base) {
        Some(p) => match open(base, p.clone()) {
            Ok(c) => Some(c),
            Err(e) => return cannot_open(&p, e),
        },
        None => {
            eprintln!("ttlog-decode: {shown_base}: waiting for the log to appear");
            None
        }
    };
    loop {
        let Some(c) = current.as_mut() else {
            std::thread::sleep(POLL);
            // The first file of the log to appear, and the ones after it.
            let Some(p) = next_after(base, None).or_else(|| base.is_file().then(|| base.to_path_buf())) else {
                continue;
            };
            current = match open(base, p.clone()) {
                Ok(c) => Some(c),
                Err(e) if e.kind() == io::ErrorKind::NotFound => None,
                Err(e) => return cannot_open(&p, e),
            };
            continue;
        };
        drain(c, &mut lines, out)?;
        if let Some(e) = c.tail.failed() {
            eprintln!("ttlog-decode: {}: {}", text(&c.path.display().to_string(), false), text(&e.to_string(), false));
            return Ok(Outcome::BadInput);
        }
        // The writer went on to the next rotated file: this one is complete.
        if let Some(next) = next_after(base, c.after.as_ref()) {
            c.tail.end_of_input();
            drain(c, &mut lines, out)?;
            match open(base, next.clone()) {
                Ok(n) => current = Some(n),
                // Removed already (`keep`): the one after it, next time.
                Err(e) if e.kind() == io::ErrorKind::NotFound => std::thread::sleep(POLL),
                Err(e) => return cannot_open(&next, e),
            }
            continue;
        }
        // The base path names a new file, or the file was cut back or
        // written again after its END frame: a new run of the program.
        if c.path == base
            && let Ok(m) = std::fs::metadata(base)
        {
            let now = (m.len(), m.modified().ok());
            if c.tail.ended() && c.ended.is_none() {
                c.ended = Some(now);
            }
            let rewritten = c.ended.is_some_and(|e| e != now);
            if identity(&m) != c.id || m.len() < c.tail.position() || rewritten {
                eprintln!(
                    "ttlog-decode: {shown_base}: the file was replaced or truncated; following it from its start"
                );
                current = match open(base, base.to_path_buf()) {
                    Ok(c) => Some(c),
                    // Gone again: followed once it is back.
                    Err(e) if e.kind() == io::ErrorKind::NotFound => None,
                    Err(e) => return cannot_open(base, e),
                };
                continue;
            }
        }
        std::thread::sleep(POLL);
    }
}
