//! `#[ttlog]` on functions that a `macro_rules!` writes, with the options and
//! the parameter names coming from the macro's caller.
macro_rules! handler {
    ($name:ident, $arg:ident: $ty:ty, $($opt:tt)*) => {
        #[ttlog::ttlog($($opt)*)]
        fn $name($arg: $ty) -> ::std::result::Result<$ty, ::std::string::String> {
            if $arg == <$ty>::default() {
                return Err("zero".into());
            }
            Ok($arg)
        }
    };
}

handler!(first, id: u32, ret, err);
handler!(second, n: u64, skip(n), fields(double = n * 2));

fn main() {
    let _ = first(1);
    let _ = second(0);
}
