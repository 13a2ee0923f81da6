//! The seeded generator of the decoder's randomized tests, unit and
//! integration alike (`lib.rs` and the files in `tests/` include this file):
//! `fastrand`'s, with the shapes these tests draw. A seed gives the same cases
//! on every machine (the version is pinned by `Cargo.lock`).
// Each test crate uses a part of it.
#![allow(dead_code)]

/// A seeded generator.
#[derive(Clone, Debug)]
pub struct Rng(fastrand::Rng);

impl Rng {
    /// The generator of `seed`.
    pub fn new(seed: u64) -> Rng {
        Rng(fastrand::Rng::with_seed(seed))
    }

    /// A value of 64 random bits.
    pub fn next(&mut self) -> u64 {
        self.0.u64(..)
    }

    /// A value below `n` (`n > 0`).
    pub fn below(&mut self, n: u64) -> u64 {
        self.0.u64(0..n)
    }

    /// A value of `0..n` as an index (`n > 0`).
    pub fn index(&mut self, n: usize) -> usize {
        self.below(n as u64) as usize
    }

    /// True one time in `n`.
    pub fn one_in(&mut self, n: u64) -> bool {
        self.below(n) == 0
    }

    /// One of `items` (not empty).
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.index(items.len())]
    }

    /// `n` random bytes.
    pub fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }
}
