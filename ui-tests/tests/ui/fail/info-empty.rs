fn main() {
    ttlog::info!();
}
