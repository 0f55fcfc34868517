//! Item keys of the profiles table (generic `PK`/`SK`, docs/design.md "Data model").
//!
//! A profile's items share one partition, `company#{company}#profile#{uuid}`, told apart by
//! `SK`. Their sort keys are chosen so that one `Query` reads just what an operation needs:
//! `audit#…` < `credential#…` < `profile` < `token#…`, so "credentials and profile" is
//! `SK BETWEEN credential# AND profile` and "everything but the audit trail" is
//! `SK >= credential#`. Company ids cannot contain `#` and identifier values are
//! length-prefixed, so no two different inputs can produce the same key.
//!
//! Private to the store: the layers above speak of companies, profile ids and
//! [`Identifier`]s, never of keys.

use std::fmt::Write;

use crate::company::Identifier;
use crate::domain::{CompanyId, ProfileId};

/// The partition key attribute.
pub const PK: &str = "PK";
/// The sort key attribute.
pub const SK: &str = "SK";

/// `SK` of the profile item itself.
pub const PROFILE: &str = "profile";
/// `SK` of the password credential (later credentials: `credential#passkey#{id}`, …).
pub const PASSWORD: &str = "credential#password";
/// `SK` of a profile's second factors (TOTP, recovery codes, their lockout): after the
/// password, before the profile, so the login's `Query` reads it.
pub const SECOND_FACTOR: &str = "credential#second-factor";
/// The smallest `SK` of any credential.
pub const CREDENTIALS_FROM: &str = "credential#";
/// `SK` of the pending password-change token: one per profile, so a new one supersedes it.
pub const PASSWORD_TOKEN: &str = "token#password-change";
/// `SK` of a login challenge, by the hash of its secret: after the profile, so neither the
/// login's nor a change's `Query` reads the challenges; erasure's does.
pub fn challenge(digest: &str) -> String {
    format!("token#challenge#{digest}")
}

/// `PK` of a passwordless login's challenge: the company's, not a profile's (nobody is known
/// when it is issued), by the hash of its secret; `SK` is [`RESERVATION`]'s sibling `challenge`.
pub fn passkey_login(company: &CompanyId, digest: &str) -> String {
    format!("company#{company}#passkey-login#{digest}")
}

/// `SK` of a passwordless login's challenge.
pub const PASSKEY_LOGIN: &str = "challenge";

/// `SK` of an identifier reservation (its own partition).
pub const RESERVATION: &str = "reservation";

/// `PK` of every item of one profile.
pub fn profile(company: &CompanyId, id: ProfileId) -> String {
    format!("company#{company}#profile#{id}")
}

/// `PK` of the reservation of one identifier (its values are canonical already, so look-alike
/// values reserve the same key).
pub fn identifier(company: &CompanyId, identifier: &Identifier) -> String {
    let mut key = format!("company#{company}#identifier#{}", identifier.set());
    for value in identifier.values() {
        // Writing to a String cannot fail.
        let _ = write!(key, "#{}:{value}", value.len());
    }
    key
}

/// The `PK`s of a profile's reservations.
pub fn identifier_keys(company: &CompanyId, identifiers: &[Identifier]) -> Vec<String> {
    identifiers
        .iter()
        .map(|one| identifier(company, one))
        .collect()
}

/// `PK` of the reservation of `identifier`, or of one nobody holds when there is none: what a
/// lookup reads for identifiers that cannot name anyone, at the same cost.
pub fn identifier_or_nobody(company: &CompanyId, identifier: Option<&Identifier>) -> String {
    identifier.map_or_else(|| nobody(company), |one| self::identifier(company, one))
}

/// `PK` of a profile's events: a partition of its own, outside the profile's item collection,
/// so that erasure removes the person and keeps the record. Events that identified no profile
/// (an unknown identifier at login) are spread over the company's event shards instead.
pub fn events(company: &CompanyId, profile: Option<ProfileId>, shard: u128) -> String {
    match profile {
        Some(id) => format!("company#{company}#events#{id}"),
        None => format!("company#{company}#events#-#{shard}"),
    }
}

/// The company events index's partition of one write shard.
pub fn company_events(company: &CompanyId, shard: u128) -> String {
    format!("company#{company}#events#shard#{shard}")
}

/// The sort key of an event, in its partition and in the company index: its time in
/// milliseconds (13 digits: every time until the year 2286), then its id, so newest first is
/// descending order.
pub fn event_order(at_ms: u64, id: &str) -> String {
    format!("{at_ms:013}#{id}")
}

/// `PK` of a reservation no profile can hold (its set name is empty, which no company's set
/// has): what a login reads for identifiers that cannot name anyone, at the same cost.
fn nobody(company: &CompanyId) -> String {
    format!("company#{company}#identifier##{}", ProfileId::new_random())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::company::IdentifierSet;
    use crate::domain::{ProfileAttributes, ProfileField};
    use serde_json::json;

    fn attrs(value: serde_json::Value) -> ProfileAttributes {
        ProfileAttributes::parse(value.as_object().unwrap()).unwrap()
    }

    fn identifier(
        company: &CompanyId,
        set: &IdentifierSet,
        attributes: &ProfileAttributes,
    ) -> Option<String> {
        Identifier::of(set, attributes).map(|one| super::identifier(company, &one))
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
        assert!(PASSWORD < SECOND_FACTOR && SECOND_FACTOR < PROFILE);
        assert!(PROFILE < challenge("0").as_str() && CREDENTIALS_FROM < challenge("0").as_str());
    }
}
