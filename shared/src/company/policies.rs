//! Policy sections of a company configuration. Every setting has a safe default, so a company
//! file only names what it changes.

use serde::{Deserialize, Serialize};

use crate::two_factor::Method;

/// NIST SP 800-63B style password rules.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PasswordPolicy {
    /// Minimum length in Unicode code points (NIST: at least 8).
    pub min_length: u32,
    /// Maximum accepted length in code points (NIST: at least 64); longer is refused, never cut.
    pub max_length: u32,
    /// Minimum zxcvbn score (0–4) a password must reach.
    pub min_strength: u8,
    /// Refuse passwords built from the profile's own identifiers.
    pub reject_profile_identifiers: bool,
}

impl Default for PasswordPolicy {
    fn default() -> Self {
        Self {
            min_length: 8,
            max_length: 128,
            min_strength: 3,
            reject_profile_identifiers: true,
        }
    }
}

/// Per-profile lockout after failed logins (defaults follow Cognito's: from the 5th failure a
/// wait of 1 s, doubled on each further failure, capped at 15 minutes; a success resets it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LockoutPolicy {
    /// The failure that starts the waits.
    pub lock_after_failures: u32,
    /// The first wait, doubled on each further failure.
    pub base_delay_seconds: u32,
    /// The longest wait.
    pub max_delay_seconds: u32,
}

impl Default for LockoutPolicy {
    fn default() -> Self {
        Self {
            lock_after_failures: 5,
            base_delay_seconds: 1,
            max_delay_seconds: 900,
        }
    }
}

impl LockoutPolicy {
    /// How long a profile stays locked after its `failures`-th consecutive failure.
    pub fn lock_for(&self, failures: u32) -> Option<std::time::Duration> {
        let beyond = failures.checked_sub(self.lock_after_failures)?;
        let factor = 1u64.checked_shl(beyond.min(40)).unwrap_or(u64::MAX);
        let seconds = u64::from(self.base_delay_seconds)
            .saturating_mul(factor)
            .min(u64::from(self.max_delay_seconds));
        Some(std::time::Duration::from_secs(seconds))
    }
}

/// Which identifier a password-change request may look a profile up by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccessType {
    Email,
    Username,
}

/// Password change by e-mailed token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PasswordChangeSettings {
    pub access_types: Vec<AccessType>,
    pub token_ttl_seconds: u32,
    /// Wrong tokens tried before the current token is invalidated.
    pub max_token_attempts: u32,
    /// Minimum time between two requests for one profile.
    pub min_request_interval_seconds: u32,
    /// Answer 200 for unknown or inactive profiles instead of 404/409 (hides who exists).
    pub prevent_user_existence_errors: bool,
    /// With `prevent_user_existence_errors`, a request answers no sooner than this after it
    /// arrived, so the e-mail that only a known profile's request sends does not show in the
    /// time. Set it above the mail service's slowest usual send.
    pub min_response_ms: u32,
    pub email_sender: Option<String>,
    pub email_subject: String,
    /// `{token}` and `{minutes}` are replaced when the message is sent.
    pub email_body: String,
}

impl Default for PasswordChangeSettings {
    fn default() -> Self {
        Self {
            access_types: vec![AccessType::Email, AccessType::Username],
            token_ttl_seconds: 3600,
            max_token_attempts: 5,
            min_request_interval_seconds: 60,
            prevent_user_existence_errors: false,
            min_response_ms: 400,
            email_sender: None,
            email_subject: "Your password change code".into(),
            email_body: "Use this code to change your password: {token}\nIt expires in {minutes} minutes. If you did not ask for it, ignore this message.".into(),
        }
    }
}

/// The audit trail's settings (API.md §5.13).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AuditSettings {
    /// How long an event is kept before DynamoDB's TTL removes it: 1–3650 days.
    pub retention_days: u32,
}

