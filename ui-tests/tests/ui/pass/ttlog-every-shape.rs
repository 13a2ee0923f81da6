//! `#[ttlog]` on every shape of function it supports, without a warning.
#![deny(warnings)]

use std::fmt::Debug;
use std::future::Future;
use ttlog::ttlog;

#[derive(Debug, Clone, Copy)]
struct Point {
    x: i32,
    y: i32,
}

#[ttlog]
fn free(a: u32, b: &str) -> usize {
    a as usize + b.len()
}

#[ttlog]
fn unit_return(a: u32) {
    let _ = a;
}

#[ttlog]
fn empty() {}

/// Doc comments and other attributes stay.
#[inline]
#[must_use]
#[ttlog]
fn with_attrs(a: u8) -> u8 {
    #![allow(clippy::identity_op)]
    a + 0
}

#[ttlog]
fn generic<T: Debug + Clone, U, const N: usize>(items: [T; N], other: U) -> Vec<T>
where
    U: Debug,
{
    let _ = other;
    items.to_vec()
}

#[ttlog]
fn lifetimes<'a, 'b: 'a>(a: &'a str, b: &'b str) -> &'a str {
    if a.len() > b.len() { a } else { b }
}

#[ttlog(ret)]
fn lifetimes_ret<'a>(a: &'a str, b: &str) -> &'a str {
    let _ = b;
    a
}

#[ttlog]
fn impl_trait_arg(it: impl Iterator<Item = u32> + Debug) -> u32 {
    it.sum()
}

#[ttlog(ret)]
fn impl_trait_ret(n: u32) -> impl Debug + Clone {
    vec![n]
}

#[ttlog]
fn impl_trait_nested(n: u32) -> Box<dyn Fn() -> u32> {
    Box::new(move || n)
}

#[ttlog(ret)]
fn impl_trait_in_generic(n: u32) -> Option<impl Debug> {
    Some(n)
}

#[ttlog]
fn patterns((a, b): (u32, u32), Point { x, y: why }: Point, [first, .., last]: [u8; 4], _: u8, mut m: u32, ref r: u64, whole @ Point { x: px, .. }: Point) -> u32 {
    m += 1;
    a + b + x as u32 + why as u32 + first as u32 + last as u32 + m + *r as u32 + (whole.y + px) as u32
}

#[ttlog(err)]
fn question_mark(s: &str) -> Result<u32, std::num::ParseIntError> {
    let n: u32 = s.parse()?;
    Ok(n)
}

#[ttlog(ret, err)]
fn boxed_error(s: &str) -> Result<u32, Box<dyn std::error::Error>> {
    if s.is_empty() {
        return Err("empty".into());
    }
    Ok(s.parse::<u32>()?)
}

#[ttlog(ret)]
fn io_result(ok: bool) -> std::io::Result<()> {
    if ok { Ok(()) } else { Err(std::io::Error::other("no")) }
}

#[ttlog]
fn never(code: i32) -> ! {
    std::process::exit(code)
}

#[ttlog(ret)]
fn early_return(n: u32) -> u32 {
    if n == 0 {
        return 1;
    }
    n
}

/// # Safety
/// `p` must be readable.
#[ttlog]
unsafe fn read(p: *const u8) -> u8 {
    // SAFETY: the caller promises it.
    unsafe { *p }
}

#[ttlog(ret)]
extern "C" fn c_abi(a: i32) -> i32 {
    a
}

/// # Safety
/// None needed; `unsafe extern` together.
#[ttlog]
unsafe extern "C" fn unsafe_c_abi(a: i32) -> i32 {
    a
}

#[derive(Debug)]
struct Counter {
    n: u32,
}

impl Counter {
    #[ttlog]
    fn new() -> Self {
        Counter { n: 0 }
    }

    #[ttlog]
    fn get(&self) -> u32 {
        self.n
    }

    #[ttlog(ret)]
    fn bump(&mut self) -> &mut u32 {
        self.n += 1;
        &mut self.n
    }

    #[ttlog]
    fn into_inner(self) -> u32 {
        self.n
    }

    #[ttlog]
    fn boxed(self: Box<Self>) -> u32 {
        self.n
    }

    #[ttlog]
    fn rc(self: std::rc::Rc<Self>) -> u32 {
        self.n
    }

