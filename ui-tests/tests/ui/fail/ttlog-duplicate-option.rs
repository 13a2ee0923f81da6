use ttlog::ttlog;

#[ttlog(level = "debug", ret, level = "info")]
fn handle(id: u32) -> u32 {
    id
}

fn main() {
    handle(1);
}
