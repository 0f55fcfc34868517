//! `PATCH /v1/companies/{company_id}/profiles/password` (§5.6): `operation: "request"` mails a
//! single-use token to the profile; `operation: "confirm"` sets a new password with it.

use std::sync::Arc;
use std::time::Duration;

use lambda_http::{Body, Request, Response};
use rand::Rng;
use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::{PROFILE_NOT_ACTIVE, respond};
use crate::app::App;
use crate::audit::{Event, EventType, Reason, Trail};
use crate::company::{AccessType, CompanyConfig, Identifier, IdentifierSet};
use crate::domain::{CompanyId, ProfileAttributes, ProfileField, ProfileId};
use crate::envelope::{Resource, success};
use crate::error::ApiError;
use crate::mail::{Message, default_sender};
use crate::password::{Password, check_policy, own_data};
use crate::request::parse_json;
use crate::store::{ChangeOutcome, IdentifierOwner, IssueOutcome};

pub const BAD_OPERATION: &str = "Operation field is null or not supported";
pub const BAD_ACCESS_TYPE: &str = "access_type field is null or not supported";
pub const TOKEN_INVALID: &str = "The token is not valid";
pub const CHANGED: &str = "The password was changed successfully";

/// 20 characters of 62: about 119 bits, above the 112 the contract asks for.
const TOKEN_LEN: usize = 20;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ChangeBody {
    operation: Option<String>,
    access_type: Option<String>,
    profile: Option<String>,
    token: Option<String>,
    password: Option<String>,
}

pub async fn handle(app: Arc<App>, req: Request) -> Response<Body> {
    respond(Resource::ChangePassword, change(&app, &req).await)
}

async fn change(app: &App, req: &Request) -> Result<Response<Body>, ApiError> {
    let (company, actor) = app.authorize_actor(req, Resource::ChangePassword).await?;
    let body: ChangeBody = parse_json(req, Resource::ChangePassword)?;
    let confirming = match body.operation.as_deref() {
        Some("request") => false,
        Some("confirm") => true,
        _ => {
            return Err(ApiError::bad_request(
                Resource::ChangePassword,
                BAD_OPERATION,
            ));
        }
    };
    let config = app
        .company_config(&company, Resource::ChangePassword)
        .await?;
    let trail = App::trail(actor, &config);
    let field = access_field(&config, body.access_type.as_deref())
        .ok_or_else(|| ApiError::bad_request(Resource::ChangePassword, BAD_ACCESS_TYPE))?;
    let value = body.profile.as_deref().ok_or_else(|| {
        ApiError::bad_request(Resource::ChangePassword, "Missing field `profile`")
    })?;
    let started = tokio::time::Instant::now();
    let owner = find_profile(app, &company, field, value).await?;
    // Each operation answers as its own resource, store errors included.
    if confirming {
        let id = owner.map(|o| o.id);
        confirm(
            app,
            &company,
            &config,
            &trail,
            id,
            body.token,
            body.password,
        )
        .await
        .map_err(|e| e.or_resource(Resource::ConfirmChangePassword))
    } else {
        let answer = request(app, &company, &config, &trail, owner)
            .await
            .map_err(|e| e.or_resource(Resource::RequestChangePassword));
        if config.password_change.prevent_user_existence_errors {
            // Only a known profile's request sends an e-mail: every request answers no sooner
            // than the floor after it arrived, so the send does not show in the time.
            let floor = Duration::from_millis(u64::from(config.password_change.min_response_ms));
            tokio::time::sleep_until(started + floor).await;
        }
        answer
    }
}

/// The identifier the request looks the profile up by: an access type the company allows, and
/// that identifies a profile on its own there.
fn access_field(config: &CompanyConfig, access_type: Option<&str>) -> Option<ProfileField> {
    let (access, field) = match access_type? {
        "email" => (AccessType::Email, ProfileField::Email),
        "username" => (AccessType::Username, ProfileField::Username),
        _ => return None,
    };
    let allowed = config.password_change.access_types.contains(&access)
        && config
            .identifier_sets
            .iter()
            .any(|set| set.fields() == [field]);
    allowed.then_some(field)
}

