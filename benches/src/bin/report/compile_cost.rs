//! Compile cost: a generated crate with 1,000 distinct log callsites (mixed
//! argument types), written once for each of ttlog, tracing and log, built in
//! release: how long the clean build takes, how long the crate itself takes
//! (dependencies already built: what a user pays on every change), and how
//! many bytes of machine code each callsite adds (`.text` of a binary with
//! 1,000 callsites minus one with 10, over 990).
//!
//! The crates are generated under `target/ttlog-compile-cost/`, never in the
//! source tree; they resolve their dependencies with a copy of the
//! workspace's `Cargo.lock`, so the peers' versions are the ones measured
//! elsewhere in the report.

use crate::model::{Better, Output};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// The frameworks compared. `ttlog-bridges` is ttlog with its `log` and
/// `tracing` bridges (the `log-kv` and `tracing` features) compiled in, its
/// calls the same; the continuous log and crash capture are in every build.
pub const FRAMEWORKS: [&str; 4] = ["ttlog", "ttlog-bridges", "tracing", "log"];
/// Callsites in the measured binary, and in the baseline.
pub const SITES: usize = 1000;
pub const BASELINE_SITES: usize = 10;

pub fn run(workspace: &Path) -> Output {
    let mut out = Output::default();
    let root = workspace.join("target").join("ttlog-compile-cost");
    let cargo = std::env::var_os("CARGO").map_or_else(|| PathBuf::from("cargo"), PathBuf::from);
    for fw in FRAMEWORKS {
        eprintln!("report: compile cost: {fw} ...");
        match measure(&cargo, workspace, &root.join(fw), fw) {
            Ok(r) => {
                let config = format!(
                    "generated crate, {SITES} callsites in {} functions (mixed argument types), cargo build --release, \
                     2 cores; code size: (.text with {SITES} sites - .text with {BASELINE_SITES}) / {}",
                    SITES / 10,
                    SITES - BASELINE_SITES
                );
                let better = if fw.starts_with("ttlog") { Better::Lower } else { Better::Neither };
                out.metric(format!("compile.{fw}.clean_build_s"), r.clean.as_secs_f64(), "s", better, config.clone());
                out.metric(
                    format!("compile.{fw}.crate_build_s"),
                    r.incremental.as_secs_f64(),
                    "s",
                    better,
                    config.clone(),
                );
                let per_site = (r.text_sites as f64 - r.text_base as f64) / (SITES - BASELINE_SITES) as f64;
                out.metric(format!("compile.{fw}.text_bytes_per_callsite"), per_site, "bytes", better, config.clone());
                let per_site_all = (r.alloc_sites as f64 - r.alloc_base as f64) / (SITES - BASELINE_SITES) as f64;
                out.metric(format!("compile.{fw}.loaded_bytes_per_callsite"), per_site_all, "bytes", better, config);
            }
            Err(e) => out.check(format!("compile cost: {fw}: {e}"), false),
        }
    }
    // The target (no slower than tracing) is judged on both builds.
    for build in ["clean_build", "crate_build"] {
        let t = out.value(&format!("compile.ttlog.{build}_s"));
        let tr = out.value(&format!("compile.tracing.{build}_s"));
        if let (Some(t), Some(tr)) = (t, tr) {
            out.metric(format!("compile.ttlog_over_tracing.{build}"), t / tr, "x", Better::Lower, "same run");
        }
    }
    out
}

struct Result {
    clean: Duration,
    incremental: Duration,
    text_sites: u64,
    text_base: u64,
    alloc_sites: u64,
    alloc_base: u64,
}

