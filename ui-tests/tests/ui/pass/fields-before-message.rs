//! tracing's syntax: fields before the message, shorthands for variables,
//! fields alone, `target:` first.
fn main() {
    let user = "ana";
    let attempt = 3u8;
    let db = Some(2u8);
    ttlog::info!(user = user, "login");
    ttlog::info!(user = ?user, attempt = %attempt, "login {}", attempt);
    ttlog::warn!(target: "audit", user, ?db, %attempt, "retry");
    ttlog::debug!(code = 7u16, ok = true);
    ttlog::error!(user);
    ttlog::event!(ttlog::Level::INFO, user, "level first");
    ttlog::info!(target: "audit", shard = 2u8, "late {user}", extra = ?db);
}
