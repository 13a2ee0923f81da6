fn main() {
    ttlog::info!("value } here");
}
