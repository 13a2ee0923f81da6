//! Values of types that derive `ttlog::Record`: read from their bytes (see
//! [`ttlog_core::wire::types`]) with the file's TYPE frames, and rendered as
//! `Debug` renders them, with the type's display format, or as JSON.
//!
//! The bytes and the TYPE frames are untrusted: reading bounds the nesting
//! ([`MAX_DEPTH`]) and takes at least a byte of input per node, and a value
//! whose type, variant or fields the file does not describe still renders,
//! with what the bytes say (`?7 { .. }` for an unknown type 7).

use std::collections::BTreeMap;
use std::fmt::{self, Write as _};
use ttlog_core::wire::types::{MAX_DEPTH, Style, TypeInfo, scalar_width, tag};

/// The TYPE frames of a file, by id.
pub(crate) type Types = BTreeMap<u32, TypeInfo>;

/// One value of a record's tree.
#[derive(Clone, Debug, PartialEq)]
enum Node {
    U(u128),
    I(i128),
    F32(f32),
    F64(f64),
    Bool(bool),
    Char(char),
    /// A string (`text`: formatted at the call, shown without quotes by
    /// `Debug`), and the bytes cut from it.
    Str {
        s: String,
        cut: u32,
        text: bool,
    },
    Record {
        id: u32,
        variant: u16,
        fields: Vec<Node>,
    },
    None,
    Some(Box<Node>),
    Seq {
        items: Vec<Node>,
        omitted: u32,
    },
    Tuple(Vec<Node>),
    Unit,
}

/// Reads the value that `b` holds whole; `None` if it does not hold one.
fn parse(b: &[u8]) -> Option<Node> {
    fn take<'a>(b: &'a [u8], at: &mut usize, n: usize) -> Option<&'a [u8]> {
        let s = b.get(*at..at.checked_add(n)?)?;
        *at += n;
        Some(s)
    }
    fn le(s: &[u8]) -> u128 {
        s.iter().rev().fold(0u128, |v, &x| v << 8 | x as u128)
    }
    fn node(b: &[u8], at: &mut usize, depth: u32) -> Option<Node> {
        if depth > MAX_DEPTH {
            return None;
        }
        let t = *b.get(*at)?;
        *at += 1;
        Some(match t {
            tag::STR | tag::TEXT => {
                let head = le(take(b, at, 2)?) as usize;
                let cut = if head & 0x8000 != 0 { le(take(b, at, 4)?) as u32 } else { 0 };
                let s = core::str::from_utf8(take(b, at, head & 0x7fff)?).ok()?;
                Node::Str { s: s.to_owned(), cut, text: t == tag::TEXT }
            }
            tag::RECORD => {
                let head = take(b, at, 7)?;
                let id = le(&head[..4]) as u32;
                let variant = le(&head[4..6]) as u16;
                let mut fields = Vec::new();
                for _ in 0..head[6] {
                    fields.push(node(b, at, depth + 1)?);
                }
                Node::Record { id, variant, fields }
            }
            tag::NONE => Node::None,
            tag::UNIT => Node::Unit,
            tag::SOME => Node::Some(Box::new(node(b, at, depth + 1)?)),
            tag::SEQ => {
                let head = take(b, at, 8)?;
                let n = le(&head[..4]) as usize;
                let omitted = le(&head[4..]) as u32;
                // At least a byte an item: a count larger than the input is
                // refused before anything is allocated for it.
                if n > b.len() - *at {
                    return None;
                }
                let mut items = Vec::with_capacity(n);
                for _ in 0..n {
                    items.push(node(b, at, depth + 1)?);
                }
                Node::Seq { items, omitted }
            }
            tag::TUPLE => {
                let n = take(b, at, 1)?[0];
                let mut items = Vec::with_capacity(n as usize);
                for _ in 0..n {
                    items.push(node(b, at, depth + 1)?);
                }
                Node::Tuple(items)
            }
            t => {
                let s = take(b, at, scalar_width(t)?)?;
                let v = le(s);
                match t {
                    0..=4 => Node::U(v),
                    // Sign-extend from the value's width.
                    5..=9 => {
                        let bits = 8 * s.len() as u32;
                        Node::I(((v << (128 - bits)) as i128) >> (128 - bits))
                    }
                    10 => Node::F32(f32::from_bits(v as u32)),
                    11 => Node::F64(f64::from_bits(v as u64)),
                    12 => match v {
                        0 => Node::Bool(false),
                        1 => Node::Bool(true),
                        _ => return None,
                    },
                    _ => Node::Char(char::from_u32(v as u32)?),
                }
            }
        })
    }
    let mut at = 0;
    let n = node(b, &mut at, 0)?;
    (at == b.len()).then_some(n)
}

