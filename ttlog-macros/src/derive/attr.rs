//! The derive's input: variants, fields and their `#[ttlog(..)]` options,
//! checked, with every problem reported at once.

use crate::format::{self, ArgRef, FmtPiece, FmtType, ParsedCount};
use proc_macro2::Span;
use syn::spanned::Spanned;

/// One field.
pub(crate) struct Field {
    /// Its name ("" for a tuple field).
    pub name: String,
    /// Its type.
    pub ty: syn::Type,
    /// `#[ttlog(debug)]`: formatted with `Debug` at the call.
    pub debug: bool,
}

/// A piece of a parsed display format.
pub(crate) enum Piece {
    Lit(String),
    Field { index: u16, debug: bool },
}

/// One variant (a struct has one, named after it).
pub(crate) struct Variant {
    /// `None` for a struct.
    pub ident: Option<syn::Ident>,
    pub name: String,
    pub style: Style,
    pub fields: Vec<Field>,
    pub display: Option<Vec<Piece>>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Style {
    Unit,
    Tuple,
    Named,
}

/// The type, as the derive sees it.
pub(crate) struct Shape {
    pub is_enum: bool,
    pub variants: Vec<Variant>,
}

/// Errors gathered while checking.
#[derive(Default)]
struct Errors(Option<syn::Error>);

impl Errors {
    fn push(&mut self, e: syn::Error) {
        match &mut self.0 {
            Some(all) => all.combine(e),
            None => self.0 = Some(e),
        }
    }
}

/// What `#[ttlog(..)]` gave on one item.
#[derive(Default)]
struct Options {
    display: Option<syn::LitStr>,
    debug: Option<Span>,
}

fn options(attrs: &[syn::Attribute], errors: &mut Errors) -> Options {
    let mut o = Options::default();
    for a in attrs.iter().filter(|a| a.path().is_ident("ttlog")) {
        let r = a.parse_nested_meta(|meta| {
            if meta.path.is_ident("display") {
                let lit: syn::LitStr = meta.value()?.parse()?;
                if o.display.replace(lit).is_some() {
                    return Err(meta.error("`display` given twice"));
                }
                Ok(())
            } else if meta.path.is_ident("debug") {
                o.debug = Some(meta.path.span());
                Ok(())
            } else {
                Err(meta.error("unknown `#[ttlog(..)]` option: expected `display = \"..\"` or `debug`"))
            }
        });
        if let Err(e) = r {
            errors.push(e);
        }
    }
    o
}

fn fields(fields: &syn::Fields, errors: &mut Errors) -> (Style, Vec<Field>) {
    let style = match fields {
        syn::Fields::Unit => Style::Unit,
        syn::Fields::Unnamed(_) => Style::Tuple,
        syn::Fields::Named(_) => Style::Named,
    };
    let out: Vec<Field> = fields
        .iter()
        .map(|f| {
            let o = options(&f.attrs, errors);
            if let Some(d) = &o.display {
                errors.push(syn::Error::new(
                    d.span(),
                    "`display` goes on the type or on an enum variant, not on a field",
                ));
            }
            Field {
                name: f.ident.as_ref().map(|i| i.to_string()).unwrap_or_default(),
                ty: f.ty.clone(),
                debug: o.debug.is_some(),
            }
        })
        .collect();
    if out.len() > 255 {
        errors.push(syn::Error::new(fields.span(), "`#[derive(ttlog::Record)]` supports at most 255 fields"));
    }
    (style, out)
}

/// Parses a display format against the variant's fields.
fn display(lit: &syn::LitStr, style: Style, fields: &[Field], errors: &mut Errors) -> Option<Vec<Piece>> {
    let parsed = match format::parse(&lit.value()) {
        Ok(f) => f,
        Err(e) => {
            errors.push(syn::Error::new(lit.span(), format!("invalid display format: {}", e.message)));
            return None;
        }
    };
    let mut pieces = Vec::new();
    for p in parsed.pieces {
        match p {
            FmtPiece::Lit(s) => pieces.push(Piece::Lit(s)),
            FmtPiece::Arg(ph) => {
                let s = &ph.spec;
                let plain = s.fill == ' '
                    && s.align == format::Align::Unknown
                    && s.sign == format::Sign::None
                    && !s.alternate
                    && !s.zero
                    && s.width == ParsedCount::Implied
                    && s.precision == ParsedCount::Implied
                    && matches!(s.ty, FmtType::Display | FmtType::Debug);
                if !plain {
                    errors.push(syn::Error::new(
                        lit.span(),
                        "a display format takes fields as `{field}` or `{field:?}`, without other options",
                    ));
                    continue;
                }
                let index = match &ph.value {
                    ArgRef::Name { name, .. } if style == Style::Named => fields.iter().position(|f| &f.name == name),
                    ArgRef::Index { index, implicit: false } if style == Style::Tuple => {
                        Some(*index).filter(|&i| i < fields.len())
                    }
                    _ => None,
                };
                match index {
                    Some(i) => pieces.push(Piece::Field { index: i as u16, debug: s.ty == FmtType::Debug }),
                    None => errors.push(syn::Error::new(
                        lit.span(),
                        match (&ph.value, style) {
                            (ArgRef::Name { name, .. }, Style::Named) => {
                                format!("no field `{name}`: a display format names fields of the type, `{{x}}`")
                            }
                            (ArgRef::Index { index, implicit: false }, Style::Tuple) => {
                                format!("no field `{index}`: the type has {} fields", fields.len())
                            }
                            (_, Style::Named) => "a display format names a field of the type: `{x}`".to_owned(),
                            (_, Style::Tuple) => "a display format gives a tuple field by its index: `{0}`".to_owned(),
                            (_, Style::Unit) => "a display format of a type without fields takes no `{..}`".to_owned(),
                        },
                    )),
                }
            }
        }
    }
    Some(pieces)
}

impl Shape {
    pub(crate) fn parse(item: &syn::DeriveInput) -> syn::Result<Shape> {
        let mut errors = Errors::default();
        let top = options(&item.attrs, &mut errors);
        if let Some(d) = top.debug {
            errors.push(syn::Error::new(d, "`debug` goes on a field"));
        }
        let name = item.ident.to_string();
        let shape = match &item.data {
            syn::Data::Struct(s) => {
                let (style, fields) = fields(&s.fields, &mut errors);
                let display = top.display.as_ref().and_then(|d| display(d, style, &fields, &mut errors));
                Shape { is_enum: false, variants: vec![Variant { ident: None, name, style, fields, display }] }
            }
            syn::Data::Enum(e) => {
                if let Some(d) = &top.display {
                    errors.push(syn::Error::new(
                        d.span(),
                        "an enum's display format goes on each variant: `#[ttlog(display = \"..\")]`",
                    ));
                }
                if e.variants.len() > u16::MAX as usize {
                    errors.push(syn::Error::new(item.ident.span(), "too many variants"));
                }
                let variants: Vec<Variant> = e
                    .variants
                    .iter()
                    .map(|v| {
                        let o = options(&v.attrs, &mut errors);
                        if let Some(d) = o.debug {
                            errors.push(syn::Error::new(d, "`debug` goes on a field"));
                        }
                        let (style, fields) = fields(&v.fields, &mut errors);
                        let display = o.display.as_ref().and_then(|d| display(d, style, &fields, &mut errors));
                        Variant { ident: Some(v.ident.clone()), name: v.ident.to_string(), style, fields, display }
                    })
                    .collect();
                let with = variants.iter().filter(|v| v.display.is_some()).count();
                if with != 0 && with != variants.len() {
                    errors.push(syn::Error::new(
                        item.ident.span(),
                        "every variant needs `#[ttlog(display = \"..\")]` when one has it",
                    ));
                }
                Shape { is_enum: true, variants }
            }
            syn::Data::Union(u) => {
                errors.push(syn::Error::new(
                    u.union_token.span,
                    "`#[derive(ttlog::Record)]` supports structs and enums, not unions",
                ));
                Shape { is_enum: false, variants: Vec::new() }
            }
        };
        match errors.0 {
            Some(e) => Err(e),
            None => Ok(shape),
        }
    }

    /// Whether `{}` may render the type: it has a display format.
    pub(crate) fn has_display(&self) -> bool {
        !self.variants.is_empty() && self.variants.iter().all(|v| v.display.is_some())
    }
}
