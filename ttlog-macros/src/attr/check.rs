//! Checks the options against the function and decides what its events
//! record: which parameters become fields of the entry event (every binding of
//! every parameter pattern, `self` included, less the skipped ones), which
//! fields follow them, and at which levels the events are.

use super::args::{FieldOpt, LevelOpt, Mode, Options, ValueOpt};
use super::item::Func;
use crate::event::input::Sigil;
use proc_macro2::{Span, TokenStream};
use quote::ToTokens;
use syn::ext::IdentExt;
use syn::{FnArg, Ident, Pat, ReturnType, Type};
use ttlog_spec::{Level, MAX_ARGS};

/// A value the entry event records as a field.
pub(crate) struct Recorded {
    /// The expression (a parameter's name, or a field's expression).
    pub(crate) expr: TokenStream,
    /// Where errors about the value point.
    pub(crate) span: Span,
    /// The field's name.
    pub(crate) name: String,
    /// `Debug` for parameters; the sigil's choice for fields.
    pub(crate) debug: bool,
    /// A parameter: a value whose type is not `Debug` is recorded as its
    /// type's name rather than being an error.
    pub(crate) param: bool,
}

/// `ret` or `err` after checking.
pub(crate) struct ValuePlan {
    /// The keyword: errors about the value point there.
    pub(crate) kw: Ident,
    pub(crate) debug: bool,
    /// One of the level names.
    pub(crate) level: Ident,
}

/// What the expansion records.
pub(crate) struct Plan {
    /// The path to the runtime's `__private` module.
    pub(crate) p: TokenStream,
    /// The entry and plain exit events' level.
    pub(crate) level: Ident,
    /// Level paths the user wrote, to be type-checked.
    pub(crate) level_paths: Vec<syn::Path>,
    /// The name: a `&'static str` constant expression.
    pub(crate) name: TokenStream,
    /// Whether the name is the function's path, resolved from a function item
    /// declared in the body (no `name` option).
    pub(crate) resolve_path: bool,
    /// The target: a `&'static str` constant expression.
    pub(crate) target: TokenStream,
    /// Parameters, then fields.
    pub(crate) fields: Vec<Recorded>,
    pub(crate) ret: Option<ValuePlan>,
    pub(crate) err: Option<ValuePlan>,
    /// Whether the returned value is matched as a `Result`: with `err`, or with
    /// `ret` on a function whose return type is written `Result<..>`.
    pub(crate) is_result: bool,
}

/// A parameter binding: the identifier as the body sees it.
struct Param {
    ident: TokenStream,
    span: Span,
    name: String,
}

/// Every identifier a parameter pattern binds, in order.
fn bindings(pat: &Pat, out: &mut Vec<Param>) {
    match pat {
        Pat::Ident(p) => {
            out.push(Param {
                ident: p.ident.to_token_stream(),
                span: p.ident.span(),
                name: p.ident.unraw().to_string(),
            });
            if let Some((_, sub)) = &p.subpat {
                bindings(sub, out);
            }
        }
        Pat::Tuple(t) => t.elems.iter().for_each(|p| bindings(p, out)),
        Pat::TupleStruct(t) => t.elems.iter().for_each(|p| bindings(p, out)),
        Pat::Struct(s) => s.fields.iter().for_each(|f| bindings(&f.pat, out)),
        Pat::Slice(s) => s.elems.iter().for_each(|p| bindings(p, out)),
        Pat::Reference(r) => bindings(&r.pat, out),
        Pat::Paren(p) => bindings(&p.pat, out),
        Pat::Type(t) => bindings(&t.pat, out),
        // Every alternative binds the same names.
        Pat::Or(o) => {
            if let Some(first) = o.cases.first() {
                bindings(first, out);
            }
        }
        _ => {}
    }
}

fn level_of(opt: Option<&LevelOpt>, default: &str, paths: &mut Vec<syn::Path>) -> Ident {
    match opt {
        Some(l) => {
            paths.extend(l.path.clone());
            l.level.clone()
        }
        None => Ident::new(default, Span::call_site()),
    }
}

/// Whether the return type is written as a `Result`: its path's last segment
/// is `Result` (`Result<T, E>`, `io::Result<T>`, `anyhow::Result<T>`).
fn returns_result(output: &ReturnType) -> bool {
    let ReturnType::Type(_, ty) = output else { return false };
    let mut ty: &Type = ty;
    while let Type::Paren(p) = ty {
        ty = &p.elem;
    }
    match ty {
        Type::Path(p) => p.qself.is_none() && p.path.segments.last().is_some_and(|s| s.ident == "Result"),
        _ => false,
    }
}

/// The name under which the crate being compiled depends on `ttlog`, as its
/// Cargo.toml gives it (`tt = { package = "ttlog", .. }` is `tt`); `ttlog`
/// when it has no such dependency (it may reach ttlog through another crate,
/// which then needs `crate = path`) or is ttlog itself (its own tests and
/// examples reach it as `ttlog`).
fn runtime_crate() -> Ident {
    Ident::new(crate::crate_name::ttlog_name().as_deref().unwrap_or("ttlog"), Span::call_site())
}

