//! `PATCH /v1/companies/{company_id}/profiles/{uuid}` with `operation: "two_factor"` (§5.15):
//! enrol, confirm and remove a TOTP, regenerate the recovery codes, and `reset` every factor
//! for support staff. [`super::patch_profile`] routes the path's requests here.
//!
//! Each action reads the profile and its factors in one `Query`, decides with
//! [`crate::two_factor`], and writes the factors, the profile's summary and the event in one
//! transaction conditioned on what it read (read again when something wrote in between). A
//! code (for `remove` and `regenerate`) is counted against the second factor's lockout before
//! it is checked, as at login.

use lambda_http::{Body, Request, Response};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::PROFILE_NOT_ACTIVE;
use super::second_factor::{check_code, record_refusal, relying_party};
use crate::app::App;
use crate::audit::{Actor, Event, EventType, Reason, Trail};
use crate::company::CompanyConfig;
use crate::domain::{CompanyId, ProfileField, ProfileId};
use crate::envelope::{Resource, success};
use crate::error::{ApiError, InResource};
use crate::request::{from_object, profile_id};
use crate::store::{FactorsRecord, SaveOutcome};
use crate::two_factor::{
    Challenge, Code, EnrolledTotp, Method, PENDING_TTL_MS, PendingTotp, RecoveryCode,
    RecoveryCodes, SealedTotp, SecondFactors, Totp, TotpParams, TotpSecret, challenge, new_id,
    passkey, recovery,
};

const RESOURCE: Resource = Resource::TwoFactor;

pub const ALREADY_ENROLLED: &str = "Two factor method already enrolled";
pub const NOT_ENROLLED: &str = "Two factor method not enrolled";
pub const NOT_PENDING: &str = "No enrolment of this method is pending: enrol first";
pub const INVALID_CODE: &str = "The code is not valid";
pub const NOT_OFFERED: &str = "Two factor method not offered by the company";
pub const UNKNOWN_ACTION: &str =
    "two_factor.action must be one of enrol, confirm, remove, regenerate or reset";
pub const UNKNOWN_METHOD: &str = "two_factor.method must be one of totp, recovery_codes or passkey";
pub const PASSKEY_NOT_VERIFIED: &str = "The passkey could not be verified";
pub const TOO_MANY_PASSKEYS: &str = "A profile may hold at most 10 passkeys";
const PASSKEY_FIELDS: &str = "two_factor.enrolment, name, credential and id are for passkeys";
const PASSKEY_ACTION_FIELDS: &str = "two_factor: a passkey's enrol takes no other field, \
     confirm takes enrolment, name and credential, remove takes id and code";
const ENROLMENT_REQUIRED: &str = "two_factor.enrolment is required: the enrolment enrol gave";
const PASSKEY_NAME: &str = "two_factor.name is required: 1-64 characters, no control characters";
const PASSKEY_CREDENTIAL: &str =
    "two_factor.credential is required: the browser's registration response (credential.toJSON())";
const PASSKEY_ID: &str = "two_factor.id is required: the passkey's id in two_factor_authentication";
const PASSKEY_REMOVE_CODE: &str =
    "two_factor.code is required: a current TOTP code or a recovery code";

/// A change read and written this many times at most while others keep writing in between.
const STALE_RETRIES: u32 = 8;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TwoFactorBody {
    #[allow(dead_code)]
    operation: String,
    two_factor: TwoFactorRequest,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TwoFactorRequest {
    action: String,
    #[serde(default)]
    method: Option<String>,
    #[serde(default)]
    code: Option<String>,
    /// A passkey enrolment's challenge (`confirm`).
    #[serde(default)]
    enrolment: Option<String>,
    /// A new passkey's name (`confirm`).
    #[serde(default)]
    name: Option<String>,
    /// The browser's registration response (`confirm`).
    #[serde(default)]
    credential: Option<Value>,
    /// The passkey's factor id (`remove`).
    #[serde(default)]
    id: Option<String>,
}

/// What the caller asked for, checked for shape.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Action {
    Enrol,
    Confirm(String),
    Remove(String),
    Regenerate(String),
    Reset,
    EnrolPasskey,
    ConfirmPasskey(PasskeyConfirmation),
    RemovePasskey { id: String, code: String },
}

