//! The console's side of the continuous writer: where the writer hands the
//! bytes it writes to whatever renders them as text while the program runs.
//!
//! This crate renders nothing. The writer hands a [`Sink`] the bytes of the
//! log exactly as it writes them to the file (or as it would, with no file):
//! [`Sink::start_file`] where a file begins (its preamble comes next),
//! [`Sink::write`] once per write, with the parts written (a chunk of a
//! ring's events and the metadata they use, a file's first frames, its END
//! frame), and [`Sink::end_drain`] when a drain of every ring is over. What renders
//! them is `ttlog_decode::console::Console`, with the reader and text
//! renderer that `ttlog-decode` prints with; the `console` feature of the
//! `ttlog` crate submits its [`Factory`] through `inventory`, and the writer
//! takes the first factory it finds when it starts with a console. A program
//! does not call anything here.

/// Receives the log's bytes on the writer thread, as they are written.
pub trait Sink: Send {
    /// A new file starts: the bytes that follow are a new file's, from its
    /// preamble on (the first file, and each file a rotation opens).
    fn start_file(&mut self);
    /// The writer wrote `parts`, one after the other: the sink renders the
    /// events they complete (the writer calls this for every write, several
    /// per drain: a chunk of a ring at a time).
    fn write(&mut self, parts: &[&[u8]]);
    /// A drain of every ring is over: the sink shows what it rendered since
    /// the last one (the console puts the lines of a drain in time order).
    fn end_drain(&mut self);
}

/// How the console colours the levels of its lines.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Colour {
    /// When standard error is a terminal and `NO_COLOR` is unset or empty.
    #[default]
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

/// What makes the console's sink: submitted once, through `inventory`, by the
/// crate that renders (`ttlog`'s `console` feature).
#[derive(Debug)]
pub struct Factory(pub fn(Colour) -> Box<dyn Sink>);

inventory::collect!(Factory);

/// A new sink, if a renderer is linked into the program.
pub(crate) fn make(colour: Colour) -> Option<Box<dyn Sink>> {
    inventory::iter::<Factory>.into_iter().next().map(|f| (f.0)(colour))
}

/// The line that says a console was asked for in a program built without
/// the renderer.
pub(crate) const MISSING: &str = "this program's ttlog was built without its `console` feature, so events \
     cannot be shown on stderr; enable it in Cargo.toml: ttlog = { version = \"0.2\", features = [\"console\"] }";
