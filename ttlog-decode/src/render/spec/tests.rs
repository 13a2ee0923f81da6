//! [`render_value`] against `format!` itself.
//!
//! The grid: every combination of alignment and fill, sign, `#`, `0`, width and
//! precision, each spelled as a literal `format!` string by the [`grid!`] macro,
//! times every trait the value's type implements, over representative values
//! of every type. The expected side always comes from `format!`.

use core::fmt::{Binary, Debug, Display, LowerExp, LowerHex, Octal, UpperExp, UpperHex};

use ttlog::callsite::Count;

use super::*;
use crate::value::Text;

/// The traits every recorded type implements: `{}`, `{:?}`, `{:x?}`, `{:X?}`.
trait Plain: Display + Debug {}
impl<T: Display + Debug + ?Sized> Plain for T {}

/// `{:e}`, `{:E}`: integers and floats.
trait Exp: LowerExp + UpperExp {}
impl<T: LowerExp + UpperExp + ?Sized> Exp for T {}

/// `{:x}`, `{:X}`, `{:o}`, `{:b}`: integers.
trait Radix: LowerHex + UpperHex + Octal + Binary {}
impl<T: LowerHex + UpperHex + Octal + Binary + ?Sized> Radix for T {}

/// The types of each trait class, in the order of the arrays in [`Row`].
const PLAIN_TYPES: [FmtType; 4] = [
    FmtType::Display,
    FmtType::Debug,
    FmtType::DebugLowerHex,
    FmtType::DebugUpperHex,
];
const EXP_TYPES: [FmtType; 2] = [FmtType::LowerExp, FmtType::UpperExp];
const RADIX_TYPES: [FmtType; 4] = [
    FmtType::LowerHex,
    FmtType::UpperHex,
    FmtType::Octal,
    FmtType::Binary,
];

/// One point of the grid: a spec (its `ty` unset) and `format!`'s output with
/// that spec for each trait.
struct Row {
    /// The format string without the type, for failure messages.
    text: &'static str,
    spec: Spec,
    plain: fn(&dyn Plain) -> [String; 4],
    exp: fn(&dyn Exp) -> [String; 2],
    radix: fn(&dyn Radix) -> [String; 4],
}

/// Pushes one [`Row`] per combination of options onto `$rows`, one option per
/// step; each step appends its part of the format string (`[...]`) and of the
/// spec's fields (`{...}`).
macro_rules! grid {
    ($rows:ident) => {
        grid!(@sign $rows, [], {align: Align::Unknown, fill: ' ',});
        grid!(@fill $rows, "<", Align::Left);
        grid!(@fill $rows, "^", Align::Center);
        grid!(@fill $rows, ">", Align::Right);
    };
    (@fill $rows:ident, $a:literal, $align:expr) => {
        grid!(@sign $rows, [$a], {align: $align, fill: ' ',});
        grid!(@sign $rows, ["*" $a], {align: $align, fill: '*',});
        grid!(@sign $rows, ["0" $a], {align: $align, fill: '0',});
        grid!(@sign $rows, ["é" $a], {align: $align, fill: 'é',});
        grid!(@sign $rows, ["→" $a], {align: $align, fill: '→',});
    };
    (@sign $rows:ident, [$($s:literal)*], {$($f:tt)*}) => {
        grid!(@alternate $rows, [$($s)*], {$($f)* sign: Sign::None,});
        grid!(@alternate $rows, [$($s)* "+"], {$($f)* sign: Sign::Plus,});
        grid!(@alternate $rows, [$($s)* "-"], {$($f)* sign: Sign::Minus,});
    };
    (@alternate $rows:ident, [$($s:literal)*], {$($f:tt)*}) => {
        grid!(@zero $rows, [$($s)*], {$($f)* alternate: false,});
        grid!(@zero $rows, [$($s)* "#"], {$($f)* alternate: true,});
    };
    (@zero $rows:ident, [$($s:literal)*], {$($f:tt)*}) => {
        grid!(@width $rows, [$($s)*], {$($f)* zero: false,});
        grid!(@width $rows, [$($s)* "0"], {$($f)* zero: true,});
    };
    (@width $rows:ident, [$($s:literal)*], {$($f:tt)*}) => {
        grid!(@precision $rows, [$($s)*], {$($f)* width: Count::Implied,});
        grid!(@precision $rows, [$($s)* "0"], {$($f)* width: Count::Is(0),});
        grid!(@precision $rows, [$($s)* "1"], {$($f)* width: Count::Is(1),});
        grid!(@precision $rows, [$($s)* "7"], {$($f)* width: Count::Is(7),});
        grid!(@precision $rows, [$($s)* "12"], {$($f)* width: Count::Is(12),});
    };
    (@precision $rows:ident, [$($s:literal)*], {$($f:tt)*}) => {
        grid!(@row $rows, [$($s)*], {$($f)* precision: Count::Implied,});
        grid!(@row $rows, [$($s)* ".0"], {$($f)* precision: Count::Is(0),});
        grid!(@row $rows, [$($s)* ".3"], {$($f)* precision: Count::Is(3),});
    };
    (@row $rows:ident, [$($s:literal)*], {$($f:tt)*}) => {
        $rows.push(Row {
            text: concat!("{:", $($s,)* "}"),
            spec: as_parsed(Spec { $($f)* ty: FmtType::Display }),
            plain: |v| [
                format!(concat!("{:", $($s,)* "}"), v),
                format!(concat!("{:", $($s,)* "?}"), v),
                format!(concat!("{:", $($s,)* "x?}"), v),
                format!(concat!("{:", $($s,)* "X?}"), v),
            ],
            exp: |v| [
                format!(concat!("{:", $($s,)* "e}"), v),
                format!(concat!("{:", $($s,)* "E}"), v),
            ],
            radix: |v| [
                format!(concat!("{:", $($s,)* "x}"), v),
                format!(concat!("{:", $($s,)* "X}"), v),
                format!(concat!("{:", $($s,)* "o}"), v),
                format!(concat!("{:", $($s,)* "b}"), v),
            ],
        });
    };
}

