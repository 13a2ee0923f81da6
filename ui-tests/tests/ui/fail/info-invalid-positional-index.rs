fn main() {
    ttlog::info!("{0} and {3}", 1, 2);
}
