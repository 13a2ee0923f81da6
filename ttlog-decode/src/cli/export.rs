//! `export`: the events, as the filters keep them, written for other tools
//! by the library's [`export`](ttlog_decode::export) sinks, an input at a
//! time and streamed (bounded memory, whatever the inputs' sizes).

use super::args::{ExportArgs, ExportFormat};
use super::{Outcome, select, text};
use indicatif::{ProgressBar, ProgressStyle};
use std::io::{self, IsTerminal, Read, Seek, Write};
use std::path::{Path, PathBuf};
use ttlog_decode::export::perfetto::{ChromeJson, Perfetto, async_calls};
use ttlog_decode::export::{self, Sink, otlp::Otlp};
use ttlog_decode::filter::{Compiled, Filter};
use ttlog_decode::stream::Stream;

/// An input that reads and seeks.
trait ReadSeek: Read + Seek {}
impl<T: Read + Seek> ReadSeek for T {}

/// An input: a file, or standard input read whole.
enum Source {
    File(PathBuf),
    Bytes(Vec<u8>),
}

impl Source {
    fn open(&self) -> Result<Stream<Box<dyn ReadSeek + '_>>, ttlog_decode::Error> {
        match self {
            Source::File(p) => {
                let f = std::fs::File::open(p).map_err(ttlog_decode::Error::Io)?;
                Stream::new(Box::new(io::BufReader::with_capacity(1 << 16, f)) as Box<dyn ReadSeek>)
            }
            Source::Bytes(b) => Stream::new(Box::new(io::Cursor::new(b.as_slice())) as Box<dyn ReadSeek>),
        }
    }
}

/// An input with more events than this shows a progress bar (on a terminal).
const LONG_EVENTS: u64 = 1 << 20;

