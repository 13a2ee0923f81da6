//! Parses what the event macros receive: `$crate, LEVEL, [target: T,] "fmt", args`.
//!
//! The `macro_rules!` wrappers in `ttlog` forward `$crate` (so a renamed
//! dependency still works) and the level: an identifier for `info!` and friends,
//! or `@` followed by the user's level path for `event!`.

use proc_macro2::{Span, TokenStream, TokenTree};
use syn::parse::{Parse, ParseStream};
use syn::spanned::Spanned;
use syn::{Expr, Ident, LitStr, Token};
use ttlog_spec::Level;

/// The parsed macro input.
pub(crate) struct EventInput {
    /// The `$crate` token (or any path to the `ttlog` crate).
    pub(crate) krate: TokenStream,
    /// The name of a [`Level`] variant.
    pub(crate) level: Ident,
    /// The level as `event!`'s caller wrote it (`Level::WARN`): emitted so that
    /// the path is resolved and type-checked (and the caller's import used).
    pub(crate) level_path: Option<syn::Path>,
    /// `target: expr`, if given.
    pub(crate) target: Option<Expr>,
    /// The format string.
    pub(crate) format: LitStr,
    /// Positional arguments, in order.
    pub(crate) positional: Vec<Expr>,
    /// Named arguments and fields after the format string, in order.
    pub(crate) named: Vec<NamedArg>,
    /// Fields before the format string, as tracing writes them
    /// (`info!(user = id, "login")`): always fields, never seen by the format
    /// string.
    pub(crate) leading: Vec<NamedArg>,
    /// Span of the whole macro input, for errors about missing pieces.
    pub(crate) call_span: Span,
}

/// `name = expr`, `name = ?expr` or `name = %expr`.
pub(crate) struct NamedArg {
    pub(crate) name: Ident,
    pub(crate) sigil: Sigil,
    pub(crate) expr: Expr,
}

/// How a field is rendered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Sigil {
    /// No sigil: `Display`.
    None,
    /// `?`: `Debug`.
    Debug,
    /// `%`: `Display`.
    Display,
}

impl Sigil {
    /// Parses the optional `?` or `%` before a field's value.
    pub(crate) fn parse_optional(input: ParseStream<'_>) -> syn::Result<Sigil> {
        Ok(if input.peek(Token![?]) {
            input.parse::<Token![?]>()?;
            Sigil::Debug
        } else if input.peek(Token![%]) {
            input.parse::<Token![%]>()?;
            Sigil::Display
        } else {
            Sigil::None
        })
    }
}

impl Parse for EventInput {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let call_span = input.span();
        let krate: TokenTree = input.parse()?;
        input.parse::<Token![,]>()?;
        let mut level_path = None;
        let level = if input.peek(Token![@]) {
            input.parse::<Token![@]>()?;
            if input.is_empty() {
                return Err(syn::Error::new(
                    call_span,
                    "expected a level and a format string: `event!(Level::INFO, \"...\")`",
                ));
            }
            let path: syn::Path = input.parse().map_err(|e| {
                syn::Error::new(e.span(), "expected a level such as `Level::INFO` as the first argument of `event!`")
            })?;
            let level = level_from_path(&path)?;
            if input.is_empty() {
                return Err(syn::Error::new(path.span(), "expected a format string after the level"));
            }
            input.parse::<Token![,]>()?;
            level_path = Some(path);
            level
        } else {
            let id: Ident = input.parse()?;
            input.parse::<Token![,]>()?;
            id
        };

        if input.is_empty() {
            return Err(syn::Error::new(
                Span::call_site(),
                "expected a format string: the macro needs at least a message, as in `info!(\"started\")`",
            ));
        }

        let target = if input.peek(Ident) && input.peek2(Token![:]) && !input.peek2(Token![::]) {
            let kw: Ident = input.parse()?;
            if kw != "target" {
                return Err(syn::Error::new(kw.span(), format!("unknown option `{kw}`: expected `target: \"...\"`")));
            }
            input.parse::<Token![:]>()?;
            let e: Expr = input.parse()?;
            input.parse::<Token![,]>()?;
            Some(e)
        } else {
            None
        };

        let mut leading: Vec<NamedArg> = Vec::new();
        while !input.is_empty() && !input.peek(LitStr) {
            misplaced_target(input)?;
            let Some(field) = parse_leading_field(input)? else { break };
            if let Some(prev) = leading.iter().find(|n| n.name == field.name) {
                return Err(duplicate_name(&field.name, &prev.name));
            }
            leading.push(field);
            if input.is_empty() {
                break;
            }
            input.parse::<Token![,]>()?;
        }

        // Fields alone, as tracing allows: an empty message.
        let format = if input.is_empty() && !leading.is_empty() {
            LitStr::new("", Span::call_site())
        } else {
            parse_format_literal(input)?
        };

