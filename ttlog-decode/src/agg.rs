//! Summaries of one numeric argument over many events, without formatting:
//! count, min, mean, percentiles, max.
//!
//! ```
//! use ttlog_decode::agg::Summary;
//!
//! let s = Summary::of(vec![3.0, 1.0, 2.0, 10.0]).unwrap();
//! assert_eq!((s.count, s.min, s.p50, s.max), (4, 1.0, 2.0, 10.0));
//! assert_eq!(s.mean, 4.0);
//! ```

use crate::value::Value;

/// The number a value stands for: integers and floats (integers beyond
/// 2^53 rounded to the nearest `f64`), `bool` as 0 or 1; `None` for text,
/// `char` and formatted values, and for NaN.
pub fn number(v: &Value<'_>) -> Option<f64> {
    let n = match *v {
        Value::U8(n) => f64::from(n),
        Value::U16(n) => f64::from(n),
        Value::U32(n) => f64::from(n),
        Value::U64(n) => n as f64,
        Value::U128(n) => n as f64,
        Value::I8(n) => f64::from(n),
        Value::I16(n) => f64::from(n),
        Value::I32(n) => f64::from(n),
        Value::I64(n) => n as f64,
        Value::I128(n) => n as f64,
        Value::F32(n) => f64::from(n),
        Value::F64(n) => n,
        Value::Bool(b) => f64::from(u8::from(b)),
        Value::Char(_) | Value::Str(_) | Value::Formatted(_) => return None,
    };
    (!n.is_nan()).then_some(n)
}

/// Count, min, mean, p50, p90, p99 and max of a set of numbers. The
/// percentiles are by nearest rank: the smallest value with at least that
/// share of the values at or below it, so each is one of the values.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Summary {
    /// How many values.
    pub count: u64,
    /// The smallest.
    pub min: f64,
    /// The arithmetic mean.
    pub mean: f64,
    /// The median.
    pub p50: f64,
    /// The 90th percentile.
    pub p90: f64,
    /// The 99th percentile.
    pub p99: f64,
    /// The largest.
    pub max: f64,
}

impl Summary {
    /// The summary of `values` (none of them NaN: see [`number`]); `None`
    /// when there are none.
    pub fn of(mut values: Vec<f64>) -> Option<Summary> {
        if values.is_empty() {
            return None;
        }
        values.sort_unstable_by(f64::total_cmp);
        let n = values.len();
        let rank = |p: usize| values[(n * p).div_ceil(100).clamp(1, n) - 1];
        let sum: f64 = values.iter().sum();
        // Values so large that their sum overflows: their mean is still
        // finite, a sum of shares.
        let mean = if sum.is_finite() { sum / n as f64 } else { values.iter().map(|v| v / n as f64).sum() };
        Some(Summary {
            count: n as u64,
            min: values[0],
            mean,
            p50: rank(50),
            p90: rank(90),
            p99: rank(99),
            max: values[n - 1],
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let s = Summary::of((1..=100).rev().map(f64::from).collect()).unwrap();
        assert_eq!((s.count, s.min, s.p50, s.p90, s.p99, s.max), (100, 1.0, 50.0, 90.0, 99.0, 100.0));
        assert_eq!(s.mean, 50.5);
        let one = Summary::of(vec![7.0]).unwrap();
        assert_eq!((one.p50, one.p99, one.mean), (7.0, 7.0, 7.0));
        assert_eq!(Summary::of(Vec::new()), None);
        let big = Summary::of(vec![f64::MAX, f64::MAX]).unwrap();
        assert_eq!(big.mean, f64::MAX);
        assert_eq!(number(&Value::F64(f64::NAN)), None);
        assert_eq!(number(&Value::I64(-3)), Some(-3.0));
    }
}
