use ttlog::ttlog;

#[ttlog(fields(shard = id % 4, shard = 0))]
fn handle(id: u32) -> u32 {
    id
}

fn main() {
    handle(1);
}
