//! Identifier normalisation: one profile value parsed with the rules of its field.
//!
//! Input: the first byte picks the field (`(byte - b'0') % 10` into `ProfileField::ALL`, so the
//! seed files start with a readable digit: 0 nin, 1 username, 2 phone_number, 3 email, 4 origin,
//! 5 name, 6 lastname, 7 birthday, 8 nationality, 9 timezone); the rest, when it is UTF-8, is
//! the value. `idp_core::domain::profile_attributes::parse_value` is private to the crate, so
//! the value goes through `ProfileAttributes::parse` as a one-entry `profile` map, which is what
//! the endpoints call.
//!
//! Asserted: nothing panics; an accepted value's canonical form parses again to itself
//! (idempotence), and has the shape of its field (e-mail lower-cased, phone `+` and 8-15 digits,
//! nationality three upper-case ASCII letters, birthday and text fields the trimmed input);
//! a refusal is `Profile field `<field>` <reason>` with a short fixed reason (never the value).

#![no_main]

use idp_core::domain::{ProfileAttributes, ProfileField};
use libfuzzer_sys::fuzz_target;
use serde_json::{Map, Value};

fn parse(field: ProfileField, raw: &str) -> Result<String, String> {
    let mut map = Map::new();
    map.insert(field.as_str().to_owned(), Value::from(raw));
    match ProfileAttributes::parse(&map) {
        Ok(attrs) => {
            assert_eq!(attrs.iter().count(), 1);
            Ok(attrs.get(field).expect("the parsed field is present").to_owned())
        }
        Err(err) => Err(err.to_string()),
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let field = ProfileField::ALL[usize::from(selector.wrapping_sub(b'0')) % 10];
    let Ok(raw) = std::str::from_utf8(rest) else {
        return;
    };

    let canonical = match parse(field, raw) {
        Ok(canonical) => canonical,
        Err(sentence) => {
            let prefix = format!("Profile field `{field}` ");
            assert!(
                sentence.starts_with(&prefix),
                "unexpected sentence for {field}: {sentence:?}"
            );
            // The reason is a `&'static str` (`InvalidValue`), so it cannot carry the value;
            // check it stays one short sentence whatever the input's size.
            let reason = &sentence[prefix.len()..];
            assert!(
                !reason.is_empty() && reason.len() <= 80,
                "unexpected reason for {field}: {sentence:?}"
            );
            return;
        }
    };

    // Idempotence: the stored form is a fixed point of parsing.
    match parse(field, &canonical) {
        Ok(again) => assert_eq!(
            again, canonical,
            "{field}: {raw:?} normalised to {canonical:?}, which normalises to {again:?}"
        ),
        Err(sentence) => panic!(
            "{field}: {raw:?} normalised to {canonical:?}, which is then refused: {sentence}"
        ),
    }

    // The canonical shape of each field.
    let trimmed = raw.trim();
    assert!(!canonical.is_empty());
    assert_eq!(canonical.trim(), canonical, "{field}: canonical form is not trimmed");
    match field {
        ProfileField::Email => {
            assert_eq!(canonical, trimmed.to_lowercase());
            assert!(canonical.contains('@'));
            assert!(canonical.len() <= 254, "{field}: {canonical:?} is longer than 254 bytes");
        }
        ProfileField::PhoneNumber => {
            let digits = canonical.strip_prefix('+').expect("phone starts with +");
            assert!((8..=15).contains(&digits.len()));
            assert!(digits.bytes().all(|b| b.is_ascii_digit()));
            assert!(!digits.starts_with('0'));
        }
        ProfileField::Nationality => {
            assert_eq!(canonical.len(), 3);
            assert!(canonical.bytes().all(|b| b.is_ascii_uppercase()));
            assert_eq!(canonical, trimmed.to_ascii_uppercase());
        }
        ProfileField::Birthday => {
            assert_eq!(canonical, trimmed);
            assert_eq!(canonical.len(), 10);
        }
        ProfileField::Nin
        | ProfileField::Username
        | ProfileField::Origin
        | ProfileField::Timezone => {
            assert_eq!(canonical, trimmed);
            assert!(canonical.chars().count() <= 64);
            assert!(!canonical.chars().any(|c| c.is_whitespace() || c.is_control()));
        }
        ProfileField::Name | ProfileField::Lastname => {
            assert_eq!(canonical, trimmed);
            assert!(canonical.chars().count() <= 128);
            assert!(!canonical.chars().any(char::is_control));
        }
    }
});
