use ttlog::{ttlog, Level};

#[ttlog(level = Level::LOUD)]
fn handle(id: u32) -> u32 {
    id
}

fn main() {
    let _ = Level::INFO;
    handle(1);
}