impl Default for AuditSettings {
    fn default() -> Self {
        Self {
            retention_days: 365,
        }
    }
}

/// Second factors (API.md §5.15).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TwoFactorSettings {
    /// The methods profiles may enrol: `totp`, `recovery_codes`.
    pub methods: Vec<Method>,
    /// The name authenticator apps show beside the code; absent: the company's name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issuer: Option<String>,
    /// The wrong code that starts the second factor's waits.
    pub max_failures: u32,
    /// The first wait, doubled on each further wrong code. Longer than the password's: a
    /// code has only a million values.
    pub base_delay_seconds: u32,
    /// The longest wait.
    pub max_delay_seconds: u32,
    /// A profile without a second factor cannot log in until it enrols one.
    pub required: bool,
    /// The scope a token must carry to `reset` a profile's factors; absent: any token of the
    /// company may.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reset_scope: Option<String>,
}

impl Default for TwoFactorSettings {
    fn default() -> Self {
        Self {
            methods: vec![Method::Totp, Method::RecoveryCodes],
            issuer: None,
            max_failures: 5,
            base_delay_seconds: 30,
            max_delay_seconds: 3600,
            required: false,
            reset_scope: None,
        }
    }
}

impl TwoFactorSettings {
    pub fn offers(&self, method: Method) -> bool {
        self.methods.contains(&method)
    }

    /// The second factor's lockout, in the password lockout's terms.
    pub fn lockout(&self) -> LockoutPolicy {
        LockoutPolicy {
            lock_after_failures: self.max_failures,
            base_delay_seconds: self.base_delay_seconds,
            max_delay_seconds: self.max_delay_seconds,
        }
    }

    /// What the section's keys must agree on; each message names its key.
    pub(super) fn problems(&self) -> Vec<String> {
        let mut errors = Vec::new();
        let mut seen = self.methods.clone();
        seen.sort();
        seen.dedup();
        if seen.len() != self.methods.len() {
            errors.push("two_factor.methods: a method appears twice".into());
        }
        if self.required && !self.offers(Method::Totp) {
            errors.push("two_factor.required: needs a method a profile can enrol (totp)".into());
        }
        if self.offers(Method::RecoveryCodes) && !self.offers(Method::Totp) {
            errors.push(
                "two_factor.methods: recovery_codes come with a factor; offer totp too".into(),
            );
        }
        if self.issuer.as_deref().is_some_and(|issuer| {
            issuer.trim().is_empty() || issuer.chars().count() > 64 || issuer.contains(':')
        }) {
            errors.push("two_factor.issuer: must be 1-64 characters without `:`".into());
        }
        if self.max_failures == 0 {
            errors.push("two_factor.max_failures: must be at least 1".into());
        }
        if self.base_delay_seconds == 0 || self.base_delay_seconds > self.max_delay_seconds {
            errors.push(
                "two_factor.base_delay_seconds: must be at least 1 and at most max_delay_seconds"
                    .into(),
            );
        }
        if self
            .reset_scope
            .as_deref()
            .is_some_and(|scope| scope.is_empty() || scope.len() > 128 || scope.contains(' '))
        {
            errors.push("two_factor.reset_scope: must be one scope of 1-128 characters".into());
        }
        errors
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn lockout_waits_double_from_the_fifth_failure_up_to_fifteen_minutes() {
        let policy = LockoutPolicy::default();
        let waits: Vec<_> = (1..=16).map(|n| policy.lock_for(n)).collect();
        assert_eq!(&waits[..4], &[None, None, None, None]);
        assert_eq!(waits[4], Some(Duration::from_secs(1)));
        assert_eq!(waits[5], Some(Duration::from_secs(2)));
        assert_eq!(waits[13], Some(Duration::from_secs(512)));
        assert_eq!(waits[14], Some(Duration::from_secs(900)));
        assert_eq!(policy.lock_for(u32::MAX), Some(Duration::from_secs(900)));
    }
}
