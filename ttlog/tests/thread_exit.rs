//! What happens to a thread's blocks when the thread ends: its last events
//! stay in the recorder until the memory budget needs the space, and then the
//! blocks of the thread that exited longest ago go to new threads (and once
//! it has none, its slot too). With the budget spent, nobody exited and every
//! live thread down to one block, a new thread's events are counted as
//! dropped.
//!
//! One test, because the budget is process-wide; the main thread never logs, so
//! it takes no buffer.

fn run(name: &str, events: u32) {
    let name = name.to_owned();
    std::thread::Builder::new()
        .name(name.clone())
        .spawn(move || {
            for i in 0..events {
                ttlog::info!("{} event {}", name, i);
            }
        })
        .unwrap()
        .join()
        .unwrap();
}

fn thread<'a>(snap: &'a ttlog::Snapshot, name: &str) -> Option<&'a ttlog::ThreadSnapshot> {
    snap.threads().iter().find(|t| t.name() == name)
}

#[test]
fn exited_threads_stay_until_their_buffer_is_needed() {
    const RING: usize = 16 * 1024;
    // Room for two blocks; each thread below logs less than a block.
    ttlog::Builder::new().buffer_size(RING).memory_budget(2 * ttlog::BLOCK_BYTES).init().unwrap();

    run("first", 10);
    run("second", 20);
    let snap = ttlog::snapshot("after two");
    for (name, n) in [("first", 10), ("second", 20)] {
        let t = thread(&snap, name).unwrap_or_else(|| panic!("{name} missing"));
        assert!(t.exited());
        assert_eq!(t.recorded(), n);
    }
    assert_eq!((ttlog::buffer_stats().buffers, ttlog::buffer_stats().blocks), (2, 2));

    // The budget holds two blocks: the third thread takes the block of the
    // one that exited first, and its slot.
    run("third", 5);
    let snap = ttlog::snapshot("after three");
    assert!(thread(&snap, "first").is_none(), "first's buffer should have gone to third");
    assert_eq!(thread(&snap, "second").unwrap().recorded(), 20);
    assert_eq!(thread(&snap, "third").unwrap().recorded(), 5);
    let stats = ttlog::buffer_stats();
    assert_eq!((stats.buffers, stats.blocks), (2, 2), "taken, not allocated again");
    assert_eq!(stats.evicted_events, 10);

    // Two live threads take both buffers (the exited threads' events go): a
    // fourth thread has none, and its events are counted, not lost silently.
    let logged = std::sync::Arc::new(std::sync::Barrier::new(3));
    let release = std::sync::Arc::new(std::sync::Barrier::new(3));
    let holders: Vec<_> = ["holder-a", "holder-b"]
        .into_iter()
        .map(|name| {
            let (logged, release) = (logged.clone(), release.clone());
            std::thread::Builder::new()
                .name(name.into())
                .spawn(move || {
                    ttlog::info!("{} holds a buffer", name);
                    logged.wait();
                    release.wait();
                })
                .unwrap()
        })
        .collect();
    logged.wait();
    run("fourth", 7);
    let snap = ttlog::snapshot("no room");
    let fourth = thread(&snap, "fourth").expect("a thread without a buffer is still reported");
    assert_eq!(fourth.recorded(), 0);
    assert_eq!(fourth.dropped(), 7);
    assert_eq!(thread(&snap, "holder-a").unwrap().recorded(), 1);
    let stats = ttlog::buffer_stats();
    assert_eq!((stats.buffers, stats.bufferless), (2, 1));
    assert_eq!(stats.evicted_events, 10 + 20 + 5);
    release.wait();
    for h in holders {
        h.join().unwrap();
    }
}
