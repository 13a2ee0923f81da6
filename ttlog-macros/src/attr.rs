//! The `#[ttlog]` attribute: parse the options and the function, check them
//! against each other, generate the instrumented function.
//!
//! Errors never cascade: when the options or the item are wrong, the output
//! is the errors and the function untouched, so rustc adds nothing of its own
//! about code the attribute failed to generate; when the signature does not
//! parse, the function is given back untouched and rustc reports it.

mod args;
mod check;
mod codegen;
mod item;

use proc_macro2::TokenStream;

/// Expands `#[ttlog(args)] item`.
pub(crate) fn expand(args: TokenStream, item: TokenStream) -> TokenStream {
    let mut errors = args::Errors::default();
    let func = match item::parse(item.clone()) {
        Ok(item::Parsed::Func(f)) => Some(f),
        Ok(item::Parsed::Broken) => return item,
        Err(e) => {
            errors.push(e);
            None
        }
    };
    let (options, option_errors) = args::parse(args);
    errors.extend(option_errors);
    let plan = func.as_ref().and_then(|func| match check::check(func, &options) {
        Ok(plan) => Some(plan),
        Err(e) => {
            errors.push(e);
            None
        }
    });
    match errors.finish() {
        Err(e) => {
            let mut out = e.into_compile_error();
            out.extend(item);
            out
        }
        Ok(()) => match (func, plan) {
            (Some(func), Some(plan)) => codegen::expand(&func, &plan),
            _ => unreachable!("a missing function or plan comes with an error"),
        },
    }
}