/// `confirm` of a passkey: its enrolment's challenge, its name and the registration response.
#[derive(Debug, Clone, PartialEq, Eq)]
struct PasskeyConfirmation {
    enrolment: String,
    name: String,
    credential: Value,
}

impl Action {
    fn parse(request: &TwoFactorRequest) -> Result<Self, ApiError> {
        let bad = |sentence: &'static str| ApiError::bad_request(RESOURCE, sentence);
        let method = match request.method.as_deref() {
            None => None,
            Some(raw) => Some(Method::parse(raw).ok_or(bad(UNKNOWN_METHOD))?),
        };
        let code = || {
            request
                .code
                .clone()
                .filter(|code| !code.is_empty() && code.len() <= 64)
                .ok_or(bad(
                    "two_factor.code is required: a code of at most 64 characters",
                ))
        };
        let no_code = |action: Self| match request.code {
            Some(_) => Err(bad("two_factor.code is not used by this action")),
            None => Ok(action),
        };
        let want = |wanted: Method, action: Self| match method {
            Some(method) if method == wanted => Ok(action),
            Some(_) => Err(bad(match wanted {
                Method::Totp => "two_factor.method of this action must be totp",
                Method::RecoveryCodes => "two_factor.method of regenerate must be recovery_codes",
                Method::Passkey => "two_factor.method of this action must be passkey",
            })),
            None => Err(bad("two_factor.method is required")),
        };
        if method == Some(Method::Passkey) {
            return Self::parse_passkey(request);
        }
        if request.enrolment.is_some()
            || request.name.is_some()
            || request.credential.is_some()
            || request.id.is_some()
        {
            return Err(bad(PASSKEY_FIELDS));
        }
        match request.action.as_str() {
            "enrol" => want(Method::Totp, no_code(Self::Enrol)?),
            "confirm" => want(Method::Totp, Self::Confirm(code()?)),
            "remove" => want(Method::Totp, Self::Remove(code()?)),
            "regenerate" => want(Method::RecoveryCodes, Self::Regenerate(code()?)),
            "reset" if method.is_none() => no_code(Self::Reset),
            "reset" => Err(bad("two_factor.reset removes every method: send no method")),
            _ => Err(bad(UNKNOWN_ACTION)),
        }
    }

    /// A passkey's action: `enrol`, `confirm` (enrolment, name, credential) or `remove` (id,
    /// code).
    fn parse_passkey(request: &TwoFactorRequest) -> Result<Self, ApiError> {
        let bad = |sentence: &'static str| ApiError::bad_request(RESOURCE, sentence);
        let text = |value: &Option<String>, max: usize, sentence: &'static str| {
            value
                .clone()
                .filter(|v| !v.trim().is_empty() && v.chars().count() <= max)
                .filter(|v| !v.chars().any(char::is_control))
                .ok_or(bad(sentence))
        };
        let only = |allowed: [bool; 5]| {
            let sent = [
                request.code.is_some(),
                request.enrolment.is_some(),
                request.name.is_some(),
                request.credential.is_some(),
                request.id.is_some(),
            ];
            if sent
                .iter()
                .zip(allowed)
                .any(|(sent, allowed)| *sent && !allowed)
            {
                return Err(bad(PASSKEY_ACTION_FIELDS));
            }
            Ok(())
        };
        match request.action.as_str() {
            "enrol" => {
                only([false; 5])?;
                Ok(Self::EnrolPasskey)
            }
            "confirm" => {
                only([false, true, true, true, false])?;
                let credential = match &request.credential {
                    Some(credential @ Value::Object(_)) => credential.clone(),
                    _ => return Err(bad(PASSKEY_CREDENTIAL)),
                };
                Ok(Self::ConfirmPasskey(PasskeyConfirmation {
                    enrolment: text(&request.enrolment, 128, ENROLMENT_REQUIRED)?,
                    name: text(&request.name, passkey::MAX_NAME_CHARS, PASSKEY_NAME)?
                        .trim()
                        .to_owned(),
                    credential,
                }))
            }
            "remove" => {
                only([true, false, false, false, true])?;
                Ok(Self::RemovePasskey {
                    id: text(&request.id, 64, PASSKEY_ID)?,
                    code: text(&request.code, 64, PASSKEY_REMOVE_CODE)?,
                })
            }
            "regenerate" | "reset" => Err(bad(
                "two_factor.method of regenerate must be recovery_codes, and reset takes none",
            )),
            _ => Err(bad(UNKNOWN_ACTION)),
        }
    }

    /// The method the company must offer for this action.
    fn method(&self) -> Option<Method> {
        match self {
            Self::EnrolPasskey | Self::ConfirmPasskey(_) | Self::RemovePasskey { .. } => {
                Some(Method::Passkey)
            }
            Self::Enrol | Self::Confirm(_) | Self::Remove(_) => Some(Method::Totp),
            Self::Regenerate(_) => Some(Method::RecoveryCodes),
            Self::Reset => None,
        }
    }
}