async fn find_profile(
    app: &App,
    company: &CompanyId,
    field: ProfileField,
    value: &str,
) -> Result<Option<IdentifierOwner>, ApiError> {
    let mut raw = serde_json::Map::new();
    raw.insert(field.as_str().into(), value.into());
    // A value that is not even well-formed belongs to no profile: the store reads a
    // reservation nobody holds instead, at the same cost.
    let identifier = ProfileAttributes::parse(&raw)
        .ok()
        .and_then(|attributes| Identifier::of(&IdentifierSet(vec![field]), &attributes));
    Ok(app
        .store
        .find_identifier_owner(company, identifier.as_ref())
        .await?)
}

async fn request(
    app: &App,
    company: &CompanyId,
    config: &CompanyConfig,
    trail: &Trail,
    owner: Option<IdentifierOwner>,
) -> Result<Response<Body>, ApiError> {
    const R: Resource = Resource::RequestChangePassword;
    let settings = &config.password_change;
    // Every request is recorded once, after its transaction (known or not: the same requests).
    let refused = |profile: Option<ProfileId>, reason: Reason| {
        Event::failure(EventType::PasswordChangeRequested, profile, reason, trail)
    };
    // With `prevent_user_existence_errors`, every refusal below looks like a success.
    let refuse = |err: ApiError| {
        if settings.prevent_user_existence_errors {
            Ok(success(200, R, None, "Ok"))
        } else {
            Err(err)
        }
    };
    let not_active = || ApiError::conflict(Resource::Profile, PROFILE_NOT_ACTIVE);
    let Some(owner) = owner else {
        if settings.prevent_user_existence_errors {
            // The transaction a known profile's token costs, for a random id: refused by its
            // profile check, it writes nothing, and the unknown identifier costs what a known
            // one does.
            let nobody = ProfileId::new_random();
            app.store
                .issue_password_token(
                    company,
                    nobody,
                    &digest(company, nobody, &new_token()),
                    settings.token_ttl_seconds,
                    settings.max_token_attempts,
                    settings.min_request_interval_seconds,
                )
                .await?;
        }
        let event = refused(None, Reason::UnknownIdentifier);
        return noted(
            app,
            company,
            &event,
            refuse(ApiError::not_found(Resource::Profile)),
        )
        .await;
    };
    let id = owner.id;
    // The reservation keeps the owner's e-mail (profile fields never change), and the token's
    // write checks that the profile exists and is active: no read of the profile. Reservations
    // written before they kept it, profiles without an e-mail and a function without a mailer
    // read the profile, and answer as they always did.
    let email = match owner.email.filter(|_| app.mailer.is_some()) {
        Some(email) => email,
        None => {
            let profile = app.store.get_profile(company, id).await?;
            let Some(profile) = profile else {
                let event = refused(None, Reason::UnknownIdentifier);
                let answer = refuse(ApiError::not_found(Resource::Profile));
                return noted(app, company, &event, answer).await;
            };
            if !profile.active {
                let event = refused(Some(id), Reason::Inactive);
                return noted(app, company, &event, refuse(not_active())).await;
            }
            let Some(email) = profile.attributes.get(ProfileField::Email) else {
                let answer = refuse(ApiError::conflict(
                    R,
                    "Profile has no e-mail address to send the token to",
                ));
                return noted(app, company, &refused(Some(id), Reason::NoEmail), answer).await;
            };
            email.to_owned()
        }
    };
    let mailer = app
        .mailer
        .as_ref()
        .ok_or_else(|| ApiError::internal(R, "no MAIL_TRANSPORT configured"))?;

    let token = new_token();
    let digest = digest(company, id, &token);
    let outcome = app
        .store
        .issue_password_token(
            company,
            id,
            &digest,
            settings.token_ttl_seconds,
            settings.max_token_attempts,
            settings.min_request_interval_seconds,
        )
        .await?;
    match outcome {
        IssueOutcome::Issued => {}
        IssueOutcome::ProfileMissing => {
            let answer = refuse(ApiError::not_found(Resource::Profile));
            return noted(
                app,
                company,
                &refused(None, Reason::UnknownIdentifier),
                answer,
            )
            .await;
        }
        IssueOutcome::ProfileInactive => {
            let event = refused(Some(id), Reason::Inactive);
            return noted(app, company, &event, refuse(not_active())).await;
        }
        IssueOutcome::TooSoon => {
            tracing::info!(company = %company, profile = %id, "password change request rate-limited");
            let answer = refuse(ApiError::client(
                429,
                R,
                Some(
                    format!(
                        "A password change was requested less than {} seconds ago; try again later",
                        settings.min_request_interval_seconds
                    )
                    .into(),
                ),
            ));
            return noted(
                app,
                company,
                &refused(Some(id), Reason::RateLimited),
                answer,
            )
            .await;
        }
    }
    let minutes = settings.token_ttl_seconds.div_ceil(60).to_string();
    let message = Message {
        from: settings.email_sender.clone().unwrap_or_else(default_sender),
        to: email,
        subject: settings.email_subject.clone(),
        body: settings
            .email_body
            .replace("{token}", &token)
            .replace("{minutes}", &minutes),
    };
    if let Err(cause) = mailer.send(&message).await {
        // Without the e-mail the token is useless; withdraw it so a retry is not rate-limited.
        if let Err(e) = app
            .store
            .withdraw_password_token(company, id, &digest)
            .await
        {
            tracing::warn!(cause = %e, "could not withdraw an undelivered token");
        }
        let event = refused(Some(id), Reason::Undelivered);
        return noted(app, company, &event, Err(ApiError::unavailable(R, cause))).await;
    }
    tracing::info!(company = %company, profile = %id, "password change token sent");
    let event = Event::success(EventType::PasswordChangeRequested, id, trail);
    noted(app, company, &event, Ok(success(200, R, None, "Ok"))).await
}

