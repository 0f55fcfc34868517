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

/// Whether an assertion must carry user verification (a PIN or a biometric on the device).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UserVerification {
    Required,
    #[default]
    Preferred,
}

/// Passkeys (API.md §5.16): the relying party the browser binds credentials to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PasskeySettings {
    /// The RP ID: the registrable domain (or `localhost`) credentials are scoped to.
    pub rp_id: String,
    /// The name the browser shows when it asks to create a passkey.
    pub rp_name: String,
    /// The exact origins whose pages may create and use passkeys.
    pub origins: Vec<String>,
    #[serde(default)]
    pub user_verification: UserVerification,
}

impl PasskeySettings {
    /// What the section's keys must agree on; each message names its key.
    pub(super) fn problems(&self) -> Vec<String> {
        let mut errors = Vec::new();
        let rp_id = self.rp_id.as_str();
        let label_ok = |label: &str| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        };
        if rp_id.is_empty() || rp_id.len() > 253 || !rp_id.split('.').all(label_ok) {
            errors.push(
                "passkeys.rp_id: must be a domain in lower case (`example.com`, `localhost`), \
                 without scheme, port or path"
                    .into(),
            );
        }
        if self.rp_name.trim().is_empty() || self.rp_name.chars().count() > 64 {
            errors.push("passkeys.rp_name: must be 1-64 characters".into());
        }
        if self.origins.is_empty() || self.origins.len() > 10 {
            errors.push("passkeys.origins: between 1 and 10 origins".into());
        }
        for (i, origin) in self.origins.iter().enumerate() {
            if let Err(why) = check_origin(origin, rp_id) {
                errors.push(format!("passkeys.origins[{i}]: `{origin}` {why}"));
            }
            if self.origins[..i].contains(origin) {
                errors.push(format!("passkeys.origins[{i}]: `{origin}` appears twice"));
            }
        }
        errors
    }
}

/// An origin a browser would send for a page: `https://host[:port]` (or `http://` on
/// `localhost`), whose host is the RP ID or one of its subdomains (WebAuthn's scoping rule).
fn check_origin(origin: &str, rp_id: &str) -> Result<(), &'static str> {
    let (scheme, rest) = origin
        .split_once("://")
        .ok_or("must be scheme://host[:port]")?;
    let (host, port) = match rest.rsplit_once(':') {
        Some((host, port)) => (host, Some(port)),
        None => (rest, None),
    };
    if port.is_some_and(|p| p.is_empty() || p.len() > 5 || !p.bytes().all(|b| b.is_ascii_digit())) {
        return Err("has a port that is not a number");
    }
    if host.is_empty()
        || !host
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.')
    {
        return Err("must be exactly an origin: a lower-case host, no path, query or slash");
    }
    match scheme {
        "https" => {}
        "http" if host == "localhost" => {}
        _ => return Err("must use https (http only on localhost)"),
    }
    if host != rp_id && !host.ends_with(&format!(".{rp_id}")) {
        return Err("is not the rp_id nor one of its subdomains");
    }
    Ok(())
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

    fn passkeys(rp_id: &str, origins: &[&str]) -> PasskeySettings {
        PasskeySettings {
            rp_id: rp_id.into(),
            rp_name: "Acme".into(),
            origins: origins.iter().map(|o| (*o).to_owned()).collect(),
            user_verification: UserVerification::default(),
        }
    }

    #[test]
    fn passkey_origins_are_exact_and_within_the_rp_id() {
        let good = passkeys(
            "example.com",
            &["https://example.com", "https://login.example.com:8443"],
        );
        assert!(good.problems().is_empty(), "{:?}", good.problems());
        let local = passkeys(
            "localhost",
            &["http://localhost:8080", "http://localhost:9001"],
        );
        assert!(local.problems().is_empty(), "{:?}", local.problems());
        assert_eq!(local.user_verification, UserVerification::Preferred);
        for (settings, wanted) in [
            (passkeys("example.com", &["http://example.com"]), "https"),
            (passkeys("example.com", &["https://evil.com"]), "subdomains"),
            (
                passkeys("example.com", &["https://notexample.com"]),
                "subdomains",
            ),
            (
                passkeys("example.com", &["https://example.com/login"]),
                "exactly an origin",
            ),
            (passkeys("example.com", &["https://example.com:x"]), "port"),
            (passkeys("example.com", &["example.com"]), "scheme://"),
            (passkeys("example.com", &[]), "between 1 and 10"),
            (
                passkeys(
                    "example.com",
                    &["https://example.com", "https://example.com"],
                ),
                "twice",
            ),
            (
                passkeys("https://example.com", &["https://example.com"]),
                "rp_id",
            ),
            (passkeys("Example.com", &["https://example.com"]), "rp_id"),
        ] {
            let problems = settings.problems().join("; ");
            assert!(problems.contains(wanted), "{settings:?}: {problems}");
        }
    }

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