fn measure(cargo: &Path, workspace: &Path, dir: &Path, fw: &str) -> std::result::Result<Result, String> {
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir.join("src")).map_err(|e| format!("create {}: {e}", dir.display()))?;
    let write =
        |path: PathBuf, text: String| std::fs::write(&path, text).map_err(|e| format!("write {}: {e}", path.display()));
    write(dir.join("Cargo.toml"), manifest(workspace, fw)?)?;
    write(dir.join("src").join(format!("sites{SITES}.rs")), source(fw, SITES))?;
    write(dir.join("src").join(format!("sites{BASELINE_SITES}.rs")), source(fw, BASELINE_SITES))?;
    std::fs::copy(workspace.join("Cargo.lock"), dir.join("Cargo.lock")).map_err(|e| format!("copy Cargo.lock: {e}"))?;
    let target = dir.join("target");

    let build = |bin: &str| -> std::result::Result<Duration, String> {
        let mut last_err = String::new();
        for offline in [true, false] {
            let mut cmd = Command::new(cargo);
            cmd.current_dir(dir)
                .args(["build", "--release", "--quiet", "--bin", bin])
                .env("CARGO_TARGET_DIR", &target)
                .env_remove("CARGO_BUILD_TARGET_DIR");
            // These crates stand for users' builds: not the loop alignment of
            // the workspace's `.cargo/config.toml`, which Cargo would find
            // from this directory. (An empty CARGO_ENCODED_RUSTFLAGS means no
            // flags; flags the caller gives in the environment still apply.)
            if std::env::var_os("RUSTFLAGS").is_none() && std::env::var_os("CARGO_ENCODED_RUSTFLAGS").is_none() {
                cmd.env("CARGO_ENCODED_RUSTFLAGS", "");
            }
            if offline {
                cmd.arg("--offline");
            }
            let t0 = Instant::now();
            let o = cmd.output().map_err(|e| format!("run cargo: {e}"))?;
            let t = t0.elapsed();
            if o.status.success() {
                return Ok(t);
            }
            last_err = String::from_utf8_lossy(&o.stderr).lines().take(20).collect::<Vec<_>>().join("\n");
        }
        Err(format!("cargo build --bin {bin} failed:\n{last_err}"))
    };
    let sites_bin = format!("sites{SITES}");
    let base_bin = format!("sites{BASELINE_SITES}");
    let clean = build(&sites_bin)?;
    // The crate alone: its dependencies are built; touch the source.
    let src = dir.join("src").join(format!("{sites_bin}.rs"));
    let text = std::fs::read_to_string(&src).map_err(|e| e.to_string())?;
    std::fs::write(&src, format!("{text}\n// touched\n")).map_err(|e| e.to_string())?;
    let incremental = build(&sites_bin)?;
    build(&base_bin)?;
    let exe = |b: &str| target.join("release").join(b);
    let (text_sites, alloc_sites) = elf_sizes(&exe(&sites_bin))?;
    let (text_base, alloc_base) = elf_sizes(&exe(&base_bin))?;
    Ok(Result { clean, incremental, text_sites, text_base, alloc_sites, alloc_base })
}

fn manifest(workspace: &Path, fw: &str) -> std::result::Result<String, String> {
    let dep = match fw {
        "ttlog" => format!("ttlog = {{ path = {:?} }}", workspace.join("ttlog").display().to_string()),
        "ttlog-bridges" => format!(
            "ttlog = {{ path = {:?}, features = [\"log-kv\", \"tracing\"] }}",
            workspace.join("ttlog").display().to_string()
        ),
        // The features the benchmarks use: no tracing-attributes (syn 2).
        "tracing" => "tracing = { version = \"0.1\", default-features = false, features = [\"std\"] }".to_owned(),
        "log" => "log = { version = \"0.4\", features = [\"std\"] }".to_owned(),
        other => return Err(format!("unknown framework {other}")),
    };
    Ok(format!(
        "# Generated by `report --compile-cost`; not part of the ttlog workspace.\n\
         [package]\nname = \"compile-cost-{fw}\"\nversion = \"0.0.0\"\nedition = \"2024\"\npublish = false\n\n\
         [workspace]\n\n[dependencies]\n{dep}\n\n\
         [[bin]]\nname = \"sites{SITES}\"\npath = \"src/sites{SITES}.rs\"\n\n\
         [[bin]]\nname = \"sites{BASELINE_SITES}\"\npath = \"src/sites{BASELINE_SITES}.rs\"\n"
    ))
}

