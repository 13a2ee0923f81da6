#[derive(ttlog::Record)]
#[ttlog(display = "({x}, {z})")]
struct Point {
    x: i32,
    y: i32,
}

fn main() {}