/// Whether `b` holds one record value whole.
pub(crate) fn is_value(b: &[u8]) -> bool {
    parse(b).is_some()
}

/// How a record value renders.
pub(crate) struct Rendered {
    /// `{:?}`.
    pub debug: String,
    /// `{:#?}`.
    pub pretty: String,
    /// `{}`: the display format, or `Debug` where the type has none.
    pub display: String,
    /// JSON.
    pub json: String,
}

/// Renders the record value that `b` holds, or `None` if it holds none.
pub(crate) fn render(b: &[u8], types: &Types) -> Option<Rendered> {
    let node = parse(b)?;
    let view = View { node: &node, types };
    let mut json = String::new();
    push_json(&mut json, &node, types);
    let mut display = String::new();
    let _ = view.display(&mut display);
    Some(Rendered { debug: format!("{view:?}"), pretty: format!("{view:#?}"), display, json })
}

/// A node with the types to name it: its `Debug` is the value's.
struct View<'a> {
    node: &'a Node,
    types: &'a Types,
}

/// The description of variant `variant` of type `id`, if the file has it.
fn variant(types: &Types, id: u32, variant: u16) -> Option<(&TypeInfo, &ttlog_core::wire::types::VariantInfo)> {
    let t = types.get(&id)?;
    Some((t, t.variants.get(variant as usize)?))
}

/// Text the bytes cut from a string leave behind.
fn cut_marker(f: &mut impl fmt::Write, cut: u32) -> fmt::Result {
    if cut != 0 { write!(f, "…[{cut} bytes cut]") } else { Ok(()) }
}

impl fmt::Debug for View<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let v = |node| View { node, types: self.types };
        match self.node {
            Node::U(x) => fmt::Debug::fmt(x, f),
            Node::I(x) => fmt::Debug::fmt(x, f),
            Node::F32(x) => fmt::Debug::fmt(x, f),
            Node::F64(x) => fmt::Debug::fmt(x, f),
            Node::Bool(x) => fmt::Debug::fmt(x, f),
            Node::Char(x) => fmt::Debug::fmt(x, f),
            Node::Str { s, cut, text: false } => {
                fmt::Debug::fmt(s.as_str(), f)?;
                cut_marker(f, *cut)
            }
            Node::Str { s, cut, text: true } => {
                f.write_str(s)?;
                cut_marker(f, *cut)
            }
            Node::None => f.write_str("None"),
            Node::Unit => f.write_str("()"),
            Node::Some(x) => f.debug_tuple("Some").field(&v(x)).finish(),
            Node::Seq { items, omitted } => {
                let mut l = f.debug_list();
                l.entries(items.iter().map(v));
                if *omitted != 0 {
                    l.entry(&format_args!("..{omitted} more"));
                }
                l.finish()
            }
            Node::Tuple(items) => {
                let mut t = f.debug_tuple("");
                for x in items {
                    t.field(&v(x));
                }
                t.finish()
            }
            Node::Record { id, variant: vi, fields } => match variant(self.types, *id, *vi) {
                Some((_, var)) if var.fields.len() == fields.len() => match var.style {
                    Style::Unit => f.write_str(&var.name),
                    Style::Tuple => {
                        let mut t = f.debug_tuple(&var.name);
                        for x in fields {
                            t.field(&v(x));
                        }
                        t.finish()
                    }
                    Style::Named => {
                        let mut s = f.debug_struct(&var.name);
                        for (name, x) in var.fields.iter().zip(fields) {
                            s.field(name, &v(x));
                        }
                        s.finish()
                    }
                },
                // Not described by the file: what the bytes say.
                _ => {
                    let name = format!("?{id}");
                    let mut t = f.debug_tuple(&name);
                    for x in fields {
                        t.field(&v(x));
                    }
                    t.finish()
                }
            },
        }
    }
}

