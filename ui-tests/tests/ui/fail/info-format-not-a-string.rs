fn main() {
    ttlog::info!(42, "answer");
}
