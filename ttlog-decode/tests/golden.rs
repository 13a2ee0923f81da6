//! Golden-file round trip: a small program logs through the real macros, saves
//! a real snapshot, and the real `ttlog-decode` command prints it as text and as
//! JSON. The output, with timestamps, thread ids, call ids and elapsed times
//! normalised, must equal the
//! files in `tests/golden/`. Regenerate them with `TTLOG_BLESS=1 cargo test`.

use std::path::{Path, PathBuf};
use std::process::Command;

#[derive(Debug)]
#[allow(dead_code)] // Fields are read through `Debug`, which the lint ignores.
struct Order {
    id: u32,
    items: Vec<&'static str>,
}

fn program() {
    ttlog::set_max_level(ttlog::LevelFilter::Trace);
    ttlog::info!("service starting, version {}", "1.4.2");
    ttlog::debug!("config loaded from {:?}", std::path::Path::new("/etc/app.toml"));
    let worker = std::thread::Builder::new()
        .name("worker-1".into())
        .spawn(|| {
            let id = 42u64;
            let micros = 250u32;
            let host = "db-1";
            ttlog::info!("request {} took {} us on {}", id, micros, host);
            let path = "/var/data";
            let delay_ms = 100;
            ttlog::warn!("retrying {path:?} in {delay_ms:>5} ms", attempt = 3u8);
            ttlog::trace!("order {:?}", Order { id: 7, items: vec!["tea", "scone"] });
            ttlog::error!("giving up after {:.3} s: {}", 1.25f64, "timeout", code = 504u16, peer = %"10.0.0.7:5432", hint = ?"check the pool");
        })
        .unwrap();
    worker.join().unwrap();
    let long = "x".repeat(3000);
    ttlog::info!("long value: {}", long);
    ttlog::event!(ttlog::Level::WARN, "{:>+08.2} {:#x} {:e} {} {:?}", -1.23456f64, 255u8, 1500u32, 'é', "q\"uote");
    ttlog::info!(target: "audit", "user {} logged in", "ana");
    let _ = load("user:7", 3);
    let _ = load("", 0);
}

fn normalise(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.lines() {
        let mut l = line.to_owned();
        // 2026-11-26T12:00:00.123456789Z: 30 bytes with 'T' at 10 and 'Z' at 29.
        while let Some(i) = find_timestamp(&l) {
            l.replace_range(i..i + 30, "<time>");
        }
        l = replace_number_after(&l, "\"thread_id\":", "<tid>");
        l = replace_number_after(&l, "\"call_id\":", "<id>");
        l = replace_number_after(&l, "\"elapsed_ns\":", "<ns>");
        // A call id in text, ` #3.17`: the thread's number and the call's.
        if let Some(i) = l.find(" #") {
            let start = i + 2;
            let end = start + l[start..].bytes().take_while(|b| b.is_ascii_digit() || *b == b'.').count();
            if end > start {
                l.replace_range(start..end, "<id>");
            }
        }
        if let Some(i) = l.find(" elapsed=") {
            let start = i + " elapsed=".len();
            let end = l[start..].find(' ').map_or(l.len(), |n| start + n);
            l.replace_range(start..end, "<elapsed>");
        }
        if !l.starts_with('{')
            && let Some(open) = l.find(" [")
            && let Some(close) = l[open..].find(']')
        {
            let inner = &l[open + 2..open + close];
            let name = inner.rsplit_once(' ').map(|(n, _)| n.to_owned());
            let new = match name {
                Some(n) => format!("{n} <tid>"),
                None => "<tid>".to_owned(),
            };
            l.replace_range(open + 2..open + close, &new);
        }
        out.push_str(&l);
        out.push('\n');
    }
    out
}

fn find_timestamp(l: &str) -> Option<usize> {
    let b = l.as_bytes();
    (0..b.len().saturating_sub(29)).find(|&i| {
        b[i + 4] == b'-' && b[i + 10] == b'T' && b[i + 29] == b'Z' && b[i..i + 4].iter().all(u8::is_ascii_digit)
    })
}

fn replace_number_after(l: &str, key: &str, with: &str) -> String {
    match l.find(key) {
        Some(i) => {
            let start = i + key.len();
            let end = start + l[start..].bytes().take_while(u8::is_ascii_digit).count();
            format!("{}{}{}", &l[..start], with, &l[end..])
        }
        None => l.to_owned(),
    }
}

fn check_golden(name: &str, actual: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden").join(name);
    if std::env::var_os("TTLOG_BLESS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (run with TTLOG_BLESS=1 to create it)", path.display()));
    if expected != actual {
        let first = expected.lines().zip(actual.lines()).position(|(a, b)| a != b);
        panic!(
            "{} differs from the decoder's output (first differing line: {:?})\n--- expected\n{expected}\n--- actual\n{actual}",
            path.display(),
            first.map(|i| i + 1)
        );
    }
}

fn decode(file: &PathBuf, json: bool) -> String {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_ttlog-decode"));
    cmd.arg(file);
    if json {
        cmd.arg("--json");
    }
    let out = cmd.output().unwrap();
    assert!(out.status.success(), "ttlog-decode failed: {}", String::from_utf8_lossy(&out.stderr));
    assert!(out.stderr.is_empty(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn decoded_output_matches_golden_files() {
    // A thread of its own, so that the thread name does not depend on how the
    // test harness runs tests.
    std::thread::Builder::new().name("app".into()).spawn(program).unwrap().join().unwrap();
    let dir = std::env::temp_dir().join(format!("ttlog-golden-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("golden.ttlog");
    ttlog::snapshot("golden").save(&file).unwrap();

    let text = normalise(&decode(&file, false));
    check_golden("program.txt", &text);
    let json = decode(&file, true);
    for line in json.lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
        assert!(v["message"].is_string() && v["fields"].is_object(), "{line}");
    }
    check_golden("program.jsonl", &normalise(&json));
    std::fs::remove_dir_all(&dir).ok();
}

/// An instrumented function that logs, calls another, and returns a `Result`.
#[ttlog::ttlog(ret, err)]
fn load(key: &str, shard: u8) -> Result<usize, String> {
    ttlog::debug!("probing shard {shard}");
    if key.is_empty() {
        return Err("empty key".to_owned());
    }
    Ok(key_len(key))
}

#[ttlog::ttlog(level = "trace")]
fn key_len(key: &str) -> usize {
    key.len()
}
