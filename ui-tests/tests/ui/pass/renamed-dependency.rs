//! `renamed_ttlog` is ttlog under another name (see ui-tests/Cargo.toml): the
//! macros reach their runtime through `$crate`, not through the name `ttlog`.
use renamed_ttlog::Level;

fn main() {
    renamed_ttlog::info!("through a renamed dependency: {}", 1u8);
    renamed_ttlog::event!(Level::DEBUG, "event! too {:?}", Some(2));
    let _ = renamed_ttlog::snapshot("renamed");
}
