//! JWT access tokens verified locally (RFC 7519, RFC 9068), against one configured key or an
//! issuer's JWKS.
//!
//! Each token is verified with exactly one algorithm and one key. The algorithm comes from the
//! token's header only when it is one this service verifies and the selected key agrees with
//! it (key type, curve, and the JWK's `alg`/`use`/`key_ops` when present); a key that does not
//! agree refuses the token, and no other key or algorithm is tried. The signature is checked
//! before any claim is read.

mod alg;
mod claims;
mod compact;
mod jwks;
mod keys;

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use jsonwebtoken::DecodingKey;

pub use alg::SigningAlg;
pub use claims::ClaimRules;
pub use jwks::{JwksSource, JwksTiming};

use super::{AuthError, Claims};
use compact::CompactJws;
use keys::VerifyingKey;

/// Where the verification keys come from.
pub enum JwtKeys {
    /// One key (a PEM public key or an HMAC secret) with the one algorithm it verifies.
    Static(Arc<VerifyingKey>),
    /// A JWKS endpoint, fetched lazily and refreshed when a token names an unknown `kid`.
    Jwks(JwksSource),
}

impl JwtKeys {
    /// A shared HMAC secret, verified with HS256 only.
    pub fn hs256(secret: &[u8]) -> Self {
        Self::pinned(DecodingKey::from_secret(secret), SigningAlg::Hs256)
    }

    /// A PEM public key for `alg`.
    pub fn pem(pem: &str, alg: SigningAlg) -> Result<Self, String> {
        Ok(Self::pinned(pem_key(pem, alg)?, alg))
    }

    fn pinned(key: DecodingKey, alg: SigningAlg) -> Self {
        Self::Static(Arc::new(VerifyingKey::pinned(key, alg)))
    }
}

impl std::fmt::Debug for JwtKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Static(key) => write!(f, "Static({key:?})"),
            Self::Jwks(source) => write!(f, "Jwks({})", source.url),
        }
    }
}

#[derive(Debug)]
pub struct JwtVerifier {
    keys: JwtKeys,
    rules: ClaimRules,
}

impl JwtVerifier {
    pub fn new(keys: JwtKeys, rules: ClaimRules) -> Self {
        Self { keys, rules }
    }

    /// `JWT_JWKS_URL`, or a static key: `JWT_PUBLIC_KEY` / `JWT_PUBLIC_KEY_FILE` (PEM, with
    /// `JWT_ALGORITHM`, default `EdDSA`) or `JWT_HS256_SECRET`; the claim rules of
    /// [`ClaimRules`] from `JWT_ISSUER`, `JWT_AUDIENCE`, `JWT_AUDIENCE_CLAIM`,
    /// `JWT_COMPANY_CLAIM`, `JWT_REQUIRED_CLAIMS`, `JWT_TYPE` and `JWT_LEEWAY_SECS`.
    pub fn from_env() -> Result<Self, String> {
        let keys = if let Some(url) = var("JWT_JWKS_URL") {
            let http = crate::tls::reqwest_builder()
                .timeout(Duration::from_millis(super::introspection::env_number(
                    "AUTH_TIMEOUT_MS",
                    2000,
                )))
                .build()
                .map_err(|e| format!("cannot build the HTTP client: {e}"))?;
            let default = JwksTiming::default();
            let timing = JwksTiming {
                max_age: seconds("JWT_JWKS_MAX_AGE_SECS", default.max_age, 1, 86_400)?,
                min_refresh: seconds("JWT_JWKS_MIN_REFRESH_SECS", default.min_refresh, 0, 3600)?,
                stale_if_error: seconds(
                    "JWT_JWKS_STALE_IF_ERROR_SECS",
                    default.stale_if_error,
                    0,
                    86_400,
                )?,
            };
            JwtKeys::Jwks(JwksSource::new(url, http, timing))
        } else if let Some(secret) = var("JWT_HS256_SECRET") {
            if secret.len() < 32 {
                return Err("JWT_HS256_SECRET must be at least 32 bytes".into());
            }
            JwtKeys::hs256(secret.as_bytes())
        } else {
            let pem = match (var("JWT_PUBLIC_KEY"), var("JWT_PUBLIC_KEY_FILE")) {
                (Some(pem), _) => pem,
                (None, Some(path)) => std::fs::read_to_string(&path)
                    .map_err(|e| format!("cannot read JWT_PUBLIC_KEY_FILE {path}: {e}"))?,
                (None, None) => {
                    return Err("AUTH_MODE=jwt needs JWT_JWKS_URL, JWT_PUBLIC_KEY(_FILE) or JWT_HS256_SECRET".into());
                }
            };
            let name = var("JWT_ALGORITHM").unwrap_or_else(|| "EdDSA".into());
            let alg = SigningAlg::from_name(&name)
                .ok_or_else(|| format!("JWT_ALGORITHM `{name}` is not supported"))?;
            JwtKeys::pem(&pem, alg)?
        };
        Ok(Self::new(keys, rules_from_env()?))
    }

