use ttlog::ttlog;

#[ttlog(fields(id = id + 1))]
fn handle(id: u32) -> u32 {
    id
}

fn main() {
    handle(1);
}
