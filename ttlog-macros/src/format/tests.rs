//! The format-string rules as a table. Every row was checked against rustc
//! 1.95 (`rustc --edition 2024`): a valid row compiles with `format!` and
//! formats with the flags, width, precision and trait shown (seen through a
//! type that prints its `Formatter` state); an invalid row is rejected with
//! that error at that place. Two deliberate differences: an "expected `}`,
//! found `c`" error covers `c` where rustc points just before it, and an
//! out-of-range integer covers its digits where rustc covers one byte more.

use super::*;

/// Writes `format` compactly, one field per word, defaults left out:
/// `"lit", {0..9 next(0) fill='*' > + # 0 width=10 prec=star(1) LowerHex}`.
/// Counts are `8`, `arg(1)` (`1$`), `star(0)` (`.*`) or `name(x@2..3)`.
fn render(format: &Format) -> String {
    let count = |c: &ParsedCount| match c {
        ParsedCount::Implied => None,
        ParsedCount::Is(n) => Some(n.to_string()),
        ParsedCount::Index { index, implicit: false } => Some(format!("arg({index})")),
        ParsedCount::Index { index, implicit: true } => Some(format!("star({index})")),
        ParsedCount::Name { name, range } => Some(format!("name({name}@{range:?})")),
    };
    let piece = |piece: &FmtPiece| {
        let placeholder = match piece {
            FmtPiece::Lit(text) => return format!("{text:?}"),
            FmtPiece::Arg(placeholder) => placeholder,
        };
        let mut words = vec![format!("{:?}", placeholder.range)];
        words.push(match &placeholder.value {
            ArgRef::Index { index, implicit: true } => format!("next({index})"),
            ArgRef::Index { index, implicit: false } => format!("at({index})"),
            ArgRef::Name { name, range } => format!("name({name}@{range:?})"),
        });
        let spec = &placeholder.spec;
        if spec.fill != ' ' {
            words.push(format!("fill={:?}", spec.fill));
        }
        match spec.align {
            Align::Unknown => {}
            Align::Left => words.push("<".into()),
            Align::Center => words.push("^".into()),
            Align::Right => words.push(">".into()),
        }
        match spec.sign {
            Sign::None => {}
            Sign::Plus => words.push("+".into()),
            Sign::Minus => words.push("-".into()),
        }
        if spec.alternate {
            words.push("#".into());
        }
        if spec.zero {
            words.push("0".into());
        }
        if let Some(width) = count(&spec.width) {
            words.push(format!("width={width}"));
        }
        if let Some(precision) = count(&spec.precision) {
            words.push(format!("prec={precision}"));
        }
        if spec.ty != FmtType::Display {
            words.push(format!("{:?}", spec.ty));
        }
        format!("{{{}}}", words.join(" "))
    };
    format.pieces.iter().map(piece).collect::<Vec<_>>().join(", ")
}

#[test]
fn render_shows_every_field() {
    let spec = ParsedSpec {
        fill: '*',
        align: Align::Center,
        sign: Sign::Minus,
        alternate: true,
        zero: true,
        width: ParsedCount::Name { name: "w".into(), range: 5..6 },
        precision: ParsedCount::Index { index: 0, implicit: true },
        ty: FmtType::DebugUpperHex,
    };
    let format = Format {
        pieces: vec![
            FmtPiece::Lit("a{".into()),
            FmtPiece::Arg(Placeholder { value: ArgRef::Name { name: "x".into(), range: 4..5 }, spec, range: 3..10 }),
        ],
    };
    assert_eq!(
        render(&format),
        r#""a{", {3..10 name(x@4..5) fill='*' ^ - # 0 width=name(w@5..6) prec=star(0) DebugUpperHex}"#
    );
}

