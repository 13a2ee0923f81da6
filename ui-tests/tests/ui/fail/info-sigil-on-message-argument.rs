fn main() {
    ttlog::info!("user {user}", user = ?"ana");
}
