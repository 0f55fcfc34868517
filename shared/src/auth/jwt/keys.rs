//! Verification keys: one from the configuration, or a JWKS's keys read one by one.

use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::DecodingKey;
use serde::Deserialize;
use serde_json::Value;

use super::alg::{KeyShape, SigningAlg};

/// A key a signature may be checked with, and what its publisher allowed it for.
pub struct VerifyingKey {
    pub kid: Option<String>,
    shape: KeyShape,
    /// The JWK's `alg`, when it names one: the key then verifies that algorithm only.
    pinned: Option<SigningAlg>,
    pub key: DecodingKey,
}

impl std::fmt::Debug for VerifyingKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "VerifyingKey({:?}, {:?})", self.kid, self.shape)
    }
}

impl VerifyingKey {
    /// A static key given with its one algorithm.
    pub fn pinned(key: DecodingKey, alg: SigningAlg) -> Self {
        Self {
            kid: None,
            shape: alg.key_shape(),
            pinned: Some(alg),
            key,
        }
    }

    /// Whether a signature of `alg` may be checked with this key: the key has that algorithm's
    /// shape (family and curve), and the publisher pinned no other algorithm to it.
    pub fn accepts(&self, alg: SigningAlg) -> bool {
        self.shape == alg.key_shape() && self.pinned.is_none_or(|pinned| pinned == alg)
    }
}

/// RSA moduli below this are refused: NIST has disallowed them for signatures since 2013.
const MIN_RSA_BITS: usize = 2048;
/// RSA moduli above this are refused: such keys only make each verification slower.
const MAX_RSA_BITS: usize = 8192;
/// A JWKS with more keys than this is not read past them.
pub const MAX_KEYS: usize = 64;

/// The members of a JWK this service reads (RFC 7517 §4, RFC 7518 §6, RFC 8037 §2).
#[derive(Deserialize)]
struct RawJwk {
    kty: String,
    #[serde(default)]
    kid: Option<String>,
    #[serde(default)]
    alg: Option<String>,
    #[serde(default, rename = "use")]
    use_: Option<String>,
    #[serde(default)]
    key_ops: Option<Vec<String>>,
    #[serde(default)]
    crv: Option<String>,
    #[serde(default)]
    n: Option<String>,
    #[serde(default)]
    e: Option<String>,
    #[serde(default)]
    x: Option<String>,
    #[serde(default)]
    y: Option<String>,
}

#[derive(Deserialize)]
struct RawSet {
    keys: Vec<Value>,
}

/// The signing keys of a JWKS document. Keys this service cannot or must not verify with (for
/// encryption, of another type or curve, too short, malformed, pinned to an algorithm we do
/// not verify) are left out one by one: a real issuer's set often holds such keys beside the
/// ones that sign its tokens. `None` when the document is not a JWKS at all.
pub fn signing_keys(document: &[u8]) -> Option<Vec<Arc<VerifyingKey>>> {
    let set: RawSet = serde_json::from_slice(document).ok()?;
    Some(
        set.keys
            .into_iter()
            .take(MAX_KEYS)
            .filter_map(|value| serde_json::from_value::<RawJwk>(value).ok())
            .filter_map(|jwk| from_jwk(&jwk))
            .map(Arc::new)
            .collect(),
    )
}

