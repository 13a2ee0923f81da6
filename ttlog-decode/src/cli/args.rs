//! The command line: subcommands, their options, and what each means.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// Reads ttlog snapshot files: prints their events (all threads, all files,
/// merged in time order), counts them, shows their metadata, or summarises
/// one numeric argument.
///
/// Exit status: 0 success; 1 bad or damaged input (what was skipped and
/// where is reported on stderr); 2 bad command-line arguments.
#[derive(Parser, Debug)]
#[command(
    name = "ttlog-decode",
    version,
    about,
    args_conflicts_with_subcommands = true,
    subcommand_negates_reqs = true
)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) command: Option<Command>,
    /// Without a command: `print`.
    #[command(flatten)]
    pub(crate) print: PrintArgs,
}

#[derive(Subcommand, Debug)]
pub(crate) enum Command {
    /// Prints the events (the default command).
    Print(PrintArgs),
    /// Counts events by level, thread and callsite, without rendering any.
    Stats(StatsArgs),
    /// Shows the header, the callsite table and the thread table.
    Info(InfoArgs),
    /// Count, min, mean, p50, p90, p99 and max of one numeric argument.
    Agg(AggArgs),
    /// Writes the events for other tools: OpenTelemetry logs (OTLP/JSON) or
    /// a Perfetto timeline.
    Export(ExportArgs),
}

/// The input files.
#[derive(Args, Debug)]
pub(crate) struct Input {
    /// Snapshot files; `-` reads one from standard input.
    #[arg(required = true, value_name = "FILE")]
    pub(crate) files: Vec<PathBuf>,
}

/// Which events: every condition given must hold.
#[derive(Args, Debug, Default)]
pub(crate) struct Filters {
    /// Events of this level and the more severe ones (error, warn, info,
    /// debug, trace).
    #[arg(long, value_name = "LEVEL")]
    pub(crate) level: Option<ttlog_core::Level>,
    /// Events of this thread, by name or id (repeatable: any of them).
    #[arg(long, value_name = "NAME|ID")]
    pub(crate) thread: Vec<String>,
    /// Events whose target starts with this.
    #[arg(long, value_name = "PREFIX")]
    pub(crate) target: Option<String>,
    /// Events of the callsite at this source location (the file's path or
    /// its last components).
    #[arg(long, value_name = "FILE:LINE")]
    pub(crate) callsite: Option<ttlog_decode::filter::Location>,
    /// Events whose rendered message and fields match this regular
    /// expression.
    #[arg(long, value_name = "REGEX")]
    pub(crate) grep: Option<regex::Regex>,
    /// Events with an argument of this name whose value, as rendered, is
    /// this (repeatable: all of them).
    #[arg(long, value_name = "KEY=VALUE")]
    pub(crate) field: Vec<String>,
    /// Events at or after this time (RFC 3339, such as
    /// 2026-11-26T12:00:00Z or 2026-11-26T13:00:00.5+01:00).
    #[arg(long, value_name = "TIME", value_parser = super::time::parse_rfc3339)]
    pub(crate) since: Option<i128>,
    /// Events at or before this time (RFC 3339).
    #[arg(long, value_name = "TIME", value_parser = super::time::parse_rfc3339)]
    pub(crate) until: Option<i128>,
    /// Events of the last stretch of this length before the input's last
    /// event (such as 2s, 500ms, 1.5m, 1h).
    #[arg(long, value_name = "DURATION", value_parser = super::time::parse_duration)]
    pub(crate) last: Option<u64>,
}

/// When to colour the levels.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub(crate) enum Color {
    /// When standard output is a terminal and `NO_COLOR` is not set.
    #[default]
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

