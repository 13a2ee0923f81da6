//! Control characters made visible: a snapshot is untrusted input, and text
//! that reaches a terminal as it was logged can retitle it (`\x1b]0;...\x07`),
//! recolour it, or forge whole lines (`\r\n`).
//!
//! [`push_escaped`] writes each control character (C0, DEL, C1), line and
//! paragraph separator and bidirectional-text control as `{:?}` escapes it
//! (`\n`, `\u{1b}`, `\u{202e}`); everything else as it is, backslashes and
//! quotes included, so ordinary text reads as logged.

/// Whether `c` is escaped by [`push_escaped`].
#[inline]
pub fn needs_escape(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200e}' | '\u{200f}' | '\u{2028}' | '\u{2029}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// Appends `s` with its control characters escaped (see the module).
///
/// ```
/// let mut out = String::new();
/// ttlog_decode::render::escape::push_escaped(&mut out, "a\x1b]0;owned\x07\r\nb \\ \"c\"");
/// assert_eq!(out, r#"a\u{1b}]0;owned\u{7}\r\nb \ "c""#);
/// ```
pub fn push_escaped(out: &mut String, s: &str) {
    // Printable ASCII, the common case, is copied at once.
    if s.bytes().all(|b| (0x20..0x7f).contains(&b)) {
        out.push_str(s);
        return;
    }
    let mut from = 0;
    for (i, c) in s.char_indices() {
        if needs_escape(c) {
            out.push_str(&s[from..i]);
            out.extend(c.escape_debug());
            from = i + c.len_utf8();
        }
    }
    out.push_str(&s[from..]);
}

/// `s` with its control characters escaped, borrowed when it has none.
pub fn escaped(s: &str) -> std::borrow::Cow<'_, str> {
    if s.chars().any(needs_escape) {
        let mut out = String::with_capacity(s.len() + 8);
        push_escaped(&mut out, s);
        std::borrow::Cow::Owned(out)
    } else {
        std::borrow::Cow::Borrowed(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_what_a_terminal_obeys_and_nothing_else() {
        let cases = [
            ("plain text", "plain text"),
            ("tab\there", r"tab\there"),
            ("\u{1b}[31mred\u{1b}[0m", r"\u{1b}[31mred\u{1b}[0m"),
            ("del\u{7f} c1\u{9b}", r"del\u{7f} c1\u{9b}"),
            ("bidi \u{202e}evil\u{2066}", r"bidi \u{202e}evil\u{2066}"),
            ("line\u{2028}sep", r"line\u{2028}sep"),
            ("é ü 日本 e\u{301}", "é ü 日本 e\u{301}"),
            ("back\\slash 'q' \"qq\"", "back\\slash 'q' \"qq\""),
            ("", ""),
        ];
        for (input, expected) in cases {
            let mut out = String::new();
            push_escaped(&mut out, input);
            assert_eq!(out, expected, "{input:?}");
            assert_eq!(escaped(input), expected);
        }
    }
}
