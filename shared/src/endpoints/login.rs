//! `POST /v1/companies/{company_id}/profiles/login` (§5.3): identifiers of one login form plus
//! a password give the full profile.
//!
//! Every way of failing (wrong password, unknown identifier, no password, locked out, too long)
//! answers the same 422 after the same work: the same DynamoDB requests (a random profile id
//! stands in for a missing one) and one verification, real or against a dummy hash. Each
//! attempt is counted before its password is verified (`Store::reserve_login_attempt`), so
//! parallel guesses cannot outrun the lockout.

use std::sync::Arc;

use lambda_http::{Body, Request, Response};
use serde::Deserialize;
use serde_json::{Map, Value};

use super::second_factor::StepAnswer;
use super::{PROFILE_NOT_ACTIVE, respond, second_factor};
use crate::app::App;
use crate::audit::{Event, EventType, Reason, Trail};
use crate::company::{Authenticator, CompanyConfig, Identifier, LoginForm};
use crate::domain::{CompanyId, ProfileAttributes, ProfileField, ProfileId, canonical};
use crate::envelope::{Resource, success};
use crate::error::ApiError;
use crate::password::{Password, Verification};
use crate::profile::Profile;
use crate::request::parse_json;
use crate::store::{Attempt, LoginAfter, LoginEnd, LoginRecord};
use crate::two_factor::Code;

const RESOURCE: Resource = Resource::Profile;

pub const FAILED_LOGIN: &str = "Failed Login Attempt";
pub const NO_LOGIN_FORM: &str = "Credentials do not match any login form of the company";
pub const SECOND_STEP_SHAPE: &str = "A second step sends the challenge with credentials holding one of totp, recovery_code or passkey";

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct LoginBody {
    credentials: Map<String, Value>,
    /// The second step of a login with a second factor (§5.15).
    #[serde(default)]
    challenge: Option<String>,
}

pub async fn handle(app: Arc<App>, req: Request) -> Response<Body> {
    respond(RESOURCE, login(&app, &req).await)
}

async fn login(app: &App, req: &Request) -> Result<Response<Body>, ApiError> {
    let (company, actor) = app.authorize_actor(req, RESOURCE).await?;
    let body: LoginBody = parse_json(req, RESOURCE)?;
    let config = app.company_config(&company, RESOURCE).await?;
    let trail = App::trail(actor, &config);
    if let Some(challenge) = &body.challenge {
        let answer = match (body.credentials.len(), body.credentials.get("passkey")) {
            (1, Some(response)) => StepAnswer::Passkey(response),
            _ => StepAnswer::Code(second_step_code(&body.credentials)?),
        };
        return second_factor::second_step(app, &company, &config, &trail, challenge, answer).await;
    }
    let (form, identifiers, raw_password) = match_form(&config, &body.credentials)?;
    let code = second_factor::code_in(&body.credentials)?;
    // Over the length bound: refused before any hash, after the same dummy work, and before
    // any lookup, so it tells nothing about the identifiers (its event names no profile).
    let Ok(password) = Password::parse(raw_password, config.password_policy.max_length) else {
        dummy_verification(app).await?;
        let event = Event::failure(
            EventType::LoginFailed,
            None,
            Reason::PasswordTooLong,
            &trail,
        );
        app.store.record(&company, &event).await?;
        return Err(failed());
    };

    // From here on a known and an unknown identifier cost the same requests: the reservation
    // read, the partition's Query, the attempt's conditional write and one verification
    // (the last two against a random profile id, refused by their conditions, when nobody
    // has the identifiers).
    let (id, record) = find(app, &company, &config, form, identifiers.as_ref()).await?;
    let observed = record.as_ref().map_or(0, |r| r.failed_logins);
    let attempt = app
        .store
        .reserve_login_attempt(&company, id, observed, &config.lockout_policy)
        .await?;
    let checkable = match (attempt, &record) {
        (Attempt::Reserved { count }, Some(record)) => record
            .password_hash
            .as_deref()
            .map(|hash| (count, record, hash)),
        _ => None,
    };
    let Some((count, record, hash)) = checkable else {
        dummy_verification(app).await?;
        // Nothing of what was typed: an unknown identifier names no profile.
        let (profile, reason) = match (&record, attempt) {
            (None, _) => (None, Reason::UnknownIdentifier),
            (Some(_), Attempt::Refused) => (Some(id), Reason::Locked),
            (Some(_), Attempt::Reserved { .. }) => (Some(id), Reason::NoPassword),
        };
        let event = Event::failure(EventType::LoginFailed, profile, reason, &trail);
        app.store.record(&company, &event).await?;
        return Err(failed());
    };
    let verification = app
        .passwords
        .verify(&password, hash)
        .await
        .map_err(|cause| ApiError::internal(RESOURCE, cause))?;
    let Verification::Match { rehash } = verification else {
        tracing::info!(company = %company, profile = %id, attempt = count, "login failed: wrong password");
        let event = Event::failure(
            EventType::LoginFailed,
            Some(id),
            Reason::WrongPassword,
            &trail,
        );
        app.store.record(&company, &event).await?;
        return Err(failed());
    };
    let password = VerifiedPassword {
        id,
        count,
        rehash: rehash.as_deref().map(|new| (hash, new)),
    };
    if record.factors.is_enrolled() {
        return second_factor::after_password(
            app, &company, &config, &trail, record, &password, code,
        )
        .await;
    }
    // The right password of a deactivated profile still clears its failures, and so does one
    // of a profile the company wants a second factor of: each attempt is recorded as refused.
    let required = config.two_factor.required;
    let event = match (required, record.profile.active) {
        (true, _) => Event::failure(
            EventType::LoginFailed,
            Some(id),
            Reason::NotEnrolled,
            &trail,
        ),
        (false, true) => Event::success(EventType::LoginSucceeded, id, &trail),
        (false, false) => {
            Event::failure(EventType::LoginFailed, Some(id), Reason::Inactive, &trail)
        }
    };
    finish(
        app,
        &company,
        &trail,
        &password,
        LoginAfter::Nothing,
        &[event],
    )
    .await?;
    if required {
        return Ok(second_factor::enrolment_required());
    }
    logged_in(&company, &record.profile, password.rehash.is_some())
}

