//! Registration rules, shared by Create Profile (§5.1), Update Profile (§5.11) and
//! `idp-admin import` (§7): a profile request checked against the company's register types,
//! providers, allowed and required fields and identifier sets, with the contract's sentences.
//! No HTTP here: the handlers parse the request, call these rules, and wrap the answer.

use serde_json::{Map, Value};

use crate::company::{CompanyConfig, Identifier};
use crate::domain::{CompanyId, ProfileAttributes, ProfileField, ProfileId, shown_name};
use crate::error::ApiError;
use crate::resource::Resource;
use crate::store::NewProfile;

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
        return Err(not_allowed(field, &register_type));
    }
    let identifiers = Identifier::all(&config.identifier_sets, &attributes);
    if identifiers.is_empty() {
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
        identifiers,
    })
}

/// Update's checks (§5.11) of a change to a profile registered under `register_type` with
/// `current` values: `set` and `removed` may touch only the form's allowed fields, and the
/// result must keep its required fields and at least one identifier. Returns the new values
/// and the identifiers they reserve.
pub fn checked_change(
    config: &CompanyConfig,
    register_type: &str,
    current: &ProfileAttributes,
    set: &ProfileAttributes,
    removed: &[ProfileField],
) -> Result<(ProfileAttributes, Vec<Identifier>), ApiError> {
    let shown = shown_name(register_type);
    let form = config.register_type(register_type).ok_or_else(|| {
        ApiError::bad_request(
            RESOURCE,
            format!("Register type `{shown}` of this profile is no longer offered by the company"),
        )
    })?;
    let touched = set.iter().map(|(f, _)| f).chain(removed.iter().copied());
    if let Some(field) = touched.into_iter().find(|f| !form.allowed.contains(f)) {
        return Err(not_allowed(field, &shown));
    }
    let attributes = current.changed(set, removed);
    if form.required.iter().any(|f| !attributes.contains(*f)) {
        return Err(ApiError::bad_request(RESOURCE, MISSING_REQUIRED));
    }
    let identifiers = Identifier::all(&config.identifier_sets, &attributes);
    if identifiers.is_empty() {
        return Err(ApiError::bad_request(RESOURCE, MISSING_IDENTIFIERS));
    }
    Ok((attributes, identifiers))
}

fn not_allowed(field: ProfileField, register_type: &str) -> ApiError {
    ApiError::bad_request(
        RESOURCE,
        format!("Profile field `{field}` is not allowed by register type `{register_type}`"),
    )
}