/// The spec `format!` reads from the grid's string: a width of `0` without the
/// `0` flag is spelled `{:0}`, which `format!` parses as the `0` flag and no
/// width.
fn as_parsed(mut spec: Spec) -> Spec {
    if !spec.zero && spec.width == Count::Is(0) {
        spec.zero = true;
        spec.width = Count::Implied;
    }
    spec
}

fn rows() -> Vec<Row> {
    let mut rows = Vec::new();
    grid!(rows);
    rows
}

/// A value both as the renderer gets it and as `format!` gets it.
struct Case {
    value: Value,
    plain: Box<dyn Plain>,
    exp: Option<Box<dyn Exp>>,
    radix: Option<Box<dyn Radix>>,
}

fn integer<T: Plain + Exp + Radix + Copy + 'static>(value: Value, n: T) -> Case {
    Case {
        value,
        plain: Box::new(n),
        exp: Some(Box::new(n)),
        radix: Some(Box::new(n)),
    }
}

fn float<T: Plain + Exp + Copy + 'static>(value: Value, n: T) -> Case {
    Case {
        value,
        plain: Box::new(n),
        exp: Some(Box::new(n)),
        radix: None,
    }
}

fn plain<T: Plain + 'static>(value: Value, v: T) -> Case {
    Case {
        value,
        plain: Box::new(v),
        exp: None,
        radix: None,
    }
}

fn cases() -> Vec<Case> {
    let mut cases = Vec::new();
    macro_rules! unsigned {
        ($($variant:ident($t:ident)),*) => {$(
            for n in [0, 1, 255, $t::MIN, $t::MAX] {
                cases.push(integer(Value::$variant(n), n));
            }
        )*};
    }
    macro_rules! signed {
        ($($variant:ident($t:ident)),*) => {$(
            for n in [0, 1, -1, 127, $t::MIN, $t::MAX] {
                cases.push(integer(Value::$variant(n), n));
            }
        )*};
    }
    macro_rules! floats {
        ($($variant:ident($t:ident)),*) => {$(
            for n in [
                0.0, -0.0, 1.0, -1.0, 255.0, 0.1, -0.1, 1e-7, 1e21, 1.5, 2.5, -2.5, 0.125,
                123.456, $t::MIN, $t::MAX, $t::MIN_POSITIVE, $t::from_bits(1), $t::EPSILON,
                $t::NAN, -$t::NAN, $t::INFINITY, $t::NEG_INFINITY,
            ] {
                cases.push(float(Value::$variant(n), n));
            }
        )*};
    }
    unsigned!(U8(u8), U16(u16), U32(u32), U64(u64), U128(u128));
    signed!(I8(i8), I16(i16), I32(i32), I64(i64), I128(i128));
    cases.push(integer(Value::U16(1000), 1000u16));
    cases.push(integer(Value::I64(-123_456_789), -123_456_789i64));
    floats!(F32(f32), F64(f64));
    for b in [true, false] {
        cases.push(plain(Value::Bool(b), b));
    }
    for c in [
        'x', 'é', '\n', '\0', '"', '\'', '\\', '*', ' ', '0', '→', '\u{301}', '\u{7f}', '\u{200b}',
        '\u{10ffff}', '😀',
    ] {
        cases.push(plain(Value::Char(c), c));
    }
    for s in [
        "",
        "abc",
        "héllo wörld",
        "a\"b\nc",
        "it's",
        "\u{301}a\u{301}",
        "→→→→→",
        "*",
        "  spaced  ",
        "0* 0",
        "tab\there\r\0",
        "😀🎉",
        "a long string, longer than any width in the grid",
    ] {
        cases.push(plain(Value::Str(Text::whole(s)), s));
    }
    cases
}

