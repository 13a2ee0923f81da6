use ttlog::ttlog;

#[ttlog(ret(Json))]
fn handle(id: u32) -> u32 {
    id
}

fn main() {
    handle(1);
}
