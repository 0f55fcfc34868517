//! The second factor of a login (§5.15), for [`super::login`]: the challenge a right password
//! gets when its profile has a second factor, the second step that answers it, and the code
//! sent with the password in one request.
//!
//! Every code is counted before it is checked (`Store::reserve_code_attempt`), so parallel
//! guesses cannot outrun the second factor's lockout, and spent by a write conditioned on the
//! revision that count returned, so a TOTP step or a recovery code logs in once even when two
//! requests carry it at the same moment. Every way of failing answers the same 422 as a wrong
//! password.

use lambda_http::{Body, Response};
use serde_json::{Map, Value, json};

use super::login::{VerifiedPassword, failed, finish, logged_in};
use crate::app::App;
use crate::audit::{Event, EventType, Reason, Trail};
use crate::company::CompanyConfig;
use crate::domain::{CompanyId, ProfileId};
use crate::envelope::{Resource, json_response};
use crate::error::ApiError;
use crate::profile::Profile;
use crate::store::{CodeAttempt, LoginAfter, LoginEnd, LoginRecord, Spend, SpendOutcome};
use crate::two_factor::passkey::{Assertion, Refusal};
use crate::two_factor::{
    Challenge, Code, CodeCheck, CodeUse, Method, RelyingParty, SecondFactors, challenge,
};

const RESOURCE: Resource = Resource::Profile;

pub const SECOND_FACTOR_REQUIRED: &str = "A second factor is required";
pub const ENROLMENT_REQUIRED: &str =
    "A second factor must be enrolled before this profile can log in";
pub const ONE_CODE: &str = "Send one of totp or recovery_code, not both";
pub const PASSKEY_SHAPE: &str =
    "credentials.passkey must be the browser's authentication response (credential.toJSON())";

/// The second factor's code among the credentials, if any: `totp` or `recovery_code`.
pub(super) fn code_in(credentials: &Map<String, Value>) -> Result<Option<Code<'_>>, ApiError> {
    match (credentials.get("totp"), credentials.get("recovery_code")) {
        (None, None) => Ok(None),
        (Some(Value::String(code)), None) => Ok(Some(Code::Totp(code))),
        (None, Some(Value::String(code))) => Ok(Some(Code::Recovery(code))),
        (Some(_), Some(_)) => Err(ApiError::bad_request(RESOURCE, ONE_CODE)),
        _ => Err(ApiError::bad_request(
            RESOURCE,
            "Credentials must be a map of strings",
        )),
    }
}

/// A profile with a second factor whose password was right: a challenge when no code came
/// with it, else the code checked and spent with the password's success.
pub(super) async fn after_password(
    app: &App,
    company: &CompanyId,
    config: &CompanyConfig,
    trail: &Trail,
    record: &LoginRecord,
    password: &VerifiedPassword<'_>,
    code: Option<Code<'_>>,
) -> Result<Response<Body>, ApiError> {
    let id = record.profile.id;
    let Some(code) = code else {
        let challenge = Challenge::new(id).map_err(|cause| ApiError::internal(RESOURCE, cause))?;
        // The profile's passkeys are asked for too: their options, and the state kept with
        // the challenge.
        let passkey = match relying_party(config)? {
            Some(party) if !record.factors.passkeys.is_empty() => Some(
                party
                    .authentication(&record.factors.passkeys)
                    .map_err(|cause| ApiError::internal(RESOURCE, cause))?,
            ),
            _ => None,
        };
        let event = Event::success(EventType::TwoFactorChallenged, id, trail);
        let state = passkey.as_ref().map(|(_, state)| state.as_str());
        let after = LoginAfter::Challenge(&challenge, record.password_set_at, state);
        finish(app, company, trail, password, after, &[event]).await?;
        tracing::info!(company = %company, profile = %id, "password right: second factor required");
        let options = passkey.map(|(options, _)| options);
        return Ok(challenge_answer(&challenge, &record.factors, options));
    };
    let spend = match check_code(app, company, config, id, &record.factors, code).await? {
        Ok(spend) => spend,
        Err(reason) => {
            // The password was right all the same: its failures are cleared.
            let event = Event::failure(EventType::TwoFactorFailed, Some(id), reason, trail);
            finish(app, company, trail, password, LoginAfter::Nothing, &[event]).await?;
            return Err(failed());
        }
    };
    let events = success_events(id, record.profile.active, trail);
    let after = LoginAfter::Spend(&spend);
    if let LoginEnd::FactorRaced(now) =
        finish(app, company, trail, password, after, &events).await?
    {
        return refuse(app, company, trail, id, raced(&now, &spend, app)).await;
    }
    logged_in(
        company,
        &with_factors(&record.profile, &spend.next),
        password.rehash.is_some(),
    )
}

