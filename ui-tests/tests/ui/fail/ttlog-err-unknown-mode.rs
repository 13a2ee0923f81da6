use ttlog::ttlog;

#[ttlog(err(Display, Pretty))]
fn handle(id: u32) -> Result<u32, String> {
    Ok(id)
}

fn main() {
    let _ = handle(1);
}
