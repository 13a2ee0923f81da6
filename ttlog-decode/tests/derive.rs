//! `#[derive(ttlog::Record)]` end to end: values logged through the real
//! macros, a real snapshot and the real decoder must read back as `Debug`
//! (derived by std on the same types) prints them, with the display format
//! for `{}`, and as structured JSON.

use ttlog_decode::render::line::json_line;
use ttlog_decode::render::message::message;

#[derive(Debug, ttlog::Record)]
#[ttlog(display = "({x}, {y})")]
struct Point {
    x: i32,
    y: i32,
}

#[derive(Debug, ttlog::Record)]
struct Pair<T>(T, T);

#[derive(Debug, ttlog::Record)]
struct Unit;

#[derive(Debug, ttlog::Record)]
enum Shape {
    Empty,
    Dot(Point),
    Line { from: Point, to: Point, label: Option<String> },
}

#[derive(Debug)]
#[allow(dead_code)] // Read through `Debug`.
struct Opaque {
    secret: u8,
}

#[derive(Debug, ttlog::Record)]
struct Order<'a> {
    id: u64,
    items: &'a [&'a str],
    weights: Vec<f64>,
    at: (u8, char, bool),
    parent: Option<Box<Order<'a>>>,
    #[ttlog(debug)]
    opaque: Opaque,
    counts: [u16; 3],
    unit: (),
    size: usize,
    big: i128,
}

#[derive(Debug, ttlog::Record)]
enum Tagged {
    #[ttlog(display = "off")]
    Off,
    #[ttlog(display = "on at {0}")]
    On(Point),
}

/// Logs in a thread of its own; the snapshot's messages and JSON lines of
/// that thread, in order.
fn logged(f: impl FnOnce() + Send + 'static) -> Vec<(String, String)> {
    let name = format!("derive-{:x}", fastrand_like());
    let n2 = name.clone();
    std::thread::Builder::new()
        .name(name)
        .spawn(move || {
            ttlog::Builder::new().buffer_size(1 << 20).init().unwrap();
            f();
        })
        .unwrap()
        .join()
        .unwrap();
    let bytes = ttlog::snapshot("derive").to_bytes();
    let snap = ttlog_decode::from_bytes(&bytes).expect("the snapshot decodes");
    assert!(snap.is_intact(), "{:?}", snap.problems);
    snap.events
        .iter()
        .filter(|e| snap.thread(e).is_some_and(|t| t.name == n2))
        .map(|e| (message(snap.callsite(e).expect("callsite"), snap.args(e)), json_line(&snap, e)))
        .collect()
}

/// A distinct number per call, for thread names.
fn fastrand_like() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(1);
    N.fetch_add(1, Ordering::Relaxed) ^ std::process::id() as u64
}

fn order() -> Order<'static> {
    Order {
        id: 7,
        items: &["tea", "scone \"warm\""],
        weights: vec![0.25, 1.0, f64::NAN],
        at: (3, 'é', true),
        parent: Some(Box::new(Order {
            id: 6,
            items: &[],
            weights: vec![],
            at: (0, 'a', false),
            parent: None,
            opaque: Opaque { secret: 2 },
            counts: [0; 3],
            unit: (),
            size: 0,
            big: i128::MIN,
        })),
        opaque: Opaque { secret: 9 },
        counts: [1, 2, 65535],
        unit: (),
        size: usize::MAX,
        big: -5,
    }
}

#[test]
fn derived_values_read_back_as_debug_prints_them() {
    let values = order_values();
    let want = vec![
        format!("p={:?}", values.0),
        format!("pair={:?} {:?}", values.1, values.2),
        format!("unit={:?}", values.3),
        format!("shapes={:?} {:?} {:?}", values.4[0], values.4[1], values.4[2]),
        format!("order={:?}", values.5),
        format!("pretty={:#?}", values.0),
        format!("pretty={:#?}", values.4[2]),
        // A `#[ttlog(debug)]` field was formatted once, at the call, with
        // `{:?}`: `{:#?}` shows that text as it is.
        format!("{:#?}", values.5)
            .replace("Opaque {\n                secret: 2,\n            }", "Opaque { secret: 2 }")
            .replace("Opaque {\n        secret: 9,\n    }", "Opaque { secret: 9 }"),
    ];
    let got = logged(|| {
        let (p, f, s, u, shapes, o) = order_values();
        ttlog::info!("p={:?}", p);
        ttlog::info!("pair={:?} {:?}", f, s);
        ttlog::info!("unit={:?}", u);
        ttlog::info!("shapes={:?} {:?} {:?}", shapes[0], shapes[1], shapes[2]);
        ttlog::info!("order={:?}", o);
        ttlog::info!("pretty={:#?}", p);
        ttlog::info!("pretty={:#?}", shapes[2]);
        ttlog::info!("{:#?}", o);
    });
    let got: Vec<String> = got.into_iter().map(|(m, _)| m).collect();
    assert_eq!(got, want);
}

/// The values of [`derived_values_read_back_as_debug_prints_them`], made
/// again inside the logging thread.
#[allow(clippy::type_complexity)]
fn order_values() -> (Point, Pair<f32>, Pair<&'static str>, Unit, [Shape; 3], Order<'static>) {
    (
        Point { x: 1, y: -2 },
        Pair(1.5f32, -0.0),
        Pair("a", "b"),
        Unit,
        [
            Shape::Empty,
            Shape::Dot(Point { x: 3, y: 4 }),
            Shape::Line {
                from: Point { x: 0, y: 0 },
                to: Point { x: i32::MAX, y: i32::MIN },
                label: Some("diag\n".into()),
            },
        ],
        order(),
    )
}

