use ttlog::ttlog;

#[ttlog(err)]
fn handle(id: u32) -> u32 {
    id
}

fn main() {
    handle(1);
}
