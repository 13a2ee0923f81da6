fn main() {
    let user = "ana";
    ttlog::info!(user = user, target: "audit", "login");
}
