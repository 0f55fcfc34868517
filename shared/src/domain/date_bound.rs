//! An ISO 8601 date or date-time given as a bound of a date filter (`from_date`,
//! `until_date`), as epoch milliseconds.
//!
//! Accepted: `YYYY-MM-DD` (the whole day, in UTC: from its first millisecond, or until its
//! last, so both bounds are inclusive) and `YYYY-MM-DDTHH:MM:SS[.fraction]` with `Z` or a
//! `±HH:MM` offset. A date-time without a zone is refused: the server cannot know which local
//! time the caller meant.

use super::InvalidValue;
use super::birthday::days_in_month;

/// Which end of an inclusive range a bare date stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BoundSide {
    From,
    Until,
}

const DAY_MS: i64 = 86_400_000;

/// The bound in epoch milliseconds (times before 1970 are 0: nothing is older).
pub fn parse_date_bound(raw: &str, side: BoundSide) -> Result<u64, InvalidValue> {
    let invalid = InvalidValue(
        "must be an ISO 8601 date (2026-12-01) or date-time with a zone (2026-12-01T10:00:00Z)",
    );
    let raw = raw.trim();
    if !raw.is_ascii() {
        return Err(invalid);
    }
    let (date, time) = match raw.split_once(['T', 't']) {
        Some((date, time)) => (date, Some(time)),
        None => (raw, None),
    };
    let day = parse_date(date).ok_or(invalid.clone())?;
    let ms = match time {
        None => match side {
            BoundSide::From => day * DAY_MS,
            BoundSide::Until => day * DAY_MS + DAY_MS - 1,
        },
        Some(time) => day * DAY_MS + parse_time(time).ok_or(invalid)?,
    };
    Ok(u64::try_from(ms).unwrap_or(0))
}

/// Days since 1970-01-01 of `YYYY-MM-DD`.
fn parse_date(text: &str) -> Option<i64> {
    let bytes = text.as_bytes();
    if bytes.len() != 10 || bytes[4] != b'-' || bytes[7] != b'-' {
        return None;
    }
    let year: u32 = digits(&text[0..4])?;
    let month: u32 = digits(&text[5..7])?;
    let day: u32 = digits(&text[8..10])?;
    if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
        return None;
    }
    Some(days_from_civil(i64::from(year), month, day))
}

/// Milliseconds from midnight UTC of `HH:MM:SS[.f]` and its zone (may be negative or pass a
/// day: the caller adds it to the day's start).
fn parse_time(text: &str) -> Option<i64> {
    let (clock, offset_minutes) = if let Some(clock) = text.strip_suffix(['Z', 'z']) {
        (clock, 0)
    } else {
        let at = text.rfind(['+', '-'])?;
        let (clock, zone) = text.split_at(at);
        let sign = if zone.starts_with('-') { -1 } else { 1 };
        let zone = &zone[1..];
        if zone.len() != 5 || zone.as_bytes()[2] != b':' {
            return None;
        }
        let hours: i64 = digits(&zone[0..2])?;
        let minutes: i64 = digits(&zone[3..5])?;
        if hours > 23 || minutes > 59 {
            return None;
        }
        (clock, sign * (hours * 60 + minutes))
    };
    let (whole, fraction) = match clock.split_once('.') {
        Some((whole, fraction)) => (whole, Some(fraction)),
        None => (clock, None),
    };
    let bytes = whole.as_bytes();
    if bytes.len() != 8 || bytes[2] != b':' || bytes[5] != b':' {
        return None;
    }
    let hours: i64 = digits(&whole[0..2])?;
    let minutes: i64 = digits(&whole[3..5])?;
    let seconds: i64 = digits(&whole[6..8])?;
    if hours > 23 || minutes > 59 || seconds > 59 {
        return None;
    }
    let millis = match fraction {
        None => 0,
        Some(f) if (1..=9).contains(&f.len()) && f.bytes().all(|b| b.is_ascii_digit()) => {
            let padded = format!("{f:0<3}");
            digits::<i64>(&padded[..3])?
        }
        Some(_) => return None,
    };
    Some(((hours * 60 + minutes - offset_minutes) * 60 + seconds) * 1000 + millis)
}