/// A password that matched, with the attempt it was counted as and the hash to store in its
/// place when the parameters changed.
#[derive(Debug)]
pub(super) struct VerifiedPassword<'a> {
    pub id: ProfileId,
    pub count: u32,
    pub rehash: Option<(&'a str, &'a str)>,
}

/// Writes the password's success with `after` and `events`; a profile locked meanwhile by a
/// concurrent burst is the uniform 422 (its event recorded).
pub(super) async fn finish(
    app: &App,
    company: &CompanyId,
    trail: &Trail,
    password: &VerifiedPassword<'_>,
    after: LoginAfter<'_>,
    events: &[Event],
) -> Result<LoginEnd, ApiError> {
    let id = password.id;
    let end = app
        .store
        .finish_login(company, id, password.count, password.rehash, after, events)
        .await?;
    if end == LoginEnd::Refused {
        tracing::info!(company = %company, profile = %id, "login refused: locked by concurrent attempts");
        let event = Event::failure(EventType::LoginFailed, Some(id), Reason::Locked, trail);
        app.store.record(company, &event).await?;
        return Err(failed());
    }
    Ok(end)
}

/// The answer to a login that passed every factor: 200 with the profile, or 409 for a
/// deactivated one.
pub(super) fn logged_in(
    company: &CompanyId,
    profile: &Profile,
    rehashed: bool,
) -> Result<Response<Body>, ApiError> {
    if !profile.active {
        return Err(ApiError::conflict(RESOURCE, PROFILE_NOT_ACTIVE));
    }
    tracing::info!(company = %company, profile = %profile.id, rehashed, "login succeeded");
    Ok(success(
        200,
        RESOURCE,
        Some(profile.to_public_json()),
        "Found",
    ))
}

/// The one code of a second step: `{"totp": "…"}` or `{"recovery_code": "…"}`.
fn second_step_code(credentials: &Map<String, Value>) -> Result<Code<'_>, ApiError> {
    let bad = || ApiError::bad_request(RESOURCE, SECOND_STEP_SHAPE);
    if credentials.len() != 1 {
        return Err(bad());
    }
    match second_factor::code_in(credentials)? {
        Some(code) => Ok(code),
        None => Err(bad()),
    }
}

pub(super) fn failed() -> ApiError {
    ApiError::unprocessable(RESOURCE, FAILED_LOGIN)
}

pub(super) async fn dummy_verification(app: &App) -> Result<(), ApiError> {
    app.passwords
        .verify_dummy()
        .await
        .map_err(|cause| ApiError::internal(RESOURCE, cause))
}

/// The credentials that are secrets rather than identifiers.
fn is_secret_key(key: &str) -> bool {
    matches!(key, "password" | "totp" | "recovery_code")
}

/// The login form whose identifiers are exactly the credentials' keys (besides the password
/// and a second factor's code),
/// the identifiers parsed (`None` when a value cannot identify anyone), and the password as
/// sent.
fn match_form<'a, 'c>(
    config: &'a CompanyConfig,
    credentials: &'c Map<String, Value>,
) -> Result<(&'a LoginForm, Option<ProfileAttributes>, &'c str), ApiError> {
    let no_form = || ApiError::bad_request(RESOURCE, NO_LOGIN_FORM);
    let mut fields = Vec::new();
    for key in credentials.keys().filter(|k| !is_secret_key(k)) {
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
        Some(Value::String(raw)) => raw.as_str(),
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
        .filter(|(k, _)| !is_secret_key(k))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    // A value that is not even well-formed (say, an e-mail without `@`) identifies nobody: it
    // fails like an unknown identifier, without telling which.
    Ok((form, ProfileAttributes::parse(&raw).ok(), password))
}

/// The profile the identifiers point at, when every identifier of the form matches it, with
/// its id; otherwise a random id, read as the known one would be, so that an unknown
/// identifier costs what a known one does.
async fn find(
    app: &App,
    company: &CompanyId,
    config: &CompanyConfig,
    form: &LoginForm,
    identifiers: Option<&ProfileAttributes>,
) -> Result<(ProfileId, Option<LoginRecord>), ApiError> {
    let identifier = identifiers.and_then(|identifiers| {
        config
            .lookup_set(&form.identifiers)
            .and_then(|set| Identifier::of(set, identifiers))
    });
    let id = app
        .store
        .find_profile_id(company, identifier.as_ref())
        .await?
        .unwrap_or_else(ProfileId::new_random);
    let record = app.store.get_login_record(company, id).await?;
    // Fields of the form outside the lookup set (e.g. `origin`) must match the profile too.
    let record = record.filter(|r| {
        identifiers.is_some_and(|identifiers| {
            form.identifiers.iter().all(|f| {
                let (own, sent) = (r.profile.attributes.get(*f), identifiers.get(*f));
                own.map(|v| canonical(*f, v)) == sent.map(|v| canonical(*f, v))
            })
        })
    });
    Ok(match record {
        Some(record) => (id, Some(record)),
        None => (ProfileId::new_random(), None),
    })
}
