//! Timestamps as RFC 3339 text, without a date crate.
//!
//! Times are nanoseconds since the Unix epoch (1970-01-01T00:00:00Z), counted
//! without leap seconds as Unix time is, and written in UTC on the proleptic
//! Gregorian calendar.

use crate::render::digits::{pair, push_ascii};
use core::fmt::Write as _;
use ttlog_core::clock::civil_from_days;

/// Seconds in a day.
const SECS_PER_DAY: i128 = 86_400;
/// Nanoseconds in a second.
const NANOS_PER_SEC: i128 = 1_000_000_000;

/// The first instant [`write_rfc3339`] writes as a date: 0000-01-01T00:00:00Z.
pub const MIN_NANOS: i128 = -62_167_219_200 * NANOS_PER_SEC;
/// The last instant [`write_rfc3339`] writes as a date:
/// 9999-12-31T23:59:59.999999999Z.
pub const MAX_NANOS: i128 = 253_402_300_800 * NANOS_PER_SEC - 1;
/// What follows the signed nanosecond count written for an instant outside
/// [`MIN_NANOS`]..=[`MAX_NANOS`].
pub const OUT_OF_RANGE_SUFFIX: &str = "ns-from-unix-epoch";

/// Appends `unix_nanos` as an RFC 3339 timestamp in UTC with nine fraction
/// digits, such as `2026-11-26T12:00:00.123456789Z`.
///
/// Years 0000 to 9999 (proleptic Gregorian) are written as dates. An instant
/// outside them is written as its signed nanosecond count followed by
/// [`OUT_OF_RANGE_SUFFIX`], as in `+253402300800000000000ns-from-unix-epoch`.
///
/// ```
/// use ttlog_decode::render::time::write_rfc3339;
///
/// let mut out = String::new();
/// write_rfc3339(&mut out, 1_795_694_400_123_456_789);
/// assert_eq!(out, "2026-11-26T12:00:00.123456789Z");
/// ```
pub fn write_rfc3339(out: &mut String, unix_nanos: i128) {
    match rfc3339(unix_nanos) {
        // SAFETY: `rfc3339` gives ASCII bytes only, whatever the time.
        Some(text) => unsafe { push_ascii(out, &text) },
        None => {
            let _ = write!(out, "{unix_nanos:+}{OUT_OF_RANGE_SUFFIX}");
        }
    }
}

/// The text [`write_rfc3339`] writes for an instant in years 0000 to 9999:
/// 30 bytes, ASCII only whatever the instant (the template's punctuation,
/// digits of [`pair`] and `b'0' + d` for a `d` below 10, and the same from
/// the last second written). `None` outside them.
#[inline]
pub(crate) fn rfc3339(unix_nanos: i128) -> Option<[u8; 30]> {
    if !(MIN_NANOS..=MAX_NANOS).contains(&unix_nanos) {
        return None;
    }
    // In range the nanoseconds fit an i64 until 2262, the seconds always: the
    // arithmetic is 64-bit (this runs once per decoded line).
    let (secs, nanos) = match i64::try_from(unix_nanos) {
        Ok(ns) => (ns.div_euclid(NANOS_PER_SEC as i64), ns.rem_euclid(NANOS_PER_SEC as i64) as u32),
        Err(_) => (unix_nanos.div_euclid(NANOS_PER_SEC) as i64, unix_nanos.rem_euclid(NANOS_PER_SEC) as u32),
    };
    let mut b = *b"0000-00-00T00:00:00.000000000Z";
    LAST_SECOND.with(|last| {
        let (cached, prefix) = last.get();
        if cached == secs {
            b[..19].copy_from_slice(&prefix);
        } else {
            let days = secs.div_euclid(SECS_PER_DAY as i64);
            let secs_of_day = secs.rem_euclid(SECS_PER_DAY as i64) as u32;
            // Years 0 to 9999, months and days: all fit in u32.
            let (year, month, day) = civil_from_days(days);
            let year = year as u32;
            b[0..2].copy_from_slice(&pair(year / 100));
            b[2..4].copy_from_slice(&pair(year));
            b[5..7].copy_from_slice(&pair(month));
            b[8..10].copy_from_slice(&pair(day));
            b[11..13].copy_from_slice(&pair(secs_of_day / 3600));
            b[14..16].copy_from_slice(&pair(secs_of_day / 60 % 60));
            b[17..19].copy_from_slice(&pair(secs_of_day % 60));
            let mut prefix = [0u8; 19];
            prefix.copy_from_slice(&b[..19]);
            last.set((secs, prefix));
        }
    });
    b[20] = b'0' + (nanos / 100_000_000) as u8;
    let lo = nanos % 100_000_000;
    b[21..23].copy_from_slice(&pair(lo / 1_000_000));
    b[23..25].copy_from_slice(&pair(lo / 10_000));
    b[25..27].copy_from_slice(&pair(lo / 100));
    b[27..29].copy_from_slice(&pair(lo));
    Some(b)
}

