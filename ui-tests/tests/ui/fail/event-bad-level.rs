use ttlog::Level;

fn main() {
    ttlog::event!(Level::LOUD, "disk full");
}
