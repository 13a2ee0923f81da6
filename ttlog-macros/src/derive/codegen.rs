//! The derive's output: a static descriptor submitted through `inventory`,
//! and the `Record`, `Raw` (and with a display format `RawDisplay`)
//! implementations, all reaching only `ttlog::__private`.

use super::attr::{Piece, Shape, Style};
use proc_macro2::{Span, TokenStream, TokenTree};
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;

/// The name under which the crate being compiled depends on `ttlog`.
fn runtime_crate() -> syn::Ident {
    syn::Ident::new(crate::crate_name::ttlog_name().as_deref().unwrap_or("ttlog"), Span::call_site())
}

/// Whether `tokens` mention one of `params`.
fn mentions(tokens: TokenStream, params: &[syn::Ident]) -> bool {
    tokens.into_iter().any(|t| match t {
        TokenTree::Ident(i) => params.contains(&i),
        TokenTree::Group(g) => mentions(g.stream(), params),
        _ => false,
    })
}

pub(crate) fn generate(item: &syn::DeriveInput, shape: &Shape) -> TokenStream {
    let krate = runtime_crate();
    let p = quote!(::#krate::__private);
    let ident = &item.ident;
    let name = ident.to_string();
    let is_enum = shape.is_enum;

    let variants = shape.variants.iter().map(|v| {
        let vname = &v.name;
        let style = match v.style {
            Style::Unit => quote!(Unit),
            Style::Tuple => quote!(Tuple),
            Style::Named => quote!(Named),
        };
        let fields = v.fields.iter().map(|f| &f.name);
        let display = match &v.display {
            None => quote!(#p::None),
            Some(pieces) => {
                let pieces = pieces.iter().map(|piece| match piece {
                    Piece::Lit(s) => quote!(#p::Display::Lit(#s)),
                    Piece::Field { index, debug } => quote!(#p::Display::Field { index: #index, debug: #debug }),
                });
                quote!(#p::Some(&[#(#pieces),*]))
            }
        };
        quote! {
            #p::VariantDesc { name: #vname, style: #p::Style::#style, fields: &[#(#fields),*], display: #display }
        }
    });

    // Bounds: each field whose type mentions a type parameter must be
    // recordable, and each `#[ttlog(debug)]` field `Debug`; the others are
    // checked where they are written, with the error on the field's type
    // (a bound on them would be a cycle for a type that holds itself).
    let params: Vec<syn::Ident> = item.generics.type_params().map(|t| t.ident.clone()).collect();
    let mut generics = item.generics.clone();
    {
        let wc = generics.make_where_clause();
        for v in &shape.variants {
            for f in &v.fields {
                let ty = &f.ty;
                // A `#[ttlog(debug)]` field's type needs `Debug` whatever it
                // is (a bound that does not hold is an error on the field).
                if !f.debug && !mentions(quote!(#ty), &params) {
                    continue;
                }
                let pred: syn::WherePredicate = if f.debug {
                    syn::parse_quote_spanned!(ty.span()=> #ty: ::core::fmt::Debug)
                } else {
                    syn::parse_quote_spanned!(ty.span()=> #ty: #p::Record)
                };
                wc.predicates.push(pred);
            }
        }
    }
    let (impl_g, ty_g, where_c) = generics.split_for_impl();

    // Per variant: the pattern binding its fields, and their sizes and writes.
    let arms = shape.variants.iter().enumerate().map(|(vi, v)| {
        let binds: Vec<syn::Ident> = (0..v.fields.len()).map(|i| format_ident!("__ttlog_f{}", i)).collect();
        let path = match &v.ident {
            Some(vid) => quote!(Self::#vid),
            None => quote!(Self),
        };
        let pat = match v.style {
            Style::Unit => quote!(#path),
            Style::Tuple => quote!(#path(#(#binds),*)),
            Style::Named => {
                let names = v.fields.iter().map(|f| format_ident!("{}", f.name));
                quote!(#path { #(#names: #binds),* })
            }
        };
        let sizes = v.fields.iter().zip(&binds).map(|(f, b)| {
            let ty = &f.ty;
            if f.debug {
                quote_spanned!(ty.span()=>
                    + #p::Record::record_size(&#p::DebugField::<#ty>(#b), __ttlog_bound, __ttlog_depth + 1))
            } else {
                quote_spanned!(ty.span()=>
                    + <#ty as #p::Record>::record_size(#b, __ttlog_bound, __ttlog_depth + 1))
            }
        });
        let writes = v.fields.iter().zip(&binds).map(|(f, b)| {
            let ty = &f.ty;
            if f.debug {
                quote_spanned!(ty.span()=>
                    #p::Record::record_encode(&#p::DebugField::<#ty>(#b), __ttlog_w, __ttlog_bound, __ttlog_depth + 1);)
            } else {
                quote_spanned!(ty.span()=>
                    <#ty as #p::Record>::record_encode(#b, __ttlog_w, __ttlog_bound, __ttlog_depth + 1);)
            }
        });
        let vi = vi as u16;
        let n = v.fields.len() as u8;
        let fmts = v.fields.iter().zip(&binds).map(|(f, b)| {
            let ty = &f.ty;
            if f.debug { quote!(|| true) } else { quote!(|| <#ty as #p::Record>::record_has_fmt(#b)) }
        });
        (
            quote!(#pat => false #(#fmts)*,),
            quote!(#pat => #p::RECORD_HEAD #(#sizes)*,),
            quote!(#pat => {
                #p::put_record_head(__ttlog_w, &__TTLOG_TYPE, #vi, #n);
                #(#writes)*
            }),
        )
    });
    let mut fmt_arms = Vec::new();
    let mut size_arms = Vec::new();
    let mut write_arms = Vec::new();
    for (f, s, w) in arms {
        fmt_arms.push(f);
        size_arms.push(s);
        write_arms.push(w);
    }

    let size_const = if !is_enum && shape.variants.len() == 1 {
        let tys = shape.variants[0].fields.iter().map(|f| {
            let ty = &f.ty;
            // A field formatted at the call has no fixed size.
            if f.debug { quote!(#p::None) } else { quote!(<#ty as #p::Record>::SIZE) }
        });
        quote!(#p::sum_sizes(#p::RECORD_HEAD, &[#(#tys),*]))
    } else {
        quote!(#p::None)
    };
    // `match *self {}` for an enum without variants.
    let (size_body, write_body, fmt_body) = if shape.variants.is_empty() {
        (quote!(match *self {}), quote!(match *self {}), quote!(match *self {}))
    } else {
        (
            quote!(match self { #(#size_arms)* }),
            quote!(match self { #(#write_arms)* }),
            quote!(match self { #(#fmt_arms)* }),
        )
    };
    let display_impl = shape.has_display().then(|| {
        quote! {
            impl #impl_g #p::RawDisplay for #ident #ty_g #where_c {}
        }
    });

    quote! {
        const _: () = {
            static __TTLOG_TYPE: #p::TypeDesc = #p::TypeDesc {
                name: #name,
                is_enum: #is_enum,
                variants: &[#(#variants),*],
            };
            #p::inventory::submit! { #p::TypeRegistration(&__TTLOG_TYPE) }

            impl #impl_g #p::Record for #ident #ty_g #where_c {
                const SIZE: #p::Option<#p::usize> = #size_const;
                #[inline]
                fn record_has_fmt(&self) -> #p::bool {
                    #fmt_body
                }
                #[inline]
                fn record_size(&self, __ttlog_bound: #p::usize, __ttlog_depth: #p::u32) -> #p::usize {
                    if __ttlog_depth >= #p::MAX_DEPTH {
                        return #p::TOO_DEEP_SIZE;
                    }
                    #size_body
                }
                #[inline]
                fn record_encode(
                    &self,
                    __ttlog_w: &mut #p::RecordWriter,
                    __ttlog_bound: #p::usize,
                    __ttlog_depth: #p::u32,
                ) {
                    if #p::nested_too_deep(__ttlog_w, __ttlog_depth) {
                        return;
                    }
                    #write_body
                }
            }

            impl #impl_g #p::RawSealed for #ident #ty_g #where_c {}

            impl #impl_g #p::Raw for #ident #ty_g #where_c {
                type Value<'__ttlog_a> = #p::RecordArg<'__ttlog_a, Self> where Self: '__ttlog_a;
                #[inline(always)]
                fn raw_value(&self) -> #p::RecordArg<'_, Self> {
                    #p::RecordArg(self)
                }
            }

            #display_impl
        };
    }
}
