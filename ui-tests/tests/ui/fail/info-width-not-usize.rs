fn main() {
    let width = 8u32;
    ttlog::info!("[{:>1$}]", "x", width);
}