        let mut positional = Vec::new();
        let mut named: Vec<NamedArg> = Vec::new();
        while !input.is_empty() {
            input.parse::<Token![,]>()?;
            if input.is_empty() {
                break;
            }
            misplaced_target(input)?;
            if input.peek(Ident) && input.peek2(Token![=]) && !input.peek2(Token![==]) {
                let name: Ident = input.parse()?;
                input.parse::<Token![=]>()?;
                let sigil = Sigil::parse_optional(input)?;
                let expr: Expr = input.parse()?;
                if let Some(prev) = named.iter().chain(&leading).find(|n| n.name == name) {
                    return Err(duplicate_name(&name, &prev.name));
                }
                named.push(NamedArg { name, sigil, expr });
            } else {
                let expr: Expr = input.parse()?;
                if let Some(last) = named.last() {
                    let mut e = syn::Error::new(expr.span(), "positional arguments cannot follow named arguments");
                    e.combine(syn::Error::new(last.name.span(), "named argument here"));
                    return Err(e);
                }
                positional.push(expr);
            }
        }
        Ok(EventInput { krate: krate.into(), level, level_path, target, format, positional, named, leading, call_span })
    }
}

/// "duplicate argument named `x`" at the second, "previously given here" at
/// the first.
fn duplicate_name(name: &Ident, prev: &Ident) -> syn::Error {
    let mut e = syn::Error::new(name.span(), format!("duplicate argument named `{name}`"));
    e.combine(syn::Error::new(prev.span(), format!("`{name}` previously given here")));
    e
}

/// `target:` anywhere but first is an error that says where it goes.
fn misplaced_target(input: ParseStream<'_>) -> syn::Result<()> {
    if input.peek(Ident) && input.peek2(Token![:]) && !input.peek2(Token![::]) {
        let fork = input.fork();
        let kw: Ident = fork.parse()?;
        if kw == "target" {
            return Err(syn::Error::new(
                kw.span(),
                "`target:` goes first, before the fields and the message: `info!(target: \"name\", ...)`",
            ));
        }
    }
    Ok(())
}

/// A field before the format string, as tracing writes them: `name = expr`,
/// `name = ?expr`, `name = %expr`, or the shorthands `name`, `?name` and
/// `%name` for a variable of that name. `None` (nothing consumed) when what
/// comes is none of these: the format string's error then says what was
/// expected.
fn parse_leading_field(input: ParseStream<'_>) -> syn::Result<Option<NamedArg>> {
    if input.peek(Ident) && input.peek2(Token![=]) && !input.peek2(Token![==]) {
        let name: Ident = input.parse()?;
        input.parse::<Token![=]>()?;
        let sigil = Sigil::parse_optional(input)?;
        let expr: Expr = input.parse()?;
        return Ok(Some(NamedArg { name, sigil, expr }));
    }
    // A shorthand: an identifier alone, up to the next comma.
    let fork = input.fork();
    let sigil = Sigil::parse_optional(&fork)?;
    let shorthand = fork.peek(Ident) && (fork.peek2(Token![,]) || peek2_is_end(&fork));
    if !shorthand {
        return Ok(None);
    }
    Sigil::parse_optional(input)?;
    let name: Ident = input.parse()?;
    let expr = Expr::Path(syn::ExprPath { attrs: Vec::new(), qself: None, path: name.clone().into() });
    Ok(Some(NamedArg { name, sigil, expr }))
}

/// Whether the token after the next one is the end of the input.
fn peek2_is_end(input: ParseStream<'_>) -> bool {
    let fork = input.fork();
    fork.parse::<TokenTree>().is_ok() && fork.is_empty()
}

/// The format string must be a string literal (possibly passed through a
/// `macro_rules!` as `$fmt:literal`, which wraps it in an invisible group).
fn parse_format_literal(input: ParseStream<'_>) -> syn::Result<LitStr> {
    if input.peek(LitStr) {
        return input.parse();
    }
    // A literal that is not a string, or an expression: point at it.
    let span = input.span();
    let what = if input.peek(syn::Lit) { "a string literal, found another literal" } else { "a string literal" };
    let _ = input.parse::<Expr>();
    Err(syn::Error::new(span, format!("format argument must be {what}: write `\"{{}}\", value` to log a value")))
}

/// Accepts `Level::INFO`, `Level::Info`, `ttlog::Level::INFO`, `$crate::Level::INFO`:
/// any path whose last segment names a level.
pub(crate) fn level_from_path(path: &syn::Path) -> syn::Result<Ident> {
    let last = path.segments.last().map(|s| &s.ident);
    if let Some(id) = last {
        let s = id.to_string();
        // The variant, or the constant named after the level's name (`Level::INFO`).
        for l in Level::ALL {
            if s == l.variant_name() || s == l.as_str() {
                return Ok(Ident::new(l.variant_name(), id.span()));
            }
        }
    }
    let shown = quote::ToTokens::to_token_stream(path).to_string().replace(' ', "");
    let expected = Level::ALL.map(|l| format!("`Level::{}`", l.as_str())).join(", ");
    Err(syn::Error::new(path.span(), format!("`{shown}` is not a level: expected one of {expected}")))
}
