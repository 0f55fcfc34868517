use super::InvalidValue;

/// An ISO 3166-1 alpha-3 country code, upper-cased (`chl` becomes `CHL`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Nationality(String);

impl Nationality {
    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        let code = raw.trim().to_ascii_uppercase();
        if code.len() != 3 || isocountry::CountryCode::for_alpha3(&code).is_err() {
            return Err(InvalidValue(
                "must be an ISO 3166-1 alpha-3 country code such as CHL",
            ));
        }
        Ok(Self(code))
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

impl AsRef<str> for Nationality {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_alpha3_codes_in_any_case() {
        assert_eq!(Nationality::parse("CHL").unwrap().as_ref(), "CHL");
        assert_eq!(Nationality::parse("arg").unwrap().as_ref(), "ARG");
    }

    #[test]
    fn refuses_other_codes() {
        for bad in ["CL", "XXX", "Chile", "", "152"] {
            assert!(Nationality::parse(bad).is_err(), "{bad} accepted");
        }
    }
}