/// `spec`'s width and precision as the caller resolves them.
fn resolve(count: Count) -> Option<usize> {
    match count {
        Count::Is(n) => Some(usize::from(n)),
        Count::Implied | Count::Arg(_) => None,
    }
}

fn render(value: &Value, spec: &Spec) -> String {
    let mut out = String::new();
    render_value(
        &mut out,
        value,
        spec,
        resolve(spec.width),
        resolve(spec.precision),
    );
    out
}

/// Compares one rendering; returns whether it matched, reporting the first
/// few mismatches.
fn check(
    failures: &mut Vec<String>,
    row: &Row,
    ty: FmtType,
    value: &Value,
    expected: &str,
) -> bool {
    let spec = Spec { ty, ..row.spec };
    let got = render(value, &spec);
    if got != expected && failures.len() < 50 {
        failures.push(format!(
            "{} {ty:?} on {value:?}: format! gave {expected:?}, render_value gave {got:?}",
            row.text
        ));
    }
    got == expected
}

#[test]
fn grid_matches_format() {
    let rows = rows();
    let cases = cases();
    let mut failures = Vec::new();
    let (mut compared, mut mismatched) = (0usize, 0usize);
    for row in &rows {
        for case in &cases {
            let mut results = Vec::new();
            for (ty, expected) in PLAIN_TYPES.iter().zip((row.plain)(&*case.plain)) {
                results.push(check(&mut failures, row, *ty, &case.value, &expected));
            }
            if let Some(exp) = &case.exp {
                for (ty, expected) in EXP_TYPES.iter().zip((row.exp)(&**exp)) {
                    results.push(check(&mut failures, row, *ty, &case.value, &expected));
                }
            }
            if let Some(radix) = &case.radix {
                for (ty, expected) in RADIX_TYPES.iter().zip((row.radix)(&**radix)) {
                    results.push(check(&mut failures, row, *ty, &case.value, &expected));
                }
            }
            compared += results.len();
            mismatched += results.iter().filter(|ok| !**ok).count();
        }
    }
    println!(
        "compared {compared} renderings with format! ({} specs x {} values)",
        rows.len(),
        cases.len()
    );
    assert!(
        mismatched == 0,
        "{mismatched} of {compared} differ from format!, first ones:\n{}",
        failures.join("\n")
    );
    assert!(compared > 1_000_000, "grid unexpectedly small: {compared}");
}

/// Runtime widths and precisions (`{:w$.p$}`), including a width of 0 without
/// the `0` flag, which a literal cannot spell.
#[test]
fn runtime_counts_match_format() {
    let counts = [None, Some(0), Some(1), Some(2), Some(5), Some(40)];
    let mut compared = 0;
    for case in cases() {
        for w in counts {
            for p in counts {
                let (wv, pv) = (w.unwrap_or(0), p.unwrap_or(0));
                let v = &case.plain;
                let mut expect = |spec: Spec, expected: String| {
                    let mut got = String::new();
                    render_value(&mut got, &case.value, &spec, w, p);
                    assert_eq!(got, expected, "{spec:?} w={w:?} p={p:?} on {:?}", case.value);
                    compared += 1;
                };
                let debug = Spec::DEBUG;
                let centered = Spec {
                    align: Align::Center,
                    fill: 'ü',
                    sign: Sign::Plus,
                    ..Spec::DISPLAY
                };
                match (w, p) {
                    (None, None) => {
                        expect(Spec::DISPLAY, format!("{v}"));
                        expect(debug, format!("{v:?}"));
                        expect(centered, format!("{v:ü^+}"));
                    }
                    (Some(_), None) => {
                        expect(Spec::DISPLAY, format!("{v:wv$}"));
                        expect(debug, format!("{v:wv$?}"));
                        expect(centered, format!("{v:ü^+wv$}"));
                    }
                    (None, Some(_)) => {
                        expect(Spec::DISPLAY, format!("{v:.pv$}"));
                        expect(debug, format!("{v:.pv$?}"));
                        expect(centered, format!("{v:ü^+.pv$}"));
                    }
                    (Some(_), Some(_)) => {
                        expect(Spec::DISPLAY, format!("{v:wv$.pv$}"));
                        expect(debug, format!("{v:wv$.pv$?}"));
                        expect(centered, format!("{v:ü^+wv$.pv$}"));
                    }
                }
            }
        }
    }
    println!("compared {compared} runtime-count renderings with format!");
}

