//! Second factors (API.md §5.15): what a profile has enrolled, how a code is checked against
//! it, and what the profile shows of it. Free of HTTP and of DynamoDB: the store reads and
//! writes [`SecondFactors`] whole, conditioned on its `revision`, and the handlers decide with
//! the functions here (docs/two-factor.md).

pub mod challenge;
pub mod passkey;
pub mod recovery;
pub mod sealing;
pub mod totp;

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::domain::{CompanyId, ProfileId, format_rfc3339_ms};
pub use challenge::Challenge;
pub use passkey::{EnrolledPasskey, RelyingParty};
pub use recovery::RecoveryCode;
pub use sealing::{FactorKey, SealedTotp};
pub use totp::{Totp, TotpAlgorithm, TotpParams, TotpSecret};

/// A method a company may offer (`two_factor.methods`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    Totp,
    RecoveryCodes,
    Passkey,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Totp => "totp",
            Self::RecoveryCodes => "recovery_codes",
            Self::Passkey => "passkey",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        [Self::Totp, Self::RecoveryCodes, Self::Passkey]
            .into_iter()
            .find(|m| m.as_str() == raw)
    }
}

/// An enrolled TOTP.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnrolledTotp {
    pub id: String,
    pub created_ms: u64,
    pub totp: SealedTotp,
}

/// A TOTP secret handed out by `enrol` and not yet confirmed with a code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingTotp {
    pub created_ms: u64,
    pub totp: SealedTotp,
}

/// How long a pending enrolment waits for its first code.
pub const PENDING_TTL_MS: u64 = 15 * 60 * 1000;

/// The recovery codes of a profile, as their hashes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecoveryCodes {
    pub id: String,
    pub created_ms: u64,
    pub hashes: BTreeSet<String>,
}

impl RecoveryCodes {
    /// The hashes of a new set `codes` of `profile`.
    pub fn of(profile: ProfileId, codes: &[RecoveryCode], now_ms: u64) -> Self {
        Self {
            id: new_id(),
            created_ms: now_ms,
            hashes: codes.iter().map(|code| code.hash(profile)).collect(),
        }
    }
}

/// Everything of a profile's second factors: its methods, the second factor's own lockout
/// and the last TOTP step used. `revision` is the store's: every write of it is conditioned on
/// the revision read (0: nothing stored yet).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SecondFactors {
    pub totp: Option<EnrolledTotp>,
    pub pending: Option<PendingTotp>,
    pub recovery: Option<RecoveryCodes>,
    /// Enrolled passkeys, oldest first (at most [`passkey::MAX_PER_PROFILE`]).
    pub passkeys: Vec<EnrolledPasskey>,
    /// Consecutive wrong codes.
    pub failures: u32,
    pub locked_until_ms: Option<u64>,
    /// The newest TOTP time step that was accepted: no code of it or before it is again.
    pub last_step: Option<u64>,
    pub revision: u64,
}

/// A code a caller sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Code<'a> {
    Totp(&'a str),
    Recovery(&'a str),
    /// `remove`'s `code`: a TOTP code if it has the digits of one, else a recovery code.
    Either(&'a str),
}

/// What a right code uses up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CodeUse {
    /// The TOTP of this time step: it and every earlier step are spent.
    TotpStep(u64),
    /// The recovery code of this hash: removed.
    RecoveryCode(String),
    /// This passkey, as it is after the assertion (its counter moved on).
    Passkey(Box<EnrolledPasskey>),
}

/// What a code came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CodeCheck {
    Valid(CodeUse),
    Wrong,
    /// A TOTP code of a step already used.
    Replayed,
}

impl SecondFactors {
    /// Whether the profile has a factor a login must pass (recovery codes alone are not one:
    /// they come and go with the factors).
    pub fn is_enrolled(&self) -> bool {
        self.totp.is_some() || !self.passkeys.is_empty()
    }

    pub fn is_locked(&self, now_ms: u64) -> bool {
        self.locked_until_ms.is_some_and(|until| until > now_ms)
    }