/// What a second step answers its challenge with.
#[derive(Debug, Clone, Copy)]
pub(super) enum StepAnswer<'a> {
    Code(Code<'a>),
    /// The browser's authentication response (`credentials.passkey`).
    Passkey(&'a Value),
}

/// The second step: `challenge` and one code or passkey assertion, checked against the
/// factors as they are now (a passkey also against the options the challenge was issued with).
pub(super) async fn second_step(
    app: &App,
    company: &CompanyId,
    config: &CompanyConfig,
    trail: &Trail,
    challenge: &str,
    answer: StepAnswer<'_>,
) -> Result<Response<Body>, ApiError> {
    if let StepAnswer::Passkey(response) = answer
        && !response.is_object()
    {
        return Err(ApiError::bad_request(RESOURCE, PASSKEY_SHAPE));
    }
    let challenge = Challenge::parse(challenge);
    // A challenge that is not even one's shape is read as an unknown one would be.
    let (id, digest) = match &challenge {
        Some(challenge) => (challenge.profile, challenge.digest()),
        None => (ProfileId::new_random(), "-".to_owned()),
    };
    let step = app.store.second_step(company, id, &digest).await?;
    let live = match (challenge, step.profile) {
        (Some(challenge), Some(profile)) if step.challenge_live && step.factors.is_enrolled() => {
            Some((challenge, profile))
        }
        (_, profile) => {
            let profile = profile.map(|p| p.id);
            let event = Event::failure(EventType::TwoFactorFailed, profile, Reason::Expired, trail);
            app.store.record(company, &event).await?;
            None
        }
    };
    let Some((challenge, profile)) = live else {
        return Err(failed());
    };
    let checked = match answer {
        StepAnswer::Code(code) => check_code(app, company, config, id, &step.factors, code).await?,
        StepAnswer::Passkey(response) => {
            // A challenge issued without passkey options (no passkeys then, or the company's
            // relying party gone since) is answered as an expired one.
            match (relying_party(config)?, step.passkey_state.as_deref()) {
                (Some(party), Some(state)) if !step.factors.passkeys.is_empty() => {
                    let assertion = Assertion::parse(response);
                    let check = PasskeyCheck {
                        party: &party,
                        state,
                        assertion: assertion.as_ref(),
                    };
                    check_passkey(app, company, config, id, &step.factors, check).await?
                }
                _ => Err(Reason::Expired),
            }
        }
    };
    let spend = match checked {
        Ok(spend) => spend,
        Err(reason) => return refuse(app, company, trail, id, reason).await,
    };
    let events = success_events(id, profile.active, trail);
    let outcome = app
        .store
        .spend_with_challenge(company, id, &challenge, &spend, &events)
        .await?;
    concluded(app, company, trail, (&profile, &spend), outcome).await
}

/// The answer once a right second factor's spend was written: the profile (with its factors
/// as spent), or the uniform 422 when another request spent or locked them first, or the
/// challenge was used meanwhile.
pub(super) async fn concluded(
    app: &App,
    company: &CompanyId,
    trail: &Trail,
    (profile, spend): (&Profile, &Spend),
    outcome: SpendOutcome,
) -> Result<Response<Body>, ApiError> {
    let id = profile.id;
    match outcome {
        SpendOutcome::Spent => logged_in(company, &with_factors(profile, &spend.next), false),
        SpendOutcome::Raced(now) => refuse(app, company, trail, id, raced(&now, spend, app)).await,
        SpendOutcome::ChallengeGone => refuse(app, company, trail, id, Reason::Expired).await,
    }
}

/// The company's relying party, when it offers passkeys.
pub(super) fn relying_party(config: &CompanyConfig) -> Result<Option<RelyingParty>, ApiError> {
    match &config.passkeys {
        Some(settings) if config.two_factor.offers(Method::Passkey) => RelyingParty::new(settings)
            .map(Some)
            .map_err(|cause| ApiError::internal(RESOURCE, cause)),
        _ => Ok(None),
    }
}

/// A passkey response to check: the relying party, the ceremony's kept state, and the
/// response as read (`None`: not an authentication response's shape).
pub(super) struct PasskeyCheck<'a> {
    pub party: &'a RelyingParty,
    pub state: &'a str,
    pub assertion: Option<&'a Assertion>,
}

/// Counts the attempt, then verifies the passkey's response against the factors as counted
/// (as [`check_code`] does for codes): the passkey to spend (its counter moved on), or why
/// not.
pub(super) async fn check_passkey(
    app: &App,
    company: &CompanyId,
    config: &CompanyConfig,
    id: ProfileId,
    factors: &SecondFactors,
    check: PasskeyCheck<'_>,
) -> Result<Result<Spend, Reason>, ApiError> {
    let policy = config.two_factor.lockout();
    let attempt = app
        .store
        .reserve_code_attempt(company, id, factors, &policy)
        .await?;
    let CodeAttempt::Reserved(reserved) = attempt else {
        return Ok(Err(Reason::Locked));
    };
    let Some(assertion) = check.assertion else {
        return Ok(Err(Reason::PasskeyNotVerified));
    };
    let now = app.store.clock().now_ms();
    let verified = check
        .party
        .verify(assertion, check.state, &reserved.passkeys, now);
    Ok(match verified {
        Ok(asserted) => {
            let used = CodeUse::Passkey(Box::new(asserted.passkey));
            Ok(Spend {
                next: reserved.after(&used),
                reserved: *reserved,
                used,
            })
        }
        Err(Refusal::CounterRegressed) => Err(Reason::CounterRegressed),
        Err(Refusal::NotVerified) => Err(Reason::PasskeyNotVerified),
    })
}