thread_local! {
    /// The date and time of the last second written: consecutive lines of a
    /// snapshot mostly fall in the same second.
    static LAST_SECOND: core::cell::Cell<(i64, [u8; 19])> = const { core::cell::Cell::new((i64::MIN, [0; 19])) };
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rfc3339(unix_nanos: i128) -> String {
        let mut out = String::new();
        write_rfc3339(&mut out, unix_nanos);
        out
    }

    const S: i128 = NANOS_PER_SEC;

    // Expected texts checked with GNU `date -u -d @SECONDS`.
    #[test]
    fn known_instants() {
        let cases: &[(i128, &str)] = &[
            (0, "1970-01-01T00:00:00.000000000Z"),
            (1, "1970-01-01T00:00:00.000000001Z"),
            (-1, "1969-12-31T23:59:59.999999999Z"),
            (-S, "1969-12-31T23:59:59.000000000Z"),
            (-86_400 * S, "1969-12-31T00:00:00.000000000Z"),
            (1_795_694_400 * S + 123_456_789, "2026-11-26T12:00:00.123456789Z"),
            (68_169_600 * S, "1972-02-29T00:00:00.000000000Z"),
            (68_256_000 * S, "1972-03-01T00:00:00.000000000Z"),
            (951_782_400 * S, "2000-02-29T00:00:00.000000000Z"),
            (951_782_400 * S - 1, "2000-02-28T23:59:59.999999999Z"),
            (4_107_542_400 * S, "2100-03-01T00:00:00.000000000Z"),
            (4_107_542_400 * S - 1, "2100-02-28T23:59:59.999999999Z"),
            (-2_208_988_800 * S, "1900-01-01T00:00:00.000000000Z"),
            (-11_644_473_600 * S, "1601-01-01T00:00:00.000000000Z"),
            (-12_219_292_800 * S, "1582-10-15T00:00:00.000000000Z"),
            (-62_162_121_600 * S, "0000-02-29T00:00:00.000000000Z"),
            (MIN_NANOS, "0000-01-01T00:00:00.000000000Z"),
            (MAX_NANOS, "9999-12-31T23:59:59.999999999Z"),
            (253_402_300_799 * S, "9999-12-31T23:59:59.000000000Z"),
        ];
        for &(nanos, expected) in cases {
            assert_eq!(rfc3339(nanos), expected, "{nanos}");
        }
    }

    #[test]
    fn outside_years_0000_to_9999_writes_the_count() {
        assert_eq!(rfc3339(MIN_NANOS - 1), "-62167219200000000001ns-from-unix-epoch");
        assert_eq!(rfc3339(MAX_NANOS + 1), "+253402300800000000000ns-from-unix-epoch");
        assert_eq!(rfc3339(i128::MIN), format!("{}{OUT_OF_RANGE_SUFFIX}", i128::MIN));
        assert_eq!(rfc3339(i128::MAX), format!("+{}{OUT_OF_RANGE_SUFFIX}", i128::MAX));
    }

    /// Every day of years 0000 to 9999 against a calendar walked one day at a
    /// time with the Gregorian leap rule.
    #[test]
    fn every_day_matches_a_day_by_day_walk() {
        let leap = |y: i128| y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
        let mut days = MIN_NANOS / S / SECS_PER_DAY;
        let mut expected = String::new();
        for year in 0..=9999 {
            for month in 1..=12 {
                let len = match month {
                    2 if leap(year) => 29,
                    2 => 28,
                    4 | 6 | 9 | 11 => 30,
                    _ => 31,
                };
                for day in 1..=len {
                    assert_eq!(civil_from_days(days as i64), (year as i64, month as u32, day as u32), "day {days}");
                    // The full text, at a few seconds into the day, once a month.
                    if day == 1 {
                        let nanos = (days * SECS_PER_DAY + 3723) * S + 7;
                        expected.clear();
                        let _ = write!(expected, "{year:04}-{month:02}-01T01:02:03.000000007Z");
                        assert_eq!(rfc3339(nanos), expected);
                    }
                    days += 1;
                }
            }
        }
        assert_eq!(days * SECS_PER_DAY * S, MAX_NANOS + 1);
    }
}