/// A binary with `sites` callsites, ten per function, every function called
/// from `main` with values the compiler cannot know.
pub fn source(fw: &str, sites: usize) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "// Generated by `report --compile-cost`: {sites} {fw} callsites.");
    let _ = writeln!(s, "use {}::info;\n", krate(fw));
    s.push_str(
        "#[derive(Debug)]\n#[allow(dead_code)]\nstruct Peer { host: &'static str, port: u16 }\n\n\
         struct Args { n: u64, i: i32, s: &'static str, f: f64, u: u32, b: bool, c: char, l: i64, p: Peer }\n\n",
    );
    let groups = sites.div_ceil(10);
    for g in 0..groups {
        let _ = writeln!(s, "#[inline(never)]\nfn group_{g}(a: &Args) {{");
        for k in 0..10 {
            let i = g * 10 + k;
            if i >= sites {
                break;
            }
            let call = match i % 8 {
                0 => format!("info!(\"site {i}: static message\");"),
                1 => format!("info!(\"site {i}: value {{}}\", a.n);"),
                2 => format!("info!(\"site {i}: {{}} items from {{}}\", a.i, a.s);"),
                3 => format!("info!(\"site {i}: ratio {{:.3}}\", a.f);"),
                4 => format!("info!(\"site {i}: {{}} bytes in {{}} ms, cached {{}}\", a.n, a.u, a.b);"),
                5 => format!("info!(\"site {i}: user {{}}\", a.s);"),
                6 => format!("info!(\"site {i}: {{}} {{}}\", a.c, a.l);"),
                _ => format!("info!(\"site {i}: peer {{:?}}\", a.p);"),
            };
            let _ = writeln!(s, "    {call}");
        }
        s.push_str("}\n\n");
    }
    s.push_str(
        "fn main() {\n    let k = std::env::args().count();\n    let a = Args { n: k as u64, i: k as i32, s: \"db-1\", \
         f: k as f64 / 3.0, u: k as u32, b: k > 1, c: 'x', l: -(k as i64), p: Peer { host: \"db-1\", port: k as u16 } };\n",
    );
    for g in 0..groups {
        let _ = writeln!(s, "    group_{g}(&a);");
    }
    s.push_str("}\n");
    s
}

/// The crate a framework's generated code names.
fn krate(fw: &str) -> &str {
    if fw.starts_with("ttlog") { "ttlog" } else { fw }
}

/// (`.text` size, size of all loaded sections with file contents) of an ELF
/// executable, from its section headers.
pub fn elf_sizes(path: &Path) -> std::result::Result<(u64, u64), String> {
    let b = std::fs::read(path).map_err(|e| format!("read {}: {e}", path.display()))?;
    let bad = || format!("{}: not a 64-bit little-endian ELF file", path.display());
    if b.len() < 64 || &b[..4] != b"\x7fELF" || b[4] != 2 || b[5] != 1 {
        return Err(bad());
    }
    let u16_at = |o: usize| b.get(o..o + 2).map(|s| u16::from_le_bytes([s[0], s[1]]) as u64);
    let u32_at = |o: usize| b.get(o..o + 4).map(|s| u32::from_le_bytes([s[0], s[1], s[2], s[3]]) as u64);
    let u64_at = |o: usize| b.get(o..o + 8).map(|s| u64::from_le_bytes(s.try_into().unwrap_or([0; 8])));
    let shoff = u64_at(0x28).ok_or_else(bad)? as usize;
    let shentsize = u16_at(0x3A).ok_or_else(bad)? as usize;
    let shnum = u16_at(0x3C).ok_or_else(bad)? as usize;
    let shstrndx = u16_at(0x3E).ok_or_else(bad)? as usize;
    let section = |i: usize| -> Option<(u64, u64, u64, u64, u64)> {
        let h = shoff + i * shentsize;
        // name, type, flags, offset, size
        Some((u32_at(h)?, u32_at(h + 4)?, u64_at(h + 8)?, u64_at(h + 24)?, u64_at(h + 32)?))
    };
    let (_, _, _, str_off, _) = section(shstrndx).ok_or_else(bad)?;
    let name = |off: u64| -> String {
        let start = (str_off + off) as usize;
        let end = b[start.min(b.len())..].iter().position(|&c| c == 0).map_or(b.len(), |p| start + p);
        String::from_utf8_lossy(&b[start.min(end)..end]).into_owned()
    };
    let (mut text, mut alloc) = (0, 0);
    for i in 0..shnum {
        let (n, ty, flags, _, size) = section(i).ok_or_else(bad)?;
        const SHF_ALLOC: u64 = 2;
        const SHT_NOBITS: u64 = 8;
        if flags & SHF_ALLOC != 0 && ty != SHT_NOBITS {
            alloc += size;
        }
        if name(n) == ".text" {
            text += size;
        }
    }
    Ok((text, alloc))
}

#[cfg(test)]
mod tests {
    #[test]
    fn reads_its_own_text_section() {
        let exe = std::env::current_exe().unwrap();
        let (text, alloc) = super::elf_sizes(&exe).unwrap();
        assert!(text > 1000 && alloc > text);
    }
}
