use ttlog::ttlog;

#[ttlog(level = "verbose")]
fn handle(id: u32) -> u32 {
    id
}

fn main() {
    handle(1);
}
