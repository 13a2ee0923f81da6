//! The event macros (`info!` and friends, `event!`): parse, check, generate.

mod codegen;
mod input;
mod resolve;

use proc_macro2::TokenStream;

/// Expands `$crate, LEVEL, "fmt", args...`.
pub(crate) fn expand(tokens: TokenStream) -> syn::Result<TokenStream> {
    let input: input::EventInput = syn::parse2(tokens)?;
    let resolved = resolve::resolve(&input)?;
    Ok(codegen::expand(&input, &resolved))
}