    #[ttlog]
    fn pinned(self: std::pin::Pin<&mut Self>) -> u32 {
        self.n
    }

    #[ttlog]
    fn mut_self(mut self, by: u32) -> Self {
        self.n += by;
        self
    }

    #[ttlog(ret)]
    pub(crate) fn explicit_lifetime<'a>(&'a self, other: &'a str) -> &'a str {
        let _ = self;
        other
    }

    #[ttlog]
    async fn async_method(&self, extra: u32) -> u32 {
        self.n + extra
    }

    #[ttlog(ret, err)]
    async fn async_result(&mut self, s: &str) -> Result<u32, std::num::ParseIntError> {
        self.n += s.parse::<u32>()?;
        Ok(self.n)
    }
}

trait Service: Debug {
    fn id(&self) -> u32;

    #[ttlog(ret)]
    fn describe(&self) -> String {
        format!("service {}", self.id())
    }

    #[ttlog]
    async fn call(&self, req: u32) -> u32 {
        req + self.id()
    }
}

impl Service for Counter {
    #[ttlog]
    fn id(&self) -> u32 {
        self.n
    }

    #[ttlog(ret)]
    async fn call(&self, req: u32) -> u32 {
        req * self.id()
    }
}

#[ttlog]
async fn async_free(a: u32) -> u32 {
    a
}

#[ttlog(ret)]
async fn async_borrow(s: &str) -> &str {
    s
}

#[ttlog(err)]
async fn async_question(s: &str) -> Result<u32, std::num::ParseIntError> {
    let v: u32 = s.parse()?;
    Ok(v)
}

#[ttlog]
async fn async_impl_ret(n: u32) -> impl Debug {
    n
}

#[ttlog(ret)]
async fn async_generic<T: Debug + Send, const N: usize>(items: [T; N]) -> [T; N] {
    items
}

#[ttlog]
unsafe fn unsafe_generic<T: Copy + Debug>(p: *const T) -> T {
    // SAFETY: the callers pass readable pointers.
    unsafe { *p }
}

fn assert_send<F: Future + Send>(f: F) -> F {
    f
}

#[ttlog]
#[allow(clippy::too_many_arguments)]
pub fn public(a: u8, b: u16, c: u32, d: u64, e: u128, f: i8, g: f32, h: char, i: bool, j: String) -> usize {
    let _ = (a, b, c, d, e, f, g, h, i);
    j.len()
}

fn main() {
    free(1, "a");
    unit_return(1);
    empty();
    let _ = with_attrs(1);
    generic([1u8], "x");
    lifetimes("a", "bb");
    lifetimes_ret("a", "b");
    impl_trait_arg(vec![1u32].into_iter());
    let _ = impl_trait_ret(1).clone();
    let _ = impl_trait_nested(1)();
    let _ = impl_trait_in_generic(1);
    patterns((1, 2), Point { x: 1, y: 2 }, [1, 2, 3, 4], 0, 1, 2, Point { x: 3, y: 4 });
    let _ = question_mark("1");
    let _ = boxed_error("1");
    let _ = io_result(true);
    let _: fn(i32) -> ! = never;
    early_return(0);
    let b = 1u8;
    // SAFETY: `b` is readable.
    unsafe { read(&b) };
    c_abi(1);
    // SAFETY: nothing to uphold.
    unsafe { unsafe_c_abi(1) };
    let mut c = Counter::new();
    c.get();
    *c.bump() += 1;
    let c = c.mut_self(1);
    c.explicit_lifetime("x");
    let _ = c.describe();
    let _ = assert_send(c.async_method(1));
    let _ = assert_send(Service::call(&c, 1));
    let mut c2 = Counter::new();
    let _ = c2.async_result("1");
    std::pin::pin!(Counter::new()).as_mut().pinned();
    std::rc::Rc::new(Counter::new()).rc();
    Box::new(Counter::new()).boxed();
    c.into_inner();
    let _ = assert_send(async_free(1));
    let _ = assert_send(async_borrow("x"));
    let _ = assert_send(async_question("1"));
    let _ = async_impl_ret(1);
    let _ = assert_send(async_generic([1u8, 2]));
    // SAFETY: `b` is readable.
    unsafe { unsafe_generic(&b) };
    public(1, 2, 3, 4, 5, 6, 7.0, 'x', true, String::new());
}
