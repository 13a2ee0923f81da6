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
    let options = match syn::parse2::<args::Options>(args) {
        Ok(o) => Some(o),
        Err(e) => {
            errors.push(e);
            None
        }
    };
    let result = errors.finish().and_then(|()| match (func, options) {
        (Some(func), Some(options)) => {
            let plan = check::check(&func, &options)?;
            Ok(codegen::expand(&func, &plan))
        }
        _ => unreachable!("an error was recorded for each missing part"),
    });
    match result {
        Ok(out) => out,
        Err(e) => {
            let mut out = e.into_compile_error();
            out.extend(item);
            out
        }
    }
}
