struct Opaque;

fn main() {
    ttlog::info!("value {}", Opaque);
}
