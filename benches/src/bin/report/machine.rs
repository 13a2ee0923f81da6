//! What the numbers were measured on and with.

use serde_json::{Value, json};

/// The CPU model, cores, kernel, and whether it is a virtual machine.
pub fn machine() -> Value {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let field = |name: &str| {
        cpuinfo
            .lines()
            .find(|l| l.split(':').next().is_some_and(|k| k.trim() == name))
            .and_then(|l| l.split_once(':'))
            .map(|(_, v)| v.trim().to_owned())
    };
    let model = field("model name").unwrap_or_else(|| "unknown".to_owned());
    let flags = field("flags").unwrap_or_default();
    let flag = |f: &str| flags.split_whitespace().any(|x| x == f);
    let logical = cpuinfo.lines().filter(|l| l.starts_with("processor")).count();
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default().trim().to_owned();
    let mem_kib = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("MemTotal:")).map(|l| l.to_owned()))
        .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse::<u64>().ok()))
        .unwrap_or(0);
    json!({
        "cpu": model,
        "cores": cores,
        "logical_cpus": logical,
        "virtualised": flag("hypervisor"),
        "invariant_tsc": flag("constant_tsc") && flag("nonstop_tsc"),
        "memory_gib": (mem_kib as f64 / (1024.0 * 1024.0) * 10.0).round() / 10.0,
        "kernel": kernel,
        "default_clock": benches::clock_name(ttlog::Clock::default_for_this_machine()),
        "load_average": load_average(),
    })
}

/// How this binary was built.
pub fn build() -> Value {
    json!({
        "profile": env!("BENCHES_PROFILE"),
        "opt_level": env!("BENCHES_OPT_LEVEL"),
        "debug_assertions": cfg!(debug_assertions),
        "debuginfo": env!("BENCHES_DEBUG"),
        "rustc": env!("BENCHES_RUSTC_VERSION"),
        "target": env!("BENCHES_TARGET"),
        "rustflags": env!("BENCHES_RUSTFLAGS"),
        "ttlog": env!("CARGO_PKG_VERSION"),
    })
}

/// Whether this is an optimised build without debug assertions.
pub fn is_optimised() -> bool {
    !cfg!(debug_assertions) && !matches!(env!("BENCHES_OPT_LEVEL"), "0" | "")
}

/// Resident memory of this process now, from `/proc/self/status`, in bytes.
pub fn rss_bytes() -> u64 {
    status_kib("VmRSS:") * 1024
}

/// The most resident memory this process has had (the kernel's high-water
/// mark, `VmHWM` in `/proc/self/status`), in bytes.
pub fn peak_rss_bytes() -> u64 {
    status_kib("VmHWM:") * 1024
}

/// A field of `/proc/self/status` given in kB; 0 when it cannot be read.
fn status_kib(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse::<u64>().ok()))
        })
        .unwrap_or(0)
}

/// The 1, 5 and 15 minute load averages: how busy the machine was.
pub fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}
