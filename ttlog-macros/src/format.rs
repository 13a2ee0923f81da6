//! Format strings: the parser of `format!` syntax, used at compile time.
//!
//! [`parse`] takes the *value* of a string literal (escapes already
//! processed, as `syn::LitStr::value` gives it) and splits it into literal
//! text and placeholders. It accepts exactly what rustc's `format_args!`
//! accepts, rejects what it rejects, and gives every placeholder the same
//! meaning; the table in `format/tests.rs` records each rule, checked against
//! rustc 1.95. It knows nothing about the macro's arguments: checking that
//! every placeholder has an argument, and every argument a placeholder, is the
//! next step's job.
//!
//! Every range in the output is a byte range into the string value and lies on
//! `char` boundaries, so the caller can map it onto the literal's span.
//!
//! ```text
//! {[argument][ws][:spec][ws]}      ws: `char::is_whitespace`, only there (or as fill)
//!   argument = integer | identifier            none: the next implicit position
//!   spec     = [[fill]align][sign]['#']['0'][width]['.' precision][type]
//!   fill     = any char, when an align char follows it
//!   '0'      = the flag, unless `$` follows: `{:0$}` is a width from argument 0
//!   count    = integer | integer '$' | identifier '$'    precision also '*'
//!   type     = '' | '?' | 'x?' | 'X?' | identifier       e E o b p x X, or an error
//!   integer  = ASCII digits, at most 65535 (`u16`) wherever it appears
//! ```

use core::ops::Range;

pub(crate) use ttlog_spec::{Align, FmtType, Sign};

#[cfg(test)]
mod tests;

/// A parsed format string: literal text and placeholders, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Format {
    /// The pieces in string order; two `Lit` pieces are never adjacent.
    pub pieces: Vec<FmtPiece>,
}

/// One piece of a format string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum FmtPiece {
    /// Literal text, with `{{` and `}}` already turned into `{` and `}`.
    Lit(String),
    /// A `{...}` placeholder.
    Arg(Placeholder),
}

/// A `{...}` placeholder: which argument, and how to format it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Placeholder {
    /// The argument that is formatted.
    pub value: ArgRef,
    /// Flags, width, precision and formatting trait.
    pub spec: ParsedSpec,
    /// Bytes of the whole placeholder, from `{` to `}` inclusive.
    pub range: Range<usize>,
}

/// A reference to one of the macro's arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ArgRef {
    /// Positional; `implicit` is true for `{}` / `{:..}` (taken from the running counter), false for `{0}`.
    Index {
        /// Zero-based position among the positional arguments.
        index: usize,
        /// Whether the index came from the running counter rather than the string.
        implicit: bool,
    },
    /// `{name}`: a named argument or an identifier captured from scope.
    Name {
        /// The identifier, as written (never `_`, never raw).
        name: String,
        /// Bytes of the name in the string.
        range: Range<usize>,
    },
}

/// Everything after the `:` of a placeholder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ParsedSpec {
    /// Fill character; `' '` unless given.
    pub fill: char,
    /// Alignment; `Unknown` unless given.
    pub align: Align,
    /// `+` or `-` flag.
    pub sign: Sign,
    /// `#` flag.
    pub alternate: bool,
    /// `0` flag (sign-aware zero padding).
    pub zero: bool,
    /// Minimum width.
    pub width: ParsedCount,
    /// Precision (or maximum width, for strings).
    pub precision: ParsedCount,
    /// The formatting trait.
    pub ty: FmtType,
}

impl Default for ParsedSpec {
    fn default() -> Self {
        ParsedSpec {
            fill: ' ',
            align: Align::Unknown,
            sign: Sign::None,
            alternate: false,
            zero: false,
            width: ParsedCount::Implied,
            precision: ParsedCount::Implied,
            ty: FmtType::Display,
        }
    }
}

/// A width or precision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ParsedCount {
    /// Not given.
    Implied,
    /// A literal number.
    Is(u16),
    /// `1$`, or for precision `.*` (resolved to the positional index it consumes; `implicit` true for `.*`).
    Index {
        /// Zero-based position of the `usize` argument that holds the count.
        index: usize,
        /// True for `.*`, whose index came from the running counter.
        implicit: bool,
    },
    /// `name$`.
    Name {
        /// The identifier, as written.
        name: String,
        /// Bytes of the name in the string.
        range: Range<usize>,
    },
}

