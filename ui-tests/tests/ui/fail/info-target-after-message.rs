fn main() {
    ttlog::info!("login", target: "audit");
}
