fn main() {
    ttlog::info!("{a} {}", a = 1, 2);
}
