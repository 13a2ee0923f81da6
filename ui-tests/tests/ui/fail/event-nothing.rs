fn main() {
    ttlog::event!();
}
