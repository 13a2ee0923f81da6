//! Parses the item under `#[ttlog]`: a function with a body, whose body is kept
//! as raw tokens.
//!
//! Only the signature is parsed. The body is never looked into (beyond its
//! leading inner attributes), so a body with its own syntax or type errors
//! still expands, and rustc reports those errors itself. A function whose
//! signature does not parse is given back untouched, for the same reason.

use proc_macro2::{Delimiter, Span, TokenStream, TokenTree};
use syn::parse::{Parse, ParseStream, Parser};
use syn::{Attribute, Signature, Token, Visibility};

/// A function under `#[ttlog]`.
pub(crate) struct Func {
    /// Outer attributes, doc comments included.
    pub(crate) attrs: Vec<Attribute>,
    pub(crate) vis: Visibility,
    /// `default` (specialization), kept as written.
    pub(crate) defaultness: Option<Token![default]>,
    pub(crate) sig: Signature,
    /// The body's inner attributes (`#![allow(..)]`), which must stay first
    /// in the function's body.
    pub(crate) inner_attrs: TokenStream,
    /// The rest of the body, between the braces.
    pub(crate) body: TokenStream,
    /// The braces' span.
    pub(crate) brace_span: Span,
}

/// What the attribute was put on.
pub(crate) enum Parsed {
    /// A function with a body.
    Func(Box<Func>),
    /// A function whose signature does not parse: given back untouched, so that
    /// rustc reports the problem in its own words.
    Broken,
}

/// Keywords that may come before `fn`.
const QUALIFIERS: [&str; 6] = ["const", "async", "unsafe", "safe", "extern", "default"];

/// Parses `item`: a function, or an error on the exact token that makes it
/// something else.
pub(crate) fn parse(item: TokenStream) -> syn::Result<Parsed> {
    syn::parse2::<Item>(item).map(|i| i.0)
}

struct Item(Parsed);

impl Parse for Item {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let attrs = input.call(Attribute::parse_outer)?;
        let vis: Visibility = input.parse()?;
        // Is it a function at all? Look past the qualifiers for `fn`.
        let fork = input.fork();
        let mut first: Option<TokenTree> = None;
        let mut is_fn = false;
        while let Ok(tt) = fork.parse::<TokenTree>() {
            let word = match &tt {
                TokenTree::Ident(id) => id.to_string(),
                // The ABI of `extern "C" fn`.
                TokenTree::Literal(_) if first.is_some() => continue,
                _ => String::new(),
            };
            if first.is_none() {
                first = Some(tt.clone());
            }
            if word == "fn" {
                is_fn = true;
                break;
            }
            if !QUALIFIERS.contains(&word.as_str()) {
                break;
            }
        }
        if !is_fn {
            let (span, found) = match &first {
                Some(tt) => (tt.span(), format!(", found `{tt}`")),
                None => (input.span(), String::new()),
            };
            return Err(syn::Error::new(span, format!("`#[ttlog]` can only be used on a function{found}")));
        }
        let rest: TokenStream = input.parse()?;
        // Parsed apart, so that a signature that does not parse leaves no trace
        // in this parser's state: rustc reports it, from the untouched item.
        let parsed = (|input: ParseStream<'_>| {
            let defaultness: Option<Token![default]> = input.parse()?;
            let sig: Signature = input.parse()?;
            let rest: TokenStream = input.parse()?;
            Ok((defaultness, sig, rest))
        })
        .parse2(rest);
        let Ok((defaultness, sig, rest)) = parsed else {
            return Ok(Item(Parsed::Broken));
        };
        if let Some(c) = &sig.constness {
            return Err(syn::Error::new(c.span, "`#[ttlog]` cannot be used on a `const fn`"));
        }
        let mut rest = rest.into_iter();
        let body = match (rest.next(), rest.next()) {
            (Some(TokenTree::Group(g)), None) if g.delimiter() == Delimiter::Brace => g,
            (Some(TokenTree::Punct(semi)), None) if semi.as_char() == ';' => {
                return Err(syn::Error::new(
                    semi.span(),
                    "`#[ttlog]` needs a function body: expected `{ ... }` after the signature",
                ));
            }
            _ => return Ok(Item(Parsed::Broken)),
        };
        let (inner_attrs, rest) = split_inner_attrs(body.stream());
        Ok(Item(Parsed::Func(Box::new(Func {
            attrs,
            vis,
            defaultness,
            sig,
            inner_attrs,
            body: rest,
            brace_span: body.span(),
        }))))
    }
}

/// Splits the leading `#![...]` attributes off a body.
fn split_inner_attrs(body: TokenStream) -> (TokenStream, TokenStream) {
    let tokens: Vec<TokenTree> = body.into_iter().collect();
    let mut i = 0;
    while let (Some(TokenTree::Punct(hash)), Some(TokenTree::Punct(bang)), Some(TokenTree::Group(g))) =
        (tokens.get(i), tokens.get(i + 1), tokens.get(i + 2))
    {
        if hash.as_char() != '#' || bang.as_char() != '!' || g.delimiter() != Delimiter::Bracket {
            break;
        }
        i += 3;
    }
    let (attrs, rest) = tokens.split_at(i);
    (attrs.iter().cloned().collect(), rest.iter().cloned().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(src: &str) -> syn::Result<Parsed> {
        parse(src.parse().unwrap())
    }

    fn error(src: &str) -> String {
        match parsed(src) {
            Err(e) => e.to_string(),
            Ok(_) => panic!("{src} parsed"),
        }
    }

    #[test]
    fn functions_and_their_bodies() {
        let Ok(Parsed::Func(f)) =
            parsed("#[inline] pub(crate) unsafe extern \"C\" fn f(a: u8) -> u8 { #![allow(x)] #![deny(y)] a }")
        else {
            panic!()
        };
        assert_eq!(f.attrs.len(), 1);
        assert_eq!(f.inner_attrs.to_string().replace(' ', ""), "#![allow(x)]#![deny(y)]");
        assert_eq!(f.body.to_string(), "a");
        assert!(matches!(parsed("async fn f() { let x = ; }"), Ok(Parsed::Func(_))));
        assert!(matches!(parsed("fn f(a u8) {}"), Ok(Parsed::Broken)));
        assert!(matches!(parsed("fn f() -> {}"), Ok(Parsed::Broken)));
    }

    #[test]
    fn what_is_not_a_function_with_a_body() {
        assert_eq!(error("const fn f() {}"), "`#[ttlog]` cannot be used on a `const fn`");
        assert_eq!(error("fn f();"), "`#[ttlog]` needs a function body: expected `{ ... }` after the signature");
        assert_eq!(error("struct S;"), "`#[ttlog]` can only be used on a function, found `struct`");
        assert_eq!(error("pub const X: u8 = 1;"), "`#[ttlog]` can only be used on a function, found `const`");
        assert_eq!(error("impl S {}"), "`#[ttlog]` can only be used on a function, found `impl`");
    }
}