fn digits<T: std::str::FromStr>(text: &str) -> Option<T> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// Howard Hinnant's `days_from_civil`: days since 1970-01-01 of a proleptic Gregorian date.
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month = i64::from(month);
    let day_of_year =
        (153 * (if month > 2 { month - 3 } else { month + 9 }) + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// Epoch milliseconds as RFC 3339 UTC with milliseconds, e.g. `2026-12-04T23:59:59.123Z`.
pub fn format_rfc3339_ms(ms: u64) -> String {
    let days = i64::try_from(ms / DAY_MS as u64).unwrap_or(0);
    let in_day = ms % DAY_MS as u64;
    let (year, month, day) = civil_from_days(days);
    let (hours, minutes) = (in_day / 3_600_000, in_day / 60_000 % 60);
    let (seconds, millis) = (in_day / 1000 % 60, in_day % 1000);
    format!("{year:04}-{month:02}-{day:02}T{hours:02}:{minutes:02}:{seconds:02}.{millis:03}Z")
}

/// The civil date of a day count since 1970-01-01 (H. Hinnant's algorithm, the inverse of
/// [`days_from_civil`]).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let mp = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_format_as_python_datetime_does() {
        // Python's datetime.fromtimestamp(ms / 1000, timezone.utc).isoformat(timespec="milliseconds").
        for (ms, text) in [
            (0, "1970-01-01T00:00:00.000Z"),
            (1_733_356_799_123, "2024-12-04T23:59:59.123Z"),
            (951_782_400_000, "2000-02-29T00:00:00.000Z"),
            (4_102_444_799_999, "2099-12-31T23:59:59.999Z"),
        ] {
            assert_eq!(format_rfc3339_ms(ms), text);
            assert_eq!(parse_date_bound(text, BoundSide::From), Ok(ms));
        }
    }

    fn from(raw: &str) -> Result<u64, InvalidValue> {
        parse_date_bound(raw, BoundSide::From)
    }

    #[test]
    fn dates_cover_their_whole_day() {
        // 2026-12-01T00:00:00Z
        assert_eq!(from("2026-12-01"), Ok(1_796_083_200_000));
        assert_eq!(
            parse_date_bound("2026-12-01", BoundSide::Until),
            Ok(1_796_083_200_000 + 86_400_000 - 1)
        );
        assert_eq!(from("1970-01-01"), Ok(0));
        assert_eq!(from("2024-02-29"), Ok(1_709_164_800_000));
    }

    #[test]
    fn date_times_take_their_zone() {
        assert_eq!(from("2026-12-01T10:00:00Z"), Ok(1_796_119_200_000));
        assert_eq!(from("2026-12-01T12:00:00+02:00"), Ok(1_796_119_200_000));
        assert_eq!(from("2026-12-01T05:30:00-04:30"), Ok(1_796_119_200_000));
        assert_eq!(from("2026-12-01T10:00:00.25Z"), Ok(1_796_119_200_250));
        assert_eq!(from("2026-12-01t10:00:00z"), Ok(1_796_119_200_000));
        // Before the epoch: nothing is older, so 0.
        assert_eq!(from("1969-12-31"), Ok(0));
    }

    #[test]
    fn anything_else_is_refused() {
        for raw in [
            "",
            "2026-13-01",
            "2026-02-30",
            "2025-02-29",
            "01-12-2026",
            "2026-12-01T10:00:00",
            "2026-12-01T25:00:00Z",
            "2026-12-01T10:00Z",
            "2026-12-01T10:00:00+0200",
            "2026-12-01T10:00:00.Z",
            "2026-12-01T10:00:00.1234567890Z",
            "２０２６-12-01",
            "2026-12-01 10:00:00Z",
            "+2026-12-01",
        ] {
            assert!(from(raw).is_err(), "{raw}");
        }
    }
}
