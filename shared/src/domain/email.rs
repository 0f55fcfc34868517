use std::str::FromStr;

use super::InvalidValue;

/// An e-mail address, lower-cased so that it compares case-insensitively everywhere.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

/// RFC 5321 caps a forward path at 256 octets, of which the address may use 254.
const MAX_LEN: usize = 254;

impl Email {
    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        // Lower-case first, then validate what will be stored: some characters change when
        // lower-cased (`İ` becomes `i̇`), and the stored form must parse again to itself.
        let value = raw.trim().to_lowercase();
        if value.len() > MAX_LEN {
            return Err(InvalidValue("is too long"));
        }
        let parsed = email_address::EmailAddress::from_str(&value)
            .map_err(|_| InvalidValue("is not a valid e-mail address"))?;
        // Display names ("Ann <ann@x.com>") parse too; a profile stores the bare address only.
        if parsed.as_str() != value || value.contains(['<', '>', ' ']) {
            return Err(InvalidValue("is not a valid e-mail address"));
        }
        Ok(Self(value))
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

impl AsRef<str> for Email {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lower_cases_valid_addresses() {
        assert_eq!(
            Email::parse(" TLat@Email.COM ").unwrap().as_ref(),
            "tlat@email.com"
        );
        assert!(Email::parse("first.last+tag@sub.example.cl").is_ok());
    }

    #[test]
    fn the_stored_form_parses_to_itself() {
        // Found by fuzzing: `İ` lower-cases to two code points.
        // Such inputs are refused outright rather than stored in a form that would not parse
        // back to itself.
        for raw in ["3g@aslch|\u{130}", "\"qu04-e.d\"@ec\u{130}"] {
            assert!(Email::parse(raw).is_err(), "{raw}");
        }
        let email = Email::parse("A@B.CL").unwrap();
        assert_eq!(email.as_ref(), "a@b.cl");
        assert_eq!(Email::parse(email.as_ref()), Ok(email.clone()));
    }

    #[test]
    fn refuses_invalid_addresses() {
        for bad in [
            "",
            "plainaddress",
            "@no-local.org",
            "no-at.example.com",
            "a@b@c.com",
            "Ann <ann@x.com>",
            "spaces in@x.com",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad} accepted");
        }
        let long = format!("{}@example.com", "a".repeat(250));
        assert!(Email::parse(&long).is_err());
    }
}
