//! A stored profile and its public JSON form.

use serde_json::{Map, Value};

use crate::domain::{ProfileAttributes, ProfileField, ProfileId};

/// A profile as the store holds it. Credentials never live on this type, so no code path can
/// serialise them into a response by accident.
#[derive(Debug, Clone, PartialEq)]
pub struct Profile {
    pub id: ProfileId,
    pub attributes: ProfileAttributes,
    pub active: bool,
    pub identification_provider: Option<String>,
    pub trusted_fields: Map<String, Value>,
    pub field_expiration_time: Map<String, Value>,
    pub two_factor_authentication: Vec<Value>,
}

impl Profile {
    /// The full profile of the contract (§3): every field, `null` for unset scalars, in the
    /// order the published examples use.
    pub fn to_public_json(&self) -> Value {
        let mut out = Map::new();
        out.insert("uuid".into(), self.id.to_string().into());
        for field in ProfileField::ALL {
            out.insert(field.as_str().into(), self.value_of(field));
        }
        out.insert(
            "trusted_fields".into(),
            Value::Object(self.trusted_fields.clone()),
        );
        out.insert(
            "field_expiration_time".into(),
            Value::Object(self.field_expiration_time.clone()),
        );
        out.insert(
            "two_factor_authentication".into(),
            Value::Array(self.two_factor_authentication.clone()),
        );
        out.insert("active".into(), self.active.into());
        out.insert(
            "identification_provider".into(),
            self.identification_provider.clone().into(),
        );
        Value::Object(out)
    }

    pub fn value_of(&self, field: ProfileField) -> Value {
        self.attributes
            .get(field)
            .map_or(Value::Null, |v| Value::String(v.to_owned()))
    }
}
