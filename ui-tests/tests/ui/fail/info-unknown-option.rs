fn main() {
    ttlog::info!(tagret: "audit", "login");
}
