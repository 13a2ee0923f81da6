use ttlog::ttlog;

struct Token;

#[ttlog(ret)]
fn issue(id: u32) -> Token {
    let _ = id;
    Token
}

fn main() {
    issue(1);
}
