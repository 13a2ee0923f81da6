//! Records how the report was built (compiler, profile, optimisation level,
//! rustc flags), so that the report can print it and refuse to run from an
//! unoptimised build.

use std::process::Command;

fn main() {
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".to_owned());
    let version = Command::new(&rustc)
        .arg("--version")
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_else(|| "unknown".to_owned());
    println!("cargo:rustc-env=BENCHES_RUSTC_VERSION={version}");
    for var in ["PROFILE", "OPT_LEVEL", "DEBUG", "TARGET"] {
        let v = std::env::var(var).unwrap_or_default();
        println!("cargo:rustc-env=BENCHES_{var}={v}");
    }
    // The flags rustc got (from `.cargo/config.toml` or the environment),
    // separated by spaces instead of cargo's 0x1f.
    let flags = std::env::var("CARGO_ENCODED_RUSTFLAGS").unwrap_or_default().replace('\x1f', " ");
    println!("cargo:rustc-env=BENCHES_RUSTFLAGS={flags}");
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=RUSTFLAGS");
    println!("cargo:rerun-if-env-changed=CARGO_ENCODED_RUSTFLAGS");
}
