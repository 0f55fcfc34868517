//! The signature algorithms a token may name, and the key each one needs.

use jsonwebtoken::Algorithm;

/// Every algorithm this service verifies. Anything else a header names (`none`, `HS384`,
/// `ES512`, `ES256K`, `Ed448`, a typo) is refused before a key is looked at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SigningAlg {
    Rs256,
    Rs384,
    Rs512,
    Ps256,
    Ps384,
    Ps512,
    Es256,
    Es384,
    /// `EdDSA` (RFC 8037) and its fully-specified name `Ed25519` (RFC 9864) alike: with the only
    /// Edwards curve verified here, both name the same signature.
    Ed25519,
    /// A shared secret; only ever for a static key (`JWT_HS256_SECRET`), never from a JWKS.
    Hs256,
}

/// The key a signature algorithm verifies with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyShape {
    Rsa,
    P256,
    P384,
    Ed25519,
    Secret,
}

impl SigningAlg {
    /// The algorithm of a JOSE `alg` name, if it is one of ours.
    pub fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "RS256" => Self::Rs256,
            "RS384" => Self::Rs384,
            "RS512" => Self::Rs512,
            "PS256" => Self::Ps256,
            "PS384" => Self::Ps384,
            "PS512" => Self::Ps512,
            "ES256" => Self::Es256,
            "ES384" => Self::Es384,
            "EdDSA" | "Ed25519" => Self::Ed25519,
            "HS256" => Self::Hs256,
            _ => return None,
        })
    }

    pub fn key_shape(self) -> KeyShape {
        match self {
            Self::Rs256 | Self::Rs384 | Self::Rs512 | Self::Ps256 | Self::Ps384 | Self::Ps512 => {
                KeyShape::Rsa
            }
            Self::Es256 => KeyShape::P256,
            Self::Es384 => KeyShape::P384,
            Self::Ed25519 => KeyShape::Ed25519,
            Self::Hs256 => KeyShape::Secret,
        }
    }

    /// The same algorithm as `jsonwebtoken` names it, for its signature primitives.
    pub fn primitive(self) -> Algorithm {
        match self {
            Self::Rs256 => Algorithm::RS256,
            Self::Rs384 => Algorithm::RS384,
            Self::Rs512 => Algorithm::RS512,
            Self::Ps256 => Algorithm::PS256,
            Self::Ps384 => Algorithm::PS384,
            Self::Ps512 => Algorithm::PS512,
            Self::Es256 => Algorithm::ES256,
            Self::Es384 => Algorithm::ES384,
            Self::Ed25519 => Algorithm::EdDSA,
            Self::Hs256 => Algorithm::HS256,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_edwards_names_are_one_algorithm_and_unknown_names_none() {
        assert_eq!(SigningAlg::from_name("EdDSA"), Some(SigningAlg::Ed25519));
        assert_eq!(SigningAlg::from_name("Ed25519"), Some(SigningAlg::Ed25519));
        for refused in [
            "none", "None", "NONE", "", "HS384", "HS512", "ES512", "ES256K", "Ed448", "rs256",
        ] {
            assert_eq!(SigningAlg::from_name(refused), None, "{refused}");
        }
    }

    #[test]
    fn each_algorithm_needs_its_own_key_shape() {
        assert_eq!(SigningAlg::Ps512.key_shape(), KeyShape::Rsa);
        assert_eq!(SigningAlg::Es256.key_shape(), KeyShape::P256);
        assert_eq!(SigningAlg::Es384.key_shape(), KeyShape::P384);
        assert_eq!(SigningAlg::Ed25519.key_shape(), KeyShape::Ed25519);
        assert_eq!(SigningAlg::Hs256.key_shape(), KeyShape::Secret);
    }
}