#[derive(Args, Debug)]
pub(crate) struct PrintArgs {
    #[command(flatten)]
    pub(crate) input: Input,
    #[command(flatten)]
    pub(crate) filters: Filters,
    /// One JSON object a line (JSON Lines) and nothing else on standard
    /// output; the schema is in README.md.
    #[arg(long)]
    pub(crate) json: bool,
    /// Colour the levels.
    #[arg(long, value_enum, value_name = "WHEN", default_value_t = Color::Auto)]
    pub(crate) color: Color,
    /// Print messages, names and fields as logged, control characters
    /// included (by default they are escaped as `{:?}` escapes them).
    #[arg(long)]
    pub(crate) raw: bool,
    /// Print, before the events, each snapshot's header and each thread's
    /// counts of recorded, overwritten, evicted and dropped events (with
    /// `--json`, as objects of kind "snapshot" and "thread").
    #[arg(long, short = 's')]
    pub(crate) summary: bool,
    /// Follow a continuous log as it is written, like `tail -f`: FILE is
    /// the path given to `log_file` (one file; not `-`). Prints the file
    /// written last of FILE and its rotated files (`STEM-TIME-N.EXT`
    /// beside it) from its start, or, when none exists yet, each from the
    /// first to appear; then each event once its frame is complete, going
    /// on to each next rotated file in turn, and to FILE again from its
    /// start when a new run replaces it. Older rotated files are not
    /// printed. Lines are those of `ttlog-decode FILE`, in the order the
    /// writer wrote them (each thread's in time order). Damage is reported
    /// on stderr and skipped. Runs until interrupted.
    #[arg(long, short = 'f')]
    pub(crate) follow: bool,
}

#[derive(Args, Debug)]
pub(crate) struct StatsArgs {
    #[command(flatten)]
    pub(crate) input: Input,
    #[command(flatten)]
    pub(crate) filters: Filters,
    /// How many callsites to list, the busiest first.
    #[arg(long, value_name = "N", default_value_t = 10)]
    pub(crate) top: usize,
    /// One JSON object, of kind "stats".
    #[arg(long)]
    pub(crate) json: bool,
    /// Print names as recorded, control characters included.
    #[arg(long)]
    pub(crate) raw: bool,
}

#[derive(Args, Debug)]
pub(crate) struct InfoArgs {
    #[command(flatten)]
    pub(crate) input: Input,
    /// Callsites of this level and the more severe ones.
    #[arg(long, value_name = "LEVEL")]
    pub(crate) level: Option<ttlog_core::Level>,
    /// Threads by name or id (repeatable).
    #[arg(long, value_name = "NAME|ID")]
    pub(crate) thread: Vec<String>,
    /// Callsites whose target starts with this.
    #[arg(long, value_name = "PREFIX")]
    pub(crate) target: Option<String>,
    /// The callsite at this source location.
    #[arg(long, value_name = "FILE:LINE")]
    pub(crate) callsite: Option<ttlog_decode::filter::Location>,
    /// JSON Lines: objects of kind "snapshot", "callsite" and "thread".
    #[arg(long)]
    pub(crate) json: bool,
    /// Print names as recorded, control characters included.
    #[arg(long)]
    pub(crate) raw: bool,
}

#[derive(Args, Debug)]
pub(crate) struct AggArgs {
    #[command(flatten)]
    pub(crate) input: Input,
    /// Which events: the same filters as `print`; a `--field NAME` without
    /// `=` names the argument to summarise instead.
    #[command(flatten)]
    pub(crate) filters: Filters,
    /// The argument to summarise, by position among the callsite's
    /// arguments (0 is the first); needs `--callsite`. Or `--field NAME`
    /// (a name without `=`): the argument of that name, of every callsite
    /// that has one.
    #[arg(long, value_name = "N")]
    pub(crate) arg: Option<usize>,
    /// One JSON object, of kind "agg".
    #[arg(long)]
    pub(crate) json: bool,
}

/// The formats of `export`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum ExportFormat {
    /// OTLP/JSON lines, one `LogsData` a line (the collector's
    /// `otlpjsonfile` receiver reads them).
    Otlp,
    /// Perfetto's protobuf trace; Chrome trace event JSON when the output
    /// name ends in `.json`.
    Perfetto,
    /// A Parquet table, a row per event with typed columns (one file per
    /// input when `-o` names a directory).
    #[cfg(feature = "parquet")]
    Parquet,
}

#[derive(Args, Debug)]
pub(crate) struct ExportArgs {
    #[command(flatten)]
    pub(crate) input: Input,
    #[command(flatten)]
    pub(crate) filters: Filters,
    /// The format.
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub(crate) format: ExportFormat,
    /// Where to write (standard output without it, or with `-`). With
    /// `--format parquet`, a directory (an existing one, or a name ending in
    /// `/`) gets one file per input, named after it.
    #[arg(long, short = 'o', value_name = "OUT")]
    pub(crate) output: Option<PathBuf>,
}
