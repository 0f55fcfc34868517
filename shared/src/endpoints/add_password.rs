//! `PATCH /v1/companies/{company_id}/profiles/{uuid}` with `operation: "credentials"` (§5.4):
//! adds a first password to a profile. [`super::patch_profile`] routes the path's requests
//! here.

use lambda_http::{Body, Request, Response};
use serde::Deserialize;
use serde_json::{Map, Value};

use super::PROFILE_NOT_ACTIVE;
use crate::app::App;
use crate::audit::{Actor, Event, EventType};
use crate::company::{Authenticator, CompanyConfig};
use crate::domain::CompanyId;
use crate::envelope::{Resource, success};
use crate::error::{ApiError, InResource};
use crate::password::{Password, check_policy, own_data};
use crate::request::from_object;
use crate::request::profile_id;
use crate::store::SetPassword;

pub const NO_PASSWORD_LOGIN: &str =
    "Request does not have the required fields to generate a Profile Credential";
pub const BAD_CREDENTIALS: &str = "Profile Credentials must be formatted as a Map<String:String> and contain at least one valid value";
pub const ALREADY_SET: &str = "No new credentials were created";

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CredentialsBody {
    operation: Option<String>,
    #[serde(default)]
    credentials: Option<Value>,
}

/// The request of an authorized `company`, whose body was read as a JSON object. Also where
/// an unknown `operation` ends: its body is checked as this one's, then refused with 501, as
/// the published page answers.
pub(super) async fn add(
    app: &App,
    req: &Request,
    (company, actor): (CompanyId, Actor),
    body: Map<String, Value>,
) -> Result<Response<Body>, ApiError> {
    let body: CredentialsBody = from_object(body, Resource::Profile)?;
    if body.operation.as_deref() != Some("credentials") {
        return Err(ApiError::client(501, Resource::Profile, None));
    }
    let id = profile_id(req)?;
    let config = app.company_config(&company, Resource::Profile).await?;
    if !has_password_login(&config) {
        return Err(ApiError::bad_request(
            Resource::ProfileCredentials,
            NO_PASSWORD_LOGIN,
        ));
    }
    let raw = password_of(body.credentials.as_ref())
        .ok_or_else(|| ApiError::unprocessable(Resource::ProfileCredentials, BAD_CREDENTIALS))?;
    // Over the length bound: never normalised to the end nor hashed. Answered where the
    // policy's other refusals are, after the profile's own checks.
    let password = Password::parse(raw, config.password_policy.max_length);

    let record = app
        .store
        .get_login_record(&company, id)
        .await?
        .ok_or(ApiError::not_found(Resource::Profile))?;
    if !record.profile.active {
        return Err(ApiError::conflict(Resource::Profile, PROFILE_NOT_ACTIVE));
    }
    if record.password_hash.is_some() {
        return Err(ApiError::unprocessable(
            Resource::ProfileCredential,
            ALREADY_SET,
        ));
    }
    let password = password
        .map_err(|why| ApiError::unprocessable(Resource::ProfileCredential, why.to_string()))?;
    check_policy(
        &config.password_policy,
        &password,
        &own_data(&record.profile),
    )
    .map_err(|why| ApiError::unprocessable(Resource::ProfileCredential, why))?;

    let phc = app
        .passwords
        .hash(&password)
        .await
        .map_err(|cause| ApiError::internal(Resource::ProfileCredential, cause))?;
    let outcome = app
        .store
        .set_first_password(
            &company,
            id,
            &phc,
            &Event::success(
                EventType::CredentialCreated,
                id,
                &App::trail(actor, &config),
            ),
        )
        .await
        .in_resource(Resource::ProfileCredential)?;
    match outcome {
        SetPassword::Created => {
            tracing::info!(company = %company, profile = %id, "password added");
            Ok(success(
                201,
                Resource::ProfileCredential,
                None,
                "1 new credentials created",
            ))
        }
        // Lost a race with a concurrent change: report what the profile is now.
        SetPassword::AlreadySet => Err(ApiError::unprocessable(
            Resource::ProfileCredential,
            ALREADY_SET,
        )),
        SetPassword::Inactive => Err(ApiError::conflict(Resource::Profile, PROFILE_NOT_ACTIVE)),
        SetPassword::NotFound => Err(ApiError::not_found(Resource::Profile)),
    }
}

pub fn has_password_login(config: &CompanyConfig) -> bool {
    config
        .login_forms
        .iter()
        .any(|form| form.authenticators.contains(&Authenticator::Password))
}

/// `{"password": "<non-empty string>"}`: the only credential this API issues today.
fn password_of(credentials: Option<&Value>) -> Option<&str> {
    let map = credentials?.as_object()?;
    if map.keys().any(|k| k != "password") {
        return None;
    }
    let raw = map.get("password")?.as_str()?;
    (!raw.is_empty()).then_some(raw)
}
