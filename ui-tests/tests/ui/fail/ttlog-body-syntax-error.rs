use ttlog::ttlog;

#[ttlog(ret)]
fn handle(id: u32) -> u32 {
    let x = ;
    id
}

fn main() {
    handle(1);
}
