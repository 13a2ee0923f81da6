//! Asking for the console in a program whose ttlog lacks the `console`
//! feature is not silently ignored: `ttlog/tests/no-console`, a crate of its
//! own that depends on ttlog without the feature, is built (with the cargo
//! running this test, into `target/no-console`) and run. The console itself
//! is tested in `ttlog-decode/tests/console.rs`.

use std::path::{Path, PathBuf};
use std::process::Command;

const MISSING: &str = "this program's ttlog was built without its `console` feature, so events cannot be shown \
                       on stderr; enable it in Cargo.toml: ttlog = { version = \"0.2\", features = [\"console\"] }";

/// Builds the fixture once; its executable.
fn fixture() -> PathBuf {
    static BUILT: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    BUILT
        .get_or_init(|| {
            let here = Path::new(env!("CARGO_MANIFEST_DIR"));
            let target = here.join("../target/no-console");
            let out = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
                .args(["build", "--offline", "--quiet", "--manifest-path"])
                .arg(here.join("tests/no-console/Cargo.toml"))
                .arg("--target-dir")
                .arg(&target)
                .env_remove("CARGO_TARGET_DIR")
                .output()
                .unwrap();
            assert!(out.status.success(), "building the fixture: {}", String::from_utf8_lossy(&out.stderr));
            target.join("debug/ttlog-no-console")
        })
        .clone()
}

fn run(args: &[&str], envs: &[(&str, &Path)]) -> (String, String) {
    let mut cmd = Command::new(fixture());
    cmd.args(args);
    for k in ["TTLOG_CONSOLE", "TTLOG_FILE", "NO_COLOR"] {
        cmd.env_remove(k);
    }
    for (k, v) in envs {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    assert!(out.status.success(), "{:?}: {}", out.status, String::from_utf8_lossy(&out.stderr));
    (String::from_utf8(out.stdout).unwrap(), String::from_utf8(out.stderr).unwrap())
}

#[test]
fn ttlog_console_says_once_that_the_feature_is_off_and_the_file_is_still_written() {
    let dir = std::env::temp_dir().join(format!("ttlog-no-console-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("app.ttlog");
    let _ = std::fs::remove_file(&file);
    let (_, stderr) = run(&[], &[("TTLOG_CONSOLE", Path::new("1"))]);
    assert_eq!(stderr, format!("ttlog: ignoring TTLOG_CONSOLE: {MISSING}\n"));
    let (_, stderr) = run(&[], &[("TTLOG_CONSOLE", Path::new("1")), ("TTLOG_FILE", &file)]);
    assert_eq!(stderr, format!("ttlog: ignoring TTLOG_CONSOLE: {MISSING}\n"));
    let snap = ttlog_decode::read_file(&file).unwrap();
    assert_eq!(snap.events.len(), 2, "TTLOG_FILE as without TTLOG_CONSOLE");
    let (_, stderr) = run(&[], &[]);
    assert_eq!(stderr, "", "nothing asked, nothing said");
}

#[test]
fn builder_console_makes_init_fail_with_the_reason() {
    let (stdout, stderr) = run(&["builder"], &[]);
    assert_eq!(stdout, format!("init: {MISSING}\n"));
    assert_eq!(stderr, "");
}
