//! `#[derive(ttlog::Record)]`: parse the type and its `#[ttlog(..)]`
//! attributes, then generate its descriptor and its `Record` and `Raw`
//! implementations (see `ttlog::record` for what they do at run time).

mod attr;
mod codegen;

use proc_macro2::TokenStream;

/// Expands the derive on `input`.
pub(crate) fn expand(input: TokenStream) -> syn::Result<TokenStream> {
    let item: syn::DeriveInput = syn::parse2(input)?;
    let shape = attr::Shape::parse(&item)?;
    Ok(codegen::generate(&item, &shape))
}
