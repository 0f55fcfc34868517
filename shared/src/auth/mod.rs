//! Access tokens (§2): opaque tokens introspected against an Atenea-compatible server, or JWTs
//! verified locally. Either way the result is the company the token may act on.

mod cache;
mod introspection;
mod jwt;

pub use introspection::Introspection;
pub use jwt::{ClaimRules, JwksSource, JwksTiming, JwtKeys, JwtVerifier, SigningAlg};

use lambda_http::http::HeaderMap;
use lambda_http::http::header::AUTHORIZATION;

/// What a verified token grants.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claims {
    /// The company the token may act on; a token without one may act on none.
    pub company_uid: Option<String>,
    pub scopes: Vec<String>,
    /// The calling application as the token names it (a JWT's `client_id`, `azp` or `sub`;
    /// introspection's `application.uid`): the actor of the audit trail's events.
    pub client: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// Missing, malformed, unknown or expired: 401.
    #[error("invalid token")]
    Invalid,
    /// The token server could not answer: 503, so callers retry instead of re-authenticating.
    #[error("token verification unavailable: {0}")]
    Unavailable(String),
}

/// The configured way of verifying tokens, built once per cold start.
#[derive(Debug)]
pub enum TokenVerifier {
    Introspection(Introspection),
    Jwt(Box<JwtVerifier>),
}

impl TokenVerifier {
    /// Reads `AUTH_MODE` (`introspection`, the default, or `jwt`) and the settings of that mode.
    pub fn from_env() -> Result<Self, String> {
        let mode = std::env::var("AUTH_MODE").unwrap_or_else(|_| "introspection".into());
        match mode.as_str() {
            "introspection" => Ok(Self::Introspection(Introspection::from_env()?)),
            "jwt" => Ok(Self::Jwt(Box::new(JwtVerifier::from_env()?))),
            other => Err(format!(
                "AUTH_MODE `{other}` is not supported (use introspection or jwt)"
            )),
        }
    }

    pub async fn verify(&self, token: &str) -> Result<Claims, AuthError> {
        match self {
            Self::Introspection(introspection) => introspection.verify(token).await,
            Self::Jwt(jwt) => jwt.verify(token).await,
        }
    }
}

/// Longer than any token we issue or expect; refuses absurd headers before any work.
const MAX_TOKEN_LEN: usize = 8192;

/// The token of an `Authorization: Bearer <token>` header.
pub fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(AUTHORIZATION)?.to_str().ok()?.trim();
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    let well_formed = scheme.eq_ignore_ascii_case("bearer")
        && !token.is_empty()
        && token.len() <= MAX_TOKEN_LEN
        && token.bytes().all(|b| b.is_ascii_graphic());
    well_formed.then_some(token)
}

/// `company_uid` may be sent as a string or a number.
pub(crate) fn company_uid_from(value: Option<&serde_json::Value>) -> Option<String> {
    match value? {
        serde_json::Value::String(s) if !s.is_empty() => Some(s.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// The longest client id an event keeps (characters); longer ones are cut.
const MAX_CLIENT_CHARS: usize = 128;

/// The first of `values` that is a non-empty string or a number, cut to [`MAX_CLIENT_CHARS`]
/// with control characters replaced: a client id goes into events and log lines as it is.
pub(crate) fn client_from<'a>(
    values: impl IntoIterator<Item = Option<&'a serde_json::Value>>,
) -> Option<String> {
    values.into_iter().find_map(company_uid_from).map(|client| {
        client
            .chars()
            .take(MAX_CLIENT_CHARS)
            .map(|c| if c.is_control() { '?' } else { c })
            .collect()
    })
}

/// `scope` may be an array of strings or one space-separated string.
pub(crate) fn scopes_from(value: Option<&serde_json::Value>) -> Vec<String> {
    match value {
        Some(serde_json::Value::Array(items)) => items
            .iter()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect(),
        Some(serde_json::Value::String(s)) => s.split_whitespace().map(str::to_owned).collect(),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lambda_http::http::HeaderValue;

    fn headers(value: &str) -> HeaderMap {
        let mut map = HeaderMap::new();
        map.insert(AUTHORIZATION, HeaderValue::from_str(value).unwrap());
        map
    }

    #[test]
    fn extracts_bearer_tokens_only() {
        assert_eq!(bearer_token(&headers("Bearer abc.def")), Some("abc.def"));
        assert_eq!(bearer_token(&headers("bearer  abc")), Some("abc"));
        assert_eq!(bearer_token(&headers("Basic abc")), None);
        assert_eq!(bearer_token(&headers("Bearer")), None);
        assert_eq!(bearer_token(&headers("Bearer a b")), None);
        assert_eq!(bearer_token(&HeaderMap::new()), None);
    }

    #[test]
    fn reads_company_and_scopes_in_both_shapes() {
        use serde_json::json;
        assert_eq!(company_uid_from(Some(&json!(-1))), Some("-1".into()));
        assert_eq!(company_uid_from(Some(&json!("abc"))), Some("abc".into()));
        assert_eq!(company_uid_from(Some(&json!(""))), None);
        assert_eq!(scopes_from(Some(&json!(["a", "b"]))), vec!["a", "b"]);
        assert_eq!(scopes_from(Some(&json!("a b"))), vec!["a", "b"]);
    }
}