/// Checks `options` against `func`; every problem is reported.
pub(crate) fn check(func: &Func, options: &Options) -> syn::Result<Plan> {
    let mut errors = super::args::Errors::default();
    let p = match &options.krate {
        Some(path) => quote::quote!(#path::__private),
        None => {
            let krate = runtime_crate();
            quote::quote!(::#krate::__private)
        }
    };

    let mut params = Vec::new();
    for input in &func.sig.inputs {
        match input {
            FnArg::Receiver(r) => params.push(Param {
                ident: r.self_token.to_token_stream(),
                span: r.self_token.span,
                name: "self".to_owned(),
            }),
            FnArg::Typed(t) => bindings(&t.pat, &mut params),
        }
    }

    if let (Some(all), Some((skip, _))) = (&options.skip_all, &options.skip) {
        let mut e = syn::Error::new(all.span(), "`skip` and `skip_all` cannot be used together");
        e.combine(syn::Error::new(skip.span(), "`skip` given here"));
        errors.push(e);
    }
    let skipped: Vec<&Ident> = options.skip.as_ref().map(|s| s.1.iter().collect()).unwrap_or_default();
    for s in &skipped {
        let name = s.unraw().to_string();
        if !params.iter().any(|p| p.name == name) {
            let msg = format!("cannot skip `{name}`: the function has no parameter named `{name}`");
            errors.push(syn::Error::new(s.span(), msg));
        }
    }

    let mut fields: Vec<Recorded> = Vec::new();
    if options.skip_all.is_none() {
        for param in params {
            if skipped.iter().any(|s| s.unraw() == param.name) {
                continue;
            }
            fields.push(Recorded { expr: param.ident, span: param.span, name: param.name, debug: true, param: true });
        }
    }
    let nparams = fields.len();
    if let Some((_, list)) = &options.fields {
        for FieldOpt { name, sigil, expr } in list {
            let shown = name.unraw().to_string();
            if let Some(prev) = fields.iter().position(|f| f.name == shown) {
                let msg = if prev < nparams {
                    format!("field `{shown}` duplicates the parameter `{shown}`: rename the field, or `skip({shown})`")
                } else {
                    format!("duplicate field `{shown}`")
                };
                errors.push(syn::Error::new(name.span(), msg));
                continue;
            }
            fields.push(Recorded {
                expr: expr.to_token_stream(),
                span: syn::spanned::Spanned::span(expr),
                name: shown,
                debug: *sigil == Sigil::Debug,
                param: false,
            });
        }
    }
    // The call id takes one argument.
    if fields.len() + 1 > MAX_ARGS {
        errors.push(syn::Error::new(
            func.sig.ident.span(),
            format!(
                "`#[ttlog]` may record at most {} parameters and fields, this function has {}",
                MAX_ARGS - 1,
                fields.len()
            ),
        ));
    }

    let mut level_paths = Vec::new();
    let level = level_of(options.level.as_ref(), Level::Info.variant_name(), &mut level_paths);
    let value = |v: &ValueOpt, default_level: &str, default_mode: Mode, paths: &mut Vec<syn::Path>| ValuePlan {
        kw: v.kw.clone(),
        debug: v.mode.unwrap_or(default_mode) == Mode::Debug,
        level: level_of(v.level.as_ref(), default_level, paths),
    };
    let level_name = level.to_string();
    let ret = options.ret.as_ref().map(|v| value(v, &level_name, Mode::Debug, &mut level_paths));
    let err = options.err.as_ref().map(|v| value(v, Level::Error.variant_name(), Mode::Display, &mut level_paths));
    let is_result = err.is_some() || (ret.is_some() && returns_result(&func.sig.output));

    let name = match &options.name {
        Some(n) => n.to_token_stream(),
        None => {
            let f = func.sig.ident.unraw().to_string();
            quote::quote!(#p::concat!(#p::module_path!(), "::", #f))
        }
    };
    let target = match &options.target {
        Some(t) => t.to_token_stream(),
        None => quote::quote!(#p::module_path!()),
    };
    errors.finish()?;
    let resolve_path = options.name.is_none();
    Ok(Plan { p, level, level_paths, name, resolve_path, target, fields, ret, err, is_result })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(pat: &str) -> Vec<String> {
        let pat: Pat = syn::parse::Parser::parse_str(Pat::parse_single, pat).unwrap();
        let mut out = Vec::new();
        bindings(&pat, &mut out);
        out.into_iter().map(|p| p.name).collect()
    }

    #[test]
    fn every_binding_of_a_pattern_is_a_field() {
        let cases: &[(&str, &[&str])] = &[
            ("a", &["a"]),
            ("mut a", &["a"]),
            ("ref a", &["a"]),
            ("r#type", &["type"]),
            ("_", &[]),
            ("_a", &["_a"]),
            ("(a, b)", &["a", "b"]),
            ("(a, (b, _), ..)", &["a", "b"]),
            ("Point { x, y: why, .. }", &["x", "why"]),
            ("Wrapper(inner)", &["inner"]),
            ("[first, .., last]", &["first", "last"]),
            ("&(a, b)", &["a", "b"]),
            ("whole @ Point { x, .. }", &["whole", "x"]),
            ("(A(x) | B(x))", &["x"]),
        ];
        for (pat, expected) in cases {
            assert_eq!(names(pat), *expected, "{pat}");
        }
    }

    #[test]
    fn result_return_types_are_recognised_by_their_last_segment() {
        let cases = [
            ("-> Result<u32, E>", true),
            ("-> io::Result<()>", true),
            ("-> ::std::result::Result<u8, u8>", true),
            ("-> (Result<u8, u8>)", true),
            ("-> Option<Result<u8, u8>>", false),
            ("-> MyResult", false),
            ("-> <T as Tr>::Result", false),
            ("", false),
        ];
        for (output, expected) in cases {
            let parsed: ReturnType = syn::parse_str(output).unwrap();
            assert_eq!(returns_result(&parsed), expected, "{output}");
        }
    }
}
