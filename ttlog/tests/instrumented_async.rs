//! `#[ttlog] async fn` tasks on a real multi-threaded tokio runtime: a call is
//! open on a thread only while its future is polled there, so what a task
//! logs nests under its own call and nothing else does, whichever worker
//! polls it, and its exit pairs with its entry across threads.

use std::collections::HashMap;
use std::time::Duration;
use ttlog::callsite::CallsiteKind;
use ttlog::ttlog;

const TASKS: u32 = 16;

#[ttlog]
async fn fetch(task: u32) -> u32 {
    ttlog::info!(task, "started");
    tokio::time::sleep(Duration::from_millis(5 + u64::from(task % 4))).await;
    ttlog::info!(task, "halfway");
    tokio::time::sleep(Duration::from_millis(5)).await;
    ttlog::info!(task, "done");
    task
}

#[test]
fn async_calls_nest_by_task_not_by_thread() {
    ttlog::set_max_level(ttlog::LevelFilter::Info);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .thread_name("tokio-worker")
        .enable_time()
        .build()
        .unwrap();
    rt.block_on(async {
        let tasks: Vec<_> = (0..TASKS).map(|t| tokio::spawn(fetch(t))).collect();
        for (t, task) in tasks.into_iter().enumerate() {
            assert_eq!(task.await.unwrap(), t as u32);
        }
    });
    drop(rt);

    let snap = ttlog_decode::from_bytes(&ttlog::snapshot("async").to_bytes()).unwrap();
    assert!(snap.is_intact(), "{:?}", snap.problems);
    // The call each thread is polling now, per the events, as (call id, task).
    let mut polling: HashMap<u32, (u64, u32)> = HashMap::new();
    let mut task_of_call: HashMap<u64, u32> = HashMap::new();
    let mut entry_thread: HashMap<u64, u32> = HashMap::new();
    let (mut inside, mut moved, mut exits) = (0, 0, 0);
    for e in &snap.events {
        let Some(t) = snap.thread(e) else { continue };
        if t.name != "tokio-worker" {
            continue;
        }
        let cs = snap.callsite(e).unwrap();
        let text = ttlog_decode::render::line::text_line(&snap, e);
        let task = || -> u32 {
            let i = cs.args.iter().position(|a| a.name == "task").unwrap();
            match snap.args(e).get(i).unwrap() {
                ttlog_decode::Value::U32(v) => v,
                v => panic!("{v:?}"),
            }
        };
        match cs.kind {
            CallsiteKind::Event => {
                // Under its own call, one level deep.
                assert_eq!(e.depth, 1, "{text}");
                let (_, polled) = polling.get(&e.thread).copied().unwrap_or_else(|| panic!("outside a poll: {text}"));
                assert_eq!(polled, task(), "{text}");
                inside += 1;
            }
            kind => {
                let call = e.call.unwrap();
                assert_eq!(e.depth, 0, "calls do not nest in one another: {text}");
                assert!(text.contains(&format!(" #{}.{}", call.id >> 32, call.id & 0xFFFF_FFFF)), "{text}");
                match kind {
                    CallsiteKind::Enter => {
                        task_of_call.insert(call.id, task());
                        entry_thread.insert(call.id, e.thread);
                        polling.insert(e.thread, (call.id, task()));
                    }
                    CallsiteKind::Resume => {
                        polling.insert(e.thread, (call.id, task_of_call[&call.id]));
                    }
                    CallsiteKind::Suspend | CallsiteKind::Exit => {
                        assert_eq!(polling.remove(&e.thread).map(|p| p.0), Some(call.id), "{text}");
                        if kind == CallsiteKind::Exit {
                            exits += 1;
                            assert!(call.elapsed_ns.unwrap() >= 10_000_000, "{text}");
                            moved += usize::from(entry_thread[&call.id] != e.thread);
                        }
                    }
                    CallsiteKind::Event => unreachable!(),
                }
            }
        }
    }
    assert_eq!(inside, 3 * TASKS as usize);
    assert_eq!(exits, TASKS as usize);
    // Not asserted: how many tasks the runtime moved to another worker.
    println!("{moved} of {TASKS} calls exited on another thread than their entry");
}