/// Why a format string was rejected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FormatError {
    /// What is wrong, worded as rustc words it: lowercase, no trailing period.
    pub message: String,
    /// Bytes of the string value the error is about; empty at the end of the
    /// string when the string ended too early. Where rustc points between two
    /// chars ("expected `}`, found `x`"), this covers the char found.
    pub range: Range<usize>,
    /// How to fix it, when there is something useful to say.
    pub note: Option<String>,
}

/// Parses a format string's value.
///
/// Reports one error, the one rustc reports: the first brace or placeholder
/// in the string that has anything wrong with it decides. Within that
/// placeholder, a mistake rustc recognizes as a whole (`r#x`, `{x.y}`,
/// `{0<5}`, `{?}`, `{?:}`, `{x=}`, `{:?x}`; the last one found, if several)
/// wins over its other errors; otherwise its first error wins. An unknown
/// formatting trait is reported only when the string has no syntax error.
pub(crate) fn parse(s: &str) -> Result<Format, FormatError> {
    Parser {
        s,
        pos: 0,
        next_implicit: 0,
        pieces: Vec::new(),
        lit: String::new(),
        first_error: None,
        recognized: None,
        unknown_trait: None,
    }
    .run()
}

const INVALID: &str = "invalid format string";
const ESCAPE_OPEN: &str = "if you intended to print `{`, you can escape it using `{{`";
const FILL_BRACE: &str = "the character `}` is interpreted as a fill character because of the `:` that precedes it";
const TRAITS: &str = "expected nothing for `Display`, or one of `?`, `x?`, `X?` (`Debug`), \
    `e`, `E` (exponent), `o`, `b`, `x`, `X` (octal, binary, hex), `p` (pointer)";

struct Parser<'a> {
    s: &'a str,
    /// Byte offset of the next unread char.
    pos: usize,
    /// The running counter of implicit positions.
    next_implicit: usize,
    pieces: Vec<FmtPiece>,
    /// Literal text not yet pushed to `pieces`.
    lit: String,
    /// The first error found in the current placeholder.
    first_error: Option<FormatError>,
    /// A mistake recognized as a whole in the current placeholder; it wins
    /// over `first_error`.
    recognized: Option<FormatError>,
    /// The first unknown formatting trait, reported only if the string has no
    /// syntax error.
    unknown_trait: Option<FormatError>,
}

