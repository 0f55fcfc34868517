//! The audit trail's events (API.md §5.13): what happened to a profile or at a login, when,
//! how it ended and who asked — with no personal data and no secret. An event holds uuids,
//! field names and the codes below, never a value a person typed. The store writes a change's
//! event in the change's own transaction (docs/design.md, "Audit trail").

use crate::domain::{ProfileField, ProfileId};

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum EventType {
    ProfileCreated,
    ProfileImported,
    ProfileUpdated,
    ProfileActivated,
    ProfileDeactivated,
    ProfileDeleted,
    CredentialCreated,
    LoginSucceeded,
    LoginFailed,
    PasswordChangeRequested,
    PasswordChangeConfirmed,
    PasswordChangeFailed,
    TwoFactorEnrolled,
    TwoFactorRemoved,
    /// A password was right and the login now waits for the second factor.
    TwoFactorChallenged,
    TwoFactorSucceeded,
    TwoFactorFailed,
    RecoveryCodesRegenerated,
}

impl EventType {
    pub const ALL: [Self; 18] = [
        Self::ProfileCreated,
        Self::ProfileImported,
        Self::ProfileUpdated,
        Self::ProfileActivated,
        Self::ProfileDeactivated,
        Self::ProfileDeleted,
        Self::CredentialCreated,
        Self::LoginSucceeded,
        Self::LoginFailed,
        Self::PasswordChangeRequested,
        Self::PasswordChangeConfirmed,
        Self::PasswordChangeFailed,
        Self::TwoFactorEnrolled,
        Self::TwoFactorRemoved,
        Self::TwoFactorChallenged,
        Self::TwoFactorSucceeded,
        Self::TwoFactorFailed,
        Self::RecoveryCodesRegenerated,
    ];

    /// The contract's name of the type, e.g. `login.failed`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ProfileCreated => "profile.created",
            Self::ProfileImported => "profile.imported",
            Self::ProfileUpdated => "profile.updated",
            Self::ProfileActivated => "profile.activated",
            Self::ProfileDeactivated => "profile.deactivated",
            Self::ProfileDeleted => "profile.deleted",
            Self::CredentialCreated => "credential.created",
            Self::LoginSucceeded => "login.succeeded",
            Self::LoginFailed => "login.failed",
            Self::PasswordChangeRequested => "password_change.requested",
            Self::PasswordChangeConfirmed => "password_change.confirmed",
            Self::PasswordChangeFailed => "password_change.failed",
            Self::TwoFactorEnrolled => "two_factor.enrolled",
            Self::TwoFactorRemoved => "two_factor.removed",
            Self::TwoFactorChallenged => "two_factor.challenged",
            Self::TwoFactorSucceeded => "two_factor.succeeded",
            Self::TwoFactorFailed => "two_factor.failed",
            Self::RecoveryCodesRegenerated => "recovery_codes.regenerated",
        }
    }

    /// The type named `name`, if it is one.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == name)
    }
}

/// A `type` filter of the audit trail: one type (`login.failed`) or a family ending in `.`
/// (`login.`) that some type belongs to; `None` for anything else.
pub fn type_filter(raw: &str) -> Option<String> {
    let known = EventType::ALL.iter().any(|kind| {
        let name = kind.as_str();
        name == raw || (raw.ends_with('.') && raw.len() > 1 && name.starts_with(raw))
    });
    known.then(|| raw.to_owned())
}

/// Why an attempt failed: a short code, never what was sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Reason {
    /// The password did not match.
    WrongPassword,
    /// The profile is locked after repeated failures (or the attempt lost to a burst that
    /// locked it).
    Locked,
    /// No profile holds the identifiers sent (nothing of them is kept).
    UnknownIdentifier,
    /// The profile is deactivated.
    Inactive,
    /// The profile has no password to log in with.
    NoPassword,
    /// A password-change token that is wrong.
    WrongToken,
    /// A password-change token that expired, was used, superseded or spent its tries.
    Expired,
    /// A new password the company's policy refuses.
    PolicyRefused,
    /// A password over the length bound, refused before any lookup (so no profile is named).
    PasswordTooLong,
    /// A password-change request within the company's minimum interval.
    RateLimited,
    /// A password-change request for a profile without an e-mail address.
    NoEmail,
    /// A password-change token whose e-mail could not be sent (the token is withdrawn).
    Undelivered,
    /// A second factor's code that is not one of its current codes.
    WrongCode,
    /// A TOTP code of a time step already used.
    ReplayedCode,
    /// Support staff removed every factor without a code (`reset`).
    Reset,
    /// The company requires a second factor and the profile has none.
    NotEnrolled,
    /// Another attempt on the same second factor was counted while this one was checked.
    ConcurrentAttempt,
    /// A passkey's response that the relying party's checks refused (origin, challenge,
    /// signature, flags, or a passkey the profile does not hold).
    PasskeyNotVerified,
    /// A passkey whose signature counter did not move forward: it may have been cloned.
    CounterRegressed,
}

