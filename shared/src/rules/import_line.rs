//! The lines of `idp-admin import` and `export` (API.md §7, docs/design.md "Import and
//! export"): one JSON object per line with `register_type`, `information_provider`, `profile`,
//! and optionally `active`, `uuid` and `password_hash`.

use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::company::CompanyConfig;
use crate::domain::{CompanyId, ProfileId};
use crate::error::ApiError;
use crate::json_body::parse_json_bytes;
use crate::resource::Resource;
use crate::rules::registration::{ProfileRequest, checked_profile};
use crate::store::{ExportedProfile, NewProfile};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Line {
    register_type: String,
    information_provider: String,
    #[serde(default)]
    profile: Option<Map<String, Value>>,
    #[serde(default)]
    active: Option<bool>,
    #[serde(default)]
    uuid: Option<String>,
    #[serde(default)]
    password_hash: Option<String>,
}

/// A line that passed Create's checks: the profile to write and the hash it brings.
pub struct ImportLine {
    pub profile: NewProfile,
    /// The line named its uuid (otherwise it is derived from the line's values).
    pub uuid_given: bool,
    pub password_hash: Option<String>,
}

impl std::fmt::Debug for ImportLine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ImportLine")
            .field("profile", &self.profile.id)
            .field("uuid_given", &self.uuid_given)
            .field("has_password_hash", &self.password_hash.is_some())
            .finish()
    }
}

/// Parses one line and runs Create's checks on it; the error is Create's answer (status and
/// sentence) for the same profile.
pub fn parse_line(
    company: &CompanyId,
    config: &CompanyConfig,
    bytes: &[u8],
) -> Result<ImportLine, ApiError> {
    let line: Line = parse_json_bytes(bytes, Resource::Profile)?;
    let given = match &line.uuid {
        None => None,
        Some(raw) => Some(ProfileId::parse(raw).ok_or_else(|| {
            ApiError::bad_request(
                Resource::Profile,
                "`uuid` is not a UUID in its hyphenated form",
            )
        })?),
    };
    if line.password_hash.as_deref().is_some_and(str::is_empty) {
        return Err(ApiError::bad_request(
            Resource::Profile,
            "`password_hash` is empty",
        ));
    }
    let mut profile = checked_profile(
        config,
        ProfileRequest {
            company: company.clone(),
            id: given.unwrap_or_else(ProfileId::new_random),
            register_type: line.register_type,
            information_provider: line.information_provider,
            profile: line.profile.unwrap_or_default(),
            active: line.active.unwrap_or(true),
        },
    )?;
    if given.is_none() {
        profile.id = derived_id(&profile);
    }
    Ok(ImportLine {
        profile,
        uuid_given: given.is_some(),
        password_hash: line.password_hash,
    })
}

/// The uuid of a line without one: a v5 UUID of the company and the line's checked values
/// (normalised, so `A@x.com` and `a@x.com` are one line), never of its password hash.
fn derived_id(profile: &NewProfile) -> ProfileId {
    let mut name = format!(
        "{}\n{}\n{}\n{}\n",
        profile.company, profile.register_type, profile.identification_provider, profile.active
    );
    for (field, value) in profile.attributes.iter() {
        name.push_str(field.as_str());
        name.push('=');
        name.push_str(value);
        name.push('\n');
    }
    ProfileId::derived(name.as_bytes())
}

/// The export line of a profile: `uuid`, `register_type`, `information_provider`, `active`,
/// `profile` (its fields, in the API's order) and `password_hash` when it has one. It is an
/// import line: `idp-admin import` reads it back as it is.
pub fn export_line(profile: &ExportedProfile) -> Value {
    let values: Map<String, Value> = profile
        .values
        .iter()
        .map(|(field, value)| (field.as_str().to_owned(), Value::String(value.clone())))
        .collect();
    let mut line = json!({
        "uuid": profile.id,
        "register_type": profile.register_type,
        "information_provider": profile.information_provider,
        "active": profile.active,
        "profile": values,
    });
    if let (Some(hash), Some(map)) = (&profile.password_hash, line.as_object_mut()) {
        map.insert("password_hash".into(), Value::String(hash.clone()));
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ProfileField;

    #[test]
    fn an_export_line_keeps_its_keys_in_order_and_reads_back_as_an_import_line() {
        let profile = ExportedProfile {
            id: "6d727476-85c0-476c-975b-113a31c4e286".into(),
            register_type: "nin_register".into(),
            information_provider: "test_idp".into(),
            active: false,
            values: vec![
                (ProfileField::Nin, "123456789".into()),
                (ProfileField::Email, "tlat@email.com".into()),
            ],
            password_hash: Some("$2b$10$abcdefghijklmnopqrstuu".into()),
        };
        let line = export_line(&profile);
        assert_eq!(
            line.to_string(),
            r#"{"uuid":"6d727476-85c0-476c-975b-113a31c4e286","register_type":"nin_register","information_provider":"test_idp","active":false,"profile":{"nin":"123456789","email":"tlat@email.com"},"password_hash":"$2b$10$abcdefghijklmnopqrstuu"}"#
        );
        let config = CompanyConfig::from_value(json!({
            "company_id": "-1",
            "identifier_sets": [["nin"], ["email"]],
            "information_providers": ["test_idp"],
            "register_types": {"nin_register": {"required": ["nin"], "allowed": ["nin", "email"]}}
        }))
        .unwrap();
        let company = CompanyId::parse("-1").unwrap();
        let read = parse_line(&company, &config, line.to_string().as_bytes()).unwrap();
        assert_eq!(read.profile.id.to_string(), profile.id);
        assert!(!read.profile.active);
        assert_eq!(
            read.profile.attributes.get(ProfileField::Email),
            Some("tlat@email.com")
        );
        assert_eq!(read.password_hash, profile.password_hash);

        let without = ExportedProfile {
            password_hash: None,
            ..profile
        };
        assert!(export_line(&without).get("password_hash").is_none());
    }
}
