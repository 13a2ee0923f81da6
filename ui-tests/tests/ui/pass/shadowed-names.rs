//! The expansion must not depend on names the caller can shadow.
#![allow(dead_code, unused_macros, non_camel_case_types)]

mod core {}
mod std {}
mod inventory {}
struct Option;
struct Some;
struct Result;
struct Ok;
struct Box;
struct usize;
macro_rules! concat {
    ($($t:tt)*) => {
        compile_error!("the caller's concat! was used")
    };
}
macro_rules! format_args {
    ($($t:tt)*) => {
        compile_error!("the caller's format_args! was used")
    };
}
macro_rules! module_path {
    () => {
        compile_error!("the caller's module_path! was used")
    };
}
macro_rules! line {
    () => {
        compile_error!("the caller's line! was used")
    };
}
fn drop() {}

struct Shown;
impl ::core::fmt::Display for Shown {
    fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
        f.write_str("shown")
    }
}

fn main() {
    let width = 6;
    let name = "x";
    ttlog::info!("{} {name:>width$} {:?} {}", 1u8, "two", Shown, field = 3u32);
    ttlog::event!(ttlog::Level::WARN, "{:.*}", 2, 1.5f64);
    let __ttlog_w = 1;
    let __ttlog_b = 2;
    ttlog::error!("locals named like the expansion's {} {}", __ttlog_w, __ttlog_b);
}
