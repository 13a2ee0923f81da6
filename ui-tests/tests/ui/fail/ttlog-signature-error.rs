use ttlog::ttlog;

#[ttlog]
fn handle(id u32) -> u32 {
    id
}

fn main() {
    handle(1);
}
