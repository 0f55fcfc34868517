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
use crate::two_factor::{Challenge, Code, CodeCheck, CodeUse, SecondFactors, challenge};

const RESOURCE: Resource = Resource::Profile;

pub const SECOND_FACTOR_REQUIRED: &str = "A second factor is required";
pub const ENROLMENT_REQUIRED: &str =
    "A second factor must be enrolled before this profile can log in";
pub const ONE_CODE: &str = "Send one of totp or recovery_code, not both";

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
        let event = Event::success(EventType::TwoFactorChallenged, id, trail);
        let after = LoginAfter::Challenge(&challenge, record.password_set_at);
        finish(app, company, trail, password, after, &[event]).await?;
        tracing::info!(company = %company, profile = %id, "password right: second factor required");
        return Ok(challenge_answer(&challenge, &record.factors));
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

/// The second step: `challenge` and one code.
pub(super) async fn second_step(
    app: &App,
    company: &CompanyId,
    config: &CompanyConfig,
    trail: &Trail,
    challenge: &str,
    code: Code<'_>,
) -> Result<Response<Body>, ApiError> {
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
    let spend = match check_code(app, company, config, id, &step.factors, code).await? {
        Ok(spend) => spend,
        Err(reason) => return refuse(app, company, trail, id, reason).await,
    };
    let events = success_events(id, profile.active, trail);
    match app
        .store
        .spend_with_challenge(company, id, &challenge, &spend, &events)
        .await?
    {
        SpendOutcome::Spent => logged_in(company, &with_factors(&profile, &spend.next), false),
        SpendOutcome::Raced(now) => refuse(app, company, trail, id, raced(&now, &spend, app)).await,
        SpendOutcome::ChallengeGone => refuse(app, company, trail, id, Reason::Expired).await,
    }
}

/// The 422 that asks for the second factor, with the challenge.
fn challenge_answer(challenge: &Challenge, factors: &SecondFactors) -> Response<Body> {
    json_response(
        422,
        &json!({
            "code": 422,
            "resource": RESOURCE.as_str(),
            "message": "Second Factor Required",
            "errors": SECOND_FACTOR_REQUIRED,
            "data": {
                "challenge": challenge.encode().as_str(),
                "methods": factors.login_methods(),
                "expires_in": challenge::TTL_SECONDS,
            },
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
    };
    if spent {
        Reason::ReplayedCode
    } else {
        Reason::ConcurrentAttempt
    }
}

/// Records a failed second factor and answers the uniform 422.
async fn refuse(
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
fn success_events(id: ProfileId, active: bool, trail: &Trail) -> [Event; 2] {
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