fn progress(events: u64, name: &str) -> ProgressBar {
    if events < LONG_EVENTS || !io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(events);
    if let Ok(style) = ProgressStyle::with_template("{msg} [{bar:40}] {human_pos}/{human_len} events ({eta})") {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_message(format!("exporting {name}"));
    bar
}

/// Where the output goes.
enum Output {
    Stdout,
    File(PathBuf),
}

fn output_of(a: &ExportArgs) -> Output {
    match &a.output {
        None => Output::Stdout,
        Some(p) if p == Path::new("-") => Output::Stdout,
        Some(p) => Output::File(p.clone()),
    }
}

pub(crate) fn run(a: &ExportArgs, stdout: &mut impl Write) -> io::Result<Outcome> {
    let (mut filter, bare) = match select::filter_of(&a.filters) {
        Ok(f) => f,
        Err(why) => return Ok(Outcome::Usage(why)),
    };
    if let Some(name) = bare {
        return Ok(Outcome::Usage(format!("`--field {name}`: expected `KEY=VALUE` (a bare name is for `agg`)")));
    }
    let output = output_of(a);
    let json = matches!(&output, Output::File(p) if p.extension().is_some_and(|x| x.eq_ignore_ascii_case("json")));
    #[cfg(feature = "parquet")]
    let binary = matches!(a.format, ExportFormat::Perfetto | ExportFormat::Parquet) && !json;
    #[cfg(not(feature = "parquet"))]
    let binary = a.format == ExportFormat::Perfetto && !json;
    if matches!(output, Output::Stdout) && binary && io::stdout().is_terminal() {
        return Ok(Outcome::Usage("the output is binary: give `-o OUT` or redirect standard output".into()));
    }
    let mut ok = true;
    let mut sources = Vec::new();
    for path in &a.input.files {
        if path == Path::new("-") {
            let mut bytes = Vec::new();
            io::stdin().lock().read_to_end(&mut bytes)?;
            sources.push(("<stdin>".to_owned(), Source::Bytes(bytes)));
        } else {
            sources.push((path.display().to_string(), Source::File(path.clone())));
        }
    }
    if let Some(d) = a.filters.last {
        // The inputs' end, their latest time: a first pass.
        let end = sources.iter().filter_map(|(_, s)| last_time(s)).max();
        if let Some(end) = end {
            let from = end - i128::from(d);
            filter.since = Some(filter.since.map_or(from, |s| s.max(from)));
        }
    }
    #[cfg(feature = "parquet")]
    if a.format == ExportFormat::Parquet {
        return parquet::run(a, &sources, &filter, &output, stdout);
    }
    let mut file;
    let out: &mut dyn Write = match &output {
        Output::File(p) => {
            file = io::BufWriter::with_capacity(1 << 16, std::fs::File::create(p)?);
            &mut file
        }
        _ => stdout,
    };
    let mut sink = match a.format {
        ExportFormat::Otlp => AnySink::Otlp(Otlp::new(&mut *out)),
        ExportFormat::Perfetto if json => AnySink::Json(ChromeJson::new(&mut *out)),
        ExportFormat::Perfetto => AnySink::Perfetto(Perfetto::new(&mut *out)),
        #[cfg(feature = "parquet")]
        ExportFormat::Parquet => unreachable!("exported above"),
    };
    for (name, source) in &sources {
        let shown = text(name, false).into_owned();
        ok &= export_one(a, &shown, source, &filter, &mut sink, true)?;
    }
    sink.sink().finish()?;
    drop(sink);
    out.flush()?;
    Ok(if ok { Outcome::Done } else { Outcome::BadInput })
}

/// The sink of the chosen format.
enum AnySink<'w> {
    Otlp(Otlp<&'w mut dyn Write>),
    Perfetto(Perfetto<&'w mut dyn Write>),
    Json(ChromeJson<&'w mut dyn Write>),
    /// Any other sink that does not draw calls.
    #[cfg_attr(not(feature = "parquet"), allow(dead_code))]
    Table(&'w mut dyn Sink),
}

impl AnySink<'_> {
    fn sink(&mut self) -> &mut dyn Sink {
        match self {
            AnySink::Otlp(s) => s,
            AnySink::Perfetto(s) => s,
            AnySink::Json(s) => s,
            AnySink::Table(s) => *s,
        }
    }

    /// Whether it draws calls, and wants to know which are async.
    fn timeline(&self) -> bool {
        matches!(self, AnySink::Perfetto(_) | AnySink::Json(_))
    }

    fn set_async_calls(&mut self, ids: std::collections::HashSet<u64>) {
        match self {
            AnySink::Otlp(_) | AnySink::Table(_) => {}
            AnySink::Perfetto(s) => s.set_async_calls(ids),
            AnySink::Json(s) => s.set_async_calls(ids),
        }
    }
}

/// The latest time of an input's events.
fn last_time(source: &Source) -> Option<i128> {
    let mut stream = source.open().ok()?;
    let mut end = None;
    while let Some((snap, e)) = stream.next_event() {
        end = end.max(snap.unix_nanos(e));
    }
    end
}

/// Exports one input; false when it is damaged or cannot be read (said on
/// stderr when `tell`).
fn export_one(
    a: &ExportArgs,
    shown: &str,
    source: &Source,
    filter: &Filter,
    sink: &mut AnySink<'_>,
    tell: bool,
) -> io::Result<bool> {
    let open = || match source.open() {
        Ok(s) => Some(s),
        Err(e) => {
            if tell {
                eprintln!("ttlog-decode: {shown}: {}", text(&e.to_string(), false));
            }
            None
        }
    };
    let Some(mut stream) = open() else { return Ok(false) };
    if sink.timeline() && stream.has_calls() {
        // Which calls move between threads: a first pass.
        sink.set_async_calls(async_calls(&mut stream));
        let Some(again) = open() else { return Ok(false) };
        stream = again;
    }
    if stream.has_drops() && tell {
        eprintln!("ttlog-decode: {shown}: a continuous log's markers of lost events are not exported");
    }
    let bar = progress(stream.metadata().end.map_or(0, |e| e.events), shown);
    let everything = filter.is_empty() && a.filters.grep.is_none();
    let mut compiled: Option<(usize, Compiled<'_>)> = None;
    let mut scratch = String::new();
    let mut seen = 0u64;
    let result = export::run(&mut stream, sink.sink(), |snap, e, time| {
        seen += 1;
        if seen.is_multiple_of(65536) {
            bar.inc(65536);
        }
        if everything {
            return true;
        }
        if compiled.as_ref().is_none_or(|(n, _)| *n != snap.callsites.len()) {
            // Compiled again when ring records add callsites to the table.
            compiled = Some((snap.callsites.len(), filter.compile(snap)));
        }
        compiled.as_ref().is_some_and(|(_, c)| c.matches(snap, e, time))
            && a.filters.grep.as_ref().is_none_or(|re| select::grep(re, snap, e, &mut scratch))
    });
    bar.finish_and_clear();
    result?;
    let problems = stream.problems();
    for p in problems.iter().filter(|_| tell) {
        eprintln!("ttlog-decode: {shown}: {}", text(&p.to_string(), false));
    }
    Ok(problems.is_empty())
}

/// `--format parquet`: a first pass finds the argument columns of the
/// events the filters keep, the second writes them.
#[cfg(feature = "parquet")]
mod parquet {
    use super::*;
    use ttlog_decode::export::parquet::{ArgColumns, Parquet};
    use ttlog_decode::snapshot::{Event, Snapshot};

    /// The first pass's sink: it notes the columns the events need.
    struct Scan<'c>(&'c mut ArgColumns);

    impl Sink for Scan<'_> {
        fn begin(&mut self, _meta: &Snapshot) -> io::Result<()> {
            self.0.next_input();
            Ok(())
        }
        fn event(&mut self, snap: &Snapshot, e: &Event) -> io::Result<()> {
            self.0.add(snap, e);
            Ok(())
        }
        fn end(&mut self, _meta: &Snapshot) -> io::Result<()> {
            Ok(())
        }
        fn finish(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    /// Where a directory output puts the file of the input named `name`.
    fn file_in(dir: &Path, name: &str, n: usize, taken: &mut std::collections::HashSet<PathBuf>) -> PathBuf {
        let stem = Path::new(name).file_stem().map_or_else(|| "stdin".into(), |s| s.to_string_lossy().into_owned());
        let stem = if name == "<stdin>" { "stdin".to_owned() } else { stem };
        let mut path = dir.join(format!("{stem}.parquet"));
        if taken.contains(&path) {
            path = dir.join(format!("{stem}-{n}.parquet"));
        }
        taken.insert(path.clone());
        path
    }

    /// Writes `sources` (all of them, or only `sources[only]`) to `out`.
    fn write<W: Write + Send>(
        a: &ExportArgs,
        sources: &[(String, Source)],
        filter: &Filter,
        out: W,
    ) -> io::Result<(bool, W)> {
        let mut columns = ArgColumns::default();
        for (name, source) in sources {
            let shown = text(name, false).into_owned();
            export_one(a, &shown, source, filter, &mut AnySink::Table(&mut Scan(&mut columns)), false)?;
        }
        let mut sink = Parquet::new(out, &columns)?;
        let mut ok = true;
        for (name, source) in sources {
            let shown = text(name, false).into_owned();
            ok &= export_one(a, &shown, source, filter, &mut AnySink::Table(&mut sink), true)?;
        }
        sink.finish()?;
        let out = sink.into_inner().ok_or_else(|| io::Error::other("the Parquet file was not finished"))?;
        Ok((ok, out))
    }

    pub(super) fn run(
        a: &ExportArgs,
        sources: &[(String, Source)],
        filter: &Filter,
        output: &Output,
        stdout: &mut impl Write,
    ) -> io::Result<Outcome> {
        let create = |p: &Path| std::fs::File::create(p).map(|f| io::BufWriter::with_capacity(1 << 16, f));
        let ok = match output {
            Output::Stdout => {
                // The writer must be `Send`: standard output itself, not the
                // lock the caller holds (it is reentrant, and nothing was
                // written through it yet).
                stdout.flush()?;
                let (ok, mut out) = write(a, sources, filter, io::BufWriter::with_capacity(1 << 16, io::stdout()))?;
                out.flush()?;
                ok
            }
            Output::File(p) if is_dir(p) => {
                std::fs::create_dir_all(p)?;
                let mut taken = std::collections::HashSet::new();
                let mut ok = true;
                for (n, one) in sources.iter().enumerate() {
                    let path = file_in(p, &one.0, n + 1, &mut taken);
                    let (good, mut out) = write(a, std::slice::from_ref(one), filter, create(&path)?)?;
                    out.flush()?;
                    ok &= good;
                }
                ok
            }
            Output::File(p) => {
                let (ok, mut out) = write(a, sources, filter, create(p)?)?;
                out.flush()?;
                ok
            }
        };
        Ok(if ok { Outcome::Done } else { Outcome::BadInput })
    }

    /// Whether `-o` names a directory: an existing one, or a name ending in
    /// a slash.
    fn is_dir(p: &Path) -> bool {
        p.is_dir() || p.as_os_str().to_string_lossy().ends_with(std::path::MAIN_SEPARATOR)
    }
}
