//! Passkeys (API.md §5.16): what a profile keeps of each one, and the WebAuthn relying party
//! that makes their options and verifies their responses.
//!
//! Verification is `webauthn-rs-core`'s (kanidm's reviewed relying-party library, pure Rust
//! since 0.6; docs/passkeys.md says why its core rather than its `Webauthn` wrapper): origin
//! (exactly one of the company's `passkeys.origins`, no subdomain or other port), RP ID hash,
//! challenge, ceremony type, the user-present and user-verified flags, the signature, the
//! algorithm, and a signature counter that must move forward. The library's ceremony states
//! are kept only on the server, in the challenge items, and each is used once.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use webauthn_rs_core::WebauthnCore;
use webauthn_rs_core::error::WebauthnError;
use webauthn_rs_core::proto::{
    AttestationConveyancePreference, AuthenticationState, Credential, PublicKeyCredential,
    RegisterPublicKeyCredential, RegistrationState, UserVerificationPolicy,
};

use crate::company::{PasskeySettings, UserVerification};
use crate::domain::{ProfileId, format_rfc3339_ms};

/// Passkeys one profile may hold.
pub const MAX_PER_PROFILE: usize = 10;
/// How long the browser is given for a ceremony (the challenge itself lives 5 minutes).
const CEREMONY_TIMEOUT: Duration = Duration::from_secs(300);
/// The longest name a passkey may be given.
pub const MAX_NAME_CHARS: usize = 64;

/// An enrolled passkey as stored: its public key and counter (the library's `Credential`, as
/// JSON), with what the profile shows of it. Nothing here is secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnrolledPasskey {
    /// The factor's id (`two_factor_authentication[].id`), not the credential's.
    pub id: String,
    pub name: String,
    pub created_ms: u64,
    #[serde(default)]
    pub last_used_ms: Option<u64>,
    /// The credential id, base64url: what the browser names it by.
    pub credential_id: String,
    pub backup_eligible: bool,
    pub backed_up: bool,
    pub counter: u32,
    /// `webauthn_rs_core::proto::Credential` as JSON.
    pub credential: String,
}

impl EnrolledPasskey {
    /// The profile's `two_factor_authentication` entry. The last use is kept with the passkey
    /// but not shown here: the summary lives on the profile item, and a login that rewrote it
    /// each time would move the profile's version under every concurrent update.
    pub fn summary(&self) -> Value {
        json!({
            "method": "passkey",
            "id": self.id,
            "name": self.name,
            "created_at": format_rfc3339_ms(self.created_ms),
            "backup_eligible": self.backup_eligible,
            "backed_up": self.backed_up,
        })
    }

    fn credential(&self) -> Result<Credential, String> {
        serde_json::from_str(&self.credential)
            .map_err(|e| format!("a stored passkey does not read back: {e}"))
    }
}

/// Why a registration or an assertion was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Anything the relying party's checks refused (origin, challenge, signature, flags…).
    NotVerified,
    /// A signature counter at or below the stored one: the key may have been cloned.
    CounterRegressed,
}

/// A verified assertion: the passkey as it is after it (counter, flags, last use).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Asserted {
    pub passkey: EnrolledPasskey,
    pub user_verified: bool,
}

/// The relying party of one company.
pub struct RelyingParty {
    core: WebauthnCore,
    user_verification: UserVerificationPolicy,
}

impl std::fmt::Debug for RelyingParty {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RelyingParty")
            .field("user_verification", &self.user_verification)
            .finish_non_exhaustive()
    }
}

