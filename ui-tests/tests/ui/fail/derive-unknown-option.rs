#[derive(ttlog::Record)]
#[ttlog(colour = "red")]
struct Point {
    x: i32,
}

fn main() {}
