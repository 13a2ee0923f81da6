fn main() {
    ttlog::info!("{:.*}", 2.5f64);
}
