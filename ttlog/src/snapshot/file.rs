//! Snapshot files: the directory they go to, their names, and who wrote them
//! (the program and host names their header carries).

use crate::wire::Out;
#[cfg(test)]
use crate::wire::write::SliceOut;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

/// Where snapshots are written unless told otherwise.
static DIR: Mutex<Option<PathBuf>> = Mutex::new(None);

pub(crate) fn set_dir(dir: PathBuf) {
    *DIR.lock().unwrap_or_else(|e| e.into_inner()) = Some(dir);
}

/// The directory snapshots are saved in: the one given to
/// [`Builder::snapshot_dir`](crate::Builder::snapshot_dir), else `TTLOG_DIR`,
/// else the system's temporary directory.
pub fn snapshot_dir() -> PathBuf {
    if let Some(d) = DIR.lock().unwrap_or_else(|e| e.into_inner()).clone() {
        return d;
    }
    match std::env::var_os("TTLOG_DIR") {
        Some(d) if !d.is_empty() => PathBuf::from(d),
        _ => std::env::temp_dir(),
    }
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

/// Appends the snapshot file name: `PROGRAM-PID-REASON-YYYYMMDDTHHMMSSZ.ttlog`.
pub(crate) fn put_file_name(out: &mut impl Out, program: &str, pid: u64, reason: &str, unix_ns: u64) {
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
    out.put(b"Z.ttlog");
}

/// A new path in `dir` for a snapshot taken for `reason`.
pub(crate) fn snapshot_path(dir: &Path, reason: &str) -> PathBuf {
    let mut name = Vec::new();
    put_file_name(&mut name, &program_name(), std::process::id() as u64, reason, crate::clock::realtime_ns());
    let name = String::from_utf8_lossy(&name).into_owned();
    let mut path = dir.join(&name);
    // Two snapshots in one second get distinct names.
    let mut n = 1;
    while path.exists() {
        n += 1;
        path = dir.join(name.replace(".ttlog", &format!("-{n}.ttlog")));
    }
    path
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
    fn file_names() {
        let mut v = Vec::new();
        put_file_name(&mut v, "my app", 42, "SIGSEGV", 1_795_694_400_123_456_789);
        assert_eq!(String::from_utf8(v).unwrap(), "my_app-42-SIGSEGV-20261126T120000Z.ttlog");
        let mut buf = [0u8; 8];
        let mut out = SliceOut::new(&mut buf);
        put_file_name(&mut out, "long-program-name", 1, "x", 0);
        assert!(out.bytes().is_none(), "a name that does not fit is reported, not cut");
    }
}
