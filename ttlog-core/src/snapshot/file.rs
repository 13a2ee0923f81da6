//! Snapshot files: the directory they go to, their names, who may read them,
//! how many are kept, and who wrote them (the program and host names their
//! header carries).
//!
//! A snapshot holds whatever the program logged, so every file is created
//! `0600`, never through a symbolic link and never over an existing file
//! (`O_CREAT | O_EXCL | O_NOFOLLOW`), and the default directory is a private
//! one: `ttlog-UID` in the system's temporary directory, `0700`, created if
//! missing and refused if it is anything else (another owner, other
//! permissions, a link).

use crate::wire::Out;
#[cfg(test)]
use crate::wire::write::SliceOut;
use std::io;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicPtr, Ordering};

/// Where snapshots are written unless told otherwise: a leaked `PathBuf`, or
/// null. No lock: a child created by `fork` must not inherit one held.
static DIR: AtomicPtr<PathBuf> = AtomicPtr::new(std::ptr::null_mut());

pub(crate) fn set_dir(dir: PathBuf) {
    // The previous one stays leaked: another thread may be reading it. A few
    // bytes per call of `Builder::init`.
    DIR.store(Box::into_raw(Box::new(dir)), Ordering::Release);
}

/// The directory snapshots are saved in: the one given to
/// [`Builder::snapshot_dir`](crate::Builder::snapshot_dir), else `TTLOG_DIR`,
/// else `ttlog-UID` (private to the user, `0700`) in the system's temporary
/// directory. Snapshots create it when it is missing.
pub fn snapshot_dir() -> PathBuf {
    configured_dir().unwrap_or_else(default_dir)
}

/// [`snapshot_dir`], and whether it is the default private one.
pub(crate) fn snapshot_dir_kind() -> (PathBuf, bool) {
    match configured_dir() {
        Some(d) => (d, false),
        None => (default_dir(), true),
    }
}

fn configured_dir() -> Option<PathBuf> {
    // SAFETY: `DIR` is null or a leaked `Box`, never freed, published by
    // the release store in `set_dir` that this acquire load pairs with.
    if let Some(d) = unsafe { DIR.load(Ordering::Acquire).as_ref() } {
        return Some(d.clone());
    }
    match std::env::var_os("TTLOG_DIR") {
        Some(d) if !d.is_empty() => Some(PathBuf::from(d)),
        _ => None,
    }
}

fn default_dir() -> PathBuf {
    // SAFETY: `geteuid` has no preconditions and cannot fail.
    let uid = unsafe { libc::geteuid() };
    std::env::temp_dir().join(format!("ttlog-{uid}"))
}

/// [`snapshot_dir`], created if missing (`0700`, and its missing parents).
/// The default directory, shared with other users' processes through the
/// temporary directory, is also checked: it must be a directory (not a link)
/// owned by this user with mode `0700`, else it is refused with an error that
/// says why; a directory given by the program or `TTLOG_DIR` is the program's
/// choice and is only created.
pub(crate) fn prepare_dir() -> io::Result<PathBuf> {
    if let Some(dir) = configured_dir() {
        std::fs::DirBuilder::new().recursive(true).mode(0o700).create(&dir).map_err(|e| {
            io::Error::new(e.kind(), format!("cannot create the snapshot directory {}: {e}", dir.display()))
        })?;
        return Ok(dir);
    }
    let dir = default_dir();
    match std::fs::DirBuilder::new().mode(0o700).create(&dir) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
        Err(e) => {
            return Err(io::Error::new(
                e.kind(),
                format!("cannot create the snapshot directory {}: {e}", dir.display()),
            ));
        }
    }
    check_private(&dir)?;
    Ok(dir)
}

/// Refuses `dir` unless it is a directory, not a link, owned by this user,
/// with mode `0700`.
fn check_private(dir: &Path) -> io::Result<()> {
    let meta = std::fs::symlink_metadata(dir)?;
    // SAFETY: `geteuid` has no preconditions and cannot fail.
    let uid = unsafe { libc::geteuid() };
    let problem = if !meta.file_type().is_dir() {
        Some("it is not a directory (a link or a file)".to_owned())
    } else if meta.uid() != uid {
        Some(format!("it is owned by uid {}, not by this user (uid {uid})", meta.uid()))
    } else if meta.mode() & 0o777 != 0o700 {
        Some(format!("its mode is {:04o}, not 0700", meta.mode() & 0o7777))
    } else {
        None
    };
    match problem {
        None => Ok(()),
        Some(p) => Err(io::Error::new(
            io::ErrorKind::PermissionDenied,
            format!(
                "refusing the snapshot directory {}: {p}; remove it, or choose a directory with \
                 `Builder::snapshot_dir` or TTLOG_DIR",
                dir.display()
            ),
        )),
    }
}

