//! [`render_value`] against `format!` itself; the expected side always comes
//! from `format!`.
//!
//! The grid ([`grid!`]): every combination of alignment and fill, sign, `#`,
//! `0`, width and precision, spelled as `format!` strings with runtime `w$` and
//! `p$` counts, times every trait the value's type implements, over
//! representative values of every type. A table of strings with literal counts
//! ([`literal_specs_match_format`]) checks the same against what the macros
//! parse from real format strings.

use core::fmt::{Binary, Debug, Display, LowerExp, LowerHex, Octal, UpperExp, UpperHex};

use ttlog_core::callsite::Count;

use super::*;
use crate::rng::Rng;
use crate::value::{Formatted, Text};

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
const PLAIN_TYPES: [FmtType; 4] = [FmtType::Display, FmtType::Debug, FmtType::DebugLowerHex, FmtType::DebugUpperHex];
const EXP_TYPES: [FmtType; 2] = [FmtType::LowerExp, FmtType::UpperExp];
const RADIX_TYPES: [FmtType; 4] = [FmtType::LowerHex, FmtType::UpperHex, FmtType::Octal, FmtType::Binary];

/// One point of the grid: the options spelled in a format string (type and
/// counts aside) and `format!`'s output with them for each trait, given the
/// runtime width and precision (ignored where the string has none).
struct Row {
    /// The format string without the type, for failure messages.
    text: &'static str,
    /// The spec of `text`, with `Display` as type and counts not set.
    spec: Spec,
    /// Whether `text` takes a width (`w$`) and a precision (`.p$`).
    width: bool,
    precision: bool,
    plain: fn(&dyn Plain, usize, usize) -> [String; 4],
    exp: fn(&dyn Exp, usize, usize) -> [String; 2],
    radix: fn(&dyn Radix, usize, usize) -> [String; 4],
}

/// Pushes one [`Row`] per combination of options onto `$rows`, one option per
/// step; each step appends its part of the format string (`[...]`), of the
/// spec's fields (`{...}`) and of the named arguments (`(...)`).
macro_rules! grid {
    ($rows:ident) => {
        grid!(@group $rows, [], {align: Align::Unknown, fill: ' ',});
        grid!(@fill $rows, "<", Align::Left);
        grid!(@fill $rows, "^", Align::Center);
        grid!(@fill $rows, ">", Align::Right);
    };
    (@fill $rows:ident, $a:literal, $align:expr) => {
        grid!(@group $rows, [$a], {align: $align, fill: ' ',});
        grid!(@group $rows, ["*" $a], {align: $align, fill: '*',});
        grid!(@group $rows, ["0" $a], {align: $align, fill: '0',});
        grid!(@group $rows, ["é" $a], {align: $align, fill: 'é',});
        grid!(@group $rows, ["→" $a], {align: $align, fill: '→',});
    };
    // One function per fill and alignment: rustc is slow on huge bodies.
    (@group $rows:ident, [$($s:literal)*], {$($f:tt)*}) => {{
        fn group(rows: &mut Vec<Row>) {
            grid!(@sign rows, [$($s)*], {$($f)*});
        }
        group(&mut $rows);
    }};
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
        grid!(@precision $rows, [$($s)*], {$($f)*}, false);
        grid!(@precision $rows, [$($s)*], {$($f)*}, true);
    };
    (@precision $rows:ident, [$($s:literal)*], {$($f:tt)*}, $w:tt) => {
        grid!(@row $rows, [$($s)*], {$($f)*}, $w, false);
        grid!(@row $rows, [$($s)*], {$($f)*}, $w, true);
    };
    (@row $rows:ident, [$($s:literal)*], {$($f:tt)*}, $w:tt, $p:tt) => {{
        fn row() -> Row {
            Row {
                text: grid!(@fmt [$($s)*] "" $w $p),
                spec: Spec {
                    $($f)*
                    width: Count::Implied,
                    precision: Count::Implied,
                    ty: FmtType::Display,
                },
                width: $w,
                precision: $p,
                plain: |v, w, p| [
                    grid!(@fmt [$($s)*] "" $w $p, v, w, p),
                    grid!(@fmt [$($s)*] "?" $w $p, v, w, p),
                    grid!(@fmt [$($s)*] "x?" $w $p, v, w, p),
                    grid!(@fmt [$($s)*] "X?" $w $p, v, w, p),
                ],
                exp: |v, w, p| [
                    grid!(@fmt [$($s)*] "e" $w $p, v, w, p),
                    grid!(@fmt [$($s)*] "E" $w $p, v, w, p),
                ],
                radix: |v, w, p| [
                    grid!(@fmt [$($s)*] "x" $w $p, v, w, p),
                    grid!(@fmt [$($s)*] "X" $w $p, v, w, p),
                    grid!(@fmt [$($s)*] "o" $w $p, v, w, p),
                    grid!(@fmt [$($s)*] "b" $w $p, v, w, p),
                ],
            }
        }
        $rows.push(row());
    }};
    // The format string, then `format!` with it.
    (@fmt [$($s:literal)*] $ty:literal false false) => { concat!("{:", $($s,)* $ty, "}") };
    (@fmt [$($s:literal)*] $ty:literal true false) => { concat!("{:", $($s,)* "w$", $ty, "}") };
    (@fmt [$($s:literal)*] $ty:literal false true) => { concat!("{:", $($s,)* ".p$", $ty, "}") };
    (@fmt [$($s:literal)*] $ty:literal true true) => { concat!("{:", $($s,)* "w$.p$", $ty, "}") };
    (@fmt [$($s:literal)*] $ty:literal false false, $v:ident, $w:ident, $p:ident) => {{
        let _ = ($w, $p);
        format!(concat!("{:", $($s,)* $ty, "}"), $v)
    }};
    (@fmt [$($s:literal)*] $ty:literal true false, $v:ident, $w:ident, $p:ident) => {{
        let _ = $p;
        format!(concat!("{:", $($s,)* "w$", $ty, "}"), $v, w = $w)
    }};
    (@fmt [$($s:literal)*] $ty:literal false true, $v:ident, $w:ident, $p:ident) => {{
        let _ = $w;
        format!(concat!("{:", $($s,)* ".p$", $ty, "}"), $v, p = $p)
    }};
    (@fmt [$($s:literal)*] $ty:literal true true, $v:ident, $w:ident, $p:ident) => {
        format!(concat!("{:", $($s,)* "w$.p$", $ty, "}"), $v, w = $w, p = $p)
    };
}