/// Records `event`, then gives `answer`: for an attempt whose event is not part of a change.
async fn noted(
    app: &App,
    company: &CompanyId,
    event: &Event,
    answer: Result<Response<Body>, ApiError>,
) -> Result<Response<Body>, ApiError> {
    app.store.record(company, event).await?;
    answer
}

async fn confirm(
    app: &App,
    company: &CompanyId,
    config: &CompanyConfig,
    trail: &Trail,
    id: Option<ProfileId>,
    token: Option<String>,
    password: Option<String>,
) -> Result<Response<Body>, ApiError> {
    const R: Resource = Resource::ConfirmChangePassword;
    let failed = |profile: Option<ProfileId>, reason: Reason| {
        Event::failure(EventType::PasswordChangeFailed, profile, reason, trail)
    };
    let invalid = || ApiError::bad_request(R, TOKEN_INVALID);
    let token = token.filter(|t| !t.is_empty()).ok_or_else(invalid)?;
    let password = password.ok_or_else(|| {
        ApiError::bad_request(Resource::ChangePassword, "Missing field `password`")
    })?;
    // Over the length bound: never normalised to the end nor hashed; answered with the
    // policy's other refusals, once the token is known to be right.
    let password = Password::parse(&password, config.password_policy.max_length);
    let uniform = config.password_change.prevent_user_existence_errors;
    let Some(id) = id else {
        let answer = Err(if uniform {
            invalid()
        } else {
            ApiError::not_found(Resource::Profile)
        });
        return noted(
            app,
            company,
            &failed(None, Reason::UnknownIdentifier),
            answer,
        )
        .await;
    };
    let (record, stored) = app.store.get_profile_and_token(company, id).await?;
    let Some(record) = record else {
        let answer = Err(if uniform {
            invalid()
        } else {
            ApiError::not_found(Resource::Profile)
        });
        return noted(
            app,
            company,
            &failed(None, Reason::UnknownIdentifier),
            answer,
        )
        .await;
    };
    if !record.profile.active {
        let answer = Err(if uniform {
            invalid()
        } else {
            ApiError::conflict(Resource::Profile, PROFILE_NOT_ACTIVE)
        });
        return noted(app, company, &failed(Some(id), Reason::Inactive), answer).await;
    }
    let Some(stored) = stored else {
        return noted(
            app,
            company,
            &failed(Some(id), Reason::Expired),
            Err(invalid()),
        )
        .await;
    };
    let offered = digest(company, id, &token);
    if offered != stored.digest {
        let event = failed(Some(id), Reason::WrongToken);
        app.store
            .spend_token_attempt(company, id, &stored, &event)
            .await?;
        tracing::info!(company = %company, profile = %id, "password change: wrong token");
        return Err(invalid());
    }
    // Checked once the token is known to be right, so a refused password does not use it up.
    let checked = password
        .map_err(|why| why.to_string())
        .and_then(|password| {
            check_policy(
                &config.password_policy,
                &password,
                &own_data(&record.profile),
            )
            .map(|()| password)
        });
    let password = match checked {
        Ok(password) => password,
        Err(why) => {
            let answer = Err(ApiError::unprocessable(R, why));
            return noted(
                app,
                company,
                &failed(Some(id), Reason::PolicyRefused),
                answer,
            )
            .await;
        }
    };
    let hash = app
        .passwords
        .hash(&password)
        .await
        .map_err(|cause| ApiError::internal(R, cause))?;
    let event = Event::success(EventType::PasswordChangeConfirmed, id, trail);
    match app
        .store
        .change_password_with_token(company, id, &offered, &hash, &event)
        .await?
    {
        ChangeOutcome::Changed => {
            tracing::info!(company = %company, profile = %id, "password changed with a token");
            Ok(success(200, R, Some(CHANGED.into()), "Ok"))
        }
        ChangeOutcome::TokenGone => {
            noted(
                app,
                company,
                &failed(Some(id), Reason::Expired),
                Err(invalid()),
            )
            .await
        }
        ChangeOutcome::ProfileInactive => {
            let answer = Err(ApiError::conflict(Resource::Profile, PROFILE_NOT_ACTIVE));
            noted(app, company, &failed(Some(id), Reason::Inactive), answer).await
        }
    }
}