impl RelyingParty {
    /// The company's relying party (its settings were validated when the company was loaded).
    pub fn new(settings: &PasskeySettings) -> Result<Self, String> {
        let origins = settings
            .origins
            .iter()
            .map(|origin| url::Url::parse(origin))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| format!("passkeys.origins: {e}"))?;
        let core = WebauthnCore::new_unsafe_experts_only(
            &settings.rp_name,
            &settings.rp_id,
            origins,
            CEREMONY_TIMEOUT,
            Some(false),
            Some(false),
        );
        Ok(Self {
            core,
            user_verification: match settings.user_verification {
                UserVerification::Required => UserVerificationPolicy::Required,
                UserVerification::Preferred => UserVerificationPolicy::Preferred,
            },
        })
    }

    /// Creation options for a new passkey of `profile` (a discoverable credential, the
    /// profile's passkeys excluded, no attestation asked for) and the state to keep until the
    /// response comes: `(options JSON, state JSON)`.
    pub fn registration(
        &self,
        profile: ProfileId,
        (name, display): (&str, &str),
        existing: &[EnrolledPasskey],
    ) -> Result<(Value, String), String> {
        let exclude = existing
            .iter()
            .map(|p| URL_SAFE_NO_PAD.decode(&p.credential_id))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| format!("a stored credential id does not decode: {e}"))?;
        let builder = self
            .core
            .new_challenge_register_builder(
                profile.as_u128().to_be_bytes().as_slice(),
                name,
                display,
            )
            .map_err(|e| e.to_string())?
            .user_verification_policy(self.user_verification)
            .attestation(AttestationConveyancePreference::None)
            .exclude_credentials(Some(exclude))
            .require_resident_key(true);
        let (options, state) = self
            .core
            .generate_challenge_register(builder)
            .map_err(|e| e.to_string())?;
        let options = serde_json::to_value(&options.public_key).map_err(|e| e.to_string())?;
        let state = serde_json::to_string(&state).map_err(|e| e.to_string())?;
        Ok((options, state))
    }

    /// Verifies the browser's registration response against the kept `state`: the new passkey,
    /// named `name`, or why not. A credential the profile holds already is refused.
    pub fn register(
        &self,
        response: &Value,
        state: &str,
        (name, now_ms): (&str, u64),
        existing: &[EnrolledPasskey],
    ) -> Result<EnrolledPasskey, Refusal> {
        let response =
            RegisterPublicKeyCredential::deserialize(response).map_err(|_| Refusal::NotVerified)?;
        let state: RegistrationState =
            serde_json::from_str(state).map_err(|_| Refusal::NotVerified)?;
        let credential = self
            .core
            .register_credential(&response, &state, None)
            .map_err(|_| Refusal::NotVerified)?;
        let credential_id = URL_SAFE_NO_PAD.encode(&credential.cred_id);
        if existing.iter().any(|p| p.credential_id == credential_id) {
            return Err(Refusal::NotVerified);
        }
        Ok(EnrolledPasskey {
            id: super::new_id(),
            name: name.to_owned(),
            created_ms: now_ms,
            last_used_ms: None,
            credential_id,
            backup_eligible: credential.backup_eligible,
            backed_up: credential.backup_state,
            counter: credential.counter,
            credential: serde_json::to_string(&credential).map_err(|_| Refusal::NotVerified)?,
        })
    }

    /// Request options and the state to keep: for `passkeys` (a second factor: the profile's
    /// own, under the company's user verification), or for any discoverable credential when
    /// empty (passwordless: user verification required, as the passkey is both factors).
    pub fn authentication(&self, passkeys: &[EnrolledPasskey]) -> Result<(Value, String), String> {
        let credentials = passkeys
            .iter()
            .map(EnrolledPasskey::credential)
            .collect::<Result<Vec<_>, _>>()?;
        let policy = if passkeys.is_empty() {
            UserVerificationPolicy::Required
        } else {
            self.user_verification
        };
        let builder = self
            .core
            .new_challenge_authenticate_builder(credentials, Some(policy))
            .map_err(|e| e.to_string())?;
        let (options, state) = self
            .core
            .generate_challenge_authenticate(builder)
            .map_err(|e| e.to_string())?;
        let options = serde_json::to_value(&options.public_key).map_err(|e| e.to_string())?;
        let state = serde_json::to_string(&state).map_err(|e| e.to_string())?;
        Ok((options, state))
    }

    /// Verifies an assertion against the kept `state` and the profile's current `passkeys`
    /// (one removed since the options were made is refused): the passkey it used, as it is
    /// after it.
    pub fn verify(
        &self,
        response: &Assertion,
        state: &str,
        passkeys: &[EnrolledPasskey],
        now_ms: u64,
    ) -> Result<Asserted, Refusal> {
        let state: AuthenticationState =
            serde_json::from_str(state).map_err(|_| Refusal::NotVerified)?;
        let used = passkeys
            .iter()
            .find(|p| p.credential_id == response.credential_id)
            .ok_or(Refusal::NotVerified)?;
        let mut credential = used.credential().map_err(|_| Refusal::NotVerified)?;
        let result = self
            .core
            .authenticate_single_credential(&response.parsed, &state, &credential)
            .map_err(|e| match e {
                WebauthnError::CredentialPossibleCompromise => Refusal::CounterRegressed,
                _ => Refusal::NotVerified,
            })?;
        credential.counter = credential.counter.max(result.counter());
        credential.backup_state = result.backup_state();
        credential.backup_eligible = result.backup_eligible();
        Ok(Asserted {
            passkey: EnrolledPasskey {
                last_used_ms: Some(now_ms),
                backup_eligible: result.backup_eligible(),
                backed_up: result.backup_state(),
                counter: credential.counter,
                credential: serde_json::to_string(&credential).map_err(|_| Refusal::NotVerified)?,
                ..used.clone()
            },
            user_verified: result.user_verified(),
        })
    }
}

