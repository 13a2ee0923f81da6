//! `#[ttlog]`'s expansion must not depend on names the caller can shadow.
#![allow(dead_code, unused_macros, non_camel_case_types)]

mod core {}
mod std {}
mod inventory {}
struct Option;
struct Some;
struct Result;
struct Ok;
struct Err;
struct Box;
struct usize;
struct u64;
struct u8;
struct str;
struct FnExit;
struct Level;
macro_rules! concat {
    ($($t:tt)*) => {
        compile_error!("the caller's concat! was used")
    };
}
macro_rules! module_path {
    () => {
        compile_error!("the caller's module_path! was used")
    };
}
macro_rules! unreachable {
    ($($t:tt)*) => {
        compile_error!("the caller's unreachable! was used")
    };
}
macro_rules! line {
    () => {
        compile_error!("the caller's line! was used")
    };
}

#[ttlog::ttlog(ret, err)]
fn parse(s: &'static ::core::primitive::str) -> ::core::result::Result<::core::primitive::u32, ::std::num::ParseIntError> {
    let n: ::core::primitive::u32 = s.parse()?;
    ::core::result::Result::Ok(n)
}

#[ttlog::ttlog(ret)]
async fn later(n: ::core::primitive::u32) -> ::core::primitive::u32 {
    n
}

fn main() {
    let _ = parse("1");
    let _ = later(1);
}
