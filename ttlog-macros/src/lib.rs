//! Procedural macros of ttlog. Use them through the `ttlog` crate, which documents
//! them: this crate's items are an implementation detail.

mod attr;
mod crate_name;
mod derive;
mod event;
mod format;

use proc_macro::TokenStream;

/// Implementation of `ttlog::info!` and friends; see the `ttlog` crate.
#[doc(hidden)]
#[proc_macro]
pub fn event(input: TokenStream) -> TokenStream {
    event::expand(input.into()).unwrap_or_else(syn::Error::into_compile_error).into()
}

// Documented where `ttlog` re-exports it (`#[doc(inline)]`).
#[proc_macro_attribute]
pub fn ttlog(args: TokenStream, item: TokenStream) -> TokenStream {
    attr::expand(args.into(), item.into()).into()
}

// Documented where `ttlog` re-exports it.
#[proc_macro_derive(Record, attributes(ttlog))]
pub fn derive_record(input: TokenStream) -> TokenStream {
    derive::expand(input.into()).unwrap_or_else(syn::Error::into_compile_error).into()
}
