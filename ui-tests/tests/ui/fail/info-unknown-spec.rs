fn main() {
    ttlog::info!("value {:y}", 1);
}
