//! The console: a continuous log rendered as text lines while it is written,
//! for development (`ttlog::Builder::console()`, `TTLOG_CONSOLE=1`).
//!
//! The log's writer thread hands a [`Console`] each chunk of bytes it writes
//! (the same bytes the log file gets). The console reads them with the
//! reader of [`follow::Tail`](crate::follow::Tail), a frame at a time as
//! frames become complete, and writes each event as the line `ttlog-decode`
//! prints for it ([`render::terminal::write_printed_line`](crate::render::terminal::write_printed_line):
//! control characters escaped, the level coloured when asked), all the lines
//! of one chunk in one write. Its memory does not grow with the log: it keeps
//! the metadata of the file being written, the calls open, and the bytes of a
//! frame not complete yet.
//!
//! The lines of one drain of the writer (a pass over every ring, every few
//! milliseconds; up to about 1 MiB of text) are put in time order, each
//! thread's kept in its order: a line appears after lines logged later only
//! when they were logged within about a drain of each other, on different
//! threads, and drained in different drains. As a [`Sink`], the console
//! writes at the end of each drain; [`Console::write`] writes the lines of
//! the bytes it is given. `ttlog-decode` on the finished file sorts them all
//! by time.
//!
//! ```
//! use ttlog_decode::console::Console;
//! # let dir = std::env::temp_dir().join(format!("ttlog-console-doc-{}", std::process::id()));
//! # std::fs::create_dir_all(&dir).unwrap();
//! # let path = dir.join("app.ttlog");
//! # ttlog::info!("one");
//! # ttlog::snapshot("doc").save(&path).unwrap();
//! let bytes = std::fs::read(&path)?; // a log file, or a snapshot
//! let mut console = Console::new(Vec::new(), false);
//! console.start_file();
//! for chunk in bytes.chunks(100) {
//!     console.write(chunk)?;
//! }
//! let text = String::from_utf8(console.into_inner()).unwrap();
//! assert!(text.ends_with(": one\n"));
//! # Ok::<(), std::io::Error>(())
//! ```

use crate::follow::Tail;
use crate::render::escape::escaped;
use crate::render::terminal::{colour_wanted, write_printed_line};
use std::io::{self, IsTerminal, Write};
use ttlog_core::console::{Colour, Sink};

/// Renders the bytes of a log as they are written, as text lines on `W`
/// (standard error for the log's console). See the [module](self).
pub struct Console<W: Write = io::Stderr> {
    out: W,
    colour: bool,
    /// The file being written, once it started.
    tail: Option<Tail>,
    /// The lines of one write.
    text: String,
    /// Where each line of `text` starts, with its sort key: the event's
    /// clock reading, raised to its thread's last key when the reading went
    /// back (so that a stable sort keeps each thread's order).
    order: Vec<(u64, usize)>,
    /// The last key of each thread seen in this write.
    last: std::collections::HashMap<u32, u64>,
    /// `text` in time order.
    sorted: String,
    scratch: String,
}

impl<W: Write> std::fmt::Debug for Console<W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Console").field("colour", &self.colour).field("tail", &self.tail).finish_non_exhaustive()
    }
}

impl Console {
    /// The console of a log: lines on standard error, coloured as `colour`
    /// says ([`Colour::Auto`]: when standard error is a terminal and
    /// `NO_COLOR` is unset or empty).
    pub fn stderr(colour: Colour) -> Console {
        let colour = match colour {
            Colour::Always => true,
            Colour::Never => false,
            Colour::Auto => colour_wanted(io::stderr().is_terminal()),
        };
        Console::new(io::stderr(), colour)
    }
}

impl<W: Write> Console<W> {
    /// A console that writes its lines to `out`, levels coloured if `colour`.
    pub fn new(out: W, colour: bool) -> Console<W> {
        Console {
            out,
            colour,
            tail: None,
            text: String::new(),
            order: Vec::new(),
            last: std::collections::HashMap::new(),
            sorted: String::new(),
            scratch: String::new(),
        }
    }

    /// A new file starts: the bytes that follow begin with its preamble.
    /// What is left of the file before (nothing, when it ended with its END
    /// frame) is read as a finished file first.
    pub fn start_file(&mut self) {
        if let Some(mut tail) = self.tail.take() {
            tail.end_of_input();
            self.render(&mut tail);
            let _ = self.emit();
        }
        self.tail = Some(Tail::in_memory());
    }

