//! Registration rules, shared by Create Profile (§5.1), Update Profile (§5.11) and
//! `idp-admin import` (§7): a profile request checked against the company's register types,
//! providers, allowed and required fields and identifier sets, with the contract's sentences.
//! No HTTP here: the handlers parse the request, call these rules, and wrap the answer.

use serde_json::{Map, Value};

use crate::company::CompanyConfig;
use crate::domain::{CompanyId, ProfileAttributes, ProfileId};
use crate::envelope::Resource;
use crate::error::ApiError;
use crate::store::{NewProfile, keys};

const RESOURCE: Resource = Resource::Profile;

pub const MISSING_IDENTIFIERS: &str =
    "Profile does not have the required identifiers to register under the company rules";
pub const MISSING_REQUIRED: &str =
    "Profile does not have the required fields to register under the company rules";
pub const ALREADY_PRESENT: &str = "Profile already present";

/// What a create asks for, before Create's checks.
#[derive(Debug)]
pub struct ProfileRequest {
    pub company: CompanyId,
    pub id: ProfileId,
    pub register_type: String,
    pub information_provider: String,
    pub profile: Map<String, Value>,
    pub active: bool,
}

/// Create's checks, in Create's order and with its sentences: the register type, the
/// provider, the fields and their values, the identifier sets and the required fields.
/// `idp-admin import` runs every line through this same function.
pub fn checked_profile(
    config: &CompanyConfig,
    request: ProfileRequest,
) -> Result<NewProfile, ApiError> {
    let ProfileRequest {
        company,
        id,
        register_type,
        information_provider,
        profile,
        active,
    } = request;
    let form = config
        .register_type(&register_type)
        .ok_or(ApiError::not_found(Resource::RegisterType))?;
    // A provider the company lacks, or one this form is not offered through: the same 400.
    if !config.allows(form, &information_provider) {
        let shown: String = information_provider.chars().take(64).collect();
        return Err(ApiError::bad_request(
            RESOURCE,
            format!("Unknown information_provider `{shown}`"),
        ));
    }
    let attributes = ProfileAttributes::parse(&profile)
        .map_err(|e| ApiError::bad_request(RESOURCE, e.to_string()))?;
    if let Some((field, _)) = attributes.iter().find(|(f, _)| !form.allowed.contains(f)) {
        return Err(ApiError::bad_request(
            RESOURCE,
            format!("Profile field `{field}` is not allowed by register type `{register_type}`"),
        ));
    }
    let identifier_keys = keys::identifier_keys(&company, &config.identifier_sets, &attributes);
    if identifier_keys.is_empty() {
        return Err(ApiError::bad_request(RESOURCE, MISSING_IDENTIFIERS));
    }
    if form.required.iter().any(|f| !attributes.contains(*f)) {
        return Err(ApiError::bad_request(RESOURCE, MISSING_REQUIRED));
    }
    Ok(NewProfile {
        company,
        id,
        attributes,
        active,
        identification_provider: information_provider,
        register_type,
        identifier_keys,
    })
}