/// The 422 that asks for the second factor, with the challenge (and the request options of
/// the profile's passkeys, when it has any).
fn challenge_answer(
    challenge: &Challenge,
    factors: &SecondFactors,
    passkey_options: Option<Value>,
) -> Response<Body> {
    let mut data = json!({
        "challenge": challenge.encode().as_str(),
        "methods": factors.login_methods(),
        "expires_in": challenge::TTL_SECONDS,
    });
    if let Some(options) = passkey_options {
        data["passkey_options"] = options;
    }
    json_response(
        422,
        &json!({
            "code": 422,
            "resource": RESOURCE.as_str(),
            "message": "Second Factor Required",
            "errors": SECOND_FACTOR_REQUIRED,
            "data": data,
        }),
    )
}

/// The 422 of a company that requires a second factor, for a profile without one.
pub(super) fn enrolment_required() -> Response<Body> {
    json_response(
        422,
        &json!({
            "code": 422,
            "resource": RESOURCE.as_str(),
            "message": "Second Factor Enrolment Required",
            "errors": ENROLMENT_REQUIRED,
        }),
    )
}

/// Counts the attempt, then checks the code against the factors as counted: the code to
/// spend, or why the attempt failed.
pub(super) async fn check_code(
    app: &App,
    company: &CompanyId,
    config: &CompanyConfig,
    id: ProfileId,
    factors: &SecondFactors,
    code: Code<'_>,
) -> Result<Result<Spend, Reason>, ApiError> {
    let policy = config.two_factor.lockout();
    let attempt = app
        .store
        .reserve_code_attempt(company, id, factors, &policy)
        .await?;
    let CodeAttempt::Reserved(reserved) = attempt else {
        return Ok(Err(Reason::Locked));
    };
    let now = app.store.clock().now_seconds();
    let key = app.factor_key(RESOURCE).await?;
    let checked = reserved
        .check(key, (company, id), code, now)
        .map_err(|cause| ApiError::internal(RESOURCE, cause))?;
    Ok(match checked {
        CodeCheck::Valid(used) => Ok(Spend {
            next: reserved.after(&used),
            reserved: *reserved,
            used,
        }),
        CodeCheck::Wrong => Err(Reason::WrongCode),
        CodeCheck::Replayed => Err(Reason::ReplayedCode),
    })
}

/// Why a spend lost its race: the factors locked, or the code spent by the other request, or
/// only another attempt counted in between.
fn raced(now: &SecondFactors, spend: &Spend, app: &App) -> Reason {
    if now.is_locked(app.store.clock().now_ms()) {
        return Reason::Locked;
    }
    let spent = match &spend.used {
        CodeUse::TotpStep(step) => now.last_step.is_some_and(|last| last >= *step),
        CodeUse::RecoveryCode(hash) => !now
            .recovery
            .as_ref()
            .is_some_and(|recovery| recovery.hashes.contains(hash)),
        // Another request with the same counter got there first.
        CodeUse::Passkey(used) => now
            .passkeys
            .iter()
            .any(|p| p.id == used.id && used.counter > 0 && p.counter >= used.counter),
    };
    if spent {
        Reason::ReplayedCode
    } else {
        Reason::ConcurrentAttempt
    }
}

/// Records a failed second factor and answers the uniform 422.
pub(super) async fn refuse(
    app: &App,
    company: &CompanyId,
    trail: &Trail,
    id: ProfileId,
    reason: Reason,
) -> Result<Response<Body>, ApiError> {
    record_refusal(app, company, trail, id, reason).await?;
    Err(failed())
}

/// Records a refused second factor's code (its `two_factor.failed` event, and a log line with
/// the reason, never the code).
pub(super) async fn record_refusal(
    app: &App,
    company: &CompanyId,
    trail: &Trail,
    id: ProfileId,
    reason: Reason,
) -> Result<(), ApiError> {
    tracing::info!(company = %company, profile = %id, reason = reason.as_str(), "second factor refused");
    let event = Event::failure(EventType::TwoFactorFailed, Some(id), reason, trail);
    app.store.record(company, &event).await?;
    Ok(())
}

/// A passed second factor: its event and the login's.
pub(super) fn success_events(id: ProfileId, active: bool, trail: &Trail) -> [Event; 2] {
    let login = if active {
        Event::success(EventType::LoginSucceeded, id, trail)
    } else {
        Event::failure(EventType::LoginFailed, Some(id), Reason::Inactive, trail)
    };
    [
        Event::success(EventType::TwoFactorSucceeded, id, trail),
        login,
    ]
}

/// The profile as it is once the code is spent (a recovery code fewer).
fn with_factors(profile: &Profile, factors: &SecondFactors) -> Profile {
    Profile {
        two_factor_authentication: factors.summary(),
        ..profile.clone()
    }
}
