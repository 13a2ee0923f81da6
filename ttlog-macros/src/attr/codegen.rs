//! Generates the instrumented function.
//!
//! The signature is given back as written; the body becomes:
//!
//! ```text
//! const __TTLOG_NAME = "module::function";
//! static __TTLOG_EXIT: Callsite = ..;                     the plain exit event
//! let __ttlog_id = if static_enabled(L) && enabled(L) {   the entry event
//!     let id = call_id(L); <record Enter: id, parameters, fields>; id
//! } else { 0 };
//! let __ttlog_exit = FnExit::new(&__TTLOG_EXIT, __ttlog_id);
//! body                                                    the user's statements
//! ```
//!
//! `FnExit` records the exit event when it is dropped, which covers the end of
//! the body, `return`, `?` and unwinding. With `ret` or `err` the body runs in a
//! closure (`return` and `?` leave the closure, not the function), so that the
//! returned value can be recorded in the exit event; an `async fn`'s body runs
//! in an `async move` block inside a `FnFuture`, which tells completion from
//! cancellation. The entry and exit events go through the event macros' own
//! code generator: the same static callsite, registration, and raw-or-formatted
//! recording of each value.

use super::check::{Plan, ValuePlan};
use super::item::Func;
use crate::event::codegen::{Site, callsite_static, record};
use crate::event::resolve::{PieceOut, RecArg, Resolved, SpecOut};
use proc_macro2::{Ident, Span, TokenStream};
use quote::{ToTokens, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{ReturnType, Type};
use ttlog_spec::ArgRole;

/// Call-site hygiene (the locals resolve), `span`'s location (errors point there).
fn at(span: Span) -> Span {
    Span::call_site().located_at(span)
}

/// The call id: the first argument of entry and exit events.
fn call_id_arg() -> RecArg {
    let name = "call_id".to_owned();
    RecArg::unreferenced(quote!(__ttlog_id), Span::call_site(), name, ArgRole::CallId, SpecOut::display())
}

/// The outcome: the second argument of exit events.
fn outcome_arg(expr: TokenStream) -> RecArg {
    RecArg::unreferenced(expr, Span::call_site(), "outcome".to_owned(), ArgRole::Outcome, SpecOut::display())
}

fn spec(debug: bool) -> SpecOut {
    if debug { SpecOut::debug() } else { SpecOut::display() }
}

/// The callsite of one of the function's events.
fn site<'a>(plan: &'a Plan, level: &Ident, kind: &str) -> Site<'a> {
    let p = &plan.p;
    let kind = Ident::new(kind, Span::call_site());
    Site {
        p,
        level: quote!(#p::Level::#level),
        kind: quote!(#p::CallsiteKind::#kind),
        name: quote!(__TTLOG_NAME),
        target: plan.target.clone(),
        path: if plan.resolve_path { quote!(#p::Some(__ttlog_path)) } else { quote!(#p::None) },
    }
}

/// Every event's message: the function's name.
fn pieces() -> Vec<PieceOut> {
    vec![PieceOut::Const(quote!(__TTLOG_NAME))]
}

/// The whole instrumented function.
pub(crate) fn expand(func: &Func, plan: &Plan) -> TokenStream {
    let p = &plan.p;

    let mut entry_args = vec![call_id_arg()];
    for f in &plan.fields {
        let mut arg = RecArg::unreferenced(f.expr.clone(), f.span, f.name.clone(), ArgRole::Field, spec(f.debug));
        arg.type_name_fallback = f.param;
        entry_args.push(arg);
    }
    let entry = record(&site(plan, &plan.level, "Enter"), &Resolved { args: entry_args, pieces: pieces() });
    let exit_resolved = Resolved { args: vec![call_id_arg(), outcome_arg(quote!(0u8))], pieces: pieces() };
    let exit_static = callsite_static(
        &site(plan, &plan.level, "Exit"),
        &Ident::new("__TTLOG_EXIT", Span::call_site()),
        &exit_resolved,
    );

    let level = &plan.level;
    let lvl = quote!(#p::Level::#level);
    let name = &plan.name;
    let level_paths = plan.level_paths.iter().map(|path| quote!(const _: #p::Level = #path;));
    // An item of the body: its type name is the function's path as the
    // compiler names it, with the `impl` the function is in.
    let path_fn = plan.resolve_path.then(|| {
        quote! {
            fn __ttlog_path() -> &'static #p::str {
                #p::enclosing_path(#p::type_name_of_val(&__ttlog_path))
            }
        }
    });
    let prologue = quote! {
        #(#level_paths)*
        #path_fn
        const __TTLOG_NAME: &#p::str = #name;
        #exit_static
        let __ttlog_id: #p::u64 = if #p::static_enabled(#lvl) && #p::enabled(#lvl) {
            let __ttlog_id = #p::call_id(#lvl);
            { #entry }
            __ttlog_id
        } else {
            0
        };
    };

    let records_value = plan.ret.is_some() || plan.err.is_some();
    let is_async = func.sig.asyncness.is_some();
    // Spliced in, not a nested block: rustc would call the user's braces
    // unnecessary.
    let body = &func.body;
    let rest = if !records_value && !is_async {
        quote! {
            let __ttlog_exit = #p::FnExit::new(&__TTLOG_EXIT, __ttlog_id);
            #body
        }
    } else {
        let fake_return = fake_return(p, &func.sig.output);
        let exit_mut = if records_value { quote!(mut) } else { quote!() };
        let run = if is_async {
            let moves = moves_statics(plan);
            quote! {
                #moves
                let (__ttlog_r, #exit_mut __ttlog_exit) = #p::FnFuture::<_, { #p::static_enabled(#lvl) }>::new(
                    #p::FnExit::new(&__TTLOG_EXIT, __ttlog_id),
                    &__TTLOG_MOVES,
                    async move { #fake_return #body },
                )
                .await;
            }
        } else {
            quote! {
                let #exit_mut __ttlog_exit = #p::FnExit::new(&__TTLOG_EXIT, __ttlog_id);
                let __ttlog_r = #p::call_once(move || { #fake_return #body });
            }
        };
        let value = record_value(plan);
        quote! {
            #run
            #value
            __ttlog_r
        }
    };

    let Func { attrs, vis, defaultness, sig, inner_attrs, .. } = func;
    let mut out = TokenStream::new();
    for a in attrs {
        a.to_tokens(&mut out);
    }
    vis.to_tokens(&mut out);
    defaultness.to_tokens(&mut out);
    sig.to_tokens(&mut out);
    let mut block = proc_macro2::Group::new(
        proc_macro2::Delimiter::Brace,
        quote! {
            #inner_attrs
            #prologue
            #rest
        },
    );
    block.set_span(func.brace_span);
    block.to_tokens(&mut out);
    out
}

/// The callsites of an `async fn`'s suspend and resume events (the call id
/// only), and the `Moves` that holds them.
fn moves_statics(plan: &Plan) -> TokenStream {
    let p = &plan.p;
    let resolved = || Resolved { args: vec![call_id_arg()], pieces: pieces() };
    let suspend_ident = Ident::new("__TTLOG_SUSPEND", Span::call_site());
    let resume_ident = Ident::new("__TTLOG_RESUME", Span::call_site());
    let suspend = callsite_static(&site(plan, &plan.level, "Suspend"), &suspend_ident, &resolved());
    let resume = callsite_static(&site(plan, &plan.level, "Resume"), &resume_ident, &resolved());
    quote! {
        #suspend
        #resume
        static __TTLOG_MOVES: #p::Moves = #p::Moves { suspend: &#suspend_ident, resume: &#resume_ident };
    }
}

/// Records the exit event with the returned value, where `ret` or `err` asks
/// for it, and tells the guard; otherwise the guard records the plain exit.
fn record_value(plan: &Plan) -> TokenStream {
    let p = &plan.p;
    let one = |v: &ValuePlan, value: TokenStream, outcome: &str, name: &str| {
        let level = &v.level;
        let lvl = quote!(#p::Level::#level);
        let outcome = Ident::new(outcome, Span::call_site());
        let mut recorded = RecArg::unreferenced(value, v.kw.span(), name.to_owned(), ArgRole::Field, spec(v.debug));
        recorded.option_value = true;
        let args = vec![call_id_arg(), outcome_arg(quote!(#p::Outcome::#outcome as #p::u8)), recorded];
        let rec = record(&site(plan, level, "Exit"), &Resolved { args, pieces: pieces() });
        quote! {
            if #p::static_enabled(#lvl) && #p::enabled(#lvl) {
                let __ttlog_id = __ttlog_exit.id();
                { #rec }
                __ttlog_exit.recorded();
            }
        }
    };
    if !plan.is_result {
        return match &plan.ret {
            Some(ret) => one(ret, quote!(__ttlog_r), "Returned", "ret"),
            None => quote!(),
        };
    }
    let ok = plan.ret.as_ref().map(|ret| one(ret, quote!(__ttlog_x), "Returned", "ret"));
    let err = plan.err.as_ref().map(|err| one(err, quote!(__ttlog_x), "Err", "err"));
    // A return type that is not a `Result` is an error at the option that
    // made it one.
    let kw = plan.err.as_ref().or(plan.ret.as_ref()).map(|v| v.kw.span()).unwrap_or_else(Span::call_site);
    // The scrutinee and the patterns carry the option's location, so that the
    // error for a value that is not a `Result` is one error, there.
    let value = Ident::new("__ttlog_r", at(kw));
    let as_result = quote_spanned!(at(kw)=> #p::AsResult::__ttlog_as_result(&#value));
    let x = Ident::new("__ttlog_x", at(kw));
    let ok_pat = quote_spanned!(at(kw)=> #p::Ok(#x));
    let err_pat = quote_spanned!(at(kw)=> #p::Err(#x));
    quote! {
        match #as_result {
            #ok_pat => { #ok }
            #err_pat => {
                __ttlog_exit.set_outcome(#p::Outcome::Err);
                #err
            }
        }
    }
}

/// A `return` that is never taken, first in the closure or `async` block that
/// runs the body: it gives the block the function's return type, which `?`
/// needs to infer the error conversion. `impl Trait` becomes `_`; a function
/// that returns `()` or `!` needs none.
fn fake_return(p: &TokenStream, output: &ReturnType) -> TokenStream {
    let ReturnType::Type(_, ty) = output else { return quote!() };
    if matches!(**ty, Type::Never(_) | Type::ImplTrait(_) | Type::Infer(_)) {
        return quote!();
    }
    let mut ty = (**ty).clone();
    erase_impl_trait(&mut ty);
    let span = at(ty.span());
    quote_spanned! {span=>
        #[allow(unreachable_code, clippy::diverging_sub_expression, clippy::unreachable, clippy::let_unit_value)]
        if false {
            let __ttlog_unreachable: #ty = #p::unreachable!();
            return __ttlog_unreachable;
        }
    }
}

/// Replaces every `impl Trait` inside `ty` with `_`, which a `let` accepts.
fn erase_impl_trait(ty: &mut Type) {
    match ty {
        Type::ImplTrait(t) => {
            *ty = Type::Infer(syn::TypeInfer { attrs: Vec::new(), underscore_token: syn::Token![_](t.impl_token.span) })
        }
        Type::Array(t) => erase_impl_trait(&mut t.elem),
        Type::Group(t) => erase_impl_trait(&mut t.elem),
        Type::Paren(t) => erase_impl_trait(&mut t.elem),
        Type::Ptr(t) => erase_impl_trait(&mut t.elem),
        Type::Reference(t) => erase_impl_trait(&mut t.elem),
        Type::Slice(t) => erase_impl_trait(&mut t.elem),
        Type::Tuple(t) => t.elems.iter_mut().for_each(erase_impl_trait),
        Type::Path(t) => {
            for seg in t.path.segments.iter_mut() {
                if let syn::PathArguments::AngleBracketed(a) = &mut seg.arguments {
                    for arg in a.args.iter_mut() {
                        if let syn::GenericArgument::Type(t) = arg {
                            erase_impl_trait(t);
                        }
                    }
                }
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn impl_trait_becomes_an_inferred_type() {
        let cases = [
            ("impl Debug", "_"),
            ("Vec<impl Debug>", "Vec < _ >"),
            ("(u8, &'a impl Fn() -> u8)", "(u8 , & 'a _)"),
            ("Box<dyn Fn() -> u8>", "Box < dyn Fn () -> u8 >"),
            ("[impl Copy; 2]", "[_ ; 2]"),
            ("Result<Option<impl Clone>, E>", "Result < Option < _ > , E >"),
        ];
        for (ty, expected) in cases {
            let mut ty: Type = syn::parse_str(ty).unwrap();
            erase_impl_trait(&mut ty);
            assert_eq!(ty.to_token_stream().to_string(), expected);
        }
    }
}
