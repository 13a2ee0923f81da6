fn main() {
    ttlog::event!("disk full");
}