/// Strings rustc accepts, and what they mean, as `render` writes it.
const VALID: &[(&str, &str)] = &[
    // Literal text and escapes.
    ("", ""),
    ("hello", r#""hello""#),
    ("{{", r#""{""#),
    ("}}", r#""}""#),
    ("a{{b}}c", r#""a{b}c""#),
    ("{{}}", r#""{}""#),
    ("{{{}}}", r#""{", {2..4 next(0)}, "}""#),
    ("x{}y", r#""x", {1..3 next(0)}, "y""#),
    ("é{}😀", r#""é", {2..4 next(0)}, "😀""#),
    // The implicit counter: only `{}` (and `.*`) advance it.
    ("{} {}", r#"{0..2 next(0)}, " ", {3..5 next(1)}"#),
    ("{1} {} {0} {}", r#"{0..3 at(1)}, " ", {4..6 next(0)}, " ", {7..10 at(0)}, " ", {11..13 next(1)}"#),
    ("{x} {} {a} {}", r#"{0..3 name(x@1..2)}, " ", {4..6 next(0)}, " ", {7..10 name(a@8..9)}, " ", {11..13 next(1)}"#),
    ("{00}", "{0..4 at(0)}"),
    ("{01}", "{0..4 at(1)}"),
    ("{65535}", "{0..7 at(65535)}"),
    // Names: Rust identifiers (XID), keywords included.
    ("{é}", "{0..4 name(é@1..3)}"),
    ("{type}", "{0..6 name(type@1..5)}"),
    ("{_a}", "{0..4 name(_a@1..3)}"),
    ("{a·b}", "{0..6 name(a·b@1..5)}"),
    ("{Ⅻ}", "{0..5 name(Ⅻ@1..4)}"),
    ("{a\u{300}}", "{0..5 name(a\u{300}@1..4)}"),
    ("{x:}", "{0..4 name(x@1..2)}"),
    ("{:}", "{0..3 next(0)}"),
    // Whitespace: allowed after the argument and at the end of the spec.
    ("{ }", "{0..3 next(0)}"),
    ("{0 }", "{0..4 at(0)}"),
    ("{x\t}", "{0..4 name(x@1..2)}"),
    ("{0\u{3000}}", "{0..6 at(0)}"),
    ("{ :x}", "{0..5 next(0) LowerHex}"),
    ("{0 :x}", "{0..6 at(0) LowerHex}"),
    ("{:>8 }", "{0..6 next(0) > width=8}"),
    ("{:x }", "{0..5 next(0) LowerHex}"),
    ("{: }", "{0..4 next(0)}"),
    // Fill: any char, but only right before an alignment.
    ("{: >5}", "{0..6 next(0) > width=5}"),
    ("{:^}", "{0..4 next(0) ^}"),
    ("{:<<}", "{0..5 next(0) fill='<' <}"),
    ("{::>5}", "{0..6 next(0) fill=':' > width=5}"),
    ("{:}>5}", "{0..6 next(0) fill='}' > width=5}"),
    ("{:{>5}", "{0..6 next(0) fill='{' > width=5}"),
    ("{:é^9}", "{0..7 next(0) fill='é' ^ width=9}"),
    ("{:😀>5}", "{0..9 next(0) fill='😀' > width=5}"),
    ("{:0<5}", "{0..6 next(0) fill='0' < width=5}"),
    ("{:0>05}", "{0..7 next(0) fill='0' > 0 width=5}"),
    ("{:5>}", "{0..5 next(0) fill='5' >}"),
    ("{:+>+}", "{0..6 next(0) fill='+' > +}"),
    ("{:?>}", "{0..5 next(0) fill='?' >}"),
    ("{:_<x}", "{0..6 next(0) fill='_' < LowerHex}"),
    // Sign and `#`.
    ("{:+}", "{0..4 next(0) +}"),
    ("{:-}", "{0..4 next(0) -}"),
    ("{:#}", "{0..4 next(0) #}"),
    ("{:#?}", "{0..5 next(0) # Debug}"),
    ("{:+#010x}", "{0..9 next(0) + # 0 width=10 LowerHex}"),
    ("{:#0}", "{0..5 next(0) # 0}"),
    ("{:+0}", "{0..5 next(0) + 0}"),
    // The `0` flag against `0$`.
    ("{:0}", "{0..4 next(0) 0}"),
    ("{:00}", "{0..5 next(0) 0 width=0}"),
    ("{:08}", "{0..5 next(0) 0 width=8}"),
    ("{:007}", "{0..6 next(0) 0 width=7}"),
    ("{0:0}", "{0..5 at(0) 0}"),
    ("{:0$}", "{0..5 next(0) width=arg(0)}"),
    ("{:00$}", "{0..6 next(0) 0 width=arg(0)}"),
    ("{:01$}", "{0..6 next(0) 0 width=arg(1)}"),
    ("{:0x$}", "{0..6 next(0) 0 width=name(x@3..4)}"),
    ("{:<0$}", "{0..6 next(0) < width=arg(0)}"),
    // Width.
    ("{:65535}", "{0..8 next(0) width=65535}"),
    ("{:x$}", "{0..5 next(0) width=name(x@2..3)}"),
    ("{:x$x}", "{0..6 next(0) width=name(x@2..3) LowerHex}"),
    ("{:é$}", "{0..6 next(0) width=name(é@2..4)}"),
    ("{:_1$}", "{0..6 next(0) width=name(_1@2..4)}"),
    // Precision; a `.` with nothing after it sets none.
    ("{:.3}", "{0..5 next(0) prec=3}"),
    ("{:.0}", "{0..5 next(0) prec=0}"),
    ("{:.}", "{0..4 next(0)}"),
    ("{:1.}", "{0..5 next(0) width=1}"),
    ("{:.x}", "{0..5 next(0) LowerHex}"),
    ("{:.?}", "{0..5 next(0) Debug}"),
    ("{:.5$}", "{0..6 next(0) prec=arg(5)}"),
    ("{:.x$}", "{0..6 next(0) prec=name(x@3..4)}"),
    ("{:0$.0$}", "{0..8 next(0) width=arg(0) prec=arg(0)}"),
    // `.*` takes the precision from the counter, before the value.
    ("{:.*}", "{0..5 next(1) prec=star(0)}"),
    ("{0:.*}", "{0..6 at(0) prec=star(0)}"),
    ("{a:.*} {}", r#"{0..6 name(a@1..2) prec=star(0)}, " ", {7..9 next(1)}"#),
    ("{:1$.*}", "{0..7 next(1) width=arg(1) prec=star(0)}"),
    ("{} {:.*} {}", r#"{0..2 next(0)}, " ", {3..8 next(2) prec=star(1)}, " ", {9..11 next(3)}"#),
    ("{:.*}{:.*}", "{0..5 next(1) prec=star(0)}, {5..10 next(3) prec=star(2)}"),
    ("{:x$.*}", "{0..7 next(1) width=name(x@2..3) prec=star(0)}"),
    // Formatting traits.
    ("{:?}", "{0..4 next(0) Debug}"),
    ("{:x?}", "{0..5 next(0) DebugLowerHex}"),
    ("{:X?}", "{0..5 next(0) DebugUpperHex}"),
    ("{:x}", "{0..4 next(0) LowerHex}"),
    ("{:X}", "{0..4 next(0) UpperHex}"),
    ("{:o}", "{0..4 next(0) Octal}"),
    ("{:b}", "{0..4 next(0) Binary}"),
    ("{:e}", "{0..4 next(0) LowerExp}"),
    ("{:E}", "{0..4 next(0) UpperExp}"),
    ("{:p}", "{0..4 next(0) Pointer}"),
    ("{:#x?}", "{0..6 next(0) # DebugLowerHex}"),
    ("{:<5?}", "{0..6 next(0) < width=5 Debug}"),
    ("{:.3?}", "{0..6 next(0) prec=3 Debug}"),
    ("{:e }", "{0..5 next(0) LowerExp}"),
    ("{x:#>+#010.3x?}", "{0..15 name(x@1..2) fill='#' > + # 0 width=10 prec=3 DebugLowerHex}"),
];

/// Strings rustc rejects: (input, part of the message, range, part of the
/// note or "" for any).
const INVALID: &[(&str, &str, Range<usize>, &str)] = &[
    // Braces.
    ("{", "expected `}` but string was terminated", 1..1, "escape it using `{{`"),
    ("}", "unmatched `}` found", 0..1, "escape it using `}}`"),
    ("{}}", "unmatched `}` found", 2..3, ""),
    ("}}}", "unmatched `}` found", 2..3, ""),
    ("{{}", "unmatched `}` found", 2..3, ""),
    ("{:}}", "unmatched `}` found", 3..4, ""),
    ("{:}x}", "unmatched `}` found", 4..5, ""),
    ("{:", "expected `}` but string was terminated", 2..2, ""),
    ("{0", "expected `}` but string was terminated", 2..2, ""),
    ("{{{", "expected `}` but string was terminated", 3..3, ""),
    ("{}{", "expected `}` but string was terminated", 3..3, ""),
    ("{:>8", "expected `}` but string was terminated", 4..4, ""),
    ("{:é", "expected `}` but string was terminated", 4..4, ""),
    ("{:{>5", "expected `}` but string was terminated", 5..5, "escape it using `{{`"),
    // A `}` fill is not a closing brace.
    ("{:}>", "expected `}` but string was terminated", 4..4, "interpreted as a fill character"),
    ("{:}>5 x}", "expected `}`, found `x`", 6..7, "interpreted as a fill character"),
    // Something else where `}` should be.
    ("{ 0}", "expected `}`, found `0`", 2..3, "escape it using `{{`"),
    ("{ x}", "expected `}`, found `x`", 2..3, ""),
    ("{: x}", "expected `}`, found `x`", 3..4, ""),
    ("{:> 5}", "expected `}`, found `5`", 4..5, ""),
    ("{0 0}", "expected `}`, found `0`", 3..4, ""),
    ("{0x}", "expected `}`, found `x`", 2..3, ""),
    ("{a-b}", "expected `}`, found `-`", 2..3, ""),
    ("{0_1}", "expected `}`, found `_`", 2..3, ""),
    ("{٣a}", "expected `}`, found `٣`", 1..3, ""),
    ("{·}", "expected `}`, found `·`", 1..3, ""),
    ("{\u{300}}", "expected `}`, found `\\u{300}`", 1..3, ""),
    ("{0\u{200b}}", "expected `}`, found `\\u{200b}`", 2..5, ""),
    ("{:%}", "expected `}`, found `%`", 2..3, ""),
    ("{:*}", "expected `}`, found `*`", 2..3, ""),
    ("{:.**}", "expected `}`, found `*`", 4..5, ""),
    ("{:.*5}", "expected `}`, found `5`", 4..5, ""),
    ("{:.1.2}", "expected `}`, found `.`", 4..5, ""),
    ("{:.-1}", "expected `}`, found `-`", 3..4, ""),
    ("{:$}", "expected `}`, found `$`", 2..3, ""),
    ("{:0$$}", "expected `}`, found `$`", 4..5, ""),
    ("{:1 $}", "expected `}`, found `$`", 4..5, ""),
    ("{:#+}", "expected `}`, found `+`", 3..4, ""),
    ("{:+-}", "expected `}`, found `-`", 3..4, ""),
    ("{:0#}", "expected `}`, found `#`", 3..4, ""),
    ("{:xx}", "expected `}`, found `x`", 3..4, ""),
    ("{:x1}", "expected `}`, found `1`", 3..4, ""),
    ("{:Xx}", "expected `}`, found `x`", 3..4, ""),
    ("{:x#}", "expected `}`, found `#`", 3..4, ""),
    ("{:?+}", "expected `}`, found `+`", 3..4, ""),
    ("{:x?x}", "expected `}`, found `x`", 4..5, ""),
    ("{:x?#}", "expected `}`, found `#`", 4..5, "escape it using `{{`"),
    ("{:1x$}", "expected `}`, found `$`", 4..5, ""),
    ("{:r#x$}", "expected `}`, found `#`", 3..4, ""),
    ("{r#}", "expected `}`, found `#`", 2..3, ""),
    ("{r#1}", "expected `}`, found `#`", 2..3, ""),
    ("{:{}", "expected `}`, found `{`", 2..3, ""),
    ("{?x}", "expected `}`, found `?`", 1..2, "escape it using `{{`"),
    ("{?", "expected `}`, found `?`", 1..2, "escape it using `{{`"),
    ("{0<", "expected `}`, found `<`", 2..3, "escape it using `{{`"),
    ("{:<<<", "expected `}`, found `<`", 4..5, ""),
    ("{:x?:}", "expected `}`, found `:`", 4..5, ""),
    // `?` before the flag it belongs after.
    ("{:?x}", "expected `}`, found `x`", 3..4, "did you mean `x?`?"),
    ("{:?X}", "expected `}`, found `X`", 3..4, "did you mean `X?`?"),
    ("{:?#}", "expected `}`, found `#`", 3..4, "did you mean `#?`?"),
    ("{:?x", "expected `}`, found `x`", 3..4, "did you mean `x?`?"),
    ("{:#?x}", "expected `}`, found `x`", 4..5, "did you mean `x?`?"),
    ("{_:?x}", "expected `}`, found `x`", 4..5, "did you mean `x?`?"),
    // `?` without its `:`.
    ("{?}", "expected `}`, found `?`", 1..2, "before `?` to format with `Debug`"),
    ("{0?}", "expected `}`, found `?`", 2..3, "before `?` to format with `Debug`"),
    ("{x?}", "expected `}`, found `?`", 2..3, "before `?` to format with `Debug`"),
    ("{ ?}", "expected `}`, found `?`", 2..3, "before `?` to format with `Debug`"),
    ("{:e?}", "expected `}`, found `?`", 3..4, "before `?` to format with `Debug`"),
    ("{:??}", "expected `}`, found `?`", 3..4, "before `?` to format with `Debug`"),
    ("{?:}", "expected format parameter to occur after `:`", 1..2, "try `:?` instead"),
    ("{0?:x}", "expected format parameter to occur after `:`", 2..3, "try `x:?` instead"),
    ("{?: x}", "expected format parameter to occur after `:`", 1..2, "try `:?` instead"),
    // Alignment after other parts of the spec.
    ("{0<}", "expected alignment specifier after `:`", 2..3, "`<` can only come first"),
    ("{x<5}", "expected alignment specifier after `:`", 2..3, ""),
    ("{:.3<}", "expected alignment specifier after `:`", 4..5, ""),
    ("{:00<5}", "expected alignment specifier after `:`", 4..5, ""),
    ("{:>>>}", "expected alignment specifier after `:`", 4..5, "`>` can only come first"),
    ("{:.3 ^}", "expected alignment specifier after `:`", 5..6, "`^` can only come first"),
    ("{_<}", "expected alignment specifier after `:`", 2..3, ""),
    ("{99999<x}", "expected alignment specifier after `:`", 6..7, ""),
    // Field and tuple index access.
    ("{x.y}", "field access isn't supported", 1..4, "moving this expression"),
    ("{x.0}", "tuple index access isn't supported", 1..4, ""),
    ("{x .0}", "tuple index access isn't supported", 1..5, ""),
    ("{x.0 }", "tuple index access isn't supported", 1..5, ""),
    ("{x.y:?}", "field access isn't supported", 1..4, ""),
    ("{x.y:}>}", "field access isn't supported", 1..4, ""),
    ("{r#x.0}", "tuple index access isn't supported", 1..6, ""),
    ("{x.r#y }", "field access isn't supported", 1..7, ""),
    ("{x._}", "field access isn't supported", 1..4, ""),
    ("{x.99999}", "tuple index access isn't supported", 1..8, ""),
    ("{x.y.z}", "expected `}`, found `.`", 2..3, ""),
    ("{x.}", "expected `}`, found `.`", 2..3, ""),
    ("{x.0", "expected `}`, found `.`", 2..3, ""),
    ("{x.y:x }", "expected `}`, found `.`", 2..3, ""),
    ("{x:.3.y}", "expected `}`, found `.`", 5..6, ""),
    ("{0.1}", "expected `}`, found `.`", 2..3, ""),
    ("{x.y:?x}", "expected `}`, found `x`", 6..7, "did you mean `x?`?"),
    ("{a: .y}", "field access isn't supported", 1..6, ""),
    ("{a:. .y}", "expected `}`, found `.`", 5..6, ""),
    ("{x.:?x}", "expected `}`, found `x`", 5..6, "did you mean `x?`?"),
    // Python's `{x=}`.
    ("{x=}", "python's f-string debug `=` is not supported", 2..3, "`x = {x:?}`"),
    ("{=}", "python's f-string debug `=` is not supported", 1..2, ""),
    ("{:x=}", "python's f-string debug `=` is not supported", 3..4, ""),
    ("{_=}", "python's f-string debug `=` is not supported", 2..3, ""),
    ("{x= }", "expected `}`, found `=`", 2..3, "escape it using `{{`"),
    ("{=", "expected `}`, found `=`", 1..2, ""),
    // Raw identifiers and `_`.
    ("{r#type}", "raw identifiers are not supported", 1..7, "can be keywords"),
    ("{r#x:?}", "raw identifiers are not supported", 1..4, ""),
    ("{r#_}", "raw identifiers are not supported", 1..4, ""),
    ("{r#é}", "raw identifiers are not supported", 1..5, ""),
    ("{x.r#y x}", "raw identifiers are not supported", 3..6, ""),
    ("{r#x?}", "expected `}`, found `?`", 4..5, "before `?` to format with `Debug`"),
    ("{_}", "invalid argument name `_`", 1..2, "single underscore"),
    ("{_ x}", "invalid argument name `_`", 1..2, ""),
    ("{:_}", "invalid argument name `_`", 2..3, ""),
    ("{:_$}", "invalid argument name `_`", 2..3, ""),
    ("{:1_$}", "invalid argument name `_`", 3..4, ""),
    ("{0:_}", "invalid argument name `_`", 3..4, ""),
    // Numbers must fit in `u16`.
    ("{65536}", "integer `65536` does not fit into the type `u16` whose range is `0..=65535`", 1..6, ""),
    ("{:65536}", "integer `65536` does not fit", 2..7, ""),
    ("{:.65536}", "integer `65536` does not fit", 3..8, ""),
    ("{:65536$}", "integer `65536` does not fit", 2..7, ""),
    ("{99999999999999999999999}", "integer `99999999999999999999999` does not fit", 1..24, ""),
    ("{99999:_}", "integer `99999` does not fit", 1..6, ""),
    // Unknown formatting traits, reported only without syntax errors.
    ("{:y}", "unknown format trait `y`", 2..3, "`x?`, `X?` (`Debug`)"),
    ("{:é}", "unknown format trait `é`", 2..4, ""),
    ("{:ex}", "unknown format trait `ex`", 2..4, ""),
    ("{:e1}", "unknown format trait `e1`", 2..4, ""),
    ("{:_x}", "unknown format trait `_x`", 2..4, ""),
    ("{:.é}", "unknown format trait `é`", 3..5, ""),
    ("{:y}{:z}", "unknown format trait `y`", 2..3, ""),
    ("{:y}}", "unmatched `}` found", 4..5, ""),
    ("{:y}{_}", "invalid argument name `_`", 5..6, ""),
    // The first brace or placeholder with an error decides.
    ("}{?}", "unmatched `}` found", 0..1, ""),
    ("{0x}{?:}", "expected `}`, found `x`", 2..3, ""),
    ("{_}{x.y}", "invalid argument name `_`", 1..2, ""),
];

#[test]
fn valid_strings() {
    let mut failures = Vec::new();
    for (input, expected) in VALID {
        match parse(input) {
            Ok(format) if render(&format) == *expected => {}
            Ok(format) => failures.push(format!("{input:?}\n  got      {}\n  expected {expected}", render(&format))),
            Err(err) => failures.push(format!("{input:?}\n  got {err:?}\n  expected {expected}")),
        }
    }
    assert!(failures.is_empty(), "{} rows failed:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn invalid_strings() {
    let mut failures = Vec::new();
    for (input, message, range, note) in INVALID {
        match parse(input) {
            Err(err)
                if err.message.contains(message)
                    && err.range == *range
                    && err.note.as_deref().unwrap_or("").contains(note) => {}
            got => failures
                .push(format!("{input:?}\n  got      {got:?}\n  expected {message:?} at {range:?}, note {note:?}")),
        }
    }
    assert!(failures.is_empty(), "{} rows failed:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn messages_follow_the_house_style() {
    for (input, ..) in INVALID {
        let err = parse(input).unwrap_err();
        for text in [Some(&err.message), err.note.as_ref()].into_iter().flatten() {
            assert!(!text.ends_with('.'), "{input:?}: {text:?} ends with a period");
            assert!(!text.starts_with(char::is_uppercase), "{input:?}: {text:?}");
        }
    }
}

/// Checks everything `parse` promises about ranges: on char boundaries, in
/// bounds, and for a valid string, pieces that tile the whole string.
fn check_invariants(s: &str) {
    let on_boundaries = |r: &Range<usize>| r.start <= r.end && s.is_char_boundary(r.start) && s.is_char_boundary(r.end);
    let format = match parse(s) {
        Ok(format) => format,
        Err(err) => {
            assert!(on_boundaries(&err.range), "{s:?}: error range {:?}", err.range);
            return;
        }
    };
    let mut cursor = 0;
    let mut last_was_lit = false;
    for piece in &format.pieces {
        match piece {
            FmtPiece::Lit(text) => {
                assert!(!last_was_lit && !text.is_empty(), "{s:?}: literal pieces not merged");
                let written = text.replace('{', "{{").replace('}', "}}");
                assert!(s[cursor..].starts_with(&written), "{s:?}: literal {text:?} at {cursor}");
                cursor += written.len();
                last_was_lit = true;
            }
            FmtPiece::Arg(placeholder) => {
                let range = &placeholder.range;
                assert!(on_boundaries(range) && range.start == cursor, "{s:?}: {range:?}");
                assert!(s[range.clone()].starts_with('{') && s[range.clone()].ends_with('}'));
                let spec = &placeholder.spec;
                let names = [&spec.width, &spec.precision].into_iter().filter_map(|c| match c {
                    ParsedCount::Name { name, range } => Some((name, range)),
                    _ => None,
                });
                let value_name = match &placeholder.value {
                    ArgRef::Name { name, range } => Some((name, range)),
                    ArgRef::Index { .. } => None,
                };
                for (name, name_range) in value_name.into_iter().chain(names) {
                    assert!(on_boundaries(name_range), "{s:?}: {name_range:?}");
                    assert_eq!(&s[name_range.clone()], name.as_str(), "{s:?}");
                }
                cursor = range.end;
                last_was_lit = false;
            }
        }
    }
    assert_eq!(cursor, s.len(), "{s:?}: pieces do not cover the string");
}

/// The characters the generated strings are made of: every char the grammar
/// gives a meaning to, multi-byte ones, whitespace and identifier parts.
const ALPHABET: &[char] = &[
    '{', '}', ':', '.', '*', '$', '#', '+', '-', '0', '1', '9', 'x', 'X', '?', '<', '^', '>', '_', 'r', 'e', 'a', ' ',
    '\t', 'é', '😀', '٣', '·', '\u{300}', '\u{3000}', '\u{200b}', '\u{558}',
];

#[test]
fn every_short_string_keeps_the_invariants() {
    let mut s = String::new();
    for &a in ALPHABET {
        for &b in ALPHABET {
            for &c in ALPHABET {
                s.clear();
                s.extend([a, b, c]);
                for end in 1..=3 {
                    let prefix: String = s.chars().take(end).collect();
                    check_invariants(&prefix);
                }
            }
        }
    }
}

#[test]
fn random_strings_keep_the_invariants() {
    // xorshift64*: deterministic, so a failure reproduces.
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        state.wrapping_mul(0x2545_F491_4F6C_DD1D)
    };
    let mut s = String::new();
    for _ in 0..20_000 {
        s.clear();
        let len = next() % 16;
        for _ in 0..len {
            let pick = next();
            if pick % 8 == 0 {
                // Any char at all, surrogates aside.
                s.push(char::from_u32((pick >> 8) as u32 % 0x11_0000).unwrap_or('\u{fffd}'));
            } else {
                s.push(ALPHABET[(pick >> 8) as usize % ALPHABET.len()]);
            }
        }
        check_invariants(&s);
    }
}
