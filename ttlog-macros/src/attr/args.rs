//! Parses the options of `#[ttlog(...)]`.
//!
//! ```text
//! options := option (',' option)* [',']
//! option  := 'level' '=' level            level := "error" | .. | "trace" | a path such as `Level::INFO`
//!          | 'name' '=' "text"
//!          | 'target' '=' "text"
//!          | 'skip' '(' ident,* ')'       parameters, `self` included
//!          | 'skip_all'
//!          | 'fields' '(' field,* ')'     field := ident '=' ['?' | '%'] expr
//!          | 'ret' ['(' value,* ')']      value := 'Debug' | 'Display' | 'level' '=' level
//!          | 'err' ['(' value,* ')']
//!          | 'crate' '=' path             or a string holding the path, as serde's
//! ```
//!
//! Every problem is reported, not only the first: an unknown option is skipped
//! up to the next comma and parsing goes on.

use crate::event::input::{Sigil, level_from_path};
use proc_macro2::{Span, TokenStream, TokenTree};
use syn::ext::IdentExt;
use syn::parse::{ParseStream, Parser};
use syn::{Expr, Ident, LitStr, Path, Token};
use ttlog_spec::Level;

/// A level given as an option.
pub(crate) struct LevelOpt {
    /// The name of a [`Level`] variant, spanned at the value.
    pub(crate) level: Ident,
    /// The path, when the level was given as one (`Level::DEBUG`): emitted so
    /// that it is resolved and type-checked.
    pub(crate) path: Option<Path>,
}

/// How `ret` or `err` renders the value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Mode {
    Debug,
    Display,
}

/// `ret` or `err`, with its arguments.
pub(crate) struct ValueOpt {
    /// The `ret` or `err` keyword: errors about the value point at it.
    pub(crate) kw: Ident,
    /// `Debug` or `Display`, if given.
    pub(crate) mode: Option<Mode>,
    /// `level = ...`, if given.
    pub(crate) level: Option<LevelOpt>,
}

/// `name = expr` in `fields(...)`.
pub(crate) struct FieldOpt {
    pub(crate) name: Ident,
    pub(crate) sigil: Sigil,
    pub(crate) expr: Expr,
}

/// The parsed options; `None` or empty where not given.
#[derive(Default)]
pub(crate) struct Options {
    pub(crate) level: Option<LevelOpt>,
    pub(crate) name: Option<LitStr>,
    pub(crate) target: Option<LitStr>,
    /// The `skip` keyword and the names it lists.
    pub(crate) skip: Option<(Ident, Vec<Ident>)>,
    /// The `skip_all` keyword.
    pub(crate) skip_all: Option<Ident>,
    /// The `fields` keyword and the fields.
    pub(crate) fields: Option<(Ident, Vec<FieldOpt>)>,
    pub(crate) ret: Option<ValueOpt>,
    pub(crate) err: Option<ValueOpt>,
    /// The path to the `ttlog` crate.
    pub(crate) krate: Option<Path>,
    /// The options given so far, to report duplicates.
    seen: Vec<Ident>,
}

const OPTIONS: &str = "`level`, `name`, `target`, `skip`, `skip_all`, `fields`, `ret`, `err` or `crate`";

/// Collects errors so that all of them are reported together.
#[derive(Default)]
pub(crate) struct Errors(Option<syn::Error>);

impl Errors {
    pub(crate) fn push(&mut self, e: syn::Error) {
        match &mut self.0 {
            Some(all) => all.combine(e),
            None => self.0 = Some(e),
        }
    }

    pub(crate) fn extend(&mut self, other: Errors) {
        if let Some(e) = other.0 {
            self.push(e);
        }
    }

    pub(crate) fn finish(self) -> syn::Result<()> {
        match self.0 {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }
}

/// "duplicate option" at the second, "first given here" at the first.
fn duplicate(first: Span, second: &Ident) -> syn::Error {
    let mut e = syn::Error::new(second.span(), format!("duplicate option `{second}`"));
    e.combine(syn::Error::new(first, format!("`{second}` first given here")));
    e
}

/// Skips tokens up to (not including) the next top-level comma.
fn skip_to_comma(input: ParseStream<'_>) {
    while !input.is_empty() && !input.peek(Token![,]) {
        if input.parse::<TokenTree>().is_err() {
            return;
        }
    }
}

/// Parses the options: every one that parses, and an error for each that
/// does not.
pub(crate) fn parse(args: TokenStream) -> (Options, Errors) {
    let mut o = Options::default();
    let mut errors = Errors::default();
    let result = (|input: ParseStream<'_>| -> syn::Result<()> {
        while !input.is_empty() {
            let kw = input.call(Ident::parse_any)?;
            if let Err(e) = o.option(&kw, input) {
                errors.push(e);
                skip_to_comma(input);
            }
            if input.is_empty() {
                break;
            }
            input.parse::<Token![,]>()?;
        }
        Ok(())
    })
    .parse2(args);
    if let Err(e) = result {
        errors.push(e);
    }
    (o, errors)
}

