use std::collections::BTreeMap;
use std::fmt;

use serde_json::{Map, Value};
use unicode_normalization::UnicodeNormalization;

use super::canonical::{canonical, identifier_text};
use super::{
    Birthday, BoundedText, Email, InvalidValue, Nationality, PhoneNumber, ProfileField, TextRules,
};

/// The caller-supplied fields of a profile, each parsed and normalised.
///
/// The only way to get one is [`ProfileAttributes::parse`], so holding one means every value is
/// valid and in canonical form (lower-case e-mail, compact E.164 phone, upper-case country).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProfileAttributes(BTreeMap<ProfileField, String>);

/// Why a `profile` object was refused; its `Display` is the sentence the caller sees.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttributeError {
    UnknownField(String),
    NotAString(ProfileField),
    Invalid(ProfileField, InvalidValue),
}

impl fmt::Display for AttributeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::UnknownField(name) => {
                // Echo a bounded prefix only: the name is caller input.
                let shown: String = name.chars().take(64).collect();
                write!(f, "Unknown profile field `{shown}`")
            }
            Self::NotAString(field) => write!(f, "Profile field `{field}` must be a string"),
            Self::Invalid(field, why) => write!(f, "Profile field `{field}` {why}"),
        }
    }
}

const IDENTIFIER: TextRules = TextRules {
    max_chars: 64,
    allow_spaces: false,
};
/// National ids are written with spaces, dots and hyphens in many countries; they are compared
/// without them (`canonical`).
const NATIONAL_ID: TextRules = TextRules {
    max_chars: 64,
    allow_spaces: true,
};
const PERSON_NAME: TextRules = TextRules {
    max_chars: 128,
    allow_spaces: true,
};

impl ProfileAttributes {
    /// Parses a JSON `profile` object. `null` values count as absent.
    pub fn parse(object: &Map<String, Value>) -> Result<Self, AttributeError> {
        let mut values = BTreeMap::new();
        for (name, value) in object {
            let field: ProfileField = name
                .parse()
                .map_err(|_| AttributeError::UnknownField(name.clone()))?;
            let raw = match value {
                Value::Null => continue,
                Value::String(s) => s,
                _ => return Err(AttributeError::NotAString(field)),
            };
            let normalised =
                parse_value(field, raw).map_err(|why| AttributeError::Invalid(field, why))?;
            values.insert(field, normalised);
        }
        Ok(Self(values))
    }

    pub fn get(&self, field: ProfileField) -> Option<&str> {
        self.0.get(&field).map(String::as_str)
    }

    pub fn contains(&self, field: ProfileField) -> bool {
        self.0.contains_key(&field)
    }

    pub fn iter(&self) -> impl Iterator<Item = (ProfileField, &str)> {
        self.0.iter().map(|(field, value)| (*field, value.as_str()))
    }

    /// Reads an update's `profile` object: the values it sets (parsed as [`Self::parse`]
    /// does) and the fields it removes (`null`).
    pub fn parse_change(
        object: &Map<String, Value>,
    ) -> Result<(Self, Vec<ProfileField>), AttributeError> {
        let set = Self::parse(object)?;
        let removed = object
            .iter()
            .filter(|(_, value)| value.is_null())
            .filter_map(|(name, _)| name.parse().ok())
            .collect();
        Ok((set, removed))
    }

    /// These values with `set`'s in place and the `removed` fields gone.
    pub fn changed(&self, set: &Self, removed: &[ProfileField]) -> Self {
        let mut values = self.0.clone();
        for field in removed {
            values.remove(field);
        }
        values.extend(set.0.iter().map(|(f, v)| (*f, v.clone())));
        Self(values)
    }

    /// The fields whose values differ between these values and `other` (set, changed or
    /// removed), in the API's order: what an update's event names, without the values.
    pub fn changed_fields(&self, other: &Self) -> Vec<ProfileField> {
        ProfileField::ALL
            .into_iter()
            .filter(|field| self.0.get(field) != other.0.get(field))
            .collect()
    }
}

