use ttlog::ttlog;

struct Secret;

#[ttlog]
fn login(id: u32, secret: Secret) -> u32 {
    let _ = secret;
    id
}

fn main() {
    login(1, Secret);
}
