fn main() {
    ttlog::info!("value {0x}", 1);
}
