fn main() {
    ttlog::info!("value {", 1);
}
