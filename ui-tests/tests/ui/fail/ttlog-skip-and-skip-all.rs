use ttlog::ttlog;

#[ttlog(skip(id), skip_all)]
fn handle(id: u32) -> u32 {
    id
}

fn main() {
    handle(1);
}