fn from_jwk(jwk: &RawJwk) -> Option<VerifyingKey> {
    if jwk.use_.as_deref().is_some_and(|u| u != "sig")
        || jwk
            .key_ops
            .as_ref()
            .is_some_and(|ops| !ops.iter().any(|op| op == "verify"))
    {
        return None;
    }
    let pinned = match jwk.alg.as_deref() {
        // A JWKS never hands out a shared secret.
        Some(name) => Some(SigningAlg::from_name(name).filter(|a| *a != SigningAlg::Hs256)?),
        None => None,
    };
    let (shape, key) = match (jwk.kty.as_str(), jwk.crv.as_deref()) {
        ("RSA", _) => {
            let (n, e) = (decode(jwk.n.as_deref()?)?, decode(jwk.e.as_deref()?)?);
            let bits = significant_bits(&n);
            if !(MIN_RSA_BITS..=MAX_RSA_BITS).contains(&bits) || e.is_empty() || e.len() > 8 {
                return None;
            }
            (KeyShape::Rsa, DecodingKey::from_rsa_raw_components(&n, &e))
        }
        ("EC", Some(curve @ ("P-256" | "P-384"))) => {
            let (shape, len) = if curve == "P-256" {
                (KeyShape::P256, 32)
            } else {
                (KeyShape::P384, 48)
            };
            let (x, y) = (jwk.x.as_deref()?, jwk.y.as_deref()?);
            if decode(x)?.len() != len || decode(y)?.len() != len {
                return None;
            }
            (shape, DecodingKey::from_ec_components(x, y).ok()?)
        }
        ("OKP", Some("Ed25519")) => {
            let x = jwk.x.as_deref()?;
            if decode(x)?.len() != 32 {
                return None;
            }
            (KeyShape::Ed25519, DecodingKey::from_ed_components(x).ok()?)
        }
        _ => return None,
    };
    if pinned.is_some_and(|alg| alg.key_shape() != shape) {
        // A key whose own `alg` contradicts its type is a broken entry, not a key to guess at.
        return None;
    }
    Some(VerifyingKey {
        kid: jwk.kid.clone(),
        shape,
        pinned,
        key,
    })
}

fn decode(value: &str) -> Option<Vec<u8>> {
    URL_SAFE_NO_PAD.decode(value).ok()
}

fn significant_bits(big_endian: &[u8]) -> usize {
    let skip = big_endian.iter().take_while(|b| **b == 0).count();
    match big_endian.get(skip) {
        Some(first) => (big_endian.len() - skip) * 8 - first.leading_zeros() as usize,
        None => 0,
    }
}

/// What a token's header found in a key set.
#[derive(Debug)]
pub enum Lookup {
    Found(Arc<VerifyingKey>),
    /// The header names a key the set has, but not for this algorithm (or ambiguously): the
    /// token is refused, and no other key or algorithm is tried.
    Refused,
    /// The set has no key by that `kid`: a newer set may.
    Unknown,
}

