//! Every problem with the options is reported, not only the first.
use ttlog::ttlog;

#[ttlog(nmae = "x", ret(Pretty), skip(nope), level = "loud")]
fn handle(id: u32) -> u32 {
    id
}

fn main() {
    handle(1);
}