/// A decided change: the factors to write, its events and the answer once written.
struct Change {
    next: SecondFactors,
    events: Vec<Event>,
    message: &'static str,
    data: Value,
    /// The factors as the change read them (a counted code attempt moves them on).
    base: Option<SecondFactors>,
    /// A passkey enrolment's challenge, used up by the change's write.
    enrolment: Option<Challenge>,
}

/// The request of an authorized `company`, whose body was read as a JSON object with
/// `operation: "two_factor"`.
pub(super) async fn two_factor(
    app: &App,
    req: &Request,
    (company, actor, scopes): (CompanyId, Actor, Vec<String>),
    body: Map<String, Value>,
) -> Result<Response<Body>, ApiError> {
    let body: TwoFactorBody = from_object(body, RESOURCE)?;
    let action = Action::parse(&body.two_factor)?;
    let id = profile_id(req)?;
    let config = app.company_config(&company, RESOURCE).await?;
    if action
        .method()
        .is_some_and(|m| !config.two_factor.offers(m))
    {
        return Err(ApiError::bad_request(RESOURCE, NOT_OFFERED));
    }
    if action == Action::Reset
        && let Some(scope) = &config.two_factor.reset_scope
        && !scopes.contains(scope)
    {
        return Err(ApiError::Forbidden);
    }
    let trail = App::trail(actor, &config);
    if action == Action::EnrolPasskey {
        return enrol_passkey(app, &company, &config, id).await;
    }
    for _ in 0..STALE_RETRIES {
        let record = app
            .store
            .second_factors(&company, id)
            .await
            .in_resource(RESOURCE)?
            .ok_or(ApiError::not_found(Resource::Profile))?;
        if !record.profile.active {
            return Err(ApiError::conflict(Resource::Profile, PROFILE_NOT_ACTIVE));
        }
        let change = decide(app, &company, &config, &trail, &record, &action).await?;
        let record = FactorsRecord {
            factors: change.base.clone().unwrap_or(record.factors),
            ..record
        };
        let saved = match &change.enrolment {
            Some(enrolment) => {
                app.store
                    .save_enrolled_passkey(
                        &company,
                        &record,
                        &change.next,
                        &change.events,
                        enrolment,
                    )
                    .await
            }
            None => {
                app.store
                    .save_second_factors(&company, &record, &change.next, &change.events)
                    .await
            }
        };
        match saved.in_resource(RESOURCE)? {
            SaveOutcome::Saved => {
                tracing::info!(company = %company, profile = %id, action = change.message, "second factors changed");
                return Ok(success(200, RESOURCE, Some(change.data), change.message));
            }
            SaveOutcome::Stale => continue,
            SaveOutcome::NotFound => return Err(ApiError::not_found(Resource::Profile)),
            SaveOutcome::Inactive => {
                return Err(ApiError::conflict(Resource::Profile, PROFILE_NOT_ACTIVE));
            }
        }
    }
    Err(ApiError::unavailable(
        RESOURCE,
        "the second factors kept changing during the change",
    ))
}