#[test]
fn display_formats_render_braces_and_fields() {
    let got = logged(|| {
        let p = Point { x: 5, y: -6 };
        ttlog::info!("at {} and {:?}", p, p);
        ttlog::info!("{} / {}", Tagged::Off, Tagged::On(Point { x: 1, y: 2 }));
    });
    let got: Vec<&str> = got.iter().map(|(m, _)| m.as_str()).collect();
    assert_eq!(got, ["at (5, -6) and Point { x: 5, y: -6 }", "off / on at (1, 2)"]);
}

#[test]
fn json_keeps_the_structure() {
    let got = logged(|| {
        let s = Shape::Line { from: Point { x: 1, y: 2 }, to: Point { x: 3, y: 4 }, label: None };
        ttlog::info!("moved", shape = ?s, dot = ?Shape::Dot(Point { x: 0, y: 9 }), empty = ?Shape::Empty, pair = ?Pair(1u8, 2u8));
    });
    let json = &got[0].1;
    assert!(
        json.contains(
            r#""fields":{"shape":{"Line":{"from":{"x":1,"y":2},"to":{"x":3,"y":4},"label":null}},"dot":{"Dot":[{"x":0,"y":9}]},"empty":"Empty","pair":[1,2]}"#
        ),
        "{json}"
    );
    let v: serde_json::Value = serde_json::from_str(json).expect("valid JSON");
    assert_eq!(v["fields"]["shape"]["Line"]["to"]["y"], 4);
    // The message shows fields as text after it.
    assert!(got[0].0.starts_with("moved"), "{}", got[0].0);
}

#[test]
fn long_strings_and_slices_in_records_are_cut_not_lost() {
    #[derive(Debug, ttlog::Record)]
    struct Big {
        name: String,
        xs: Vec<u32>,
    }
    let got = logged(|| {
        ttlog::info!("{:?}", Big { name: "n".repeat(5000), xs: (0..5000).collect() });
    });
    let m = &got[0].0;
    assert!(m.starts_with("Big { name: \"nnnn"), "{m}");
    assert!(m.contains("bytes cut]"), "{}", &m[..200]);
    assert!(m.contains("more]"), "{}", &m[m.len() - 100..]);
    assert!(m.len() < 5000, "{}", m.len());
}

/// The frames of a valid file: (offset, kind, payload length).
fn frames(bytes: &[u8]) -> Vec<(usize, u8, usize)> {
    let mut out = Vec::new();
    let mut pos = ttlog::wire::PREAMBLE_LEN;
    while pos + ttlog::wire::FRAME_HEADER_LEN <= bytes.len() {
        let len = u32::from_le_bytes(bytes[pos + 5..pos + 9].try_into().unwrap()) as usize;
        out.push((pos, bytes[pos + 4], len));
        pos += ttlog::wire::FRAME_HEADER_LEN + len;
    }
    out
}

/// Damaged TYPE frames and record values whose checksums are made right
/// again, so that the decoder reads what the damage left: every event still
/// decodes or is reported, and nothing panics, in text and in JSON.
#[test]
fn damaged_descriptors_and_values_never_panic() {
    let _ = logged(|| {
        let (p, f, s, u, shapes, o) = order_values();
        ttlog::info!("{:?} {:?} {:?} {:?} {}", p, f, s, u, p);
        ttlog::info!("{:?} {:#?}", shapes, o, t = ?Tagged::On(p));
    });
    let bytes = ttlog::snapshot("derive-damage").to_bytes();
    let all = frames(&bytes);
    let types: Vec<_> = all.iter().filter(|f| f.1 == ttlog::wire::kind::TYPE).copied().collect();
    assert!(types.len() >= 12, "a TYPE frame per derived type, twice: {}", types.len());
    let targets: Vec<_> =
        all.iter().filter(|f| matches!(f.1, ttlog::wire::kind::TYPE | ttlog::wire::kind::EVENTS)).copied().collect();
    let mut rng = fastrand::Rng::with_seed(17);
    for round in 0..400 {
        let mut b = bytes.clone();
        for _ in 0..1 + round % 4 {
            let (at, kind, len) = targets[rng.usize(..targets.len())];
            if len == 0 {
                continue;
            }
            let start = at + ttlog::wire::FRAME_HEADER_LEN;
            let i = start + rng.usize(..len);
            b[i] = match rng.u8(..4) {
                0 => rng.u8(..),
                1 => b[i] ^ (1 << rng.u8(..8)),
                2 => 0xff,
                _ => b[i].wrapping_add(1),
            };
            let crc = ttlog::wire::frame_crc(kind, &b[start..start + len]);
            b[at + 9..at + 13].copy_from_slice(&crc.to_le_bytes());
        }
        let snap = ttlog_decode::from_bytes(&b).expect("the preamble is intact");
        for e in &snap.events {
            if let Some(cs) = snap.callsite(e) {
                let _ = message(cs, snap.args(e));
            }
            let _ = json_line(&snap, e);
        }
    }
}