impl Options {
    /// Parses the option that starts with `kw`.
    fn option(&mut self, kw: &Ident, input: ParseStream<'_>) -> syn::Result<()> {
        if let Some(first) = self.seen.iter().find(|k| *k == kw) {
            return Err(duplicate(first.span(), kw));
        }
        self.seen.push(kw.clone());
        match kw.to_string().as_str() {
            "level" => {
                input.parse::<Token![=]>()?;
                self.level = Some(parse_level(input)?);
            }
            "name" => {
                input.parse::<Token![=]>()?;
                self.name = Some(parse_text(input, "name")?);
            }
            "target" => {
                input.parse::<Token![=]>()?;
                self.target = Some(parse_text(input, "target")?);
            }
            "skip" => {
                let content;
                syn::parenthesized!(content in input);
                let names = content.parse_terminated(Ident::parse_any, Token![,])?;
                self.skip = Some((kw.clone(), names.into_iter().collect()));
            }
            "skip_all" => self.skip_all = Some(kw.clone()),
            "fields" => {
                let content;
                syn::parenthesized!(content in input);
                let fields = content.parse_terminated(parse_field, Token![,])?;
                self.fields = Some((kw.clone(), fields.into_iter().collect()));
            }
            "ret" => self.ret = Some(parse_value_opt(kw, input)?),
            "err" => self.err = Some(parse_value_opt(kw, input)?),
            "crate" => {
                input.parse::<Token![=]>()?;
                self.krate = Some(if input.peek(LitStr) {
                    let s: LitStr = input.parse()?;
                    s.parse_with(Path::parse_mod_style).map_err(|_| {
                        syn::Error::new(
                            s.span(),
                            format!("expected a path to the `ttlog` crate, found {:?}", s.value()),
                        )
                    })?
                } else {
                    input.call(Path::parse_mod_style)?
                });
            }
            _ => {
                self.seen.pop();
                return Err(syn::Error::new(kw.span(), format!("unknown option `{kw}`: expected {OPTIONS}")));
            }
        }
        Ok(())
    }
}

/// A string literal: the value of `name` or `target`.
fn parse_text(input: ParseStream<'_>, what: &str) -> syn::Result<LitStr> {
    if input.peek(LitStr) {
        return input.parse();
    }
    Err(syn::Error::new(input.span(), format!("expected a string literal: `{what} = \"...\"`")))
}

/// `"debug"` or `Level::DEBUG` (any path whose last segment names a level).
fn parse_level(input: ParseStream<'_>) -> syn::Result<LevelOpt> {
    let expected = || {
        let names = Level::ALL.map(|l| format!("`{:?}`", l.as_str().to_ascii_lowercase())).join(", ");
        format!("expected {names} or a path such as `Level::INFO`")
    };
    if input.peek(LitStr) {
        let s: LitStr = input.parse()?;
        let v = s.value();
        for l in Level::ALL {
            if v.eq_ignore_ascii_case(l.as_str()) {
                return Ok(LevelOpt { level: Ident::new(l.variant_name(), s.span()), path: None });
            }
        }
        return Err(syn::Error::new(s.span(), format!("unknown level `{:?}`: {}", v, expected())));
    }
    if input.peek(Ident) || input.peek(Token![::]) || input.peek(Token![crate]) || input.peek(Token![self]) {
        let path: Path = input.parse()?;
        let level = level_from_path(&path)?;
        return Ok(LevelOpt { level, path: Some(path) });
    }
    Err(syn::Error::new(input.span(), format!("expected a level: {}", expected())))
}

/// `name = expr`, `name = ?expr` or `name = %expr`.
fn parse_field(input: ParseStream<'_>) -> syn::Result<FieldOpt> {
    let name: Ident = input.parse()?;
    if !input.peek(Token![=]) || input.peek(Token![==]) {
        return Err(syn::Error::new(name.span(), format!("field `{name}` needs a value: `{name} = expr`")));
    }
    input.parse::<Token![=]>()?;
    let sigil = Sigil::parse_optional(input)?;
    let expr: Expr = input.parse()?;
    Ok(FieldOpt { name, sigil, expr })
}

/// `ret`, `ret(Display)`, `ret(level = "warn")`, `err(Debug, level = ...)`.
fn parse_value_opt(kw: &Ident, input: ParseStream<'_>) -> syn::Result<ValueOpt> {
    let mut opt = ValueOpt { kw: kw.clone(), mode: None, level: None };
    if !input.peek(syn::token::Paren) {
        return Ok(opt);
    }
    let content;
    syn::parenthesized!(content in input);
    let mut mode_at: Option<Span> = None;
    let mut level_at: Option<Span> = None;
    while !content.is_empty() {
        let id = content.call(Ident::parse_any)?;
        match id.to_string().as_str() {
            "Debug" | "Display" => {
                if let Some(first) = mode_at {
                    let mut e = syn::Error::new(id.span(), format!("`{kw}` takes one mode, `Debug` or `Display`"));
                    e.combine(syn::Error::new(first, "first mode given here"));
                    return Err(e);
                }
                mode_at = Some(id.span());
                opt.mode = Some(if id == "Debug" { Mode::Debug } else { Mode::Display });
            }
            "level" => {
                if let Some(first) = &level_at {
                    return Err(duplicate(*first, &id));
                }
                level_at = Some(id.span());
                content.parse::<Token![=]>()?;
                opt.level = Some(parse_level(&content)?);
            }
            _ => {
                return Err(syn::Error::new(
                    id.span(),
                    format!("unknown mode `{id}` for `{kw}`: expected `Debug`, `Display` or `level = ...`"),
                ));
            }
        }
        if content.is_empty() {
            break;
        }
        content.parse::<Token![,]>()?;
    }
    Ok(opt)
}
