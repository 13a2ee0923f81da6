fn main() {
    let user = "ana";
    ttlog::info!("{user} logged in from {address}");
}
