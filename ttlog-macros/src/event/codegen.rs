//! Generates an event's code: the static callsite, its registration, and the
//! write of the callsite id, timestamp and argument bytes.
//!
//! The expansion reaches the runtime only through `$crate::__private`, and
//! every local it introduces starts with `__ttlog_`.

use super::input::EventInput;
use super::resolve::{CountOut, PieceOut, RecArg, Resolved, SpecOut};
use crate::format::Align;
use proc_macro2::{Ident, Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};

/// What tells one callsite apart from the others besides its arguments and
/// message: shared by the event macros and `#[ttlog]`'s entry and exit events.
pub(crate) struct Site<'a> {
    /// Path to the runtime's `__private` module.
    pub(crate) p: &'a TokenStream,
    /// An expression of type `Level`.
    pub(crate) level: TokenStream,
    /// An expression of type `CallsiteKind`.
    pub(crate) kind: TokenStream,
    /// A `&'static str` constant expression: the callsite's name.
    pub(crate) name: TokenStream,
    /// A `&'static str` constant expression: the callsite's target.
    pub(crate) target: TokenStream,
    /// An `Option<fn() -> &'static str>` constant expression: the callsite's
    /// path, resolved when a snapshot writes it.
    pub(crate) path: TokenStream,
}

/// The expansion of one event macro.
pub(crate) fn expand(input: &EventInput, resolved: &Resolved) -> TokenStream {
    let krate = &input.krate;
    let p = quote!(#krate::__private);
    let level = &input.level;
    let target = match &input.target {
        Some(t) => quote!(#t),
        None => quote!(#p::module_path!()),
    };
    let site = Site {
        p: &p,
        level: quote!(#p::Level::#level),
        kind: quote!(#p::CallsiteKind::Event),
        name: quote!(#p::module_path!()),
        target,
        path: quote!(#p::None),
    };
    let record = record(&site, resolved);
    let check_level = input.level_path.as_ref().map(|path| quote!(let _: #p::Level = #path;));
    quote! {
        if #p::static_enabled(#p::Level::#level) && #p::enabled(#p::Level::#level) {
            #check_level
            #record
        }
    }
}

/// The most arguments `ttlog::__private::write_event` takes as a tuple.
const MAX_TUPLE: usize = 12;

/// The callsite static and the code that records one event: what runs once
/// the caller has found the event's level enabled. Every argument expression
/// is evaluated once, by reference.
pub(crate) fn record(site: &Site<'_>, resolved: &Resolved) -> TokenStream {
    let p = site.p;
    let callsite = callsite_static(site, &Ident::new("__TTLOG_CALLSITE", Span::call_site()), resolved);

    let exprs = resolved.args.iter().map(|a| &a.expr);
    let binds: Vec<Ident> = (0..resolved.args.len()).map(|i| arg_ident(i, resolved.args[i].span)).collect();
    let values: Vec<Ident> = (0..resolved.args.len()).map(|i| format_ident!("__ttlog_v{}", i)).collect();
    let probes = resolved.args.iter().enumerate().map(|(i, a)| probe(p, i, a, &resolved.args, &values[i]));

    // Up to 12 arguments go as a tuple to a write path shared by every
    // callsite with the same argument types; more are written inline.
    let write = if values.len() <= MAX_TUPLE {
        quote!(#p::write_event(&__TTLOG_CALLSITE, (#(#values,)*));)
    } else {
        quote! {
            #p::write(
                &__TTLOG_CALLSITE,
                &[#(#p::EncodeArg::tag(&#values),)*],
                |__ttlog_b: #p::usize| 0usize #(+ #p::EncodeArg::size(&#values, __ttlog_b))*,
                false #(|| #p::EncodeArg::is_fmt(&#values))*,
                |__ttlog_w: &mut #p::RecordWriter, __ttlog_b: #p::usize| {
                    #(#p::EncodeArg::encode(&#values, __ttlog_w, __ttlog_b);)*
                },
            );
        }
    };
    quote! {
        #callsite
        match (#(&(#exprs),)*) {
            (#(#binds,)*) => {
                #[allow(unused_imports)]
                use #p::{ParamDebug as _, ParamName as _, ParamRaw as _, ViaFmt as _, ViaRaw as _};
                #(#probes)*
                #write
            }
        }
    }
}

/// The local bound to a reference to argument `i`; errors about its value
/// point at the argument.
fn arg_ident(i: usize, span: Span) -> Ident {
    Ident::new(&format!("__ttlog_a{i}"), span)
}

/// `static #ident: Callsite` and its registration.
pub(crate) fn callsite_static(site: &Site<'_>, ident: &Ident, resolved: &Resolved) -> TokenStream {
    let Site { p, level, kind, name, target, path } = site;
    let pieces = resolved.pieces.iter().map(|piece| match piece {
        PieceOut::Lit(s) => quote!(#p::Piece::Lit(#s)),
        PieceOut::Const(e) => quote!(#p::Piece::Lit(#e)),
        PieceOut::Arg { arg, slot } => {
            let arg = *arg as u16;
            let slot = *slot as u16;
            quote!(#p::Piece::Arg { arg: #arg, slot: #slot })
        }
    });
    let args = resolved.args.iter().map(|a| {
        let name = &a.name;
        let role = format_ident!("{}", a.role.variant_name());
        let specs = a.specs.iter().map(|s| spec_tokens(p, s));
        quote!(#p::ArgMeta { name: #name, role: #p::ArgRole::#role, specs: &[#(#specs),*] })
    });
    quote! {
        static #ident: #p::Callsite = #p::Callsite {
            level: #level,
            kind: #kind,
            name: #name,
            target: #target,
            file: #p::file!(),
            line: #p::line!(),
            pieces: &[#(#pieces),*],
            args: &[#(#args),*],
            path: #path,
        };
        // Data only on Linux and Android (see `Registration`): no code per
        // callsite.
        const _: () = {
            #[cfg(any(target_os = "linux", target_os = "android"))]
            #[used]
            #[unsafe(link_section = "ttlog_callsites")]
            static __TTLOG_REGISTRATION: #p::Registration = #p::Registration(&#ident);
            #[cfg(not(any(target_os = "linux", target_os = "android")))]
            #p::inventory::submit! { #p::Registration(&#ident) }
        };
    }
}

fn spec_tokens(p: &TokenStream, s: &SpecOut) -> TokenStream {
    let fill = s.fill;
    let align = format_ident!("{}", s.align.variant_name());
    let sign = format_ident!("{}", s.sign.variant_name());
    let alternate = s.alternate;
    let zero = s.zero;
    let count = |c: &CountOut| match c {
        CountOut::Implied => quote!(#p::Count::Implied),
        CountOut::Is(n) => quote!(#p::Count::Is(#n)),
        CountOut::Arg(i) => {
            let i = *i as u16;
            quote!(#p::Count::Arg(#i))
        }
    };
    let width = count(&s.width);
    let precision = count(&s.precision);
    let ty = format_ident!("{}", s.ty.variant_name());
    quote! {
        #p::Spec {
            fill: #fill,
            align: #p::Align::#align,
            sign: #p::Sign::#sign,
            alternate: #alternate,
            zero: #zero,
            width: #width,
            precision: #precision,
            ty: #p::FmtType::#ty,
        }
    }
}

/// `format!` text that applies `spec` to argument 0, taking width and precision
/// from the positional arguments that follow, if they come from arguments.
fn spec_format_string(spec: &SpecOut) -> String {
    let mut s = String::from("{0:");
    if spec.align != Align::Unknown {
        s.push(spec.fill);
        s.push_str(spec.align.syntax());
    }
    s.push_str(spec.sign.syntax());
    if spec.alternate {
        s.push('#');
    }
    let mut next = 1;
    match spec.width {
        CountOut::Implied => {}
        CountOut::Is(n) => {
            if spec.zero {
                s.push('0');
            }
            if n > 0 || spec.zero {
                s.push_str(&n.to_string());
            }
        }
        CountOut::Arg(_) => {
            if spec.zero {
                s.push('0');
            }
            s.push_str(&format!("{next}$"));
            next += 1;
        }
    }
    match spec.precision {
        CountOut::Implied => {}
        CountOut::Is(n) => s.push_str(&format!(".{n}")),
        CountOut::Arg(_) => s.push_str(&format!(".{next}$")),
    }
    s.push_str(spec.ty.syntax());
    s.push('}');
    s
}

/// The probe method of an argument used once, as a plain `{}` or `{:?}` (or
/// only as a width or precision, which is a `usize` and so `Display`).
fn plain_method(a: &RecArg) -> Option<&'static str> {
    match a.specs.as_slice() {
        [] => Some("__ttlog_display"),
        [s] if *s == SpecOut::display() => Some("__ttlog_display"),
        [s] if *s == SpecOut::debug() => Some("__ttlog_debug"),
        _ => None,
    }
}

/// Chooses how argument `i` is recorded: raw when its type allows, formatted at
/// the call otherwise. The formatting closure is generated either way, so that
/// a spec the type cannot take is a compile error at the argument.
fn probe(p: &TokenStream, i: usize, a: &RecArg, all: &[RecArg], value: &Ident) -> TokenStream {
    let span = a.span;
    let bind = arg_ident(i, span);
    let nslots = a.specs.len();
    let arms = a.specs.iter().enumerate().map(|(k, spec)| {
        let fmt = spec_format_string(spec);
        let counts = [spec.width, spec.precision].into_iter().filter_map(|c| match c {
            CountOut::Arg(j) => {
                let b = arg_ident(j, all[j].span);
                Some(quote_spanned!(all[j].span=> *#b))
            }
            _ => None,
        });
        // Only the argument's own identifier carries its span: a missing trait
        // impl is reported there, while the closure's locals keep the macro's
        // hygiene.
        let value = quote_spanned!(span=> *#bind);
        let body = quote! {
            #p::FmtWrite::write_fmt(__ttlog_s, #p::format_args!(#fmt, #value #(, #counts)*))
        };
        if k + 1 == nslots { quote!(_ => #body,) } else { quote!(#k => #body,) }
    });
    let closure = if nslots == 0 {
        // Only used as a width or precision: recorded raw (it is a `usize`, which
        // the placeholder that uses it checks), never formatted.
        quote!(|_: &mut #p::FmtSink<'_>, _: #p::usize| -> #p::FmtResult { #p::FmtResult::Ok(()) })
    } else {
        quote! {
            |__ttlog_s: &mut #p::FmtSink<'_>, __ttlog_k: #p::usize| -> #p::FmtResult {
                match __ttlog_k { #(#arms)* }
            }
        }
    };
    if a.force_fmt() {
        quote! {
            let #value = #p::FmtArg::new(#nslots, #closure);
        }
    } else if a.type_name_fallback {
        // A `#[ttlog]` parameter, `{:?}`: raw, `Debug`, or its type's name,
        // chosen by autoref specialisation at compile time.
        let method = Ident::new("__ttlog_param", span);
        quote_spanned! {span=>
            let #value = (&&#p::Probe(#bind)).#method();
        }
    } else if let (true, Some(plain)) = (a.option_value, plain_method(a)) {
        // `ret` or `err`: the same choice, with errors that name the option.
        let method = if plain == "__ttlog_debug" { "__ttlog_value_debug" } else { "__ttlog_value_display" };
        let method = Ident::new(method, span);
        quote_spanned! {span=>
            let #value = (&#p::Probe(#bind)).#method();
        }
    } else if let Some(method) = plain_method(a) {
        // One plain `{}` or `{:?}` (or only a width or precision): no closure,
        // code shared by type. The call carries the argument's span, so that a
        // missing `Display` or `Debug` is reported at the argument.
        let method = Ident::new(method, span);
        quote_spanned! {span=>
            let #value = (&#p::Probe(#bind)).#method();
        }
    } else {
        quote! {
            let #value = (&#p::Probe(#bind)).__ttlog_arg(#nslots, #closure);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::{FmtPiece, FmtType, Sign};

    fn spec() -> SpecOut {
        SpecOut::display()
    }

    #[test]
    fn regenerated_format_strings() {
        assert_eq!(spec_format_string(&spec()), "{0:}");
        let s = SpecOut { fill: '*', align: Align::Center, width: CountOut::Is(9), ty: FmtType::Debug, ..spec() };
        assert_eq!(spec_format_string(&s), "{0:*^9?}");
        let s = SpecOut {
            sign: Sign::Plus,
            alternate: true,
            zero: true,
            width: CountOut::Is(10),
            ty: FmtType::LowerHex,
            ..spec()
        };
        assert_eq!(spec_format_string(&s), "{0:+#010x}");
        let s = SpecOut { width: CountOut::Arg(3), precision: CountOut::Arg(4), ..spec() };
        assert_eq!(spec_format_string(&s), "{0:1$.2$}");
        let s = SpecOut { precision: CountOut::Arg(1), ty: FmtType::LowerExp, ..spec() };
        assert_eq!(spec_format_string(&s), "{0:.1$e}");
        let s = SpecOut { width: CountOut::Is(0), ..spec() };
        assert_eq!(spec_format_string(&s), "{0:}");
    }

    /// The text written for each alignment, sign and trait parses back to it.
    #[test]
    fn regenerated_specs_parse_back() {
        for align in Align::ALL {
            for sign in Sign::ALL {
                for ty in FmtType::ALL {
                    let fill = if align == Align::Unknown { ' ' } else { '*' };
                    let s = SpecOut { fill, align, sign, ty, ..spec() };
                    let text = spec_format_string(&s);
                    let parsed = crate::format::parse(&text).unwrap_or_else(|e| panic!("{text}: {}", e.message));
                    let [FmtPiece::Arg(ph)] = parsed.pieces.as_slice() else { panic!("{text}") };
                    let back = (ph.spec.fill, ph.spec.align, ph.spec.sign, ph.spec.ty);
                    assert_eq!(back, (fill, align, sign, ty), "{text}");
                }
            }
        }
    }
}
