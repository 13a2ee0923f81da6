//! Checks the parsed format string against the arguments, as `format_args!`
//! does, and decides what each event records: which argument each placeholder
//! formats, with which distinct specs, and which named arguments are fields.

use super::input::{EventInput, Sigil};
use crate::format::{self, Align, ArgRef, FmtPiece, FmtType, ParsedCount, ParsedSpec, Sign};
use proc_macro2::{Span, TokenStream};
use quote::ToTokens;
use std::ops::Range;
use syn::spanned::Spanned;
use syn::{Ident, LitStr};
use ttlog_spec::{ArgRole, MAX_ARGS};

/// A width or precision after resolution.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CountOut {
    Implied,
    Is(u16),
    /// Index into the recorded arguments.
    Arg(usize),
}

/// A spec after resolution.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct SpecOut {
    pub(crate) fill: char,
    pub(crate) align: Align,
    pub(crate) sign: Sign,
    pub(crate) alternate: bool,
    pub(crate) zero: bool,
    pub(crate) width: CountOut,
    pub(crate) precision: CountOut,
    pub(crate) ty: FmtType,
}

impl SpecOut {
    /// `{}`.
    pub(crate) fn display() -> SpecOut {
        SpecOut {
            fill: ' ',
            align: Align::Unknown,
            sign: Sign::None,
            alternate: false,
            zero: false,
            width: CountOut::Implied,
            precision: CountOut::Implied,
            ty: FmtType::Display,
        }
    }

    /// `{:?}`.
    pub(crate) fn debug() -> SpecOut {
        SpecOut { ty: FmtType::Debug, ..SpecOut::display() }
    }
}

/// One argument the event records.
pub(crate) struct RecArg {
    /// The expression that produces the value.
    pub(crate) expr: TokenStream,
    /// Where errors about the value point.
    pub(crate) span: Span,
    /// Name stored in the callsite.
    pub(crate) name: String,
    pub(crate) role: ArgRole,
    /// Distinct specs, in order of first use.
    pub(crate) specs: Vec<SpecOut>,
    /// Whether the argument is referred to at all.
    used: bool,
    /// A `#[ttlog]` parameter: recorded as its type's name when its type is
    /// neither raw nor `Debug`.
    pub(crate) type_name_fallback: bool,
    /// The value of `#[ttlog]`'s `ret` or `err`: a missing trait is an error
    /// that names the option.
    pub(crate) option_value: bool,
}

impl RecArg {
    /// An argument that no format string refers to (the arguments and fields of
    /// `#[ttlog]`'s entry and exit events), rendered with `spec`.
    pub(crate) fn unreferenced(expr: TokenStream, span: Span, name: String, role: ArgRole, spec: SpecOut) -> RecArg {
        RecArg { expr, span, name, role, specs: vec![spec], used: true, type_name_fallback: false, option_value: false }
    }

    /// Whether the value must be formatted at the call whatever its type
    /// (`{:p}` needs the address, which only the call has).
    pub(crate) fn force_fmt(&self) -> bool {
        self.specs.iter().any(|s| s.ty == FmtType::Pointer)
    }
}

/// A message piece after resolution.
pub(crate) enum PieceOut {
    Lit(String),
    /// Literal text given as a `&'static str` constant expression.
    Const(TokenStream),
    Arg {
        arg: usize,
        slot: usize,
    },
}

/// The outcome of checking an event.
pub(crate) struct Resolved {
    pub(crate) args: Vec<RecArg>,
    pub(crate) pieces: Vec<PieceOut>,
}

/// Points at bytes `range` of the string literal's value where the compiler can
/// (nightly), else at the whole literal.
pub(crate) fn value_span(lit: &LitStr, range: Range<usize>) -> Span {
    let tok = lit.token();
    let src = tok.to_string();
    let prefix = if let Some(rest) = src.strip_prefix('r') {
        // r"..." or r#"..."#: the value is the source text between the quotes.
        1 + rest.bytes().take_while(|&b| b == b'#').count() + 1
    } else if src.starts_with('"') && !src.contains('\\') {
        1
    } else {
        return lit.span();
    };
    tok.subspan(prefix + range.start..prefix + range.end).unwrap_or_else(|| lit.span())
}

