//! The lines of `idp-admin import` and `export` (API.md §7, docs/design.md "Import and
//! export"): one JSON object per line with `register_type`, `information_provider`, `profile`,
//! and optionally `active`, `uuid` and `password_hash`.

use serde::Deserialize;
use serde_json::{Map, Value};

use crate::company::CompanyConfig;
use crate::domain::{CompanyId, ProfileId};
use crate::error::ApiError;
use crate::json_body::parse_json_bytes;
use crate::resource::Resource;
use crate::rules::registration::{ProfileRequest, checked_profile};
use crate::store::NewProfile;

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
