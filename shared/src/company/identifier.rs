//! What makes a profile unique in its company: the canonical values it holds for one
//! identifier set. The rules decide which identifiers a profile has; only the store turns one
//! into a key.

use super::IdentifierSet;
use crate::domain::{ProfileAttributes, canonical};

/// One identifier set's values in a profile, canonical (look-alike values are equal).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Identifier {
    set: String,
    values: Vec<String>,
}

impl Identifier {
    /// `set`'s values in `attributes`, or `None` when the profile lacks one of its fields.
    pub fn of(set: &IdentifierSet, attributes: &ProfileAttributes) -> Option<Self> {
        let values = set
            .fields()
            .iter()
            .map(|field| {
                attributes
                    .get(*field)
                    .map(|value| canonical(*field, value).into_owned())
            })
            .collect::<Option<Vec<_>>>()?;
        Some(Self {
            set: set.name(),
            values,
        })
    }

    /// Every identifier of `sets` that `attributes` complete: what a profile with these
    /// values reserves.
    pub fn all(sets: &[IdentifierSet], attributes: &ProfileAttributes) -> Vec<Self> {
        sets.iter()
            .filter_map(|set| Self::of(set, attributes))
            .collect()
    }

    /// The set's name (its fields joined by `+`).
    pub fn set(&self) -> &str {
        &self.set
    }

    /// The canonical values, in the set's field order.
    pub fn values(&self) -> &[String] {
        &self.values
    }
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
    fn look_alike_values_are_one_identifier_and_a_missing_field_is_none() {
        let set = IdentifierSet(vec![ProfileField::Email, ProfileField::Origin]);
        let a = Identifier::of(&set, &attrs(json!({"email": "A@x.com", "origin": "app"})));
        let b = Identifier::of(&set, &attrs(json!({"email": "a@X.com", "origin": "app"})));
        assert!(a.is_some());
        assert_eq!(a, b);
        assert_eq!(
            Identifier::of(&set, &attrs(json!({"email": "a@x.com"}))),
            None
        );
        let sets = [set, IdentifierSet(vec![ProfileField::Username])];
        let all = Identifier::all(&sets, &attrs(json!({"username": "ann"})));
        assert_eq!(all.len(), 1);
        assert_eq!(all[0].set(), "username");
        assert_eq!(all[0].values(), ["ann"]);
    }
}
