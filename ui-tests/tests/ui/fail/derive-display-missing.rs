#[derive(ttlog::Record)]
struct Point {
    x: i32,
    y: i32,
}

fn main() {
    let p = Point { x: 1, y: 2 };
    ttlog::info!("at {}", p);
}
