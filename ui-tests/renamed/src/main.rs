//! `renamed_ttlog` is ttlog under another name (see this crate's Cargo.toml):
//! the macros reach their runtime through `$crate`, not through the name
//! `ttlog`. Built and run by `cargo test --workspace`.
use renamed_ttlog::Level;

fn log() {
    renamed_ttlog::info!("through a renamed dependency: {}", 1u8);
    renamed_ttlog::event!(Level::WARN, "event! too {:?}", Some(2));
}

fn main() {
    log();
    println!("{} events", renamed_ttlog::snapshot("renamed").event_count());
}

#[test]
fn macros_work_through_a_renamed_dependency() {
    log();
    assert!(renamed_ttlog::snapshot("renamed").event_count() >= 2);
}
