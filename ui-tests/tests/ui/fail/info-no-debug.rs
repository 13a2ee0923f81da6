struct Opaque;

fn main() {
    let id = 3u8;
    ttlog::info!("{} {:?}", id, Opaque);
}