    /// The `methods` a login challenge offers.
    pub fn login_methods(&self) -> Vec<&'static str> {
        let mut methods = Vec::new();
        if self.totp.is_some() {
            methods.push("totp");
        }
        if !self.passkeys.is_empty() {
            methods.push("passkey");
        }
        if self.recovery.as_ref().is_some_and(|r| !r.hashes.is_empty()) {
            methods.push("recovery_code");
        }
        methods
    }

    /// The profile's `two_factor_authentication`: each method, never a secret.
    pub fn summary(&self) -> Vec<Value> {
        let mut list = Vec::new();
        if let Some(totp) = &self.totp {
            list.push(json!({
                "method": Method::Totp.as_str(),
                "id": totp.id,
                "created_at": format_rfc3339_ms(totp.created_ms),
            }));
        }
        list.extend(self.passkeys.iter().map(EnrolledPasskey::summary));
        if let Some(recovery) = &self.recovery {
            list.push(json!({
                "method": Method::RecoveryCodes.as_str(),
                "id": recovery.id,
                "created_at": format_rfc3339_ms(recovery.created_ms),
                "remaining": recovery.hashes.len(),
            }));
        }
        list
    }

    /// Checks `code` of `profile` of `company` at `now_s` (seconds), opening the TOTP secret
    /// with `key`. Neither the lock nor the failure count is looked at here: the caller
    /// reserved the attempt first. An error only when the sealed secret does not open.
    pub fn check(
        &self,
        key: &FactorKey,
        (company, profile): (&CompanyId, ProfileId),
        code: Code<'_>,
        now_s: u64,
    ) -> Result<CodeCheck, String> {
        let (totp_code, recovery_code) = match code {
            Code::Totp(code) => (Some(code), None),
            Code::Recovery(code) => (None, Some(code)),
            Code::Either(code) => {
                let digits = code.chars().filter(|c| *c != ' ').count();
                if code.chars().all(|c| c.is_ascii_digit() || c == ' ') && digits <= 8 {
                    (Some(code), None)
                } else {
                    (None, Some(code))
                }
            }
        };
        if let (Some(code), Some(enrolled)) = (totp_code, &self.totp) {
            let totp = enrolled.totp.open(key, company, profile)?;
            return Ok(match totp.matching_step(code, now_s) {
                Some(step) if self.last_step.is_some_and(|last| last >= step) => {
                    CodeCheck::Replayed
                }
                Some(step) => CodeCheck::Valid(CodeUse::TotpStep(step)),
                None => CodeCheck::Wrong,
            });
        }
        if let (Some(code), Some(recovery)) = (recovery_code, &self.recovery)
            && let Some(code) = recovery::parse(code)
        {
            let hash = code.hash(profile);
            if recovery.hashes.contains(&hash) {
                return Ok(CodeCheck::Valid(CodeUse::RecoveryCode(hash)));
            }
        }
        Ok(CodeCheck::Wrong)
    }

    /// The factors once `used` is spent: the failures and the lock cleared, as after any
    /// success.
    pub fn after(&self, used: &CodeUse) -> Self {
        let mut next = self.cleared();
        match used {
            CodeUse::TotpStep(step) => next.last_step = Some(*step),
            CodeUse::RecoveryCode(hash) => {
                if let Some(recovery) = &mut next.recovery {
                    recovery.hashes.remove(hash);
                }
            }
            CodeUse::Passkey(used) => {
                if let Some(passkey) = next.passkeys.iter_mut().find(|p| p.id == used.id) {
                    *passkey = (**used).clone();
                }
            }
        }
        next
    }

    /// The factors with the failures and the lock cleared.
    pub fn cleared(&self) -> Self {
        Self {
            failures: 0,
            locked_until_ms: None,
            ..self.clone()
        }
    }

    /// Whether nothing is left to store (no factor, nothing pending).
    pub fn is_empty(&self) -> bool {
        self.totp.is_none()
            && self.pending.is_none()
            && self.recovery.is_none()
            && self.passkeys.is_empty()
    }
}