#[test]
fn counts_above_u16_max_are_clamped() {
    let huge = [MAX_COUNT + 1, u32::MAX as usize, usize::MAX];
    for n in huge {
        let mut out = String::new();
        render_value(&mut out, &Value::U8(1), &Spec::DISPLAY, Some(n), None);
        assert_eq!(out, format!("{:1$}", 1u8, MAX_COUNT));

        let mut out = String::new();
        render_value(&mut out, &Value::F64(0.5), &Spec::DISPLAY, None, Some(n));
        assert_eq!(out, format!("{:.1$}", 0.5f64, MAX_COUNT));

        let spec = Spec {
            fill: '→',
            align: Align::Center,
            ..Spec::DISPLAY
        };
        let mut out = String::new();
        let value = Value::Str(Text::whole("héllo"));
        render_value(&mut out, &value, &spec, Some(n), Some(n));
        assert_eq!(out, format!("{:→^1$.1$}", "héllo", MAX_COUNT));
    }
}

#[test]
fn formatted_values_are_written_verbatim() {
    let spec = Spec {
        align: Align::Right,
        ..Spec::DISPLAY
    };
    let mut out = String::new();
    render_value(&mut out, &Value::Formatted(Vec::new()), &spec, Some(9), None);
    assert_eq!(out, "");
    let texts = vec![Text::whole("Point { x: 1 }"), Text::whole("other")];
    render_value(&mut out, &Value::Formatted(texts), &spec, Some(30), Some(1));
    assert_eq!(out, "Point { x: 1 }");
}

/// A small xorshift generator: the tests need no external crate.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn char(&mut self) -> char {
        match self.below(4) {
            0 => ' ',
            1 => '*',
            2 => char::from_u32(self.below(0x80) as u32).unwrap_or('?'),
            _ => char::from_u32(self.below(0x11_0000) as u32).unwrap_or('\u{fffd}'),
        }
    }

    fn count(&mut self) -> Count {
        match self.below(3) {
            0 => Count::Implied,
            1 => Count::Is(self.next() as u16),
            _ => Count::Arg(self.next() as u16),
        }
    }

    fn resolved(&mut self) -> Option<usize> {
        match self.below(64) {
            0 => Some(usize::MAX),
            1 => Some(MAX_COUNT + self.below(10) as usize),
            2..=20 => None,
            _ => Some(self.below(30) as usize),
        }
    }

    fn spec(&mut self) -> Spec {
        Spec {
            fill: self.char(),
            align: [Align::Unknown, Align::Left, Align::Center, Align::Right][self.below(4) as usize],
            sign: [Sign::None, Sign::Plus, Sign::Minus][self.below(3) as usize],
            alternate: self.below(2) == 0,
            zero: self.below(2) == 0,
            width: self.count(),
            precision: self.count(),
            ty: FmtType::from_u8(self.below(11) as u8).unwrap_or(FmtType::Display),
        }
    }
}

/// Whether `format!` accepts `ty` for the value's type.
fn accepted(value: &Value, ty: FmtType) -> bool {
    match ty {
        FmtType::Display | FmtType::Debug | FmtType::DebugLowerHex | FmtType::DebugUpperHex => true,
        FmtType::LowerHex | FmtType::UpperHex | FmtType::Octal | FmtType::Binary => value.is_integer(),
        FmtType::LowerExp | FmtType::UpperExp => {
            value.is_integer() || matches!(value, Value::F32(_) | Value::F64(_))
        }
        FmtType::Pointer => false,
    }
}

/// Random specs, nonsense included, over every variant: no panic, and a trait
/// the type lacks renders as `Display` with the same options.
#[test]
fn random_specs_never_panic() {
    let mut values: Vec<Value> = cases().into_iter().map(|c| c.value).collect();
    values.push(Value::Formatted(Vec::new()));
    values.push(Value::Formatted(vec![Text::whole("x"), Text::whole("y")]));
    values.push(Value::Str(Text {
        text: "cut".into(),
        truncated: u64::MAX,
    }));
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for _ in 0..100_000 {
        let value = &values[rng.below(values.len() as u64) as usize];
        let spec = rng.spec();
        let (width, precision) = (rng.resolved(), rng.resolved());
        let mut out = String::new();
        render_value(&mut out, value, &spec, width, precision);
        if !accepted(value, spec.ty) {
            let mut display = String::new();
            let as_display = Spec {
                ty: FmtType::Display,
                ..spec
            };
            render_value(&mut display, value, &as_display, width, precision);
            assert_eq!(out, display, "{spec:?} on {value:?}");
        }
    }
}
