fn main() {
    let message = "started";
    ttlog::info!(message.trim());
}
