fn main() {
    ttlog::info!(user = 1, "login", user = 2);
}
