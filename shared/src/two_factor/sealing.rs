//! TOTP secrets at rest: sealed with XChaCha20-Poly1305 under a key kept outside DynamoDB (a
//! Secrets Manager secret in AWS, `.local/factor-key` locally), bound by its associated data
//! to its company, profile and slot. So a copy of the table (a backup, an export of it, a
//! stolen read) gives no authenticator's secret, and a sealed secret copied onto another
//! profile does not open there.

use std::fmt;

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use zeroize::Zeroizing;

use super::{Totp, TotpParams, TotpSecret};
use crate::domain::{CompanyId, ProfileId};

/// The first byte of every sealed value: which key derivation and cipher made it.
const VERSION: u8 = 1;
const NONCE_BYTES: usize = 24;
/// The least key material accepted (the generated keys are 32 bytes or more).
const MIN_KEY_BYTES: usize = 32;

/// The key TOTP secrets are sealed with. Its `Debug` never shows it.
#[derive(Clone)]
pub struct FactorKey(Zeroizing<[u8; 32]>);

impl fmt::Debug for FactorKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("FactorKey(..)")
    }
}

impl FactorKey {
    /// The sealing key derived from `material` (HMAC-SHA256 with this use's own label, so the
    /// same material could never serve another purpose by accident).
    pub fn new(material: &[u8]) -> Result<Self, String> {
        if material.len() < MIN_KEY_BYTES {
            return Err(format!("the key must be at least {MIN_KEY_BYTES} bytes"));
        }
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(material)
            .map_err(|_| "the key cannot be used".to_owned())?;
        mac.update(b"idp second-factor secrets v1");
        let mut key = Zeroizing::new([0u8; 32]);
        key.copy_from_slice(&mac.finalize().into_bytes());
        Ok(Self(key))
    }

    /// `plaintext` sealed for `context` (who and where it belongs): version, nonce, then the
    /// ciphertext with its tag.
    pub fn seal(&self, plaintext: &[u8], context: &str) -> Result<Vec<u8>, String> {
        let mut nonce = [0u8; NONCE_BYTES];
        super::fill_random(&mut nonce)?;
        let cipher = XChaCha20Poly1305::new(self.0.as_ref().into());
        let payload = Payload {
            msg: plaintext,
            aad: context.as_bytes(),
        };
        let sealed = cipher
            .encrypt(XNonce::from_slice(&nonce), payload)
            .map_err(|_| "sealing failed".to_owned())?;
        let mut out = Vec::with_capacity(1 + NONCE_BYTES + sealed.len());
        out.push(VERSION);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        Ok(out)
    }

    /// What [`FactorKey::seal`] sealed for the same `context`; `None` when `sealed` was not
    /// made by this key for this context, or was changed.
    pub fn open(&self, sealed: &[u8], context: &str) -> Option<Zeroizing<Vec<u8>>> {
        let (&version, rest) = sealed.split_first()?;
        if version != VERSION {
            return None;
        }
        let (nonce, ciphertext) = rest.split_at_checked(NONCE_BYTES)?;
        let cipher = XChaCha20Poly1305::new(self.0.as_ref().into());
        let payload = Payload {
            msg: ciphertext,
            aad: context.as_bytes(),
        };
        cipher
            .decrypt(XNonce::from_slice(nonce), payload)
            .ok()
            .map(Zeroizing::new)
    }
}

/// A TOTP as it is stored: its secret sealed for its company and profile, its parameters in
/// the clear.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SealedTotp {
    pub sealed: Vec<u8>,
    pub params: TotpParams,
}

impl SealedTotp {
    /// `totp` sealed under `key` for `profile` of `company`.
    pub fn seal(
        totp: &Totp,
        key: &FactorKey,
        company: &CompanyId,
        profile: ProfileId,
    ) -> Result<Self, String> {
        Ok(Self {
            sealed: key.seal(totp.secret.bytes(), &context(company, profile))?,
            params: totp.params,
        })
    }

    /// The TOTP, opened for `profile` of `company`; an error when it was sealed under another
    /// key, for another profile, or changed.
    pub fn open(
        &self,
        key: &FactorKey,
        company: &CompanyId,
        profile: ProfileId,
    ) -> Result<Totp, String> {
        let secret = key
            .open(&self.sealed, &context(company, profile))
            .and_then(|bytes| TotpSecret::from_bytes(bytes.to_vec()))
            .ok_or("a sealed TOTP secret did not open (another key, profile or a changed value)")?;
        Ok(Totp {
            secret,
            params: self.params,
        })
    }
}

fn context(company: &CompanyId, profile: ProfileId) -> String {
    format!("totp/{company}/{profile}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_secret_opens_only_with_its_key_and_context() {
        let key = FactorKey::new(&[7u8; 32]).unwrap();
        let secret = b"12345678901234567890";
        let sealed = key.seal(secret, "c/p/totp").unwrap();
        assert_eq!(sealed.len(), 1 + 24 + 20 + 16);
        assert!(!sealed.windows(secret.len()).any(|w| w == secret));
        assert_eq!(key.open(&sealed, "c/p/totp").unwrap().as_slice(), secret);
        assert_ne!(
            key.seal(secret, "c/p/totp").unwrap(),
            sealed,
            "a fresh nonce each time"
        );
        assert!(
            key.open(&sealed, "c/other/totp").is_none(),
            "another profile"
        );
        let other = FactorKey::new(&[8u8; 32]).unwrap();
        assert!(other.open(&sealed, "c/p/totp").is_none(), "another key");
        let mut changed = sealed.clone();
        *changed.last_mut().unwrap() ^= 1;
        assert!(key.open(&changed, "c/p/totp").is_none(), "a changed byte");
        assert!(key.open(&sealed[..10], "c/p/totp").is_none());
        assert!(FactorKey::new(&[1u8; 16]).is_err(), "too short");
        assert!(!format!("{key:?}").contains('7'));
    }
}
