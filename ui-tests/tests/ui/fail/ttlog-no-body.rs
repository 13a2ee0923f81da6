use ttlog::ttlog;

trait Store {
    #[ttlog]
    fn get(&self, key: u32) -> u32;
}

fn main() {}