async fn decide(
    app: &App,
    company: &CompanyId,
    config: &CompanyConfig,
    trail: &Trail,
    record: &FactorsRecord,
    action: &Action,
) -> Result<Change, ApiError> {
    let id = record.profile.id;
    let factors = &record.factors;
    let now_ms = app.store.clock().now_ms();
    let internal = |cause: String| ApiError::internal(RESOURCE, cause);
    match action {
        Action::Enrol => {
            if factors.totp.is_some() {
                return Err(ApiError::conflict(RESOURCE, ALREADY_ENROLLED));
            }
            let totp = Totp {
                secret: TotpSecret::generate().map_err(internal)?,
                params: TotpParams::default(),
            };
            let key = app.factor_key(RESOURCE).await?;
            let sealed = SealedTotp::seal(&totp, key, company, id).map_err(internal)?;
            let data = json!({
                "method": Method::Totp.as_str(),
                "secret": totp.secret.to_base32().as_str(),
                "otpauth_uri": totp.otpauth_uri(config.issuer(), &label(record)).as_str(),
            });
            let next = SecondFactors {
                pending: Some(PendingTotp {
                    created_ms: now_ms,
                    totp: sealed,
                }),
                ..factors.clone()
            };
            Ok(Change {
                next,
                events: Vec::new(),
                message: "Pending",
                data,
                base: None,
                enrolment: None,
            })
        }
        Action::Confirm(code) => {
            if factors.totp.is_some() {
                return Err(ApiError::conflict(RESOURCE, ALREADY_ENROLLED));
            }
            let pending = factors
                .pending
                .as_ref()
                .filter(|p| p.created_ms + PENDING_TTL_MS > now_ms)
                .ok_or(ApiError::conflict(RESOURCE, NOT_PENDING))?;
            let key = app.factor_key(RESOURCE).await?;
            let totp = pending.totp.open(key, company, id).map_err(internal)?;
            let Some(step) = totp.matching_step(code, now_ms / 1000) else {
                return Err(refuse(app, company, trail, id, Reason::WrongCode).await);
            };
            let mut next = SecondFactors {
                totp: Some(EnrolledTotp {
                    id: new_id(),
                    created_ms: now_ms,
                    totp: pending.totp.clone(),
                }),
                pending: None,
                last_step: Some(step),
                ..factors.cleared()
            };
            let issued = issue_codes(&mut next, id, now_ms, false).map_err(internal)?;
            Ok(Change {
                data: enrolled_data(&next, &issued),
                next,
                events: vec![Event::success(EventType::TwoFactorEnrolled, id, trail)],
                message: "Enrolled",
                base: None,
                enrolment: None,
            })
        }
        Action::Remove(code) => {
            if factors.totp.is_none() {
                return Err(ApiError::conflict(RESOURCE, NOT_ENROLLED));
            }
            let scope = Scope {
                app,
                company,
                config,
                trail,
            };
            remove_factor(scope, factors, id, code, |next| next.totp = None).await
        }
        Action::RemovePasskey { id: passkey, code } => {
            if !factors.passkeys.iter().any(|p| p.id == *passkey) {
                return Err(ApiError::conflict(RESOURCE, NOT_ENROLLED));
            }
            let scope = Scope {
                app,
                company,
                config,
                trail,
            };
            remove_factor(scope, factors, id, code, |next| {
                next.passkeys.retain(|p| p.id != *passkey);
            })
            .await
        }
        Action::ConfirmPasskey(confirmation) => {
            confirm_passkey(app, company, config, trail, record, confirmation).await
        }
        Action::EnrolPasskey => Err(ApiError::internal(
            RESOURCE,
            "a passkey's enrol writes no factors: answered before",
        )),
        Action::Regenerate(code) => {
            if !factors.is_enrolled() {
                return Err(ApiError::conflict(RESOURCE, NOT_ENROLLED));
            }
            // The current TOTP code; a profile with passkeys alone proves itself with one of
            // the codes being replaced.
            let code = match factors.totp {
                Some(_) => Code::Totp(code),
                None => Code::Recovery(code),
            };
            let spend = match check_code(app, company, config, id, factors, code).await? {
                Ok(spend) => spend,
                Err(reason) => return Err(refuse(app, company, trail, id, reason).await),
            };
            let mut next = spend.next.clone();
            let issued = issue_codes(&mut next, id, now_ms, true).map_err(internal)?;
            Ok(Change {
                data: enrolled_data(&next, &issued),
                next,
                events: vec![Event::success(
                    EventType::RecoveryCodesRegenerated,
                    id,
                    trail,
                )],
                message: "Regenerated",
                base: Some(spend.reserved),
                enrolment: None,
            })
        }
        Action::Reset => {
            if factors.is_empty() {
                return Err(ApiError::conflict(RESOURCE, NOT_ENROLLED));
            }
            let event =
                Event::success(EventType::TwoFactorRemoved, id, trail).because(Reason::Reset);
            Ok(Change {
                next: SecondFactors::default(),
                data: json!({ "two_factor_authentication": [] }),
                events: vec![event],
                message: "Removed",
                base: None,
                enrolment: None,
            })
        }
    }
}