/// Opens a new snapshot file: `0600`, never through a link, never over an
/// existing file.
pub(crate) fn create_new(path: &Path) -> io::Result<std::fs::File> {
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
        .open(path)
}

/// Removes the oldest snapshots of this program in `dir` (any process of it:
/// files named `PROGRAM-PID-...ttlog`) until at most `keep` are left. Files
/// of other programs are left alone. Returns how many were removed.
pub(crate) fn prune(dir: &Path, keep: usize) -> usize {
    let mut prefix = Vec::new();
    let program = cached(&PROGRAM, program_name);
    put_clean(&mut prefix, if program.is_empty() { "process" } else { &program });
    prefix.push(b'-');
    let Ok(entries) = std::fs::read_dir(dir) else { return 0 };
    let mut ours: Vec<(std::time::SystemTime, PathBuf)> = entries
        .flatten()
        .filter(|e| is_ours(e.file_name().as_encoded_bytes(), &prefix))
        .filter_map(|e| {
            let meta = std::fs::symlink_metadata(e.path()).ok()?;
            meta.file_type().is_file().then(|| (meta.modified().unwrap_or(std::time::UNIX_EPOCH), e.path()))
        })
        .collect();
    if ours.len() <= keep {
        return 0;
    }
    ours.sort();
    let excess = ours.len() - keep;
    ours.iter().take(excess).filter(|(_, p)| std::fs::remove_file(p).is_ok()).count()
}

/// Makes room for `new` more snapshots under the cap of
/// [`max_snapshot_files`](crate::Builder::max_snapshot_files) (0: no cap):
/// the oldest of the program's are removed.
pub(crate) fn make_room(dir: &Path, new: usize) {
    let cap = crate::settings::max_snapshot_files();
    if cap > 0 {
        prune(dir, cap.saturating_sub(new));
    }
}

/// Whether a file name is one of this program's snapshots: `prefix`, a pid,
/// `-`, and `.ttlog` at the end.
fn is_ours(name: &[u8], prefix: &[u8]) -> bool {
    let Some(rest) = name.strip_prefix(prefix) else { return false };
    let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
    digits > 0 && rest.get(digits) == Some(&b'-') && name.ends_with(b".ttlog")
}

/// Civil date and time (UTC) of a count of seconds since the Unix epoch:
/// (year, month, day, hour, minute, second).
pub(crate) fn civil(secs: i64) -> (i64, u32, u32, u32, u32, u32) {
    let rem = secs.rem_euclid(86_400) as u32;
    let (y, m, d) = crate::clock::civil_from_days(secs.div_euclid(86_400));
    (y, m, d, rem / 3600, rem / 60 % 60, rem % 60)
}

/// Appends `v` in decimal, at least `width` digits.
fn put_decimal(out: &mut impl Out, v: u64, width: usize) {
    let mut b = [0u8; 20];
    let mut n = 0;
    let mut v = v;
    loop {
        b[19 - n] = b'0' + (v % 10) as u8;
        v /= 10;
        n += 1;
        if v == 0 && n >= width {
            break;
        }
    }
    out.put(&b[20 - n..]);
}

/// Appends at most 64 bytes of `s`, with bytes that do not belong in a file
/// name replaced by `_`.
fn put_clean(out: &mut impl Out, s: &str) {
    for &b in s.as_bytes().iter().take(64) {
        let ok = b.is_ascii_alphanumeric() || b == b'_' || b == b'.' || b == b'+';
        out.put(&[if ok { b } else { b'_' }]);
    }
}