impl Reason {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::WrongPassword => "wrong_password",
            Self::Locked => "locked",
            Self::UnknownIdentifier => "unknown_identifier",
            Self::Inactive => "inactive",
            Self::NoPassword => "no_password",
            Self::WrongToken => "wrong_token",
            Self::Expired => "expired",
            Self::PolicyRefused => "policy_refused",
            Self::PasswordTooLong => "password_too_long",
            Self::RateLimited => "rate_limited",
            Self::NoEmail => "no_email",
            Self::Undelivered => "undelivered",
            Self::WrongCode => "wrong_code",
            Self::ReplayedCode => "replayed_code",
            Self::Reset => "reset",
            Self::NotEnrolled => "second_factor_not_enrolled",
            Self::ConcurrentAttempt => "concurrent_attempt",
            Self::PasskeyNotVerified => "passkey_not_verified",
            Self::CounterRegressed => "counter_regressed",
        }
    }
}

/// Who made the request: the client its access token names and what API Gateway and Lambda
/// say of it. Each part may be missing (a test's request has no request context).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Actor {
    pub client: Option<String>,
    pub source_ip: Option<String>,
    pub request_id: Option<String>,
}

/// One event as a request records it; the store gives it its id and time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub kind: EventType,
    /// `None` when no profile was identified (an unknown identifier at login).
    pub profile: Option<ProfileId>,
    /// `None` for a success.
    pub failure: Option<Reason>,
    /// Why a success happened, when that is worth a code (a `reset` by support staff).
    pub detail: Option<Reason>,
    /// For updates: the names of the fields whose values changed.
    pub changed_fields: Vec<ProfileField>,
    pub actor: Actor,
    /// How long the event is kept (the company's `audit.retention_days`).
    pub retention_days: u32,
}

impl Event {
    /// A successful `kind` on `profile`.
    pub fn success(kind: EventType, profile: ProfileId, trail: &Trail) -> Self {
        Self {
            kind,
            profile: Some(profile),
            failure: None,
            detail: None,
            changed_fields: Vec::new(),
            actor: trail.actor.clone(),
            retention_days: trail.retention_days,
        }
    }

    /// A failed `kind` for `reason`, on `profile` when one was identified.
    pub fn failure(
        kind: EventType,
        profile: Option<ProfileId>,
        reason: Reason,
        trail: &Trail,
    ) -> Self {
        Self {
            kind,
            profile,
            failure: Some(reason),
            detail: None,
            changed_fields: Vec::new(),
            actor: trail.actor.clone(),
            retention_days: trail.retention_days,
        }
    }

    /// The same success, with `reason` as its code.
    pub fn because(self, reason: Reason) -> Self {
        Self {
            detail: Some(reason),
            ..self
        }
    }

    /// The event's `reason`: a failure's, or a success's detail.
    pub fn reason(&self) -> Option<Reason> {
        self.failure.or(self.detail)
    }

    /// `"success"` or `"failure"`.
    pub fn outcome(&self) -> &'static str {
        if self.failure.is_some() {
            "failure"
        } else {
            "success"
        }
    }
}

/// What every event of one request shares: its actor, and its company's retention.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trail {
    pub actor: Actor,
    pub retention_days: u32,
}

/// The event object of API.md §5.13, as the audit routes and `idp-admin events` give it.
pub fn event_json(event: &crate::store::StoredEvent) -> serde_json::Value {
    serde_json::json!({
        "id": event.id,
        "at": crate::domain::format_rfc3339_ms(event.at_ms),
        "type": event.kind,
        "profile": event.profile,
        "outcome": event.outcome,
        "reason": event.reason,
        "changed_fields": event.changed_fields,
        "actor": {"client": event.client, "source_ip": event.source_ip},
        "request_id": event.request_id,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_names_are_the_contracts_and_read_back() {
        let names: Vec<&str> = EventType::ALL.iter().map(|t| t.as_str()).collect();
        assert_eq!(names.len(), 18);
        for kind in EventType::ALL {
            assert_eq!(EventType::parse(kind.as_str()), Some(kind));
            let (family, what) = kind.as_str().split_once('.').unwrap();
            assert!(!family.is_empty() && !what.is_empty());
        }
        assert_eq!(EventType::parse("login"), None);
    }

    #[test]
    fn a_type_filter_is_a_type_or_a_family() {
        for good in ["login.failed", "login.", "profile.", "password_change."] {
            assert_eq!(type_filter(good).as_deref(), Some(good));
        }
        for bad in [
            "login",
            ".",
            "",
            "login.f",
            "nope.",
            "login.failed.",
            "LOGIN.",
        ] {
            assert_eq!(type_filter(bad), None, "{bad}");
        }
    }
}
