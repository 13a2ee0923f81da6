#[derive(ttlog::Record)]
enum State {
    #[ttlog(display = "off")]
    Off,
    On(u8),
}

fn main() {}