    pub async fn verify(&self, token: &str) -> Result<Claims, AuthError> {
        let jws = CompactJws::parse(token).ok_or(AuthError::Invalid)?;
        if !self.rules.header_type_allowed(jws.typ.as_deref()) {
            return Err(AuthError::Invalid);
        }
        let key = match &self.keys {
            // One key, so a `kid` in the header has nothing to choose.
            JwtKeys::Static(key) if key.accepts(jws.alg) => Arc::clone(key),
            JwtKeys::Static(_) => return Err(AuthError::Invalid),
            JwtKeys::Jwks(source) => source.key_for(jws.kid.as_deref(), jws.alg).await?,
        };
        let signed = jsonwebtoken::crypto::verify(
            jws.signature,
            jws.signing_input.as_bytes(),
            &key.key,
            jws.alg.primitive(),
        );
        if !matches!(signed, Ok(true)) {
            return Err(AuthError::Invalid);
        }
        let claims = jws.claims().ok_or(AuthError::Invalid)?;
        self.rules.grant(&claims, now()).ok_or(AuthError::Invalid)
    }
}

fn now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |since| since.as_secs_f64())
}

fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// A whole number of seconds from the environment, within bounds; a bad value stops the cold
/// start with its name rather than being silently replaced.
fn seconds(name: &str, default: Duration, min: u64, max: u64) -> Result<Duration, String> {
    let Some(value) = var(name) else {
        return Ok(default);
    };
    match value.trim().parse::<u64>() {
        Ok(secs) if (min..=max).contains(&secs) => Ok(Duration::from_secs(secs)),
        _ => Err(format!(
            "{name} must be a whole number of seconds from {min} to {max}"
        )),
    }
}

fn rules_from_env() -> Result<ClaimRules, String> {
    let default = ClaimRules::default();
    let list = |name| -> Vec<String> {
        var(name)
            .map(|v| {
                v.split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default()
    };
    let required = list("JWT_REQUIRED_CLAIMS")
        .into_iter()
        .map(|pair| match pair.split_once('=') {
            Some((name, value)) if !name.trim().is_empty() => {
                Ok((name.trim().to_owned(), value.trim().to_owned()))
            }
            _ => Err(format!("JWT_REQUIRED_CLAIMS: `{pair}` is not name=value")),
        })
        .collect::<Result<_, _>>()?;
    Ok(ClaimRules {
        issuer: var("JWT_ISSUER"),
        audiences: list("JWT_AUDIENCE"),
        audience_claim: var("JWT_AUDIENCE_CLAIM").unwrap_or(default.audience_claim),
        company_claim: var("JWT_COMPANY_CLAIM").unwrap_or(default.company_claim),
        required,
        token_type: var("JWT_TYPE"),
        leeway: seconds(
            "JWT_LEEWAY_SECS",
            Duration::from_secs(claims::DEFAULT_LEEWAY_SECS),
            0,
            claims::MAX_LEEWAY_SECS,
        )?
        .as_secs(),
    })
}

fn pem_key(pem: &str, alg: SigningAlg) -> Result<DecodingKey, String> {
    use alg::KeyShape;
    let bytes = pem.as_bytes();
    let key = match alg.key_shape() {
        KeyShape::Ed25519 => DecodingKey::from_ed_pem(bytes),
        KeyShape::P256 | KeyShape::P384 => DecodingKey::from_ec_pem(bytes),
        KeyShape::Rsa => DecodingKey::from_rsa_pem(bytes),
        KeyShape::Secret => return Err(format!("{alg:?} needs a secret, not a PEM key")),
    };
    key.map_err(|e| format!("cannot read the JWT public key: {e}"))
}

#[cfg(test)]
mod tests;
