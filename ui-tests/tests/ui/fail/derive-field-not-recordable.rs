struct Opaque;

#[derive(ttlog::Record)]
struct Request {
    id: u64,
    body: Opaque,
}

fn main() {}