/// The widths and precisions of the grid, besides none.
const WIDTHS: [usize; 4] = [0, 1, 7, 12];
const PRECISIONS: [usize; 3] = [0, 3, 17];

fn rows() -> Vec<Row> {
    let mut rows = Vec::new();
    grid!(rows);
    rows
}

/// A value both as the renderer gets it and as `format!` gets it.
struct Case {
    value: Value<'static>,
    plain: Box<dyn Plain>,
    exp: Option<Box<dyn Exp>>,
    radix: Option<Box<dyn Radix>>,
}

fn integer<T: Plain + Exp + Radix + Copy + 'static>(value: Value<'static>, n: T) -> Case {
    Case { value, plain: Box::new(n), exp: Some(Box::new(n)), radix: Some(Box::new(n)) }
}

fn float<T: Plain + Exp + Copy + 'static>(value: Value<'static>, n: T) -> Case {
    Case { value, plain: Box::new(n), exp: Some(Box::new(n)), radix: None }
}

fn plain<T: Plain + 'static>(value: Value<'static>, v: T) -> Case {
    Case { value, plain: Box::new(v), exp: None, radix: None }
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
    for c in
        ['x', 'é', '\n', '\0', '"', '\'', '\\', '*', ' ', '0', '→', '\u{301}', '\u{7f}', '\u{200b}', '\u{10ffff}', '😀']
    {
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

/// The grid's mismatches, counted, the first few described.
#[derive(Default)]
struct Tally {
    compared: usize,
    mismatched: usize,
    first: Vec<String>,
}

impl Tally {
    /// Renders `value` and compares it with `expected`, from `format!(text, ..)`.
    fn check(
        &mut self,
        text: &str,
        value: &Value<'_>,
        spec: Spec,
        (width, precision): (Option<usize>, Option<usize>),
        expected: &str,
    ) {
        let mut got = String::new();
        render_value(&mut got, value, &spec, width, precision);
        self.compared += 1;
        if got != expected {
            self.mismatched += 1;
            if self.first.len() < 50 {
                self.first.push(format!(
                    "{text} {:?} w={width:?} p={precision:?} on {value:?}: \
                     format! gave {expected:?}, render_value gave {got:?}",
                    spec.ty
                ));
            }
        }
    }

    fn assert_clean(&self) {
        assert!(
            self.mismatched == 0,
            "{} of {} differ from format!, first ones:\n{}",
            self.mismatched,
            self.compared,
            self.first.join("\n")
        );
    }
}

fn counts(present: bool, values: &[usize]) -> Vec<Option<usize>> {
    if present { values.iter().copied().map(Some).collect() } else { vec![None] }
}

#[test]
fn grid_matches_format() {
    let rows = rows();
    let cases = cases();
    let mut tally = Tally::default();
    for row in &rows {
        for width in counts(row.width, &WIDTHS) {
            for precision in counts(row.precision, &PRECISIONS) {
                let (w, p) = (width.unwrap_or(0), precision.unwrap_or(0));
                let counts = (width, precision);
                for case in &cases {
                    let expected = (row.plain)(&*case.plain, w, p);
                    for (ty, expected) in PLAIN_TYPES.into_iter().zip(expected) {
                        let spec = Spec { ty, ..row.spec };
                        tally.check(row.text, &case.value, spec, counts, &expected);
                    }
                    if let Some(exp) = &case.exp {
                        for (ty, expected) in EXP_TYPES.into_iter().zip((row.exp)(&**exp, w, p)) {
                            let spec = Spec { ty, ..row.spec };
                            tally.check(row.text, &case.value, spec, counts, &expected);
                        }
                    }
                    if let Some(radix) = &case.radix {
                        let expected = (row.radix)(&**radix, w, p);
                        for (ty, expected) in RADIX_TYPES.into_iter().zip(expected) {
                            let spec = Spec { ty, ..row.spec };
                            tally.check(row.text, &case.value, spec, counts, &expected);
                        }
                    }
                }
            }
        }
    }
    println!(
        "grid: compared {} renderings with format! ({} format strings per trait, {} values)",
        tally.compared,
        rows.len(),
        cases.len()
    );
    tally.assert_clean();
    assert!(tally.compared > 1_000_000, "grid unexpectedly small: {}", tally.compared);
}

/// How a literal format string of [`literal_table!`] is applied.
enum Run {
    Plain(fn(&dyn Plain) -> String),
    Exp(fn(&dyn Exp) -> String),
    Radix(fn(&dyn Radix) -> String),
}

/// `(format string, how to run format! with it)` for each literal.
macro_rules! literal_table {
    ($($class:ident $lit:literal,)*) => {
        vec![$(($lit, literal_table!(@run $class $lit)),)*]
    };
    (@run plain $lit:literal) => { Run::Plain(|v| format!($lit, v)) };
    (@run exp $lit:literal) => { Run::Exp(|v| format!($lit, v)) };
    (@run radix $lit:literal) => { Run::Radix(|v| format!($lit, v)) };
}

/// The spec of a literal `{:...}` with literal counts, parsed the way `format!`
/// parses it (enough for [`literal_specs_match_format`]'s table).
fn parse_literal(text: &str) -> (Spec, Option<usize>, Option<usize>) {
    let body = text.strip_prefix("{:").and_then(|b| b.strip_suffix('}'));
    let chars: Vec<char> = body.expect("a `{:...}` literal").chars().collect();
    let align = |c: Option<&char>| match c {
        Some('<') => Some(Align::Left),
        Some('^') => Some(Align::Center),
        Some('>') => Some(Align::Right),
        _ => None,
    };
    let mut spec = Spec::DISPLAY;
    let mut at = 0;
    if let Some(a) = align(chars.get(1)) {
        (spec.fill, spec.align, at) = (chars[0], a, 2);
    } else if let Some(a) = align(chars.first()) {
        (spec.align, at) = (a, 1);
    }
    let mut flag = |c: char| {
        let found = chars.get(at) == Some(&c);
        at += usize::from(found);
        found
    };
    if flag('+') {
        spec.sign = Sign::Plus;
    } else if flag('-') {
        spec.sign = Sign::Minus;
    }
    spec.alternate = flag('#');
    spec.zero = flag('0');
    let number = |at: &mut usize| {
        let digits: String = chars[*at..].iter().take_while(|c| c.is_ascii_digit()).collect();
        *at += digits.len();
        digits.parse::<usize>().ok()
    };
    let width = number(&mut at);
    let precision = if chars.get(at) == Some(&'.') {
        at += 1;
        number(&mut at)
    } else {
        None
    };
    let ty: String = chars[at..].iter().collect();
    spec.ty = match ty.as_str() {
        "" => FmtType::Display,
        "?" => FmtType::Debug,
        "x?" => FmtType::DebugLowerHex,
        "X?" => FmtType::DebugUpperHex,
        "x" => FmtType::LowerHex,
        "X" => FmtType::UpperHex,
        "o" => FmtType::Octal,
        "b" => FmtType::Binary,
        "e" => FmtType::LowerExp,
        "E" => FmtType::UpperExp,
        other => panic!("type `{other}` in {text}"),
    };
    (spec, width, precision)
}

/// Format strings spelled out with literal counts, the examples that motivate
/// the grid among them, with each value their trait takes.
#[test]
fn literal_specs_match_format() {
    let table = literal_table![
        plain "{:0}",
        plain "{:00}",
        plain "{:+0}",
        plain "{:05}",
        plain "{:<05}",
        plain "{:^05}",
        plain "{:05?}",
        plain "{:10?}",
        plain "{:^9?}",
        plain "{:#?}",
        plain "{:x?}",
        plain "{:#X?}",
        plain "{:08.3}",
        plain "{:+08.3?}",
        plain "{:.0}",
        plain "{:.3}",
        plain "{:.3?}",
        plain "{:12.0}",
        plain "{:#12.2?}",
        plain "{:é^12.3}",
        plain "{:→>7?}",
        plain "{:0>5}",
        plain "{:0<+#09.2}",
        plain "{:-^+11.1?}",
        plain "{:*<12}",
        plain "{:}<6}",
        plain "{:{>6}",
        exp "{:e}",
        exp "{:E}",
        exp "{:.0e}",
        exp "{:#e}",
        exp "{:+012.3e}",
        exp "{:^15.2E}",
        exp "{:#010.3e}",
        radix "{:>+#010.3x}",
        radix "{:#b}",
        radix "{:#012o}",
        radix "{:08X}",
        radix "{:#010x}",
        radix "{:<#10b}",
        radix "{:+x}",
        radix "{:.3x}",
        radix "{:→^#14o}",
    ];
    let mut tally = Tally::default();
    for (text, run) in &table {
        let (spec, width, precision) = parse_literal(text);
        for case in cases() {
            let expected = match (run, &case.exp, &case.radix) {
                (Run::Plain(f), _, _) => f(&*case.plain),
                (Run::Exp(f), Some(v), _) => f(&**v),
                (Run::Radix(f), _, Some(v)) => f(&**v),
                _ => continue,
            };
            tally.check(text, &case.value, spec, (width, precision), &expected);
        }
    }
    println!("literals: compared {} renderings with format!", tally.compared);
    tally.assert_clean();
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

        let spec = Spec { fill: '→', align: Align::Center, ..Spec::DISPLAY };
        let mut out = String::new();
        let value = Value::Str(Text::whole("héllo"));
        render_value(&mut out, &value, &spec, Some(n), Some(n));
        assert_eq!(out, format!("{:→^1$.1$}", "héllo", MAX_COUNT));
    }
}

/// Every value with every type and the largest counts: where `format!` itself
/// does not panic, the same text; where it does, no panic.
#[test]
fn largest_counts_never_panic() {
    for case in cases() {
        for ty in (0..=10).filter_map(FmtType::from_u8) {
            for (width, precision) in [
                (Some(MAX_COUNT), None),
                (None, Some(MAX_COUNT)),
                (Some(MAX_COUNT), Some(MAX_COUNT)),
                (Some(usize::MAX), Some(usize::MAX)),
            ] {
                let spec = Spec { align: Align::Right, sign: Sign::Plus, ..Spec { ty, ..Spec::DISPLAY } };
                let mut out = String::new();
                render_value(&mut out, &case.value, &spec, width, precision);
            }
        }
    }
    // std's own limit: `{:.65535e}` on a float panics, one less does not.
    let mut out = String::new();
    let spec = Spec { ty: FmtType::LowerExp, ..Spec::DISPLAY };
    render_value(&mut out, &Value::F64(1.5), &spec, None, Some(MAX_COUNT));
    assert_eq!(out, format!("{:.1$e}", 1.5f64, MAX_COUNT - 1));
    out.clear();
    render_value(&mut out, &Value::U32(15), &spec, None, Some(MAX_COUNT));
    assert_eq!(out, format!("{:.1$e}", 15u32, MAX_COUNT));
}

#[test]
fn formatted_values_are_written_verbatim() {
    let spec = Spec { align: Align::Right, ..Spec::DISPLAY };
    let mut out = String::new();
    render_value(&mut out, &Value::Formatted(Formatted::new(&[])), &spec, Some(9), None);
    assert_eq!(out, "");
    let texts = [Text::whole("Point { x: 1 }"), Text::whole("other")];
    render_value(&mut out, &Value::Formatted(Formatted::new(&texts)), &spec, Some(30), Some(1));
    assert_eq!(out, "Point { x: 1 }");
}

/// Random spec parts, drawn from the tests' shared generator.
trait SpecRng {
    fn char(&mut self) -> char;
    fn count(&mut self) -> Count;
    fn resolved(&mut self) -> Option<usize>;
    fn spec(&mut self) -> Spec;
}

impl SpecRng for Rng {
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
        match self.below(256) {
            0 => Some(usize::MAX),
            1 => Some(MAX_COUNT - 2 + self.below(5) as usize),
            2..=80 => None,
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
fn accepted(value: &Value<'_>, ty: FmtType) -> bool {
    match ty {
        FmtType::Display | FmtType::Debug | FmtType::DebugLowerHex | FmtType::DebugUpperHex => true,
        FmtType::LowerHex | FmtType::UpperHex | FmtType::Octal | FmtType::Binary => value.is_integer(),
        FmtType::LowerExp | FmtType::UpperExp => value.is_integer() || matches!(value, Value::F32(_) | Value::F64(_)),
        FmtType::Pointer => false,
    }
}

/// Random specs, nonsense included, over every variant: no panic, and a trait
/// the type lacks renders as `Display` with the same options.
#[test]
fn random_specs_never_panic() {
    let texts = [Text::whole("x"), Text::whole("y")];
    let mut values: Vec<Value<'_>> = cases().into_iter().map(|c| c.value).collect();
    values.push(Value::Formatted(Formatted::new(&[])));
    values.push(Value::Formatted(Formatted::new(&texts)));
    values.push(Value::Str(Text { text: "cut", truncated: u64::MAX }));
    let mut rng = Rng::new(0x9e37_79b9_7f4a_7c15);
    for _ in 0..50_000 {
        let value = &values[rng.below(values.len() as u64) as usize];
        let spec = rng.spec();
        let (width, precision) = (rng.resolved(), rng.resolved());
        let mut out = String::new();
        render_value(&mut out, value, &spec, width, precision);
        if !accepted(value, spec.ty) {
            let mut display = String::new();
            let as_display = Spec { ty: FmtType::Display, ..spec };
            render_value(&mut display, value, &as_display, width, precision);
            assert_eq!(out, display, "{spec:?} on {value:?}");
        }
    }
}

/// `{:.N}` of floats, written without std's machinery where that is exact:
/// equal to `format!` for random bit patterns, decimal-looking values, ties
/// and edge cases, at every precision the fast path takes and a few beyond.
#[test]
fn fixed_precision_floats_match_format() {
    let spec = Spec::DISPLAY;
    let mut rng = Rng::new(0x5851_f42d_4c95_7f2d);
    let mut values: Vec<f64> = vec![
        0.0,
        -0.0,
        0.4,
        26.2,
        0.5,
        1.5,
        2.5,
        -2.5,
        0.25,
        0.125,
        0.05,
        1e-7,
        9.5,
        99.95,
        0.995,
        1e15,
        1e16,
        1e17,
        1e19,
        1e20,
        1.8446744073709552e19,
        9.223372036854775e18,
        4503599627370496.5,
        f64::MAX,
        f64::MIN_POSITIVE,
        5e-324,
        f64::EPSILON,
        f64::NAN,
        f64::INFINITY,
        f64::NEG_INFINITY,
        -0.04,
        -0.06,
        123456.789,
        -987654.321,
    ];
    for _ in 0..6_000 {
        values.push(f64::from_bits(rng.next()));
        // Decimal-looking values: short decimals, often near a tie.
        let digits = rng.below(1_000_000) as f64;
        let scale = 10f64.powi(rng.below(12) as i32 - 4);
        let v = digits / 10f64.powi(rng.below(7) as i32) * scale;
        values.push(if rng.below(2) == 0 { v } else { -v });
        values.push((rng.below(1 << 20) as f64 + 0.5) / f64::from(1u32 << rng.below(12)));
    }
    let mut out = String::new();
    for &v in &values {
        for p in (0..=FIXED_MAX_PRECISION + 2).chain([30]) {
            out.clear();
            render_value(&mut out, &Value::F64(v), &spec, None, Some(p));
            assert_eq!(out, format!("{v:.p$}"), "{v:e} ({:#x}) at precision {p}", v.to_bits());
            let f = v as f32;
            out.clear();
            render_value(&mut out, &Value::F32(f), &spec, None, Some(p));
            assert_eq!(out, format!("{f:.p$}"), "{f:e}f32 at precision {p}");
        }
    }
}
