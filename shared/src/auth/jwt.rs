use std::str::FromStr;
use std::time::{Duration, Instant};

use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode, decode_header};
use serde::Deserialize;
use serde_json::Value;
use tokio::sync::RwLock;

use super::introspection::env_number;
use super::{AuthError, Claims, company_uid_from, scopes_from};

/// Where the verification keys come from.
pub enum JwtKeys {
    /// One key (a PEM public key or an HMAC secret) and its algorithm.
    Static(DecodingKey, Algorithm),
    /// A JWKS endpoint, fetched lazily and refreshed when a token names an unknown `kid`.
    Jwks(JwksSource),
}

impl JwtKeys {
    /// A shared HMAC secret, verified with HS256 only.
    pub fn hs256(secret: &[u8]) -> Self {
        Self::Static(DecodingKey::from_secret(secret), Algorithm::HS256)
    }
}

impl std::fmt::Debug for JwtKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Static(_, alg) => write!(f, "Static({alg:?})"),
            Self::Jwks(source) => write!(f, "Jwks({})", source.url),
        }
    }
}

/// JWT bearer tokens verified locally: signature, `exp` (required), `iss` and `aud` when
/// configured, and `company_uid` read from the claims.
#[derive(Debug)]
pub struct JwtVerifier {
    keys: JwtKeys,
    validation: Validation,
}

#[derive(Debug)]
pub struct JwksSource {
    url: String,
    http: reqwest::Client,
    state: RwLock<Option<(JwkSet, Instant)>>,
}

/// A JWKS is refetched at most this often, even when tokens name unknown keys.
const JWKS_MIN_REFRESH: Duration = Duration::from_secs(30);
const JWKS_MAX_AGE: Duration = Duration::from_secs(600);

impl JwtVerifier {
    pub fn new(keys: JwtKeys, issuer: Option<&str>, audience: Option<&str>) -> Self {
        let mut validation = Validation::new(Algorithm::RS256);
        validation.algorithms = match &keys {
            JwtKeys::Static(_, alg) => vec![*alg],
            JwtKeys::Jwks(_) => vec![
                Algorithm::RS256,
                Algorithm::RS384,
                Algorithm::RS512,
                Algorithm::PS256,
                Algorithm::ES256,
                Algorithm::ES384,
                Algorithm::EdDSA,
            ],
        };
        validation.leeway = 30;
        if let Some(issuer) = issuer {
            validation.set_issuer(&[issuer]);
            validation.required_spec_claims.insert("iss".into());
        }
        match audience {
            Some(audience) => {
                validation.set_audience(&[audience]);
                validation.required_spec_claims.insert("aud".into());
            }
            // Without a configured audience there is nothing to compare `aud` against.
            None => validation.validate_aud = false,
        }
        Self { keys, validation }
    }

    /// `JWT_JWKS_URL`, or a static key: `JWT_PUBLIC_KEY` / `JWT_PUBLIC_KEY_FILE` (PEM, with
    /// `JWT_ALGORITHM`, default `EdDSA`) or `JWT_HS256_SECRET`. Optional `JWT_ISSUER`, `JWT_AUDIENCE`.
    pub fn from_env() -> Result<Self, String> {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        let keys = if let Some(url) = var("JWT_JWKS_URL") {
            let http = crate::tls::reqwest_builder()
                .timeout(Duration::from_millis(env_number("AUTH_TIMEOUT_MS", 2000)))
                .build()
                .map_err(|e| format!("cannot build the HTTP client: {e}"))?;
            JwtKeys::Jwks(JwksSource {
                url,
                http,
                state: RwLock::new(None),
            })
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
            let alg_name = var("JWT_ALGORITHM").unwrap_or_else(|| "EdDSA".into());
            let alg = Algorithm::from_str(&alg_name)
                .map_err(|_| format!("JWT_ALGORITHM `{alg_name}` is not supported"))?;
            JwtKeys::Static(pem_key(&pem, alg)?, alg)
        };
        Ok(Self::new(
            keys,
            var("JWT_ISSUER").as_deref(),
            var("JWT_AUDIENCE").as_deref(),
        ))
    }

    pub async fn verify(&self, token: &str) -> Result<Claims, AuthError> {
        let claims = match &self.keys {
            // `decode` reads the header itself and refuses any other algorithm.
            JwtKeys::Static(key, _) => decode::<TokenClaims>(token, key, &self.validation),
            JwtKeys::Jwks(source) => {
                let header = decode_header(token).map_err(|_| AuthError::Invalid)?;
                let key = source.key_for(header.kid.as_deref(), header.alg).await?;
                decode(token, &key, &self.validation)
            }
        }
        .map_err(|_| AuthError::Invalid)?
        .claims;
        Ok(Claims {
            company_uid: company_uid_from(claims.company_uid.as_ref()),
            scopes: scopes_from(claims.scope.as_ref().or(claims.scp.as_ref())),
        })
    }
}

/// The claims this service reads. The token's other claims are skipped, not copied into a map
/// on every request (jsonwebtoken validates `exp`, `nbf`, `iss` and `aud` on its own); a
/// `null` claim counts as absent.
#[derive(Debug, Deserialize)]
struct TokenClaims {
    #[serde(default)]
    company_uid: Option<Value>,
    #[serde(default)]
    scope: Option<Value>,
    #[serde(default)]
    scp: Option<Value>,
}