/// What every change of one request shares.
#[derive(Clone, Copy)]
struct Scope<'a> {
    app: &'a App,
    company: &'a CompanyId,
    config: &'a CompanyConfig,
    trail: &'a Trail,
}

/// A factor's `remove`: `code` (TOTP or recovery) counted and checked, then the factors
/// without what `drop` takes out (and without the recovery codes, when no factor is left).
async fn remove_factor(
    Scope {
        app,
        company,
        config,
        trail,
    }: Scope<'_>,
    factors: &SecondFactors,
    id: ProfileId,
    code: &str,
    drop: impl FnOnce(&mut SecondFactors),
) -> Result<Change, ApiError> {
    let spend = match check_code(app, company, config, id, factors, Code::Either(code)).await? {
        Ok(spend) => spend,
        Err(reason) => return Err(refuse(app, company, trail, id, reason).await),
    };
    let mut next = spend.next.clone();
    drop(&mut next);
    let next = without_factor(next);
    Ok(Change {
        data: json!({ "two_factor_authentication": next.summary() }),
        next,
        events: vec![Event::success(EventType::TwoFactorRemoved, id, trail)],
        message: "Removed",
        base: Some(spend.reserved),
        enrolment: None,
    })
}

/// The factors once one is removed: when none is left, the recovery codes (and what else
/// was kept) go too.
fn without_factor(next: SecondFactors) -> SecondFactors {
    if next.is_enrolled() {
        next
    } else {
        SecondFactors::default()
    }
}

/// A passkey's `enrol`: creation options for the profile (its passkeys excluded), the
/// ceremony's state kept with a new enrolment challenge for 5 minutes. Nothing of the factors
/// changes until `confirm`.
async fn enrol_passkey(
    app: &App,
    company: &CompanyId,
    config: &CompanyConfig,
    id: ProfileId,
) -> Result<Response<Body>, ApiError> {
    let internal = |cause: String| ApiError::internal(RESOURCE, cause);
    let party = relying_party(config)?.ok_or(ApiError::bad_request(RESOURCE, NOT_OFFERED))?;
    let record = app
        .store
        .second_factors(company, id)
        .await
        .in_resource(RESOURCE)?
        .ok_or(ApiError::not_found(Resource::Profile))?;
    if !record.profile.active {
        return Err(ApiError::conflict(Resource::Profile, PROFILE_NOT_ACTIVE));
    }
    if record.factors.passkeys.len() >= passkey::MAX_PER_PROFILE {
        return Err(ApiError::conflict(RESOURCE, TOO_MANY_PASSKEYS));
    }
    let account = label(&record);
    let (options, state) = party
        .registration(id, (&account, &account), &record.factors.passkeys)
        .map_err(internal)?;
    let enrolment = Challenge::new(id).map_err(internal)?;
    app.store
        .put_passkey_enrolment(company, &enrolment, &state)
        .await
        .in_resource(RESOURCE)?;
    tracing::info!(company = %company, profile = %id, "passkey enrolment started");
    let data = json!({
        "method": Method::Passkey.as_str(),
        "enrolment": enrolment.encode().as_str(),
        "options": options,
        "expires_in": challenge::TTL_SECONDS,
    });
    Ok(success(200, RESOURCE, Some(data), "Pending"))
}

