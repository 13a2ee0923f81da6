//! The body's own errors are rustc's, and nothing else: no error from the
//! attribute's expansion around them.
use ttlog::ttlog;

#[ttlog]
fn plain(id: u32) -> u32 {
    id + "one"
}

#[ttlog(ret, err)]
fn with_value(id: u32) -> Result<u32, String> {
    let n: u32 = undefined_function(id)?;
    Ok(n)
}

#[ttlog]
async fn in_async(id: u32) -> u32 {
    let s: String = id;
    s
}

fn main() {
    plain(1);
    let _ = with_value(1);
    let _ = in_async(1);
}
