//! `POST /v1/companies/{company_id}/profiles/login/passkey` (§5.16): passwordless login.
//!
//! `{}` gives request options for any discoverable credential of the company's relying party,
//! with user verification required, and an opaque challenge that keeps the ceremony's state
//! on the server for 5 minutes. `{"challenge", "credential"}` answers it: the authenticator's
//! user handle names the profile, whose factors and profile are read with the challenge in one
//! `BatchGetItem`; the attempt is counted under the second factor's lockout before the
//! assertion is verified, and the passkey's counter is stored and the challenge used up by one
//! transaction conditioned on that count. A passkey asserted with user verification is both
//! factors: the answer is the profile. Every failure is the login's uniform 422.

use std::sync::Arc;

use lambda_http::{Body, Request, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use super::login::failed;
use super::respond;
use super::second_factor::{
    PasskeyCheck, check_passkey, concluded, refuse, relying_party, success_events,
};
use crate::app::App;
use crate::audit::{Event, EventType, Reason, Trail};
use crate::company::CompanyConfig;
use crate::domain::{CompanyId, ProfileId};
use crate::envelope::{Resource, success};
use crate::error::ApiError;
use crate::request::parse_json;
use crate::two_factor::passkey::Assertion;
use crate::two_factor::{Challenge, challenge};

const RESOURCE: Resource = Resource::PasskeyLogin;

pub const NOT_OFFERED: &str = "Passkey login is not offered by this company";
pub const SHAPE: &str = "Send {} for options, or the challenge with the credential: \
     the browser's authentication response (credential.toJSON())";

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct PasskeyLoginBody {
    #[serde(default)]
    challenge: Option<String>,
    #[serde(default)]
    credential: Option<Value>,
}

pub async fn handle(app: Arc<App>, req: Request) -> Response<Body> {
    respond(RESOURCE, login(&app, &req).await)
}

async fn login(app: &App, req: &Request) -> Result<Response<Body>, ApiError> {
    let (company, actor) = app.authorize_actor(req, RESOURCE).await?;
    let body: PasskeyLoginBody = parse_json(req, RESOURCE)?;
    let config = app.company_config(&company, RESOURCE).await?;
    let trail = App::trail(actor, &config);
    match (body.challenge, body.credential) {
        (None, None) => options(app, &company, &config).await,
        (Some(challenge), Some(credential @ Value::Object(_))) => {
            answer(app, &company, &config, &trail, &challenge, &credential).await
        }
        _ => Err(ApiError::bad_request(RESOURCE, SHAPE)),
    }
}

/// Request options for a discoverable credential, and the challenge that keeps their state.
async fn options(
    app: &App,
    company: &CompanyId,
    config: &CompanyConfig,
) -> Result<Response<Body>, ApiError> {
    let internal = |cause: String| ApiError::internal(RESOURCE, cause);
    let party = relying_party(config)?.ok_or(ApiError::bad_request(RESOURCE, NOT_OFFERED))?;
    let (options, state) = party.authentication(&[]).map_err(internal)?;
    let challenge = Challenge::unbound().map_err(internal)?;
    app.store
        .put_passkey_login(company, &challenge, &state)
        .await?;
    let data = json!({
        "challenge": challenge.encode().as_str(),
        "options": options,
        "expires_in": challenge::TTL_SECONDS,
    });
    Ok(success(200, RESOURCE, Some(data), "Ok"))
}

/// The authentication response to a challenge: the profile, or the uniform 422.
async fn answer(
    app: &App,
    company: &CompanyId,
    config: &CompanyConfig,
    trail: &Trail,
    challenge: &str,
    credential: &Value,
) -> Result<Response<Body>, ApiError> {
    let party = relying_party(config)?.ok_or(ApiError::bad_request(RESOURCE, NOT_OFFERED))?;
    let challenge = Challenge::parse(challenge);
    let assertion = Assertion::parse(credential);
    let named = assertion.as_ref().and_then(Assertion::user_handle);
    // What names nobody (no challenge's shape, no user handle) is read as an unknown challenge
    // or profile would be: the same read, the same answer.
    let id = named.unwrap_or_else(ProfileId::new_random);
    let digest = challenge
        .as_ref()
        .map_or_else(|| "-".to_owned(), Challenge::digest);
    let read = app.store.passkey_login(company, &digest, id).await?;
    let held = assertion.as_ref().is_some_and(|assertion| {
        read.factors
            .passkeys
            .iter()
            .any(|p| p.credential_id == assertion.credential_id)
    });
    let refusal = match (&challenge, &read.state, &read.profile) {
        (_, _, None) => Some(Reason::UnknownIdentifier),
        (None, _, _) | (_, None, _) => Some(Reason::Expired),
        _ if !held => Some(Reason::PasskeyNotVerified),
        _ => None,
    };
    if let Some(reason) = refusal {
        let profile = read.profile.as_ref().map(|p| p.id);
        let event = Event::failure(EventType::LoginFailed, profile, reason, trail);
        app.store.record(company, &event).await?;
        tracing::info!(company = %company, reason = reason.as_str(), "passkey login refused");
        return Err(failed());
    }
    let (Some(challenge), Some(state), Some(profile)) = (challenge, read.state, read.profile)
    else {
        return Err(failed());
    };
    let check = PasskeyCheck {
        party: &party,
        state: &state,
        assertion: assertion.as_ref(),
    };
    let spend = match check_passkey(app, company, config, id, &read.factors, check).await? {
        Ok(spend) => spend,
        Err(reason) => return refuse(app, company, trail, id, reason).await,
    };
    let events = success_events(id, profile.active, trail);
    let outcome = app
        .store
        .spend_passkey_login(company, id, &challenge, &spend, &events)
        .await?;
    concluded(app, company, trail, (&profile, &spend), outcome).await
}
