//! Item keys. Company ids are restricted to characters without `#`, and identifier values are
//! length-prefixed, so no two different inputs can produce the same key.

use std::fmt::Write;

use crate::company::IdentifierSet;
use crate::domain::{CompanyId, ProfileAttributes, ProfileId};

pub fn profile(company: &CompanyId, id: ProfileId) -> String {
    format!("company#{company}#profile#{id}")
}

pub fn password_token(company: &CompanyId, id: ProfileId) -> String {
    format!("company#{company}#password-token#{id}")
}

/// The key that reserves `set`'s values for one profile, or `None` when the profile lacks one
/// of the set's fields.
pub fn identifier(
    company: &CompanyId,
    set: &IdentifierSet,
    attributes: &ProfileAttributes,
) -> Option<String> {
    let mut key = format!("company#{company}#identifier#{}", set.name());
    for field in set.fields() {
        let value = attributes.get(*field)?;
        // Writing to a String cannot fail.
        let _ = write!(key, "#{}:{value}", value.len());
    }
    Some(key)
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
}