/// A passkey's `confirm`: the registration response verified against the state its
/// enrolment kept; the passkey joins the factors (with recovery codes, when it is the first),
/// and the enrolment is used up by the same write.
async fn confirm_passkey(
    app: &App,
    company: &CompanyId,
    config: &CompanyConfig,
    trail: &Trail,
    record: &FactorsRecord,
    confirmation: &PasskeyConfirmation,
) -> Result<Change, ApiError> {
    let id = record.profile.id;
    let factors = &record.factors;
    let internal = |cause: String| ApiError::internal(RESOURCE, cause);
    let party = relying_party(config)?.ok_or(ApiError::bad_request(RESOURCE, NOT_OFFERED))?;
    let enrolment = Challenge::parse(&confirmation.enrolment)
        .filter(|enrolment| enrolment.profile == id)
        .ok_or(ApiError::conflict(RESOURCE, NOT_PENDING))?;
    let state = app
        .store
        .passkey_enrolment(company, id, &enrolment)
        .await
        .in_resource(RESOURCE)?
        .ok_or(ApiError::conflict(RESOURCE, NOT_PENDING))?;
    if factors.passkeys.len() >= passkey::MAX_PER_PROFILE {
        return Err(ApiError::conflict(RESOURCE, TOO_MANY_PASSKEYS));
    }
    let now_ms = app.store.clock().now_ms();
    let registered = party.register(
        &confirmation.credential,
        &state,
        (&confirmation.name, now_ms),
        &factors.passkeys,
    );
    let Ok(passkey) = registered else {
        return Err(
            match record_refusal(app, company, trail, id, Reason::PasskeyNotVerified).await {
                Ok(()) => ApiError::unprocessable(RESOURCE, PASSKEY_NOT_VERIFIED),
                Err(err) => err.or_resource(RESOURCE),
            },
        );
    };
    let mut next = factors.clone();
    next.passkeys.push(passkey);
    let issued = issue_codes(&mut next, id, now_ms, false).map_err(internal)?;
    Ok(Change {
        data: enrolled_data(&next, &issued),
        next,
        events: vec![Event::success(EventType::TwoFactorEnrolled, id, trail)],
        message: "Enrolled",
        base: None,
        enrolment: Some(enrolment),
    })
}

/// Gives `next` a new set of recovery codes when it has none (or `always`): the codes to show.
fn issue_codes(
    next: &mut SecondFactors,
    id: ProfileId,
    now_ms: u64,
    always: bool,
) -> Result<Vec<RecoveryCode>, String> {
    if next.recovery.is_some() && !always {
        return Ok(Vec::new());
    }
    let codes = recovery::generate()?;
    next.recovery = Some(RecoveryCodes::of(id, &codes, now_ms));
    Ok(codes)
}

/// `confirm`'s and `regenerate`'s data: the factors, and the codes issued now (only here).
fn enrolled_data(next: &SecondFactors, issued: &[RecoveryCode]) -> Value {
    let mut data = json!({ "two_factor_authentication": next.summary() });
    if !issued.is_empty() {
        data["recovery_codes"] = issued.iter().map(RecoveryCode::shown).collect();
    }
    data
}

/// The account name an authenticator app shows under the issuer: the profile's e-mail, else
/// its username, else its phone number, else its uuid (never its national id).
fn label(record: &FactorsRecord) -> String {
    let attributes = &record.profile.attributes;
    [
        ProfileField::Email,
        ProfileField::Username,
        ProfileField::PhoneNumber,
    ]
    .into_iter()
    .find_map(|field| attributes.get(field).map(str::to_owned))
    .unwrap_or_else(|| record.profile.id.to_string())
}

