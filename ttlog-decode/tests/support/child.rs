//! Tests that run this test binary again as a child process: the child runs
//! the test `child_entry`, which does what `CHILD` names, with its files in
//! the directory `DIR` names.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The variable that names what the child does.
pub const CHILD: &str = "TTLOG_TEST_CHILD";
/// The variable that names the child's directory.
pub const DIR: &str = "TTLOG_TEST_LOG_DIR";

/// A fresh directory for one test's files, `ttlog-TEST-PID-KIND`.
pub fn fresh_dir(test: &str, kind: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ttlog-{test}-{}-{kind}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The command that runs the child `kind` in `dir`, without the variables
/// of ttlog that the test's own environment may set, stdout discarded.
pub fn child(kind: &str, dir: &Path) -> Command {
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.args(["--exact", "child_entry", "--nocapture", "--test-threads=1"]).env(CHILD, kind).env(DIR, dir);
    for k in ["TTLOG_CONSOLE", "TTLOG_FILE", "NO_COLOR", "TTLOG_ON_FULL", "TTLOG_LEVEL"] {
        cmd.env_remove(k);
    }
    cmd.stdout(Stdio::null());
    cmd
}
