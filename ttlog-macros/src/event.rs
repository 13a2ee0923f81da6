//! The event macros (`info!` and friends, `event!`): parse, check, generate.

pub(crate) mod codegen;
pub(crate) mod input;
pub(crate) mod resolve;

use proc_macro2::TokenStream;

/// Expands `$crate, LEVEL, "fmt", args...`.
pub(crate) fn expand(tokens: TokenStream) -> syn::Result<TokenStream> {
    let input: input::EventInput = syn::parse2(tokens)?;
    let resolved = resolve::resolve(&input)?;
    Ok(codegen::expand(&input, &resolved))
}