/// The key for a token's `kid` and algorithm. A token without a `kid` is verified only against
/// a set of exactly one key.
pub fn lookup(keys: &[Arc<VerifyingKey>], kid: Option<&str>, alg: SigningAlg) -> Lookup {
    let named: Vec<&Arc<VerifyingKey>> = match kid {
        Some(kid) => keys
            .iter()
            .filter(|k| k.kid.as_deref() == Some(kid))
            .collect(),
        None if keys.len() == 1 => keys.iter().collect(),
        None => return Lookup::Refused,
    };
    match named.as_slice() {
        [] => Lookup::Unknown,
        [key] if key.accepts(alg) => Lookup::Found(Arc::clone(key)),
        _ => Lookup::Refused,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const ED_X: &str = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo";
    const P256_X: &str = "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU";
    const P256_Y: &str = "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0";

    fn rsa(bits: usize) -> Value {
        let mut n = vec![0xffu8; bits / 8];
        n[0] = 0x80;
        json!({"kty": "RSA", "kid": format!("rsa-{bits}"), "n": URL_SAFE_NO_PAD.encode(n), "e": "AQAB"})
    }

    fn keys(set: Value) -> Vec<Arc<VerifyingKey>> {
        signing_keys(set.to_string().as_bytes()).unwrap()
    }

    fn kids(set: Value) -> Vec<String> {
        keys(set)
            .iter()
            .map(|k| k.kid.clone().unwrap_or_default())
            .collect()
    }

    #[test]
    fn reads_each_signing_key_and_skips_the_rest_one_by_one() {
        let set = json!({"keys": [
            {"kty": "OKP", "crv": "Ed25519", "kid": "ed", "x": ED_X, "use": "sig"},
            {"kty": "EC", "crv": "P-256", "kid": "ec", "x": P256_X, "y": P256_Y, "alg": "ES256"},
            rsa(2048),
            rsa(1024),
            {"kty": "RSA", "kid": "enc", "n": rsa(2048)["n"], "e": "AQAB", "use": "enc", "alg": "RSA-OAEP-256"},
            {"kty": "RSA", "kid": "ops", "n": rsa(2048)["n"], "e": "AQAB", "key_ops": ["encrypt"]},
            {"kty": "oct", "kid": "secret", "k": "c2VjcmV0", "alg": "HS256"},
            {"kty": "OKP", "crv": "Ed448", "kid": "ed448", "x": "AAAA"},
            {"kty": "OKP", "crv": "X25519", "kid": "x25519", "x": ED_X},
            {"kty": "EC", "crv": "P-521", "kid": "p521", "x": P256_X, "y": P256_Y},
            {"kty": "EC", "crv": "P-384", "kid": "short", "x": P256_X, "y": P256_Y},
            {"kty": "EC", "crv": "P-256", "kid": "liar", "x": P256_X, "y": P256_Y, "alg": "RS256"},
            {"kty": "AKP", "kid": "ml-dsa", "alg": "ML-DSA-44", "pub": "AAAA"},
            {"kid": "no-kty"},
            "not an object",
        ]});
        assert_eq!(kids(set), ["ed", "ec", "rsa-2048"]);
        assert!(signing_keys(b"{\"not\":\"a set\"}").is_none());
        assert!(signing_keys(b"[]").is_none());
    }

    #[test]
    fn a_key_verifies_only_its_own_algorithms() {
        let set = keys(json!({"keys": [
            {"kty": "OKP", "crv": "Ed25519", "kid": "ed", "x": ED_X},
            {"kty": "EC", "crv": "P-256", "kid": "ec", "x": P256_X, "y": P256_Y},
            {"kty": "RSA", "kid": "rs512", "n": rsa(2048)["n"], "e": "AQAB", "alg": "RS512"},
            {"kty": "OKP", "crv": "Ed25519", "kid": "eddsa", "x": ED_X, "alg": "EdDSA"},
        ]}));
        let found = |kid, alg| matches!(lookup(&set, Some(kid), alg), Lookup::Found(_));
        assert!(found("ed", SigningAlg::Ed25519));
        assert!(
            found("eddsa", SigningAlg::Ed25519),
            "EdDSA and Ed25519 are one algorithm"
        );
        assert!(found("ec", SigningAlg::Es256));
        assert!(found("rs512", SigningAlg::Rs512));
        for (kid, alg) in [
            ("ed", SigningAlg::Es256),
            ("ec", SigningAlg::Es384),
            ("ec", SigningAlg::Rs256),
            ("rs512", SigningAlg::Rs256),
            ("rs512", SigningAlg::Ps512),
            ("eddsa", SigningAlg::Hs256),
        ] {
            assert!(
                matches!(lookup(&set, Some(kid), alg), Lookup::Refused),
                "{kid} {alg:?}"
            );
        }
        assert!(matches!(
            lookup(&set, Some("gone"), SigningAlg::Es256),
            Lookup::Unknown
        ));
        assert!(
            matches!(lookup(&set, None, SigningAlg::Es256), Lookup::Refused),
            "no kid among many"
        );
    }

    #[test]
    fn a_lone_key_serves_tokens_without_kid_and_duplicate_kids_are_refused() {
        let one = keys(json!({"keys": [{"kty": "EC", "crv": "P-256", "x": P256_X, "y": P256_Y}]}));
        assert!(matches!(
            lookup(&one, None, SigningAlg::Es256),
            Lookup::Found(_)
        ));
        let twins = keys(json!({"keys": [
            {"kty": "EC", "crv": "P-256", "kid": "k", "x": P256_X, "y": P256_Y},
            {"kty": "EC", "crv": "P-256", "kid": "k", "x": P256_X, "y": P256_Y},
        ]}));
        assert!(matches!(
            lookup(&twins, Some("k"), SigningAlg::Es256),
            Lookup::Refused
        ));
    }

    #[test]
    fn counts_the_bits_of_a_modulus() {
        assert_eq!(significant_bits(&[0, 0, 1]), 1);
        assert_eq!(significant_bits(&[0x80, 0]), 16);
        assert_eq!(significant_bits(&[0, 0x7f, 0]), 15);
        assert_eq!(significant_bits(&[]), 0);
    }
}