impl Parser<'_> {
    fn run(mut self) -> Result<Format, FormatError> {
        while let Some(c) = self.peek() {
            match c {
                '{' if self.peek_nth(1) == Some('{') => {
                    self.lit.push('{');
                    self.pos += 2;
                }
                '}' if self.peek_nth(1) == Some('}') => {
                    self.lit.push('}');
                    self.pos += 2;
                }
                '{' => {
                    if !self.lit.is_empty() {
                        self.pieces.push(FmtPiece::Lit(core::mem::take(&mut self.lit)));
                    }
                    let placeholder = self.placeholder()?;
                    self.pieces.push(FmtPiece::Arg(placeholder));
                }
                '}' => {
                    return Err(error(
                        format!("{INVALID}: unmatched `}}` found"),
                        self.pos..self.pos + 1,
                        Some("if you intended to print `}`, you can escape it using `}}`"),
                    ));
                }
                _ => {
                    self.lit.push(c);
                    self.pos += c.len_utf8();
                }
            }
        }
        if !self.lit.is_empty() {
            self.pieces.push(FmtPiece::Lit(self.lit));
        }
        match self.unknown_trait {
            Some(err) => Err(err),
            None => Ok(Format { pieces: self.pieces }),
        }
    }

    /// Parses one placeholder; `self.pos` is at its `{`. Errors are collected
    /// to the end of the placeholder, so that a mistake recognized as a whole
    /// can win over the errors before it.
    fn placeholder(&mut self) -> Result<Placeholder, FormatError> {
        let start = self.pos;
        self.pos += 1;
        let explicit = self.argument();
        self.skip_ws();
        let mut spec = ParsedSpec::default();
        let mut spec_is_empty = true;
        if self.eat(':') {
            let spec_start = self.pos;
            self.spec(&mut spec);
            spec_is_empty = self.pos == spec_start;
            self.skip_ws();
        }
        if !self.eat('}') {
            // `{x.y}` is recognized after a name and nothing else but a bare `:`.
            let bare_name = spec_is_empty && matches!(explicit, Some(ArgRef::Name { .. }));
            self.missing_close(start + 1, bare_name, spec.fill == '}');
        }
        if let Some(err) = self.recognized.take().or_else(|| self.first_error.take()) {
            return Err(err);
        }
        // The value takes its implicit index after a `.*` precision took one.
        let value = match explicit {
            Some(value) => value,
            None => ArgRef::Index { index: self.take_implicit(), implicit: true },
        };
        Ok(Placeholder { value, spec, range: start..self.pos })
    }

    /// The argument part: a position, a name, or nothing.
    fn argument(&mut self) -> Option<ArgRef> {
        match self.peek() {
            Some(c) if c.is_ascii_digit() => {
                let index = usize::from(self.integer());
                Some(ArgRef::Index { index, implicit: false })
            }
            Some(c) if is_id_start(c) => {
                let (name, range) = self.ident_allowing_raw();
                Some(ArgRef::Name { name, range })
            }
            _ => None,
        }
    }

    /// An identifier where rustc looks for a raw one: `r#name` is read as
    /// `name`, with an error. `self.pos` is at an identifier start.
    fn ident_allowing_raw(&mut self) -> (String, Range<usize>) {
        let start = self.pos;
        let range = self.scan_ident();
        if &self.s[range.clone()] == "r" && self.peek() == Some('#') && self.peek_nth(1).is_some_and(is_id_start) {
            self.pos += 1;
            let raw = self.scan_ident();
            self.recognize(error(
                format!("{INVALID}: raw identifiers are not supported"),
                start..raw.end,
                Some(
                    "identifiers in format strings can be keywords and don't need to be \
                     prefixed with `r#`",
                ),
            ));
            return (self.name(raw.clone()), raw);
        }
        (self.name(range.clone()), range)
    }

    /// The format spec after `:`.
    fn spec(&mut self, spec: &mut ParsedSpec) {
        if let (Some(fill), Some(align)) = (self.peek(), self.peek_nth(1).and_then(align_of)) {
            spec.fill = fill;
            spec.align = align;
            self.pos += fill.len_utf8() + 1;
        } else if let Some(align) = self.peek().and_then(align_of) {
            spec.align = align;
            self.pos += 1;
        }
        if self.eat('+') {
            spec.sign = Sign::Plus;
        } else if self.eat('-') {
            spec.sign = Sign::Minus;
        }
        spec.alternate = self.eat('#');
        // `0$` is a width taken from argument 0, not the `0` flag.
        if self.peek() == Some('0') && self.peek_nth(1) != Some('$') {
            spec.zero = true;
            self.pos += 1;
        }
        spec.width = self.count();
        if self.eat('.') {
            spec.precision = if self.eat('*') {
                ParsedCount::Index { index: self.take_implicit(), implicit: true }
            } else {
                self.count()
            };
        }
        spec.ty = self.format_type();
    }

    /// A width or precision: `N`, `N$`, `name$`, or nothing. A name without
    /// `$` is left unread: it is the type.
    fn count(&mut self) -> ParsedCount {
        match self.peek() {
            Some(c) if c.is_ascii_digit() => {
                let n = self.integer();
                if self.eat('$') {
                    ParsedCount::Index { index: usize::from(n), implicit: false }
                } else {
                    ParsedCount::Is(n)
                }
            }
            Some(c) if is_id_start(c) => {
                let before = self.pos;
                let range = self.scan_ident();
                // Checked even when the word turns out to be the type: `{:_}`.
                let name = self.name(range.clone());
                if self.eat('$') {
                    ParsedCount::Name { name, range }
                } else {
                    self.pos = before;
                    ParsedCount::Implied
                }
            }
            _ => ParsedCount::Implied,
        }
    }

    /// The formatting trait at the end of the spec.
    fn format_type(&mut self) -> FmtType {
        if self.eat('?') {
            // `{:?x}`, `{:?#}`: the flag was meant to come before the `?`.
            if let Some(c @ ('x' | 'X' | '#')) = self.peek() {
                self.recognize(error(
                    format!("{INVALID}: expected `}}`, found `{c}`"),
                    self.pos..self.pos + 1,
                    Some(&format!("did you mean `{c}?`?")),
                ));
            }
            return FmtType::Debug;
        }
        if self.eat('x') {
            return if self.eat('?') { FmtType::DebugLowerHex } else { FmtType::LowerHex };
        }
        if self.eat('X') {
            return if self.eat('?') { FmtType::DebugUpperHex } else { FmtType::UpperHex };
        }
        match self.peek() {
            Some(c) if is_id_start(c) => {
                let range = self.scan_ident();
                match self.name(range.clone()).as_str() {
                    "e" => FmtType::LowerExp,
                    "E" => FmtType::UpperExp,
                    "o" => FmtType::Octal,
                    "b" => FmtType::Binary,
                    "p" => FmtType::Pointer,
                    word => {
                        let err = error(format!("unknown format trait `{word}`"), range, Some(TRAITS));
                        self.unknown_trait.get_or_insert(err);
                        FmtType::Display
                    }
                }
            }
            _ => FmtType::Display,
        }
    }

    /// Records why the placeholder that begins at `arg_start - 1` does not
    /// end where it should, and recognizes the usual mistakes there.
    fn missing_close(&mut self, arg_start: usize, bare_name: bool, fill_is_brace: bool) {
        let note = if fill_is_brace { FILL_BRACE } else { ESCAPE_OPEN };
        let Some(c) = self.peek() else {
            let end = self.s.len();
            self.push(error(format!("{INVALID}: expected `}}` but string was terminated"), end..end, Some(note)));
            return;
        };
        let here = self.pos..self.pos + c.len_utf8();
        self.push(error(format!("{INVALID}: expected `}}`, found `{}`", c.escape_debug()), here.clone(), Some(note)));
        match (c, self.peek_nth(1)) {
            ('=', Some('}')) => self.recognize(error(
                format!("{INVALID}: python's f-string debug `=` is not supported"),
                here,
                Some("write the name out instead, as in `x = {x:?}`"),
            )),
            ('?', Some('}')) => self.recognize(error(
                format!("{INVALID}: expected `}}`, found `?`"),
                here,
                Some("expected `:` before `?` to format with `Debug`, as in `{:?}` or `{x:?}`"),
            )),
            ('?', Some(':')) => {
                self.pos += 2;
                let word = match self.peek() {
                    Some(c) if is_id_start(c) => {
                        let range = self.scan_ident();
                        &self.s[range]
                    }
                    _ => "",
                };
                let note = format!("`?` comes after `:`, try `{word}:?` instead");
                self.recognize(error(
                    format!("{INVALID}: expected format parameter to occur after `:`"),
                    here,
                    Some(&note),
                ));
            }
            ('<' | '^' | '>', Some(_)) => self.recognize(error(
                format!("{INVALID}: expected alignment specifier after `:`"),
                here,
                Some(&format!(
                    "`{c}` can only come first in the format spec, after an optional fill \
                     character, as in `{{:{c}8}}` or `{{:*{c}8}}`"
                )),
            )),
            ('.', _) if bare_name => self.field_access(arg_start),
            _ => {}
        }
    }

    /// `{x.y}` and `{x.0}` (with an optional spec): field and tuple index
    /// access, which format strings do not support. `self.pos` is at the `.`.
    /// Like rustc, reads the rest as a placeholder even when no field follows
    /// the `.`, so a mistake in that spec is still recognized: `{x.:?x}`.
    fn field_access(&mut self, arg_start: usize) {
        self.pos += 1;
        let what = match self.peek() {
            Some(c) if c.is_ascii_digit() => {
                self.integer();
                Some("tuple index access")
            }
            Some(c) if is_id_start(c) => {
                self.ident_allowing_raw();
                Some("field access")
            }
            _ => None,
        };
        self.skip_ws();
        let end = self.pos;
        if self.eat(':') {
            self.spec(&mut ParsedSpec::default());
        }
        if let Some(what) = what
            && self.eat('}')
        {
            self.recognize(error(
                format!("{INVALID}: {what} isn't supported"),
                arg_start..end,
                Some(
                    "consider moving this expression to a local variable and then using the \
                     local here instead",
                ),
            ));
        }
    }

    /// An identifier used as a name; `_` alone is not one.
    fn name(&mut self, range: Range<usize>) -> String {
        let name = &self.s[range.clone()];
        if name == "_" {
            self.push(error(
                format!("{INVALID}: invalid argument name `_`"),
                range,
                Some("argument name cannot be a single underscore"),
            ));
        }
        name.to_owned()
    }

    /// Reads ASCII digits; the value must fit in `u16`, as rustc requires of
    /// every number in a format string.
    fn integer(&mut self) -> u16 {
        let start = self.pos;
        let digits = self.s[start..].bytes().take_while(u8::is_ascii_digit).count();
        self.pos += digits;
        let text = &self.s[start..self.pos];
        match text.parse::<u16>() {
            Ok(n) => n,
            Err(_) => {
                let message = format!(
                    "{INVALID}: integer `{text}` does not fit into the type `u16` whose range is \
                     `0..={}`",
                    u16::MAX
                );
                self.push(error(message, start..self.pos, None));
                0
            }
        }
    }

    /// Reads an identifier, or nothing if `self.pos` is not at an identifier
    /// start.
    fn scan_ident(&mut self) -> Range<usize> {
        let start = self.pos;
        let mut chars = self.s[start..].chars();
        if let Some(first) = chars.next().filter(|&c| is_id_start(c)) {
            let rest: usize = chars.take_while(|&c| is_id_continue(c)).map(char::len_utf8).sum();
            self.pos += first.len_utf8() + rest;
        }
        start..self.pos
    }

    /// Records an error of the current placeholder; the first one counts.
    fn push(&mut self, err: FormatError) {
        self.first_error.get_or_insert(err);
    }

    /// Records a mistake recognized as a whole; it wins over other errors of
    /// the current placeholder.
    fn recognize(&mut self, err: FormatError) {
        self.recognized = Some(err);
    }

    fn take_implicit(&mut self) -> usize {
        let index = self.next_implicit;
        self.next_implicit += 1;
        index
    }

    fn skip_ws(&mut self) {
        self.pos += self.s[self.pos..].chars().take_while(|c| c.is_whitespace()).map(char::len_utf8).sum::<usize>();
    }

    fn peek(&self) -> Option<char> {
        self.s[self.pos..].chars().next()
    }

    fn peek_nth(&self, n: usize) -> Option<char> {
        self.s[self.pos..].chars().nth(n)
    }

    fn eat(&mut self, c: char) -> bool {
        let found = self.peek() == Some(c);
        if found {
            self.pos += c.len_utf8();
        }
        found
    }
}

fn error(message: String, range: Range<usize>, note: Option<&str>) -> FormatError {
    FormatError { message, range, note: note.map(str::to_owned) }
}

fn align_of(c: char) -> Option<Align> {
    match c {
        '<' => Some(Align::Left),
        '^' => Some(Align::Center),
        '>' => Some(Align::Right),
        _ => None,
    }
}

/// Whether `c` may start an identifier in a format string: `_` or `XID_Start`.
///
/// `unicode-ident` may follow a newer Unicode version than the compiler; a
/// name the compiler's lexer refuses is caught before code is generated from
/// it (see `event::resolve`).
fn is_id_start(c: char) -> bool {
    c == '_' || unicode_ident::is_xid_start(c)
}

/// Whether `c` may continue an identifier in a format string: `XID_Continue`.
fn is_id_continue(c: char) -> bool {
    unicode_ident::is_xid_continue(c)
}
