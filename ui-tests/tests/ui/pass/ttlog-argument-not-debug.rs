//! Parameters whose types are not `Debug` are recorded by their type's name:
//! `self` of a struct without `Debug`, an `impl Iterator`, a generic parameter
//! without a `Debug` bound, a closure.
use ttlog::ttlog;

struct Secret;

struct Db {
    rows: u32,
}

impl Db {
    #[ttlog]
    fn load(&self, id: u32, secret: Secret) -> u32 {
        let _ = secret;
        self.rows + id
    }
}

#[ttlog]
fn count(items: impl Iterator<Item = u8>) -> usize {
    items.count()
}

#[ttlog]
fn generic<T>(value: T, f: impl Fn(T) -> u8) -> u8 {
    f(value)
}

fn main() {
    Db { rows: 1 }.load(1, Secret);
    count([1u8, 2].into_iter());
    generic(Secret, |_| 1);
}
