use ttlog::ttlog;

#[ttlog(ret)]
fn handle(id: u32) -> Reply {
    id
}

#[ttlog]
async fn later(id: u32) -> Reply {
    id
}

fn main() {
    handle(1);
    let _ = later(1);
}