    /// Appends `bytes` to the file being written and writes the lines of the
    /// events they complete, in time order, in one write. Bytes before the first
    /// [`Console::start_file`] start a file.
    pub fn write(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.feed(bytes);
        self.emit()
    }

    /// Appends `bytes` and renders the events they complete into the text
    /// not written yet.
    fn feed(&mut self, bytes: &[u8]) {
        let mut tail = self.tail.take().unwrap_or_else(Tail::in_memory);
        tail.push(bytes);
        self.render(&mut tail);
        tail.discard_read();
        self.tail = Some(tail);
    }

    /// The lines of the events `tail` has now, and its problems.
    fn render(&mut self, tail: &mut Tail) {
        while let Some((snap, e)) = tail.next_event() {
            let last = self.last.entry(e.thread).or_insert(0);
            *last = (*last).max(e.ticks);
            self.order.push((*last, self.text.len()));
            write_printed_line(&mut self.text, &mut self.scratch, snap, e, false, self.colour);
            self.text.push('\n');
        }
        for p in tail.take_problems() {
            // After the events of the write.
            self.order.push((u64::MAX, self.text.len()));
            self.text.push_str("ttlog: console: ");
            self.text.push_str(&escaped(&p.to_string()));
            self.text.push('\n');
        }
    }

    /// Writes the lines rendered so far, in time order.
    fn emit(&mut self) -> io::Result<()> {
        if self.text.is_empty() {
            return Ok(());
        }
        let text = if self.order.windows(2).all(|w| w[0].0 <= w[1].0) {
            &self.text
        } else {
            let mut lines: Vec<(u64, usize, usize)> = Vec::with_capacity(self.order.len());
            for (i, &(key, start)) in self.order.iter().enumerate() {
                let end = self.order.get(i + 1).map_or(self.text.len(), |n| n.1);
                lines.push((key, start, end));
            }
            // Stable: lines of one key (each thread's, at least) keep their order.
            lines.sort_by_key(|l| l.0);
            self.sorted.clear();
            for (_, start, end) in lines {
                self.sorted.push_str(&self.text[start..end]);
            }
            &self.sorted
        };
        let r = self.out.write_all(text.as_bytes()).and_then(|()| self.out.flush());
        self.text.clear();
        self.order.clear();
        self.last.clear();
        r
    }

    /// The writer of the lines.
    pub fn into_inner(self) -> W {
        self.out
    }
}

impl<W: Write + Send> Sink for Console<W> {
    fn start_file(&mut self) {
        Console::start_file(self);
    }

    fn write(&mut self, parts: &[&[u8]]) {
        for p in parts {
            self.feed(p);
        }
        if self.text.len() >= HELD_TEXT {
            // A console that cannot write has nowhere to say so.
            let _ = self.emit();
        }
    }

    fn end_drain(&mut self) {
        let _ = self.emit();
    }
}

/// Text of one drain held for sorting, at most (about): past it, the lines
/// rendered so far are written, sorted among themselves.
const HELD_TEXT: usize = 1 << 20;

