#[test]
fn smoke() {
    let id = 42u64;
    let micros = 250u32;
    let host = "db-1";
    ttlog::info!("request {} took {} us on {}", id, micros, host);
    let path = std::path::Path::new("/x");
    let delay_ms = 5;
    ttlog::warn!("retrying {path:?} in {delay_ms:>5} ms", attempt = 3);
    let snap = ttlog::snapshot("manual");
    assert_eq!(snap.event_count(), 2);
    let b = snap.to_bytes();
    println!("{} bytes", b.len());
}