/// Parses one value with the rules of its field and returns its canonical form.
pub fn parse_value(field: ProfileField, raw: &str) -> Result<String, InvalidValue> {
    Ok(match field {
        // Identifiers: NFKC, and no invisible format characters (§6); compared elsewhere in
        // their canonical form (`canonical`).
        ProfileField::Email => {
            let email = Email::parse(&identifier_text(raw)?)?.into_inner();
            // Lower-casing can undo NFKC for a few characters: what is stored must parse to
            // itself (NFKC then lower-case again gives the same), or it would not be found.
            if !email.nfkc().eq(email.chars()) {
                return Err(InvalidValue("is not a valid e-mail address"));
            }
            email
        }
        ProfileField::PhoneNumber => PhoneNumber::parse(&identifier_text(raw)?)?.into_inner(),
        ProfileField::Nationality => Nationality::parse(raw)?.into_inner(),
        ProfileField::Birthday => Birthday::parse(raw)?.into_inner(),
        ProfileField::Nin => {
            let nin = BoundedText::parse(&identifier_text(raw)?, NATIONAL_ID)?.into_inner();
            if canonical(ProfileField::Nin, &nin).is_empty() {
                return Err(InvalidValue("must contain letters or digits"));
            }
            nin
        }
        ProfileField::Username | ProfileField::Origin => {
            BoundedText::parse(&identifier_text(raw)?, IDENTIFIER)?.into_inner()
        }
        ProfileField::Name | ProfileField::Lastname => {
            BoundedText::parse(raw, PERSON_NAME)?.into_inner()
        }
        ProfileField::Timezone => {
            let tz = BoundedText::parse(raw, IDENTIFIER)?.into_inner();
            let allowed = |c: char| c.is_ascii_alphanumeric() || "/_+-:".contains(c);
            if !tz.chars().all(allowed) {
                return Err(InvalidValue(
                    "must be a time zone name such as UTC or America/Santiago",
                ));
            }
            tz
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn object(value: Value) -> Map<String, Value> {
        value.as_object().unwrap().clone()
    }

    #[test]
    fn parses_the_published_example() {
        let attrs = ProfileAttributes::parse(&object(json!({
            "nin": "123456789", "username": "tlat", "phone_number": "+56912345678",
            "email": "TLAT@email.com", "origin": "test_idp", "name": "trust",
            "lastname": "latin", "birthday": "12-03-4567", "nationality": "chl", "timezone": "UTC"
        })))
        .unwrap();
        assert_eq!(attrs.get(ProfileField::Email), Some("tlat@email.com"));
        assert_eq!(attrs.get(ProfileField::Nationality), Some("CHL"));
        assert_eq!(attrs.iter().count(), 10);
    }

    #[test]
    fn names_the_offending_field() {
        let err = ProfileAttributes::parse(&object(json!({"password": "x"}))).unwrap_err();
        assert_eq!(err.to_string(), "Unknown profile field `password`");
        let err = ProfileAttributes::parse(&object(json!({"nin": 5}))).unwrap_err();
        assert_eq!(err.to_string(), "Profile field `nin` must be a string");
        let err = ProfileAttributes::parse(&object(json!({"email": "nope"}))).unwrap_err();
        assert_eq!(
            err.to_string(),
            "Profile field `email` is not a valid e-mail address"
        );
    }

    #[test]
    fn null_means_absent() {
        let attrs = ProfileAttributes::parse(&object(json!({"email": null}))).unwrap();
        assert!(!attrs.contains(ProfileField::Email));
    }

    #[test]
    fn caps_lengths() {
        let long = "a".repeat(65);
        assert!(ProfileAttributes::parse(&object(json!({ "username": long }))).is_err());
        assert!(ProfileAttributes::parse(&object(json!({"timezone": "UTC; drop"}))).is_err());
    }
}
