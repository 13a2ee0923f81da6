//! The events the filters keep, of all files merged in time order.

use super::args::Filters;
use ttlog_decode::Snapshot;
use ttlog_decode::filter::Filter;
use ttlog_decode::merge::{self, Item, Merged};
use ttlog_decode::render::message::{write_fields, write_message};

/// The library's filter for `f`, and the name of a `--field` given without
/// `=` (which `agg` summarises; the other commands refuse it).
pub(crate) fn filter_of(f: &Filters) -> Result<(Filter, Option<String>), String> {
    let mut fields = Vec::new();
    let mut bare = None;
    for spec in &f.field {
        match spec.split_once('=') {
            Some((k, v)) if !k.is_empty() => fields.push((k.to_owned(), v.to_owned())),
            Some(_) => return Err(format!("`--field {spec}`: expected `KEY=VALUE` with a key before `=`")),
            None if bare.is_none() => bare = Some(spec.clone()),
            None => return Err(format!("`--field {spec}`: expected `KEY=VALUE`")),
        }
    }
    let filter = Filter {
        min_level: f.level,
        threads: f.thread.clone(),
        target: f.target.clone(),
        callsite: f.callsite.clone(),
        fields,
        since: f.since,
        until: f.until,
    };
    Ok((filter, bare))
}

/// The snapshots merged, and the events the filters keep.
pub(crate) struct Selection {
    pub(crate) merged: Merged,
    pub(crate) kept: Vec<Item>,
}

/// Merges `snaps` and keeps the events that pass `filter` and the rest of
/// `f` (`--grep`, `--last`).
pub(crate) fn select(snaps: &[Snapshot], f: &Filters, filter: &Filter) -> Selection {
    let mut merged = merge::merge(snaps);
    let mut filter = filter.clone();
    if let Some(d) = f.last {
        // The input's end: its latest time.
        if let Some(end) = merged.items.iter().filter_map(|i| i.time).max() {
            let from = end - i128::from(d);
            filter.since = Some(filter.since.map_or(from, |s| s.max(from)));
        }
    }
    let items = std::mem::take(&mut merged.items);
    if filter.is_empty() && f.grep.is_none() {
        return Selection { merged, kept: items };
    }
    let compiled: Vec<_> = snaps.iter().map(|s| filter.compile(s)).collect();
    let mut scratch = String::new();
    let kept = items
        .into_iter()
        .filter(|item| {
            let snap = &snaps[item.file as usize];
            let e = &snap.events[item.event as usize];
            if !compiled[item.file as usize].matches(snap, e, item.time) {
                return false;
            }
            f.grep.as_ref().is_none_or(|re| grep(re, snap, e, &mut scratch))
        })
        .collect();
    Selection { merged, kept }
}

/// Whether `re` matches the rendered message and fields of `e` (rendered
/// into `scratch`).
pub(crate) fn grep(re: &regex::Regex, snap: &Snapshot, e: &ttlog_decode::Event, scratch: &mut String) -> bool {
    let Some(cs) = snap.callsite(e) else { return false };
    scratch.clear();
    write_message(scratch, cs, snap.args(e));
    write_fields(scratch, cs, snap.args(e));
    re.is_match(scratch)
}
