//! `#[derive(ttlog::Record)]`'s expansion must not depend on names the
//! caller can shadow, and takes every shape of type.
#![allow(dead_code, non_camel_case_types)]

mod core {}
mod std {}
mod inventory {}
struct Option;
struct Some;
struct None;
struct usize;
struct u8;
struct u16;
struct u32;
struct bool;
struct str;
trait Record {}

#[derive(ttlog::Record)]
#[ttlog(display = "{name}#{id}")]
struct Named<'a, T> {
    name: &'a ::core::primitive::str,
    id: T,
}

#[derive(ttlog::Record)]
struct Wrapper<T>(T, ::core::option::Option<T>);

#[derive(ttlog::Record)]
struct Marker;

#[derive(ttlog::Record)]
enum Never {}

#[derive(::core::fmt::Debug)]
struct Hidden;

#[derive(ttlog::Record)]
enum Event<'a, T> {
    Start,
    Data(&'a [T], (::core::primitive::u8, ::core::primitive::char)),
    Stop {
        code: ::core::primitive::i32,
        #[ttlog(debug)]
        why: Hidden,
    },
}

fn main() {
    let n = Named { name: "a", id: 3u64 };
    ttlog::info!("{} {:?}", n, n);
    ttlog::info!("{:?} {:?}", Wrapper(1u8, ::core::option::Option::None), Marker);
    ttlog::info!("{:?}", Event::<'_, ::core::primitive::u32>::Data(&[1, 2], (3, 'x')));
    let stop: Event<'_, ::core::primitive::u32> = Event::Stop { code: 1, why: Hidden };
    ttlog::info!("{:?}", stop);
}
