//! Text lines as `ttlog-decode` prints them: control characters escaped
//! ([`escape`](super::escape)), the level coloured when asked. The command's
//! `print`, `--follow` and the console ([`crate::console`]) write their lines
//! with these.

use super::escape::push_escaped;
use super::line::write_text_line_at;
use crate::snapshot::{Event, Snapshot};

/// Whether to colour a stream that is a terminal or not: as `--color auto`
/// decides, colours on a terminal unless `NO_COLOR` is set to something
/// other than the empty string (<https://no-color.org>).
pub fn colour_wanted(is_terminal: bool) -> bool {
    is_terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// The SGR sequence that colours a level's name.
fn level_colour(level: &str) -> Option<&'static str> {
    Some(match level {
        "ERROR" => "\x1b[1;31m",
        "WARN" => "\x1b[33m",
        "INFO" => "\x1b[32m",
        "DEBUG" => "\x1b[34m",
        "TRACE" => "\x1b[35m",
        _ => return None,
    })
}

/// Colours the level of a text line: the field of six characters after the
/// time, which has no spaces, and before ` [` (red and bold for ERROR,
/// yellow WARN, green INFO, blue DEBUG, magenta TRACE). A line without one
/// is left as it is.
///
/// ```
/// let mut line = "2026-11-26T12:00:00.000000000Z  WARN [main 1] app: disk full".to_owned();
/// ttlog_decode::render::terminal::colour_level(&mut line);
/// assert_eq!(line, "2026-11-26T12:00:00.000000000Z  \x1b[33mWARN\x1b[0m [main 1] app: disk full");
/// ```
pub fn colour_level(line: &mut String) {
    let Some(t) = line.find(' ') else { return };
    let Some(field) = line.get(t..t + 6) else { return };
    if !line[t + 6..].starts_with(" [") {
        return;
    }
    let name = field.trim_start();
    let Some(sgr) = level_colour(name) else { return };
    let at = t + 6 - name.len();
    line.insert_str(t + 6, "\x1b[0m");
    line.insert_str(at, sgr);
}

/// Appends the printed line of `e` (no newline): its text line
/// ([`write_text_line_at`], at the event's own time), escaped unless `raw`,
/// its level coloured if `colour`. `scratch` holds the line before it is
/// escaped.
pub fn write_printed_line(out: &mut String, scratch: &mut String, snap: &Snapshot, e: &Event, raw: bool, colour: bool) {
    let at = out.len();
    if raw {
        write_text_line_at(out, snap, e, snap.unix_nanos(e));
    } else {
        scratch.clear();
        write_text_line_at(scratch, snap, e, snap.unix_nanos(e));
        push_escaped(out, scratch);
    }
    if colour {
        let mut line = out.split_off(at);
        colour_level(&mut line);
        out.push_str(&line);
    }
}
