//! `POST /v1/companies/{company_id}/profiles/login` (§5.3): identifiers of one login form plus
//! a password give the full profile.
//!
//! Every way of failing (wrong password, unknown identifier, no password, locked out) answers
//! the same 422 after the same work: one argon2 verification, real or against a dummy hash.

use std::sync::Arc;

use lambda_http::{Body, Request, Response};
use serde::Deserialize;
use serde_json::{Map, Value};

use super::{PROFILE_NOT_ACTIVE, respond};
use crate::app::App;
use crate::company::{Authenticator, CompanyConfig, LoginForm};
use crate::domain::{CompanyId, ProfileAttributes, ProfileField};
use crate::envelope::{Resource, success};
use crate::error::ApiError;
use crate::password::{Password, Verification};
use crate::request::parse_json;
use crate::store::{LoginRecord, keys, now_ms};

const RESOURCE: Resource = Resource::Profile;

pub const FAILED_LOGIN: &str = "Failed Login Attempt";
pub const NO_LOGIN_FORM: &str = "Credentials do not match any login form of the company";

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct LoginBody {
    credentials: Map<String, Value>,
}

pub async fn handle(app: Arc<App>, req: Request) -> Response<Body> {
    respond(RESOURCE, login(&app, &req).await)
}

async fn login(app: &App, req: &Request) -> Result<Response<Body>, ApiError> {
    let company = app.authorize(req, RESOURCE).await?;
    let body: LoginBody = parse_json(req, RESOURCE)?;
    let config = app.company_config(&company, RESOURCE).await?;
    let (form, identifiers, password) = match_form(&config, &body.credentials)?;

    let record = find(app, &company, &config, form, identifiers.as_ref()).await?;
    let now = now_ms();
    let checkable = record
        .as_ref()
        .filter(|r| !r.is_locked(now))
        .and_then(|r| r.password_hash.as_deref().map(|hash| (r, hash)));
    let Some((record, hash)) = checkable else {
        dummy_verification(app, &password).await?;
        return Err(failed());
    };
    let verification = app
        .passwords
        .verify(&password, hash)
        .await
        .map_err(|cause| ApiError::internal(RESOURCE, cause))?;
    let id = record.profile.id;
    let Verification::Match { rehash } = verification else {
        app.store
            .record_login_failure(&company, id, record.failed_logins, &config.lockout_policy)
            .await?;
        tracing::info!(company = %company, profile = %id, "login failed: wrong password");
        return Err(failed());
    };
    app.store
        .record_login_success(
            &company,
            id,
            record.failed_logins > 0 || record.locked_until_ms.is_some(),
            rehash.as_deref().map(|new| (hash, new)),
        )
        .await?;
    if !record.profile.active {
        return Err(ApiError::conflict(RESOURCE, PROFILE_NOT_ACTIVE));
    }
    tracing::info!(company = %company, profile = %id, rehashed = rehash.is_some(), "login succeeded");
    Ok(success(
        200,
        RESOURCE,
        Some(record.profile.to_public_json()),
        "Found",
    ))
}

fn failed() -> ApiError {
    ApiError::unprocessable(RESOURCE, FAILED_LOGIN)
}

async fn dummy_verification(app: &App, password: &Password) -> Result<(), ApiError> {
    app.passwords
        .verify_dummy(password)
        .await
        .map_err(|cause| ApiError::internal(RESOURCE, cause))
}

/// The login form whose identifiers are exactly the credentials' keys (besides `password`),
/// the identifiers parsed (`None` when a value cannot identify anyone), and the password.
fn match_form<'a>(
    config: &'a CompanyConfig,
    credentials: &Map<String, Value>,
) -> Result<(&'a LoginForm, Option<ProfileAttributes>, Password), ApiError> {
    let no_form = || ApiError::bad_request(RESOURCE, NO_LOGIN_FORM);
    let mut fields = Vec::new();
    for key in credentials.keys().filter(|k| k.as_str() != "password") {
        fields.push(key.parse::<ProfileField>().map_err(|_| no_form())?);
    }
    fields.sort();
    let form = config
        .login_forms
        .iter()
        .filter(|form| form.authenticators.contains(&Authenticator::Password))
        .find(|form| {
            let mut wanted = form.identifiers.clone();
            wanted.sort();
            wanted == fields
        })
        .ok_or_else(no_form)?;
    let password = match credentials.get("password") {
        Some(Value::String(raw)) => Password::new(raw),
        _ => return Err(no_form()),
    };
    if credentials.values().any(|v| !v.is_string()) {
        return Err(ApiError::bad_request(
            RESOURCE,
            "Credentials must be a map of strings",
        ));
    }
    let raw: Map<String, Value> = credentials
        .iter()
        .filter(|(k, _)| k.as_str() != "password")
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    // A value that is not even well-formed (say, an e-mail without `@`) identifies nobody: it
    // fails like an unknown identifier, without telling which.
    Ok((form, ProfileAttributes::parse(&raw).ok(), password))
}

/// The profile the identifiers point at, when every identifier of the form matches it.
async fn find(
    app: &App,
    company: &CompanyId,
    config: &CompanyConfig,
    form: &LoginForm,
    identifiers: Option<&ProfileAttributes>,
) -> Result<Option<LoginRecord>, ApiError> {
    let Some(identifiers) = identifiers else {
        return Ok(None);
    };
    let key = config
        .lookup_set(&form.identifiers)
        .and_then(|set| keys::identifier(company, set, identifiers));
    let Some(key) = key else {
        return Ok(None);
    };
    let Some(id) = app.store.find_profile_id(&key).await? else {
        return Ok(None);
    };
    let record = app.store.get_login_record(company, id).await?;
    // Fields of the form outside the lookup set (e.g. `origin`) must match the profile too.
    Ok(record.filter(|r| {
        form.identifiers
            .iter()
            .all(|f| r.profile.attributes.get(*f) == identifiers.get(*f))
    }))
}
