struct Opaque;

#[derive(ttlog::Record)]
struct Request {
    id: u64,
    #[ttlog(debug)]
    body: Opaque,
}

fn main() {}
