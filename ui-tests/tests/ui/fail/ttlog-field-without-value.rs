use ttlog::ttlog;

#[ttlog(fields(user))]
fn handle(id: u32) -> u32 {
    id
}

fn main() {
    handle(1);
}
