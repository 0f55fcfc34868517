use super::InvalidValue;

/// A phone number in E.164: `+`, a country code that does not start with 0, at most 15 digits.
///
/// Common separators (spaces, dashes, dots, parentheses) are removed; nothing else is guessed,
/// so a number without its `+country` prefix is refused rather than misread.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhoneNumber(String);

impl PhoneNumber {
    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        const REASON: &str = "must be an E.164 phone number such as +56912345678";
        let compact: String = raw
            .trim()
            .chars()
            .filter(|c| !matches!(c, ' ' | '-' | '.' | '(' | ')'))
            .collect();
        let digits = compact.strip_prefix('+').ok_or(InvalidValue(REASON))?;
        let well_formed = (8..=15).contains(&digits.len())
            && digits.bytes().all(|b| b.is_ascii_digit())
            && !digits.starts_with('0');
        if !well_formed {
            return Err(InvalidValue(REASON));
        }
        Ok(Self(compact))
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

impl AsRef<str> for PhoneNumber {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_separators() {
        assert_eq!(
            PhoneNumber::parse("+56 9 1234-5678").unwrap().as_ref(),
            "+56912345678"
        );
        assert_eq!(
            PhoneNumber::parse("+1 (415) 555.2671").unwrap().as_ref(),
            "+14155552671"
        );
    }

    #[test]
    fn refuses_what_is_not_e164() {
        for bad in [
            "56912345678",
            "+0912345678",
            "+56abc45678",
            "+1234567",
            "+1234567890123456",
            "",
            "+",
        ] {
            assert!(PhoneNumber::parse(bad).is_err(), "{bad} accepted");
        }
    }
}