/// A factor's id: random, so it says nothing of the profile or the time.
pub fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// Fills `buf` from the operating system's random source.
pub(crate) fn fill_random(buf: &mut [u8]) -> Result<(), String> {
    use rand::TryRngCore;
    rand::rngs::OsRng
        .try_fill_bytes(buf)
        .map_err(|e| format!("the system's random source failed: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Enrolled {
        key: FactorKey,
        company: CompanyId,
        profile: ProfileId,
        totp: Totp,
        factors: SecondFactors,
        codes: Vec<RecoveryCode>,
    }

    impl Enrolled {
        fn check(&self, factors: &SecondFactors, code: Code<'_>, now: u64) -> CodeCheck {
            factors
                .check(&self.key, (&self.company, self.profile), code, now)
                .unwrap()
        }
    }

    fn enrolled(now_ms: u64) -> Enrolled {
        let key = FactorKey::new(&[9u8; 32]).unwrap();
        let company = CompanyId::parse("-1").unwrap();
        let profile = ProfileId::new_random();
        let codes = recovery::generate().unwrap();
        let totp = Totp {
            secret: TotpSecret::generate().unwrap(),
            params: TotpParams::default(),
        };
        let factors = SecondFactors {
            totp: Some(EnrolledTotp {
                id: new_id(),
                created_ms: now_ms,
                totp: SealedTotp::seal(&totp, &key, &company, profile).unwrap(),
            }),
            recovery: Some(RecoveryCodes::of(profile, &codes, now_ms)),
            ..SecondFactors::default()
        };
        Enrolled {
            key,
            company,
            profile,
            totp,
            factors,
            codes,
        }
    }

    #[test]
    fn a_totp_step_is_spent_with_every_step_before_it() {
        let now = 1_800_000_000;
        let e = enrolled(now * 1000);
        let totp = &e.totp;
        let step = totp.step_of(now);
        let code = totp.code_at_step(step);
        let CodeCheck::Valid(used) = e.check(&e.factors, Code::Totp(&code), now) else {
            panic!("the current code is valid");
        };
        assert_eq!(used, CodeUse::TotpStep(step));
        let after = e.factors.after(&used);
        assert_eq!(e.check(&after, Code::Totp(&code), now), CodeCheck::Replayed);
        let earlier = totp.code_at_step(step - 1);
        if *earlier != *code {
            assert_eq!(
                e.check(&after, Code::Totp(&earlier), now),
                CodeCheck::Replayed
            );
        }
        let later = totp.code_at_step(step + 1);
        assert!(matches!(
            e.check(&after, Code::Totp(&later), now),
            CodeCheck::Valid(CodeUse::TotpStep(s)) if s == step + 1
        ));
        assert_eq!(
            e.check(&e.factors, Code::Totp("000000x"), now),
            CodeCheck::Wrong
        );
        // Sealed for this profile: another profile, or another key, cannot open it.
        let elsewhere = (&e.company, ProfileId::new_random());
        assert!(
            e.factors
                .check(&e.key, elsewhere, Code::Totp(&code), now)
                .is_err()
        );
        let other = FactorKey::new(&[1u8; 32]).unwrap();
        let here = (&e.company, e.profile);
        assert!(
            e.factors
                .check(&other, here, Code::Totp(&code), now)
                .is_err()
        );
    }

    #[test]
    fn a_recovery_code_works_once_and_only_for_its_profile() {
        let e = enrolled(0);
        let shown = e.codes[3].shown();
        let CodeCheck::Valid(used) = e.check(&e.factors, Code::Recovery(&shown), 0) else {
            panic!("an issued code is valid");
        };
        let after = e.factors.after(&used);
        assert_eq!(e.check(&after, Code::Recovery(&shown), 0), CodeCheck::Wrong);
        assert_eq!(after.recovery.as_ref().unwrap().hashes.len(), 9);
        let elsewhere = (&e.company, ProfileId::new_random());
        assert_eq!(
            e.factors
                .check(&e.key, elsewhere, Code::Recovery(&shown), 0)
                .unwrap(),
            CodeCheck::Wrong
        );
        assert!(matches!(
            e.check(&e.factors, Code::Either(&shown), 0),
            CodeCheck::Valid(CodeUse::RecoveryCode(_))
        ));
    }

    #[test]
    fn the_summary_names_methods_and_never_a_secret() {
        let Enrolled {
            factors,
            codes,
            totp,
            ..
        } = enrolled(1_764_806_400_000);
        let summary = serde_json::to_string(&factors.summary()).unwrap();
        assert!(!summary.contains(totp.secret.to_base32().as_str()));
        for code in &codes {
            assert!(!summary.contains(&code.shown()));
        }
        for hash in &factors.recovery.as_ref().unwrap().hashes {
            assert!(!summary.contains(hash.as_str()));
        }
        let list = factors.summary();
        assert_eq!(list[0]["method"], "totp");
        assert_eq!(list[0]["created_at"], "2025-12-04T00:00:00.000Z");
        assert_eq!(list[1]["method"], "recovery_codes");
        assert_eq!(list[1]["remaining"], 10);
        assert_eq!(factors.login_methods(), ["totp", "recovery_code"]);
        assert!(SecondFactors::default().summary().is_empty());
    }
}
