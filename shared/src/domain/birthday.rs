use super::InvalidValue;

/// A calendar date written `DD-MM-YYYY`, the format the published examples send.
///
/// Only the calendar is checked (day within month, leap years); the published example uses the
/// year 4567, so no plausibility window is imposed on the year.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Birthday(String);

impl Birthday {
    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        const REASON: &str = "must be a date written DD-MM-YYYY";
        let value = raw.trim();
        let mut parts = value.split('-');
        let (Some(d), Some(m), Some(y), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(InvalidValue(REASON));
        };
        if d.len() != 2 || m.len() != 2 || y.len() != 4 {
            return Err(InvalidValue(REASON));
        }
        let number = |s: &str| -> Result<u32, InvalidValue> {
            if s.bytes().all(|b| b.is_ascii_digit()) {
                s.parse().map_err(|_| InvalidValue(REASON))
            } else {
                Err(InvalidValue(REASON))
            }
        };
        let (day, month, year) = (number(d)?, number(m)?, number(y)?);
        if year == 0 || !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
            return Err(InvalidValue("is not a real calendar date"));
        }
        Ok(Self(value.to_owned()))
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

pub(super) fn days_in_month(year: u32, month: u32) -> u32 {
    let leap = (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400);
    match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

impl AsRef<str> for Birthday {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_published_example_and_leap_days() {
        assert_eq!(
            Birthday::parse("12-03-4567").unwrap().as_ref(),
            "12-03-4567"
        );
        assert!(Birthday::parse("29-02-2024").is_ok());
        assert!(Birthday::parse("29-02-2000").is_ok());
    }

    #[test]
    fn refuses_other_formats_and_impossible_dates() {
        for bad in [
            "2024-03-12",
            "12/03/2024",
            "1-3-2024",
            "31-04-2024",
            "29-02-1900",
            "29-02-2023",
            "00-01-2024",
            "12-13-2024",
            "12-03-0000",
            "+1-03-2024",
            "",
        ] {
            assert!(Birthday::parse(bad).is_err(), "{bad} accepted");
        }
    }
}
