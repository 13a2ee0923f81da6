//! Time order: the events of all threads merged by timestamp.
//!
//! A snapshot holds each thread's events in the order the thread recorded
//! them, frame after frame; [`sort_by_time`] merges them into one order, and
//! keeps each thread's own.

use crate::snapshot::Event;
use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// Puts events in time order: stable, so events with equal timestamps keep
/// their file order, which keeps each thread's own order.
///
/// Each thread's events come in runs already in order: the runs are merged
/// into a permutation (four bytes an event, where a sort would copy the events
/// themselves), which then moves each event in place. The merge takes from
/// the run whose next event is earliest all the events that come before every
/// other run's next one, at once: one heap operation for each stretch of a
/// run, not for each event (with 64 threads' rings, the heap operation for
/// each event took three quarters of the time of the sort).
///
/// `ticks` holds the events' times in the same order (a copy: 8 bytes an
/// event, where the events take 64, so that finding and merging the runs
/// reads an eighth of the memory). Without one of the right length, the
/// times are taken from the events.
pub(crate) fn sort_by_time(events: &mut [Event], ticks: &[u64]) {
    let copied;
    let ticks = if ticks.len() == events.len() {
        ticks
    } else {
        copied = events.iter().map(|e| e.ticks).collect::<Vec<u64>>();
        &copied
    };
    // Maximal runs of non-decreasing time, in file order.
    let mut runs: Vec<core::ops::Range<usize>> = Vec::new();
    let mut start = 0;
    for i in 1..ticks.len() {
        if ticks[i] < ticks[i - 1] {
            runs.push(start..i);
            start = i;
        }
    }
    if runs.is_empty() {
        return;
    }
    runs.push(start..ticks.len());
    // Positions are `u32`, and `u32::MAX` marks a finished entry of `order`.
    if events.len() >= u32::MAX as usize {
        events.sort_by_key(|e| e.ticks);
        return;
    }
    // The next event of each run, smallest time first; on equal times, the
    // earlier position (file order).
    let mut heads: BinaryHeap<Reverse<(u64, u32, u32)>> =
        runs.iter().map(|r| Reverse((ticks[r.start], r.start as u32, r.end as u32))).collect();
    // `order[i]`: the index of the event that goes to `i`.
    let mut order: Vec<u32> = Vec::with_capacity(events.len());
    while let Some(Reverse((_, at, end))) = heads.pop() {
        // `at` is the earliest event of all; the ones after it in its run
        // follow as long as they come before the next run's head.
        let stop = match heads.peek() {
            Some(&Reverse((t, p, _))) => {
                let mut i = at + 1;
                while i < end && (ticks[i as usize], i) < (t, p) {
                    i += 1;
                }
                i
            }
            None => end,
        };
        order.extend(at..stop);
        if stop < end {
            heads.push(Reverse((ticks[stop as usize], stop, end)));
        }
    }
    permute(events, &mut order);
}

/// Moves `items[order[i]]` to `i` for every `i`, following the permutation's
/// cycles; `order` is used up (every entry ends as `u32::MAX`). An `order`
/// that is not a permutation of `0..items.len()` moves some items to wrong
/// places, never panics.
fn permute<T>(items: &mut [T], order: &mut [u32]) {
    const DONE: u32 = u32::MAX;
    for i in 0..order.len() {
        let mut j = i;
        loop {
            let k = order[j];
            order[j] = DONE;
            if k == DONE || k as usize == i {
                break;
            }
            if let (true, true) = (j < items.len(), (k as usize) < items.len()) {
                items.swap(j, k as usize);
            }
            j = k as usize;
            if j >= order.len() {
                break;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Rng;
    use crate::snapshot::ArgRange;

    fn event(ticks: u64, callsite: u32) -> Event {
        Event { ticks, thread: 0, callsite, args: ArgRange::default(), depth: 0, call: None }
    }

    /// The merge of runs orders exactly as a stable sort does, ties included.
    #[test]
    fn sort_by_time_is_a_stable_sort() {
        let mut rng = Rng::new(0x2545_F491_4F6C_DD1D);
        for round in 0..2_000 {
            let n = rng.below(300) as usize;
            let runs = 1 + rng.below(8);
            let spread = 1 + rng.below(50);
            // A few threads' ascending runs one after the other, with ties,
            // sometimes a step back inside a run.
            let mut events = Vec::new();
            for i in 0..n {
                let run = i as u64 * runs / n.max(1) as u64;
                let base = if rng.below(20) == 0 { rng.below(1000) } else { i as u64 * 3 / runs.max(1) };
                events.push(event(base + rng.below(spread) + run, i as u32));
            }
            let mut expected = events.clone();
            expected.sort_by_key(|e| e.ticks);
            let ticks: Vec<u64> = events.iter().map(|e| e.ticks).collect();
            sort_by_time(&mut events, &ticks);
            assert_eq!(events, expected, "round {round}");
        }
        let mut empty: Vec<Event> = Vec::new();
        sort_by_time(&mut empty, &[]);
        let mut reversed: Vec<Event> = (0..100).rev().map(|t| event(t, t as u32)).collect();
        sort_by_time(&mut reversed, &[]);
        assert!(reversed.iter().enumerate().all(|(i, e)| e.ticks == i as u64));
    }

    #[test]
    fn permute_survives_orders_that_are_not_permutations() {
        let mut items = [0, 1, 2, 3];
        permute(&mut items, &mut [3, 0, 1, 2]);
        assert_eq!(items, [3, 0, 1, 2]);
        for mut order in [vec![0, 0, 0, 0], vec![9, 9], vec![1, 2, 3, 4, 5, 6], vec![u32::MAX, 2, 1]] {
            let mut items = [0, 1, 2, 3];
            permute(&mut items, &mut order);
            let mut sorted = items;
            sorted.sort();
            assert_eq!(sorted, [0, 1, 2, 3], "{order:?}");
        }
    }
}
