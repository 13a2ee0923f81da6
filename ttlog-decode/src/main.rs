//! `ttlog-decode`: prints, counts and summarises the events of ttlog
//! snapshots (see `ttlog-decode --help` and the `cli` module).
//!
//! Exit status: 0 success; 1 when a file could not be read as a snapshot, or
//! was damaged (its intact events are still used, and what was skipped is
//! reported on stderr); 2 for bad command-line arguments.

mod cli;

fn main() -> std::process::ExitCode {
    cli::main()
}
