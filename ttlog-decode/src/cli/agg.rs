//! `agg`: count, min, mean, p50, p90, p99 and max of one numeric argument
//! over the events the filters keep; no message rendered.

use super::args::AggArgs;
use super::{Outcome, select, write_line};
use std::io::{self, Write};
use ttlog_decode::agg::{Summary, number};

pub(crate) fn run(a: &AggArgs, out: &mut impl Write) -> io::Result<Outcome> {
    let (filter, field) = match select::filter_of(&a.filters) {
        Ok(f) => f,
        Err(why) => return Ok(Outcome::Usage(why)),
    };
    match (&a.arg, &field, &filter.callsite) {
        (Some(_), Some(_), _) => return Ok(Outcome::Usage("give `--arg N` or `--field NAME`, not both".into())),
        (None, None, _) => {
            return Ok(Outcome::Usage("which argument? give `--callsite FILE:LINE --arg N` or `--field NAME`".into()));
        }
        (Some(_), None, None) => return Ok(Outcome::Usage("`--arg N` needs `--callsite FILE:LINE`".into())),
        _ => {}
    }
    let inputs = super::input::read_all(&a.input.files);
    let snaps = &inputs.snaps;
    let sel = select::select(snaps, &a.filters, &filter);
    // By file, by callsite: where the argument is among the callsite's.
    let positions: Vec<Vec<Option<usize>>> = snaps
        .iter()
        .map(|s| {
            s.callsites
                .iter()
                .map(|c| {
                    let c = c.as_ref()?;
                    match (&a.arg, &field) {
                        (Some(n), _) => (*n < c.args.len()).then_some(*n),
                        (None, Some(name)) => c.args.iter().position(|x| x.name == *name),
                        (None, None) => None,
                    }
                })
                .collect()
        })
        .collect();
    let mut values = Vec::new();
    let mut not_numbers = 0u64;
    for item in &sel.kept {
        let snap = &snaps[item.file as usize];
        let e = &snap.events[item.event as usize];
        let Some(Some(i)) = positions[item.file as usize].get(e.callsite as usize) else { continue };
        match snap.args(e).get(*i).as_ref().and_then(number) {
            Some(v) => values.push(v),
            None => not_numbers += 1,
        }
    }
    let what = match (&a.arg, &field) {
        (Some(n), _) => format!("argument {n}"),
        (None, Some(name)) => format!("`{name}`"),
        _ => unreachable!("checked above"),
    };
    let summary = Summary::of(values);
    if a.json {
        let mut o = match summary {
            Some(s) => serde_json::json!({
                "kind": "agg", "count": s.count, "min": s.min, "mean": s.mean,
                "p50": s.p50, "p90": s.p90, "p99": s.p99, "max": s.max, "not_numbers": not_numbers,
            }),
            None => serde_json::json!({ "kind": "agg", "count": 0, "not_numbers": not_numbers }),
        };
        match (&a.arg, &field) {
            (Some(n), _) => o["arg"] = (*n).into(),
            (None, Some(name)) => o["field"] = name.as_str().into(),
            _ => {}
        }
        write_line(out, &o.to_string())?;
    } else {
        match summary {
            Some(s) => writeln!(
                out,
                "{what}: count {}  min {}  mean {}  p50 {}  p90 {}  p99 {}  max {}",
                s.count, s.min, s.mean, s.p50, s.p90, s.p99, s.max
            )?,
            None => writeln!(out, "{what}: count 0 (no event with a numeric value of it)")?,
        }
        if not_numbers > 0 {
            writeln!(out, "{what}: {not_numbers} events where it is not a number were left out")?;
        }
    }
    Ok(if inputs.ok { Outcome::Done } else { Outcome::BadInput })
}
