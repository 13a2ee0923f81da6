//! Times and durations on the command line: RFC 3339 and `2s`.

/// Days from 1970-01-01 to the civil date (proleptic Gregorian).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (i64::from(m) + 9) % 12;
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Nanoseconds since the Unix epoch of an RFC 3339 time:
/// `2026-11-26T12:00:00Z`, with a fraction of up to nine digits and a
/// `Z` or `+HH:MM` offset (`t`, `z` and a space for `T` are accepted).
pub(crate) fn parse_rfc3339(s: &str) -> Result<i128, String> {
    let bad = |why: &str| format!("`{s}` is not an RFC 3339 time such as 2026-11-26T12:00:00Z: {why}");
    let b = s.as_bytes();
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        let part = b.get(r)?;
        part.iter().all(u8::is_ascii_digit).then(|| part.iter().fold(0, |n, d| n * 10 + u32::from(d - b'0')))
    };
    let sep = |i: usize, c: &[u8]| b.get(i).is_some_and(|x| c.contains(x));
    let (Some(y), true, Some(mo), true, Some(d)) = (num(0..4), sep(4, b"-"), num(5..7), sep(7, b"-"), num(8..10))
    else {
        return Err(bad("expected the date as YYYY-MM-DD"));
    };
    if !sep(10, b"Tt ") {
        return Err(bad("expected `T` and the time of day after the date"));
    }
    let (Some(h), true, Some(mi), true, Some(sec)) =
        (num(11..13), sep(13, b":"), num(14..16), sep(16, b":"), num(17..19))
    else {
        return Err(bad("expected the time of day as HH:MM:SS"));
    };
    if !(1..=12).contains(&mo) || d == 0 || d > days_in_month(i64::from(y), mo) || h > 23 || mi > 59 || sec > 60 {
        return Err(bad("a field is out of range"));
    }
    let mut i = 19;
    let mut nanos: i128 = 0;
    if sep(i, b".") {
        i += 1;
        let digits = b[i..].iter().take_while(|c| c.is_ascii_digit()).count();
        if digits == 0 || digits > 9 {
            return Err(bad("expected 1 to 9 digits of fraction after `.`"));
        }
        let frac = num(i..i + digits).unwrap_or(0);
        nanos = i128::from(frac) * 10i128.pow(9 - digits as u32);
        i += digits;
    }
    let offset: i128 = match b.get(i..) {
        Some(b"Z" | b"z") => 0,
        Some([sign @ (b'+' | b'-'), _, _, b':', _, _]) => {
            let (Some(oh), Some(om)) = (num(i + 1..i + 3), num(i + 4..i + 6)) else {
                return Err(bad("expected the offset as +HH:MM"));
            };
            if oh > 23 || om > 59 {
                return Err(bad("the offset is out of range"));
            }
            let o = i128::from(oh * 3600 + om * 60);
            if *sign == b'+' { o } else { -o }
        }
        _ => return Err(bad("expected `Z` or an offset such as +01:00 at the end")),
    };
    let days = i128::from(days_from_civil(i64::from(y), mo, d));
    let secs = days * 86_400 + i128::from(h * 3600 + mi * 60 + sec) - offset;
    Ok(secs * 1_000_000_000 + nanos)
}

/// Nanoseconds in a duration such as `2s`, `500ms`, `1.5m`, `250us`, `1h`,
/// `1d` (units: ns, us or µs, ms, s, m, h, d).
pub(crate) fn parse_duration(s: &str) -> Result<u64, String> {
    let split = s.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(s.len());
    let (n, unit) = s.split_at(split);
    let per: f64 = match unit {
        "ns" => 1.0,
        "us" | "µs" => 1e3,
        "ms" => 1e6,
        "s" => 1e9,
        "m" => 60e9,
        "h" => 3600e9,
        "d" => 86_400e9,
        _ => {
            return Err(format!(
                "`{s}` is not a duration such as 2s or 500ms: expected a unit of ns, us, ms, s, m, h or d"
            ));
        }
    };
    let n: f64 =
        n.parse().map_err(|_| format!("`{s}` is not a duration such as 2s or 500ms: expected a number first"))?;
    let ns = n * per;
    if !(0.0..=u64::MAX as f64).contains(&ns) {
        return Err(format!("`{s}` is too long a duration"));
    }
    Ok(ns.round() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_times() {
        assert_eq!(parse_rfc3339("1970-01-01T00:00:00Z"), Ok(0));
        assert_eq!(parse_rfc3339("2026-11-26T12:00:00.123456789Z"), Ok(1_795_694_400_123_456_789));
        assert_eq!(parse_rfc3339("2026-11-26T13:00:00.5+01:00"), Ok(1_795_694_400_500_000_000));
        assert_eq!(parse_rfc3339("2026-11-26 11:30:00-00:30"), Ok(1_795_694_400_000_000_000));
        assert_eq!(parse_rfc3339("1969-12-31T23:59:59Z"), Ok(-1_000_000_000));
        assert_eq!(parse_rfc3339("2024-02-29T00:00:00z").map(|n| n > 0), Ok(true));
        for bad in [
            "",
            "2026-11-26",
            "2026-11-26T12:00:00",
            "2026-13-01T00:00:00Z",
            "2025-02-29T00:00:00Z",
            "2026-11-26T12:00:00.Z",
            "2026-11-26T12:00:00.1234567890Z",
            "2026-11-26T25:00:00Z",
            "2026-11-26T12:00:00+1:00",
            "２026-11-26T12:00:00Z",
        ] {
            assert!(parse_rfc3339(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("2s"), Ok(2_000_000_000));
        assert_eq!(parse_duration("500ms"), Ok(500_000_000));
        assert_eq!(parse_duration("1.5m"), Ok(90_000_000_000));
        assert_eq!(parse_duration("250us"), Ok(250_000));
        assert_eq!(parse_duration("7ns"), Ok(7));
        for bad in ["", "2", "s", "2 s", "2x", "1e999s", "..s"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }
}
