fn main() {
    ttlog::info!("{} took {} us", 42u64);
}