/// Records a refused code and gives the 422 to answer (or the error that kept it from being
/// recorded).
async fn refuse(
    app: &App,
    company: &CompanyId,
    trail: &Trail,
    id: ProfileId,
    reason: Reason,
) -> ApiError {
    match record_refusal(app, company, trail, id, reason).await {
        Ok(()) => ApiError::unprocessable(RESOURCE, INVALID_CODE),
        Err(err) => err.or_resource(RESOURCE),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(value: Value) -> Result<Action, u16> {
        let request: TwoFactorRequest = serde_json::from_value(value).unwrap();
        Action::parse(&request).map_err(|e| e.status())
    }

    #[test]
    fn actions_are_checked_for_shape() {
        assert_eq!(
            parse(json!({"action": "enrol", "method": "totp"})),
            Ok(Action::Enrol)
        );
        assert_eq!(
            parse(json!({"action": "confirm", "method": "totp", "code": "123456"})),
            Ok(Action::Confirm("123456".into()))
        );
        assert_eq!(
            parse(json!({"action": "regenerate", "method": "recovery_codes", "code": "1"})),
            Ok(Action::Regenerate("1".into()))
        );
        assert_eq!(parse(json!({"action": "reset"})), Ok(Action::Reset));
        for bad in [
            json!({"action": "enrol"}),
            json!({"action": "enrol", "method": "sms"}),
            json!({"action": "enrol", "method": "recovery_codes"}),
            json!({"action": "enrol", "method": "totp", "code": "1"}),
            json!({"action": "confirm", "method": "totp"}),
            json!({"action": "confirm", "method": "totp", "code": ""}),
            json!({"action": "confirm", "method": "totp", "code": "1".repeat(65)}),
            json!({"action": "regenerate", "method": "totp", "code": "1"}),
            json!({"action": "reset", "method": "totp"}),
            json!({"action": "Enrol", "method": "totp"}),
            json!({"action": "delete"}),
        ] {
            assert_eq!(parse(bad.clone()), Err(400), "{bad}");
        }
    }

    #[test]
    fn passkey_actions_take_their_own_fields_and_nothing_else() {
        assert_eq!(
            parse(json!({"action": "enrol", "method": "passkey"})),
            Ok(Action::EnrolPasskey)
        );
        let credential = json!({"id": "AA", "rawId": "AA", "type": "public-key", "response": {}});
        assert_eq!(
            parse(
                json!({"action": "confirm", "method": "passkey", "enrolment": "e",
                         "name": "  Laptop ", "credential": credential})
            ),
            Ok(Action::ConfirmPasskey(PasskeyConfirmation {
                enrolment: "e".into(),
                name: "Laptop".into(),
                credential: credential.clone(),
            }))
        );
        assert_eq!(
            parse(json!({"action": "remove", "method": "passkey", "id": "i", "code": "c"})),
            Ok(Action::RemovePasskey {
                id: "i".into(),
                code: "c".into()
            })
        );
        for bad in [
            json!({"action": "enrol", "method": "passkey", "code": "1"}),
            json!({"action": "enrol", "method": "passkey", "name": "x"}),
            json!({"action": "confirm", "method": "passkey", "enrolment": "e", "name": "n"}),
            json!({"action": "confirm", "method": "passkey", "enrolment": "e", "name": "n",
                   "credential": "not an object"}),
            json!({"action": "confirm", "method": "passkey", "enrolment": "e",
                   "name": "bell\u{7}", "credential": credential}),
            json!({"action": "confirm", "method": "passkey", "enrolment": "e",
                   "name": "n".repeat(65), "credential": credential}),
            json!({"action": "confirm", "method": "passkey", "enrolment": "e", "name": " ",
                   "credential": credential}),
            json!({"action": "confirm", "method": "passkey", "enrolment": "e", "name": "n",
                   "credential": credential, "code": "1"}),
            json!({"action": "remove", "method": "passkey", "id": "i"}),
            json!({"action": "remove", "method": "passkey", "code": "c"}),
            json!({"action": "regenerate", "method": "passkey", "code": "1"}),
            json!({"action": "confirm", "method": "totp", "code": "1", "name": "x"}),
            json!({"action": "remove", "method": "totp", "code": "1", "id": "x"}),
        ] {
            assert_eq!(parse(bad.clone()), Err(400), "{bad}");
        }
    }
}