impl View<'_> {
    /// Writes the value as `{}` renders it: scalars and strings with
    /// `Display`, records with their display format, the rest with `Debug`.
    fn display(&self, out: &mut String) -> fmt::Result {
        match self.node {
            Node::U(x) => write!(out, "{x}"),
            Node::I(x) => write!(out, "{x}"),
            Node::F32(x) => write!(out, "{x}"),
            Node::F64(x) => write!(out, "{x}"),
            Node::Bool(x) => write!(out, "{x}"),
            Node::Char(x) => write!(out, "{x}"),
            Node::Str { s, cut, .. } => {
                out.push_str(s);
                cut_marker(out, *cut)
            }
            Node::Record { id, variant: vi, fields } => match variant(self.types, *id, *vi) {
                Some((_, var)) if var.fields.len() == fields.len() && var.display.is_some() => {
                    for p in var.display.iter().flatten() {
                        match p {
                            ttlog_core::wire::types::DisplayPiece::Lit(s) => out.push_str(s),
                            ttlog_core::wire::types::DisplayPiece::Field { index, debug } => {
                                let Some(node) = fields.get(*index as usize) else { continue };
                                let v = View { node, types: self.types };
                                if *debug {
                                    write!(out, "{v:?}")?;
                                } else {
                                    v.display(out)?;
                                }
                            }
                        }
                    }
                    Ok(())
                }
                _ => write!(out, "{self:?}"),
            },
            _ => write!(out, "{self:?}"),
        }
    }
}

/// Appends the value as JSON: records as objects of their fields (tuple
/// fields as arrays, unit variants as their name), an enum's value inside an
/// object named after its variant (`{"Moved":{"x":1}}`), `None` as `null`,
/// sequences and tuples as arrays, text as strings.
fn push_json(out: &mut String, node: &Node, types: &Types) {
    let num = |out: &mut String, v: &dyn fmt::Display| {
        let _ = write!(out, "{v}");
    };
    match node {
        Node::U(x) => num(out, x),
        Node::I(x) => num(out, x),
        Node::F32(x) if x.is_finite() => num(out, x),
        Node::F64(x) if x.is_finite() => num(out, x),
        Node::F32(x) => crate::render::line::push_json_str(out, &x.to_string()),
        Node::F64(x) => crate::render::line::push_json_str(out, &x.to_string()),
        Node::Bool(x) => num(out, x),
        Node::Char(c) => crate::render::line::push_json_str(out, c.encode_utf8(&mut [0; 4])),
        Node::Str { s, .. } => crate::render::line::push_json_str(out, s),
        Node::None | Node::Unit => out.push_str("null"),
        Node::Some(x) => push_json(out, x, types),
        Node::Seq { items, .. } | Node::Tuple(items) => push_json_array(out, items, types),
        Node::Record { id, variant: vi, fields } => {
            let described = variant(types, *id, *vi).filter(|(_, v)| v.fields.len() == fields.len());
            let Some((ty, var)) = described else {
                return push_json_array(out, fields, types);
            };
            if ty.is_enum && var.style != Style::Unit {
                out.push('{');
                crate::render::line::push_json_str(out, &var.name);
                out.push(':');
            }
            match var.style {
                Style::Unit => crate::render::line::push_json_str(out, &var.name),
                Style::Tuple => push_json_array(out, fields, types),
                Style::Named => {
                    out.push('{');
                    for (i, (name, x)) in var.fields.iter().zip(fields).enumerate() {
                        if i > 0 {
                            out.push(',');
                        }
                        crate::render::line::push_json_str(out, name);
                        out.push(':');
                        push_json(out, x, types);
                    }
                    out.push('}');
                }
            }
            if ty.is_enum && var.style != Style::Unit {
                out.push('}');
            }
        }
    }
}

