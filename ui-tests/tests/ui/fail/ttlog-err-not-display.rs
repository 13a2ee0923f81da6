use ttlog::ttlog;

#[derive(Debug)]
struct Oops;

#[ttlog(err)]
fn fails() -> Result<(), Oops> {
    Err(Oops)
}

fn main() {
    let _ = fails();
}