fn new_token() -> String {
    // ThreadRng is a CSPRNG (ChaCha12) seeded from the operating system.
    let mut rng = rand::rng();
    (0..TOKEN_LEN)
        .map(|_| rng.sample(rand::distr::Alphanumeric) as char)
        .collect()
}

/// Binds the token to its company and profile: the same token means nothing elsewhere.
fn digest(company: &CompanyId, id: ProfileId, token: &str) -> String {
    let mut hasher = Sha256::new();
    for part in [company.as_str(), &id.to_string(), token] {
        hasher.update((part.len() as u64).to_be_bytes());
        hasher.update(part.as_bytes());
    }
    hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_20_alphanumerics_and_differ() {
        let a = new_token();
        assert_eq!(a.len(), TOKEN_LEN);
        assert!(a.bytes().all(|b| b.is_ascii_alphanumeric()));
        assert_ne!(a, new_token());
    }

    #[test]
    fn digests_bind_company_and_profile() {
        let c1 = CompanyId::parse("1").unwrap();
        let c2 = CompanyId::parse("2").unwrap();
        let p1 = ProfileId::new_random();
        let p2 = ProfileId::new_random();
        let d = digest(&c1, p1, "tok");
        assert_eq!(d.len(), 64);
        assert!(!d.contains("tok"));
        assert_ne!(d, digest(&c2, p1, "tok"));
        assert_ne!(d, digest(&c1, p2, "tok"));
        assert_ne!(d, digest(&c1, p1, "tok2"));
    }
}