fn push_json_array(out: &mut String, items: &[Node], types: &Types) {
    out.push('[');
    for (i, x) in items.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        push_json(out, x, types);
    }
    out.push(']');
}

#[cfg(test)]
mod tests {
    use super::*;
    use ttlog_core::wire::types::{DisplayPiece, VariantInfo};

    fn point() -> Types {
        let v = |name: &str, style, fields: &[&str]| VariantInfo {
            name: name.into(),
            style,
            fields: fields.iter().map(|s| s.to_string()).collect(),
            display: None,
        };
        let mut t = Types::new();
        let mut p = v("Point", Style::Named, &["x", "y"]);
        p.display = Some(vec![
            DisplayPiece::Lit("(".into()),
            DisplayPiece::Field { index: 0, debug: false },
            DisplayPiece::Lit(", ".into()),
            DisplayPiece::Field { index: 1, debug: false },
            DisplayPiece::Lit(")".into()),
        ]);
        t.insert(1, TypeInfo { id: 1, name: "Point".into(), is_enum: false, variants: vec![p] });
        t.insert(
            2,
            TypeInfo {
                id: 2,
                name: "Shape".into(),
                is_enum: true,
                variants: vec![v("Empty", Style::Unit, &[]), v("Dot", Style::Tuple, &[""])],
            },
        );
        t
    }

    #[test]
    fn renders_as_debug_display_and_json() {
        // Shape::Dot(Point { x: 1, y: -2 })
        let b = [16, 2, 0, 0, 0, 1, 0, 1, 16, 1, 0, 0, 0, 0, 0, 2, 7, 1, 0, 0, 0, 7, 0xfe, 0xff, 0xff, 0xff];
        let r = render(&b, &point()).unwrap();
        assert_eq!(r.debug, "Dot(Point { x: 1, y: -2 })");
        assert_eq!(r.pretty, "Dot(\n    Point {\n        x: 1,\n        y: -2,\n    },\n)");
        assert_eq!(r.display, "Dot(Point { x: 1, y: -2 })");
        assert_eq!(r.json, "{\"Dot\":[{\"x\":1,\"y\":-2}]}");
        assert_eq!(render(&b[8..], &point()).unwrap().display, "(1, -2)");
        // Unknown types render with what the bytes say.
        assert_eq!(render(&b, &Types::new()).unwrap().debug, "?2(?1(1, -2))");
    }

    #[test]
    fn damaged_values_are_refused_without_panics() {
        let b = [16, 2, 0, 0, 0, 1, 0, 1, 16, 1, 0, 0, 0, 0, 0, 2, 7, 1, 0, 0, 0, 7, 0xfe, 0xff, 0xff, 0xff];
        let types = point();
        for cut in 0..b.len() {
            assert!(render(&b[..cut], &types).is_none(), "{cut}");
        }
        // Every single-byte change: rendered or refused, never a panic.
        for i in 0..b.len() {
            for x in 0..=255u8 {
                let mut d = b;
                d[i] = x;
                let _ = render(&d, &types);
            }
        }
        // A sequence that claims more items than there are bytes.
        assert!(render(&[19, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 21], &types).is_none());
        // Nesting past the bound.
        let deep: Vec<u8> = std::iter::repeat_n(tag::SOME, 40).chain([tag::UNIT]).collect();
        assert!(render(&deep, &types).is_none());
    }
}
