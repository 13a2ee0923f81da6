fn main() {
    ttlog::info!("ratio {:x}", 0.5f64);
}
