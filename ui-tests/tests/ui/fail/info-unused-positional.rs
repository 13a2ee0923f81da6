fn main() {
    ttlog::info!("only {}", 1, 2);
}