/// An authentication response (`AuthenticationResponseJSON`) read for its shape: which
/// credential it names and whose it says it is.
#[derive(Debug, Clone)]
pub struct Assertion {
    parsed: PublicKeyCredential,
    pub credential_id: String,
}

impl Assertion {
    pub fn parse(value: &Value) -> Option<Self> {
        let parsed = PublicKeyCredential::deserialize(value).ok()?;
        let credential_id = URL_SAFE_NO_PAD.encode(&parsed.raw_id);
        Some(Self {
            parsed,
            credential_id,
        })
    }

    /// The profile the authenticator says the credential belongs to (its user handle: the
    /// profile's uuid, 16 bytes), if it says one.
    pub fn user_handle(&self) -> Option<ProfileId> {
        let bytes: [u8; 16] = self
            .parsed
            .response
            .user_handle
            .as_deref()?
            .try_into()
            .ok()?;
        Some(ProfileId::from_u128(u128::from_be_bytes(bytes)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(verification: UserVerification) -> PasskeySettings {
        PasskeySettings {
            rp_id: "localhost".into(),
            rp_name: "Test Company".into(),
            origins: vec!["http://localhost:8080".into()],
            user_verification: verification,
        }
    }

    #[test]
    fn creation_options_ask_for_a_discoverable_credential_and_exclude_the_profiles() {
        let party = RelyingParty::new(&settings(UserVerification::Preferred)).unwrap();
        let profile = ProfileId::new_random();
        let existing = EnrolledPasskey {
            id: super::super::new_id(),
            name: "Laptop".into(),
            created_ms: 0,
            last_used_ms: None,
            credential_id: URL_SAFE_NO_PAD.encode([7u8; 32]),
            backup_eligible: false,
            backed_up: false,
            counter: 0,
            credential: String::new(),
        };
        let (options, state) = party
            .registration(profile, ("a@b.c", "a@b.c"), std::slice::from_ref(&existing))
            .unwrap();
        assert_eq!(options["rp"]["id"], "localhost");
        assert_eq!(
            options["user"]["id"],
            URL_SAFE_NO_PAD.encode(profile.as_u128().to_be_bytes())
        );
        let challenge = URL_SAFE_NO_PAD
            .decode(options["challenge"].as_str().unwrap())
            .unwrap();
        assert!(challenge.len() >= 16);
        assert_eq!(
            options["excludeCredentials"][0]["id"],
            existing.credential_id
        );
        assert_eq!(options["authenticatorSelection"]["residentKey"], "required");
        assert_eq!(
            options["authenticatorSelection"]["userVerification"],
            "preferred"
        );
        assert_eq!(options["attestation"], "none");
        // The state stays here: it carries the challenge the options do, nothing more secret.
        assert!(state.contains("challenge"));
    }

    #[test]
    fn passwordless_options_require_user_verification_whatever_the_company_prefers() {
        let party = RelyingParty::new(&settings(UserVerification::Preferred)).unwrap();
        let (options, _) = party.authentication(&[]).unwrap();
        assert_eq!(options["userVerification"], "required");
        assert_eq!(options["rpId"], "localhost");
        assert!(
            options
                .get("allowCredentials")
                .is_none_or(|list| list.as_array().is_some_and(Vec::is_empty))
        );
    }

    #[test]
    fn a_response_of_the_wrong_shape_is_refused_not_a_panic() {
        let party = RelyingParty::new(&settings(UserVerification::Required)).unwrap();
        let (_, state) = party
            .registration(ProfileId::new_random(), ("a", "a"), &[])
            .unwrap();
        for bad in [
            json!({}),
            json!({"id": "x", "rawId": "!!", "type": "public-key", "response": {}}),
            json!({"id": "AA", "rawId": "AA", "type": "public-key",
                   "response": {"attestationObject": "AA", "clientDataJSON": "AA"}}),
        ] {
            assert_eq!(
                party.register(&bad, &state, ("Laptop", 0), &[]),
                Err(Refusal::NotVerified),
                "{bad}"
            );
        }
        assert!(Assertion::parse(&json!({"rawId": 5})).is_none());
    }
}