/// `name` as an identifier, if the compiler's own lexer reads it as exactly one
/// (the format parser's Unicode tables may be newer than the compiler's, and
/// `Ident::new` would panic on a name the compiler refuses).
fn compiler_ident(name: &str, span: Span) -> Option<Ident> {
    let ts: TokenStream = name.parse().ok()?;
    let mut it = ts.into_iter();
    match (it.next(), it.next()) {
        (Some(proc_macro2::TokenTree::Ident(id)), None) if id == name => Some(Ident::new(name, span)),
        _ => None,
    }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    if n == 1 { format!("{n} {one}") } else { format!("{n} {many}") }
}

/// State while resolving one event.
struct Resolver<'a> {
    input: &'a EventInput,
    lit: &'a LitStr,
    npos: usize,
    args: Vec<RecArg>,
    errors: Option<syn::Error>,
    /// How many positional arguments the implicit placeholders ask for.
    implicit_needed: usize,
    /// Whether the "N positional arguments in format string" error was given.
    reported_count: bool,
}

impl Resolver<'_> {
    fn error(&mut self, e: syn::Error) {
        match &mut self.errors {
            Some(all) => all.combine(e),
            None => self.errors = Some(e),
        }
    }

    fn given(&self) -> String {
        match self.npos {
            0 => "no arguments were given".to_owned(),
            1 => "there is 1 argument".to_owned(),
            n => format!("there are {n} arguments"),
        }
    }

    /// The recorded argument for positional `index`, or an error like rustc's.
    fn positional(&mut self, index: usize, implicit: bool, range: &Range<usize>) -> Option<usize> {
        if index < self.npos {
            return Some(index);
        }
        let span = value_span(self.lit, range.clone());
        if implicit {
            if !self.reported_count {
                self.reported_count = true;
                let msg = format!(
                    "{} in format string, but {}",
                    plural(self.implicit_needed, "positional argument", "positional arguments"),
                    self.given()
                );
                self.error(syn::Error::new(span, msg));
            }
        } else {
            let msg = format!("invalid reference to positional argument {index} ({})", self.given());
            self.error(syn::Error::new(span, msg));
        }
        None
    }

    /// The recorded argument named `name`: a named argument, or an identifier
    /// captured from the scope where the literal is written.
    fn named(&mut self, name: &str, range: &Range<usize>) -> usize {
        if let Some(i) = self.args.iter().position(|a| a.role != ArgRole::Positional && a.name == name) {
            return i;
        }
        let span = value_span(self.lit, range.clone()).resolved_at(self.lit.span());
        let ident = match compiler_ident(name, span) {
            Some(ident) => ident,
            None => {
                let msg = format!("invalid format string: `{name}` is not an identifier this compiler accepts");
                self.error(syn::Error::new(span, msg));
                Ident::new("__ttlog_invalid", span)
            }
        };
        self.args.push(RecArg {
            expr: ident.to_token_stream(),
            span: self.lit.span(),
            name: name.to_owned(),
            role: ArgRole::Named,
            specs: Vec::new(),
            used: false,
            type_name_fallback: false,
            option_value: false,
        });
        self.args.len() - 1
    }

    fn count(&mut self, c: &ParsedCount, range: &Range<usize>) -> Option<CountOut> {
        let i = match c {
            ParsedCount::Implied => return Some(CountOut::Implied),
            ParsedCount::Is(n) => return Some(CountOut::Is(*n)),
            ParsedCount::Index { index, implicit } => self.positional(*index, *implicit, range)?,
            ParsedCount::Name { name, range } => self.named(name, range),
        };
        self.args[i].used = true;
        Some(CountOut::Arg(i))
    }
}

