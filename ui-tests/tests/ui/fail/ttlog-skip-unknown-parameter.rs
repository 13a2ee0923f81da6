use ttlog::ttlog;

#[ttlog(skip(id, password))]
fn login(id: u32, passwd: &str) -> bool {
    id > 0 && !passwd.is_empty()
}

fn main() {
    login(1, "x");
}
