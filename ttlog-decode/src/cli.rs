//! The `ttlog-decode` command: reads the arguments, the input files, and
//! hands the events to one of the commands. All decoding, filtering,
//! merging and counting is the library's; this prints.
//!
//! - [`args`]: the command line.
//! - [`input`]: reading the files (or standard input) and reporting damage.
//! - [`select`]: the events the filters keep, of all files merged.
//! - [`follow`]: `print --follow`, a log as it is written.
//! - [`print`], [`stats`], [`info`], [`agg`], [`export`]: the commands.

mod agg;
mod args;
mod export;
mod follow;
mod info;
mod input;
mod print;
mod select;
mod stats;
mod time;

use args::{Cli, Command};
use clap::Parser;
use std::io::{self, Write};
use std::process::ExitCode;

/// How a command ended.
pub(crate) enum Outcome {
    /// Everything was read and written.
    Done,
    /// Some input was bad or damaged (reported on stderr already).
    BadInput,
    /// The arguments make no sense together (the message says why).
    Usage(String),
}

/// Runs the command line.
pub(crate) fn main() -> ExitCode {
    let cli = Cli::parse();
    let stdout = io::stdout();
    let mut out = io::BufWriter::with_capacity(1 << 16, stdout.lock());
    let result = match cli.command {
        None => print::run(&cli.print, &mut out),
        Some(Command::Print(a)) => print::run(&a, &mut out),
        Some(Command::Stats(a)) => stats::run(&a, &mut out),
        Some(Command::Info(a)) => info::run(&a, &mut out),
        Some(Command::Agg(a)) => agg::run(&a, &mut out),
        Some(Command::Export(a)) => export::run(&a, &mut out),
    };
    let flushed = out.flush();
    match result {
        // A reader that went away (a closed pipe) is not an error.
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ttlog-decode: cannot write the output: {e}");
            ExitCode::from(1)
        }
        Ok(_) if flushed.as_ref().is_err_and(|e| e.kind() != io::ErrorKind::BrokenPipe) => {
            eprintln!("ttlog-decode: cannot write the output: {}", flushed.unwrap_err());
            ExitCode::from(1)
        }
        Ok(Outcome::Done) => ExitCode::SUCCESS,
        Ok(Outcome::BadInput) => ExitCode::from(1),
        Ok(Outcome::Usage(why)) => {
            eprintln!("error: {why}\n\nFor more information, try '--help'.");
            ExitCode::from(2)
        }
    }
}

/// Appends `s`, escaped unless `raw`.
pub(crate) fn push_text(out: &mut String, s: &str, raw: bool) {
    if raw {
        out.push_str(s);
    } else {
        ttlog_decode::render::escape::push_escaped(out, s);
    }
}

/// `s`, escaped unless `raw`.
pub(crate) fn text(s: &str, raw: bool) -> std::borrow::Cow<'_, str> {
    if raw { s.into() } else { ttlog_decode::render::escape::escaped(s) }
}

/// Writes `line` and a newline.
pub(crate) fn write_line(out: &mut impl Write, line: &str) -> io::Result<()> {
    out.write_all(line.as_bytes())?;
    out.write_all(b"\n")
}