fn pem_key(pem: &str, alg: Algorithm) -> Result<DecodingKey, String> {
    let bytes = pem.as_bytes();
    let key = match alg {
        Algorithm::EdDSA => DecodingKey::from_ed_pem(bytes),
        Algorithm::ES256 | Algorithm::ES384 => DecodingKey::from_ec_pem(bytes),
        Algorithm::RS256
        | Algorithm::RS384
        | Algorithm::RS512
        | Algorithm::PS256
        | Algorithm::PS384
        | Algorithm::PS512 => DecodingKey::from_rsa_pem(bytes),
        other => return Err(format!("{other:?} needs a secret, not a PEM key")),
    };
    key.map_err(|e| format!("cannot read the JWT public key: {e}"))
}

impl JwksSource {
    async fn key_for(&self, kid: Option<&str>, alg: Algorithm) -> Result<DecodingKey, AuthError> {
        let fresh_enough = |fetched: &Instant, max_age| fetched.elapsed() < max_age;
        {
            let state = self.state.read().await;
            if let Some((set, fetched)) = state.as_ref()
                && fresh_enough(fetched, JWKS_MAX_AGE)
                && let Some(key) = find(set, kid, alg)
            {
                return key;
            }
        }
        let mut state = self.state.write().await;
        // Another request may have refreshed the set while this one waited for the lock.
        if let Some((set, fetched)) = state.as_ref()
            && fresh_enough(fetched, JWKS_MIN_REFRESH)
        {
            return find(set, kid, alg).unwrap_or(Err(AuthError::Invalid));
        }
        let set: JwkSet = self
            .http
            .get(&self.url)
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .map_err(|e| AuthError::Unavailable(format!("JWKS fetch failed: {e}")))?
            .json()
            .await
            .map_err(|e| AuthError::Unavailable(format!("JWKS unreadable: {e}")))?;
        let key = find(&set, kid, alg).unwrap_or(Err(AuthError::Invalid));
        *state = Some((set, Instant::now()));
        key
    }
}

/// The key a token's header points at: by `kid`, or the only key when the token names none.
fn find(set: &JwkSet, kid: Option<&str>, alg: Algorithm) -> Option<Result<DecodingKey, AuthError>> {
    let jwk = match kid {
        Some(kid) => set.find(kid)?,
        None if set.keys.len() == 1 => set.keys.first()?,
        None => return None,
    };
    if let Some(key_alg) = jwk.common.key_algorithm
        && key_alg.to_string() != format!("{alg:?}")
    {
        return Some(Err(AuthError::Invalid));
    }
    Some(DecodingKey::from_jwk(jwk).map_err(|_| AuthError::Invalid))
}

#[cfg(test)]
mod tests {
    use super::*;
    use jsonwebtoken::{EncodingKey, Header, encode, get_current_timestamp};
    use serde_json::json;

    const SECRET: &str = "0123456789abcdef0123456789abcdef-test-only";

    fn hs256() -> JwtVerifier {
        JwtVerifier::new(
            JwtKeys::hs256(SECRET.as_bytes()),
            Some("https://issuer.test"),
            None,
        )
    }

    fn sign(claims: Value, secret: &str) -> String {
        encode(
            &Header::new(Algorithm::HS256),
            &claims,
            &EncodingKey::from_secret(secret.as_bytes()),
        )
        .unwrap()
    }

    #[tokio::test]
    async fn accepts_valid_tokens() {
        let now = get_current_timestamp();
        let token = sign(
            json!({"company_uid": "-1", "exp": now + 60, "iss": "https://issuer.test", "scope": "a b"}),
            SECRET,
        );
        let claims = hs256().verify(&token).await.unwrap();
        assert_eq!(claims.company_uid.as_deref(), Some("-1"));
        assert_eq!(claims.scopes, vec!["a", "b"]);
    }

    #[tokio::test]
    async fn rejects_expired_forged_foreign_and_unexpiring_tokens() {
        let now = get_current_timestamp();
        let iss = "https://issuer.test";
        let cases = [
            sign(
                json!({"company_uid": "1", "exp": now - 120, "iss": iss}),
                SECRET,
            ),
            sign(
                json!({"company_uid": "1", "exp": now + 60, "iss": iss}),
                "another-secret-another-secret-12345",
            ),
            sign(
                json!({"company_uid": "1", "exp": now + 60, "iss": "https://evil"}),
                SECRET,
            ),
            sign(json!({"company_uid": "1", "iss": iss}), SECRET),
            "not-a-jwt".to_owned(),
        ];
        for token in cases {
            assert_eq!(
                hs256().verify(&token).await,
                Err(AuthError::Invalid),
                "{token}"
            );
        }
    }

    #[tokio::test]
    async fn refuses_algorithm_switching() {
        let now = get_current_timestamp();
        // A token signed with HS384 must not pass a verifier pinned to HS256.
        let token = encode(
            &Header::new(Algorithm::HS384),
            &json!({"company_uid": "1", "exp": now + 60, "iss": "https://issuer.test"}),
            &EncodingKey::from_secret(SECRET.as_bytes()),
        )
        .unwrap();
        assert_eq!(hs256().verify(&token).await, Err(AuthError::Invalid));
    }
}
