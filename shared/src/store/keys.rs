//! Item keys of the profiles table (generic `PK`/`SK`, docs/design.md "Data model").
//!
//! A profile's items share one partition, `company#{company}#profile#{uuid}`, told apart by
//! `SK`. Their sort keys are chosen so that one `Query` reads just what an operation needs:
//! `audit#…` < `credential#…` < `profile` < `token#…`, so "credentials and profile" is
//! `SK BETWEEN credential# AND profile` and "everything but the audit trail" is
//! `SK >= credential#`. Company ids cannot contain `#` and identifier values are
//! length-prefixed, so no two different inputs can produce the same key.

use std::fmt::Write;

use crate::company::IdentifierSet;
use crate::domain::{CompanyId, ProfileAttributes, ProfileId};

/// The partition key attribute.
pub const PK: &str = "PK";
/// The sort key attribute.
pub const SK: &str = "SK";

/// `SK` of the profile item itself.
pub const PROFILE: &str = "profile";
/// `SK` of the password credential (later credentials: `credential#passkey#{id}`, …).
pub const PASSWORD: &str = "credential#password";
/// The smallest `SK` of any credential.
pub const CREDENTIALS_FROM: &str = "credential#";
/// `SK` of the pending password-change token: one per profile, so a new one supersedes it.
pub const PASSWORD_TOKEN: &str = "token#password-change";
/// `SK` of an identifier reservation (its own partition).
pub const RESERVATION: &str = "reservation";

/// `PK` of every item of one profile.
pub fn profile(company: &CompanyId, id: ProfileId) -> String {
    format!("company#{company}#profile#{id}")
}

/// `PK` of the reservation of `set`'s values for one profile, or `None` when the profile lacks
/// one of the set's fields.
pub fn identifier(
    company: &CompanyId,
    set: &IdentifierSet,
    attributes: &ProfileAttributes,
) -> Option<String> {
    let mut key = format!("company#{company}#identifier#{}", set.name());
    for field in set.fields() {
        // The canonical form: look-alike values reserve the same key.
        let value = crate::domain::canonical(*field, attributes.get(*field)?);
        // Writing to a String cannot fail.
        let _ = write!(key, "#{}:{value}", value.len());
    }
    Some(key)
}

/// The `PK`s of every identifier set of `sets` that `attributes` complete: the reservations a
/// profile with these values holds.
pub fn identifier_keys(
    company: &CompanyId,
    sets: &[IdentifierSet],
    attributes: &ProfileAttributes,
) -> Vec<String> {
    sets.iter()
        .filter_map(|set| identifier(company, set, attributes))
        .collect()
}

/// `PK` of a reservation no profile can hold (its set name is empty, which no company's set
/// has): what a login reads for identifiers that cannot name anyone, at the same cost.
pub fn nobody(company: &CompanyId) -> String {
    format!("company#{company}#identifier##{}", ProfileId::new_random())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ProfileField;
    use serde_json::json;

    fn attrs(value: serde_json::Value) -> ProfileAttributes {
        ProfileAttributes::parse(value.as_object().unwrap()).unwrap()
    }

    #[test]
    fn composite_keys_cannot_collide() {
        let company = CompanyId::parse("-1").unwrap();
        let set = IdentifierSet(vec![ProfileField::Username, ProfileField::Origin]);
        let a = identifier(
            &company,
            &set,
            &attrs(json!({"username": "a#3:b", "origin": "c"})),
        );
        let b = identifier(
            &company,
            &set,
            &attrs(json!({"username": "a", "origin": "b#1:c"})),
        );
        assert_ne!(a, b);
        assert_eq!(
            identifier(&company, &set, &attrs(json!({"username": "ann"}))),
            None
        );
    }

    #[test]
    fn e_mail_keys_ignore_case() {
        let company = CompanyId::parse("-1").unwrap();
        let set = IdentifierSet(vec![ProfileField::Email]);
        assert_eq!(
            identifier(&company, &set, &attrs(json!({"email": "A@x.com"}))),
            identifier(&company, &set, &attrs(json!({"email": "a@X.com"})))
        );
    }

    #[test]
    fn sort_keys_order_as_the_queries_assume() {
        let audit = "audit#2026-12-01T00:00:00.000Z#0";
        assert!(audit < CREDENTIALS_FROM);
        assert!(CREDENTIALS_FROM < PASSWORD && PASSWORD < PROFILE);
        assert!(PROFILE < PASSWORD_TOKEN);
        assert!("credential#passkey#x" < PROFILE && "credential#totp" < PROFILE);
    }
}
