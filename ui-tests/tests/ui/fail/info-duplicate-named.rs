fn main() {
    ttlog::info!("{a}", a = 1, a = 2);
}
