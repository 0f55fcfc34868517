//! The login challenge of a profile whose password was right and whose second factor is still
//! to come (§5.15): 32 random bytes, handed out once as an opaque string and kept only as a
//! hash, in the profile's own partition of the company the login named. So a challenge is
//! bound to its company (another company's login looks in another partition) and to its
//! profile, and the store deletes it on first use.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::domain::ProfileId;

/// How long a challenge may be answered.
pub const TTL_SECONDS: u64 = 300;
const SECRET_BYTES: usize = 32;

/// A challenge: the profile it is for and its secret part.
#[derive(Clone, PartialEq, Eq)]
pub struct Challenge {
    pub profile: ProfileId,
    secret: Zeroizing<[u8; SECRET_BYTES]>,
}

impl std::fmt::Debug for Challenge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Challenge({}, ..)", self.profile)
    }
}

impl Challenge {
    /// A new challenge for `profile`, from the operating system's CSPRNG.
    pub fn new(profile: ProfileId) -> Result<Self, String> {
        let mut secret = Zeroizing::new([0u8; SECRET_BYTES]);
        super::fill_random(secret.as_mut())?;
        Ok(Self { profile, secret })
    }

    /// A passwordless login's challenge: it names no profile (the nil uuid), as nobody is
    /// known until the passkey says who it is; the store keeps it in the company's partition.
    pub fn unbound() -> Result<Self, String> {
        Self::new(ProfileId::from_u128(0))
    }

    /// The opaque text the client sends back: the profile's uuid (which only says whose
    /// login it is, to a caller that knew the password) and the secret, in base64url.
    pub fn encode(&self) -> Zeroizing<String> {
        let mut bytes = Zeroizing::new(Vec::with_capacity(16 + SECRET_BYTES));
        bytes.extend_from_slice(&self.profile.as_u128().to_be_bytes());
        bytes.extend_from_slice(self.secret.as_ref());
        Zeroizing::new(URL_SAFE_NO_PAD.encode(bytes.as_slice()))
    }

    /// The challenge a client sent, when it is one's shape.
    pub fn parse(text: &str) -> Option<Self> {
        if text.len() != 64 {
            return None;
        }
        let bytes = Zeroizing::new(URL_SAFE_NO_PAD.decode(text).ok()?);
        let (uuid, secret) = bytes.split_at_checked(16)?;
        let profile = ProfileId::from_u128(u128::from_be_bytes(uuid.try_into().ok()?));
        let secret: [u8; SECRET_BYTES] = secret.try_into().ok()?;
        Some(Self {
            profile,
            secret: Zeroizing::new(secret),
        })
    }

    /// What the store keeps of it: a SHA-256 of the secret, in hex.
    pub fn digest(&self) -> String {
        let digest = Sha256::new()
            .chain_update(b"login-challenge\0")
            .chain_update(self.secret.as_ref())
            .finalize();
        digest.iter().map(|b| format!("{b:02x}")).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_challenge_reads_back_and_names_its_profile() {
        let profile = ProfileId::new_random();
        let challenge = Challenge::new(profile).unwrap();
        let text = challenge.encode();
        assert_eq!(text.len(), 64);
        let back = Challenge::parse(&text).unwrap();
        assert_eq!(back, challenge);
        assert_eq!(back.profile, profile);
        assert_eq!(back.digest(), challenge.digest());
        assert_ne!(
            Challenge::new(profile).unwrap().digest(),
            challenge.digest()
        );
        assert!(!format!("{challenge:?}").contains(text.as_str()));
    }

    #[test]
    fn anything_else_is_no_challenge() {
        for bad in ["", "abc", &"A".repeat(63), &"!".repeat(64), &"A".repeat(65)] {
            assert!(Challenge::parse(bad).is_none(), "{bad}");
        }
    }
}