/// Appends the snapshot file name: `PROGRAM-PID-REASON-YYYYMMDDTHHMMSSZ.ttlog`,
/// or for `n > 1` (a name already taken) `...THHMMSSZ-N.ttlog`.
pub(crate) fn put_file_name(out: &mut impl Out, program: &str, pid: u64, reason: &str, unix_ns: u64, n: u32) {
    put_clean(out, if program.is_empty() { "process" } else { program });
    out.put(b"-");
    put_decimal(out, pid, 1);
    out.put(b"-");
    put_clean(out, reason);
    out.put(b"-");
    let (y, mo, d, h, mi, s) = civil((unix_ns / 1_000_000_000) as i64);
    put_decimal(out, y.max(0) as u64, 4);
    put_decimal(out, mo as u64, 2);
    put_decimal(out, d as u64, 2);
    out.put(b"T");
    put_decimal(out, h as u64, 2);
    put_decimal(out, mi as u64, 2);
    put_decimal(out, s as u64, 2);
    out.put(b"Z");
    if n > 1 {
        out.put(b"-");
        put_decimal(out, n as u64, 1);
    }
    out.put(b".ttlog");
}

/// The path in `dir` of the `n`-th candidate name for a snapshot taken for
/// `reason` at `unix_ns` (two snapshots in one second get distinct names).
pub(crate) fn snapshot_path(dir: &Path, reason: &str, unix_ns: u64, n: u32) -> PathBuf {
    let mut name = Vec::new();
    let program = cached(&PROGRAM, program_name);
    put_file_name(&mut name, &program, std::process::id() as u64, reason, unix_ns, n);
    dir.join(String::from_utf8_lossy(&name).as_ref())
}

/// The program's and the host's names, read at the first snapshot: they cost
/// system calls that a snapshot need not repeat.
pub(crate) static PROGRAM: OnceLock<String> = OnceLock::new();
pub(crate) static HOST: OnceLock<String> = OnceLock::new();

/// The value of `f`, computed on the first call: the program and host names
/// cost system calls that a snapshot need not repeat.
pub(crate) fn cached(cell: &OnceLock<String>, f: fn() -> String) -> String {
    cell.get_or_init(f).clone()
}

/// The program's name: its executable's file name.
pub(crate) fn program_name() -> String {
    std::env::current_exe()
        .ok()
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .or_else(|| std::env::args().next())
        .unwrap_or_default()
}

/// The host's name.
pub(crate) fn host_name() -> String {
    let mut buf = [0u8; 256];
    // SAFETY: `buf` is writable for its whole length, which is what we pass.
    let rc = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) };
    if rc != 0 {
        return String::new();
    }
    let n = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
    String::from_utf8_lossy(&buf[..n]).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_dates() {
        assert_eq!(civil(0), (1970, 1, 1, 0, 0, 0));
        assert_eq!(civil(951_782_400), (2000, 2, 29, 0, 0, 0));
        assert_eq!(civil(1_795_694_400 + 3_661), (2026, 11, 26, 13, 1, 1));
        assert_eq!(civil(-1), (1969, 12, 31, 23, 59, 59));
    }

    #[test]
    fn which_files_are_this_programs() {
        assert!(is_ours(b"app-12-panic-20261126T120000Z.ttlog", b"app-"));
        assert!(is_ours(b"app-12-panic-20261126T120000Z-2.ttlog", b"app-"));
        assert!(!is_ours(b"app-server-12-panic-20261126T120000Z.ttlog", b"app-"));
        assert!(!is_ours(b"app-12-panic-20261126T120000Z.ttlog.part", b"app-"));
        assert!(!is_ours(b"other-12-panic.ttlog", b"app-"));
        assert!(!is_ours(b"app--panic.ttlog", b"app-"));
    }

    #[test]
    fn file_names() {
        let mut v = Vec::new();
        put_file_name(&mut v, "my app", 42, "SIGSEGV", 1_795_694_400_123_456_789, 1);
        assert_eq!(String::from_utf8(v).unwrap(), "my_app-42-SIGSEGV-20261126T120000Z.ttlog");
        let mut v = Vec::new();
        put_file_name(&mut v, "my app", 42, "SIGSEGV", 1_795_694_400_123_456_789, 3);
        assert_eq!(String::from_utf8(v).unwrap(), "my_app-42-SIGSEGV-20261126T120000Z-3.ttlog");
        let mut buf = [0u8; 8];
        let mut out = SliceOut::new(&mut buf);
        put_file_name(&mut out, "long-program-name", 1, "x", 0, 1);
        assert!(out.bytes().is_none(), "a name that does not fit is reported, not cut");
    }
}
