fn main() {
    ttlog::info!("[{:>1.5$}]", "x", 8usize);
}
