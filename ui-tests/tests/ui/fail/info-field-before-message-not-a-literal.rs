fn main() {
    let user = "ana";
    ttlog::info!(user = user, 42);
}