/// The console of a log, as a sink of its writer: what `ttlog`'s `console`
/// feature submits as its [`Factory`](ttlog_core::console::Factory).
pub fn make(colour: Colour) -> Box<dyn Sink> {
    Box::new(Console::stderr(colour))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Rng;
    use ttlog_core::wire;

    /// A snapshot's bytes: a few threads' events, `#[ttlog]`-free.
    fn log_bytes() -> Vec<u8> {
        let hs: Vec<_> = (0..3u64)
            .map(|t| {
                std::thread::spawn(move || {
                    for i in 0..200u64 {
                        ttlog::info!("console unit {} of {}", i, t, note = "a\tb");
                    }
                })
            })
            .collect();
        for h in hs {
            h.join().unwrap();
        }
        ttlog::snapshot("unit").to_bytes()
    }

    /// The largest frame of `bytes`, header included.
    fn largest_frame(bytes: &[u8]) -> usize {
        let mut at = wire::PREAMBLE_LEN;
        let mut largest = 0;
        while at + wire::FRAME_HEADER_LEN <= bytes.len() {
            let len = u32::from_le_bytes(bytes[at + 5..at + 9].try_into().unwrap()) as usize;
            largest = largest.max(wire::FRAME_HEADER_LEN + len);
            at += wire::FRAME_HEADER_LEN + len;
        }
        assert_eq!(at, bytes.len(), "whole frames");
        largest
    }

    fn render(bytes: &[u8], cuts: impl Iterator<Item = usize>, bound: usize) -> String {
        let mut c = Console::new(Vec::new(), false);
        c.start_file();
        let mut at = 0;
        for len in cuts {
            let to = (at + len).min(bytes.len());
            c.write(&bytes[at..to]).unwrap();
            let kept = c.tail.as_ref().unwrap().kept();
            assert!(kept <= bound, "{kept} bytes kept at byte {to}: more than a frame ({bound})");
            at = to;
            if at == bytes.len() {
                break;
            }
        }
        String::from_utf8(c.into_inner()).unwrap()
    }

    #[test]
    fn as_the_writers_sink_the_lines_of_a_drain_come_in_time_order() {
        let bytes = log_bytes();
        let whole = render(&bytes, std::iter::once(bytes.len()), bytes.len());
        // A drain's writes: the preamble, then a frame at a time (the
        // writer writes a chunk of one ring at a time).
        let mut c = Console::new(Vec::new(), false);
        Sink::start_file(&mut c);
        let mut at = wire::PREAMBLE_LEN;
        Sink::write(&mut c, &[&bytes[..at]]);
        let mut writes = 0;
        while at < bytes.len() {
            let len = u32::from_le_bytes(bytes[at + 5..at + 9].try_into().unwrap()) as usize;
            let end = at + wire::FRAME_HEADER_LEN + len;
            Sink::write(&mut c, &[&bytes[at..end]]);
            writes += 1;
            at = end;
        }
        assert!(writes > 3, "{writes} frames");
        assert!(c.out.is_empty(), "nothing written before the drain ends");
        Sink::end_drain(&mut c);
        assert_eq!(String::from_utf8(c.into_inner()).unwrap(), whole);
    }

    #[test]
    fn any_split_of_the_bytes_gives_the_lines_of_the_whole_in_bounded_memory_each_write_in_time_order() {
        let bytes = log_bytes();
        let bound = largest_frame(&bytes);
        let whole = render(&bytes, std::iter::once(bytes.len()), bytes.len());
        assert!(whole.lines().filter(|l| l.contains("console unit")).count() >= 600, "{whole}");
        // What ttlog-decode prints: the same lines (the snapshot has one
        // EVENTS frame a thread, so the console's order is not the time order).
        let snap = crate::from_bytes(&bytes).unwrap();
        let mut printed: Vec<String> = snap
            .events
            .iter()
            .map(|e| {
                let (mut s, mut scratch) = (String::new(), String::new());
                write_printed_line(&mut s, &mut scratch, &snap, e, false, false);
                s
            })
            .collect();
        let mut got: Vec<String> = whole.lines().map(str::to_owned).collect();
        // One write: in time order (the RFC 3339 times sort as text).
        let time = |l: &str| l[..l.find(' ').unwrap()].to_owned();
        assert!(got.windows(2).all(|w| time(&w[0]) <= time(&w[1])), "time order");
        printed.sort();
        got.sort();
        assert_eq!(got, printed);
        assert!(whole.contains(r"note=a\tb"), "escaped");
        // Smaller writes: the same lines, each thread's in the same order,
        // each write's in time order.
        let same = |split: &str, what: &str| {
            let threads = |s: &str| {
                let mut by: std::collections::BTreeMap<String, Vec<String>> = Default::default();
                for l in s.lines() {
                    let t = &l[l.find(" [").unwrap()..l.find(']').unwrap()];
                    by.entry(t.to_owned()).or_default().push(l.to_owned());
                }
                by
            };
            assert_eq!(threads(split), threads(&whole), "{what}");
        };
        same(&render(&bytes, std::iter::repeat(1), bound), "a byte at a time");
        let mut rng = Rng::new(0x5eed_c0de);
        for round in 0..12 {
            let max = [16, 300, 4096, 70_000][round % 4];
            let cuts: Vec<usize> = (0..bytes.len()).map(|_| 1 + rng.index(max)).collect();
            same(&render(&bytes, cuts.into_iter(), bound + max), &format!("round {round}"));
        }
    }
}
