fn main() {
    let level = ttlog::Level::INFO;
    ttlog::event!(level, "disk full");
}
