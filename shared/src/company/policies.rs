//! Policy sections of a company configuration. Every setting has a safe default, so a company
//! file only names what it changes.

use serde::{Deserialize, Serialize};

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