/// Resolves `input` against its format string.
pub(crate) fn resolve(input: &EventInput) -> syn::Result<Resolved> {
    let lit = &input.format;
    let value = lit.value();
    let parsed = format::parse(&value).map_err(|e| {
        let msg = match &e.note {
            Some(note) => format!("{} ({note})", e.message),
            None => e.message.clone(),
        };
        syn::Error::new(value_span(lit, e.range.clone()), msg)
    })?;

    let mut args: Vec<RecArg> = Vec::new();
    for e in &input.positional {
        args.push(RecArg {
            expr: e.to_token_stream(),
            span: e.span(),
            name: e.to_token_stream().to_string(),
            role: ArgRole::Positional,
            specs: Vec::new(),
            used: false,
            type_name_fallback: false,
            option_value: false,
        });
    }
    for n in &input.named {
        args.push(RecArg {
            expr: n.expr.to_token_stream(),
            span: n.expr.span(),
            name: n.name.to_string(),
            role: ArgRole::Named,
            specs: Vec::new(),
            used: false,
            type_name_fallback: false,
            option_value: false,
        });
    }
    let implicit_needed = parsed
        .pieces
        .iter()
        .filter_map(|p| match p {
            FmtPiece::Arg(ph) => {
                let mut m = None;
                if let ArgRef::Index { index, implicit: true } = ph.value {
                    m = Some(index + 1);
                }
                if let ParsedCount::Index { index, implicit: true } = ph.spec.precision {
                    m = m.max(Some(index + 1));
                }
                m
            }
            FmtPiece::Lit(_) => None,
        })
        .max()
        .unwrap_or(0);
    let mut r = Resolver {
        input,
        lit,
        npos: input.positional.len(),
        args,
        errors: None,
        implicit_needed,
        reported_count: false,
    };

    let mut pieces = Vec::new();
    for p in &parsed.pieces {
        match p {
            FmtPiece::Lit(s) => pieces.push(PieceOut::Lit(s.clone())),
            FmtPiece::Arg(ph) => {
                let value = match &ph.value {
                    ArgRef::Index { index, implicit } => r.positional(*index, *implicit, &ph.range),
                    ArgRef::Name { name, range } => Some(r.named(name, range)),
                };
                let width = r.count(&ph.spec.width, &ph.range);
                let precision = r.count(&ph.spec.precision, &ph.range);
                if let Some(v) = value {
                    // Used even if its width or precision is wrong, as rustc
                    // counts it: no "argument never used" on top of the error.
                    r.args[v].used = true;
                }
                let (Some(value), Some(width), Some(precision)) = (value, width, precision) else {
                    continue;
                };
                let ParsedSpec { fill, align, sign, alternate, zero, ty, .. } = ph.spec.clone();
                let spec = SpecOut { fill, align, sign, alternate, zero, width, precision, ty };
                let a = &mut r.args[value];
                a.used = true;
                let slot = match a.specs.iter().position(|s| *s == spec) {
                    Some(s) => s,
                    None => {
                        a.specs.push(spec);
                        a.specs.len() - 1
                    }
                };
                pieces.push(PieceOut::Arg { arg: value, slot });
            }
        }
    }

    let npos = r.npos;
    let nnamed = r.input.named.len();
    for i in 0..r.args.len() {
        let a = &r.args[i];
        if a.role == ArgRole::Positional && !a.used {
            let e = syn::Error::new(a.span, "argument never used");
            r.error(e);
        } else if i >= npos && i < npos + nnamed {
            let named = &r.input.named[i - npos];
            if a.used {
                if named.sigil != Sigil::None {
                    let s = if named.sigil == Sigil::Debug { "?" } else { "%" };
                    let msg = format!(
                        "`{s}` only applies to fields, and `{0}` is used by the format string: give the spec there instead, as in `{{{0}:?}}`",
                        a.name
                    );
                    r.error(syn::Error::new(named.name.span(), msg));
                }
            } else {
                let mut spec = SpecOut::display();
                if named.sigil == Sigil::Debug {
                    spec.ty = FmtType::Debug;
                }
                let a = &mut r.args[i];
                a.role = ArgRole::Field;
                a.used = true;
                a.specs.push(spec);
            }
        }
    }
    // Fields before the message, as tracing writes them: fields whatever the
    // message says.
    for n in &input.leading {
        let mut spec = SpecOut::display();
        if n.sigil == Sigil::Debug {
            spec.ty = FmtType::Debug;
        }
        let (expr, span) = (n.expr.to_token_stream(), n.expr.span());
        r.args.push(RecArg::unreferenced(expr, span, n.name.to_string(), ArgRole::Field, spec));
    }
    if let Some(e) = r.errors {
        return Err(e);
    }
    if r.args.len() > MAX_ARGS {
        return Err(syn::Error::new(
            input.call_span,
            format!("an event may record at most {MAX_ARGS} arguments and fields, this one has {}", r.args.len()),
        ));
    }
    Ok(Resolved { args: r.args, pieces })
}
