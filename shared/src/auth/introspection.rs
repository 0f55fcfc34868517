use std::time::Duration;

use reqwest::StatusCode;
use serde_json::Value;

use super::cache::{RefusedTokens, TokenCache};
use super::{AuthError, Claims, client_from, company_uid_from, scopes_from};

/// Opaque-token introspection against an Atenea-compatible server:
/// `GET {ATENEA_URL}/oauth/token/info` with the caller's bearer token, which answers 200 with
/// `company_uid`, `scope`, `expires_in`, `created_at`, `application {uid, company_uid}`, or 401.
#[derive(Debug)]
pub struct Introspection {
    info_url: String,
    http: reqwest::Client,
    cache: TokenCache,
    refused: RefusedTokens,
}

/// How long a refused token is answered 401 without asking again.
pub const REFUSED_TTL: Duration = Duration::from_secs(5);

impl Introspection {
    pub fn new(atenea_url: &str, cache_ttl: Duration, timeout: Duration) -> Result<Self, String> {
        let http = crate::tls::reqwest_builder()
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(1)))
            .build()
            .map_err(|e| format!("cannot build the HTTP client: {e}"))?;
        Ok(Self {
            info_url: format!("{}/oauth/token/info", atenea_url.trim_end_matches('/')),
            http,
            cache: TokenCache::new(cache_ttl),
            refused: RefusedTokens::new(REFUSED_TTL),
        })
    }

    /// `ATENEA_URL`, `AUTH_CACHE_SECONDS` (default 30) and `AUTH_TIMEOUT_MS` (default 2000).
    pub fn from_env() -> Result<Self, String> {
        let url = std::env::var("ATENEA_URL")
            .map_err(|_| "AUTH_MODE=introspection needs ATENEA_URL".to_owned())?;
        Self::new(
            &url,
            Duration::from_secs(env_number("AUTH_CACHE_SECONDS", 30)),
            Duration::from_millis(env_number("AUTH_TIMEOUT_MS", 2000)),
        )
    }

    pub async fn verify(&self, token: &str) -> Result<Claims, AuthError> {
        if let Some(claims) = self.cache.get(token) {
            return Ok(claims);
        }
        if self.refused.contains(token) {
            return Err(AuthError::Invalid);
        }
        let result = self.introspect(token).await;
        if result == Err(AuthError::Invalid) {
            self.refused.put(token);
        }
        result
    }

    async fn introspect(&self, token: &str) -> Result<Claims, AuthError> {
        let response = self
            .http
            .get(&self.info_url)
            .bearer_auth(token)
            .send()
            .await
            .map_err(|e| AuthError::Unavailable(format!("introspection request failed: {e}")))?;
        match response.status() {
            StatusCode::OK => {}
            StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN | StatusCode::NOT_FOUND => {
                return Err(AuthError::Invalid);
            }
            other => {
                return Err(AuthError::Unavailable(format!(
                    "introspection answered {other}"
                )));
            }
        }
        let info: Value = response.json().await.map_err(|e| {
            AuthError::Unavailable(format!("introspection answered unreadable JSON: {e}"))
        })?;
        let expires_in = info.get("expires_in").and_then(Value::as_i64);
        if matches!(expires_in, Some(left) if left <= 0) {
            return Err(AuthError::Invalid);
        }
        let company_uid = company_uid_from(info.get("company_uid")).or_else(|| {
            company_uid_from(info.get("application").and_then(|a| a.get("company_uid")))
        });
        let claims = Claims {
            company_uid,
            scopes: scopes_from(info.get("scope")),
            client: client_from([info.get("application").and_then(|a| a.get("uid"))]),
        };
        let left = expires_in.map(|s| Duration::from_secs(s.unsigned_abs()));
        self.cache.put(token, &claims, left);
        Ok(claims)
    }
}

pub(crate) fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use wiremock::matchers::{header, method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};

    /// The body Atenea (a Doorkeeper server) answers for a valid token.
    fn token_info(company: Value, expires_in: i64) -> Value {
        json!({
            "resource_owner_id": null,
            "scope": ["public"],
            "expires_in": expires_in,
            "application": {"uid": "app-uid-123", "company_uid": company},
            "created_at": 1_700_000_000,
            "company_uid": company
        })
    }

    fn verifier(server: &MockServer) -> Introspection {
        Introspection::new(
            &server.uri(),
            Duration::from_secs(30),
            Duration::from_millis(300),
        )
        .unwrap()
    }

    #[tokio::test]
    async fn accepts_a_valid_token_and_caches_it() {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .and(path("/oauth/token/info"))
            .and(header("authorization", "Bearer good"))
            .respond_with(ResponseTemplate::new(200).set_body_json(token_info(json!(-1), 7200)))
            .expect(1)
            .mount(&server)
            .await;
        let v = verifier(&server);
        for _ in 0..3 {
            let claims = v.verify("good").await.unwrap();
            assert_eq!(claims.company_uid.as_deref(), Some("-1"));
            assert_eq!(claims.scopes, vec!["public"]);
            assert_eq!(claims.client.as_deref(), Some("app-uid-123"));
        }
    }

    #[tokio::test]
    async fn rejects_what_atenea_rejects() {
        let server = MockServer::start().await;
        Mock::given(path("/oauth/token/info"))
            .respond_with(ResponseTemplate::new(401).set_body_json(json!({
                "error": "invalid_token",
                "error_description": "The access token is invalid"
            })))
            .mount(&server)
            .await;
        assert_eq!(
            verifier(&server).verify("bad").await,
            Err(AuthError::Invalid)
        );
    }

    #[tokio::test]
    async fn a_refused_token_is_answered_from_memory_for_a_few_seconds() {
        let server = MockServer::start().await;
        Mock::given(path("/oauth/token/info"))
            .respond_with(ResponseTemplate::new(401))
            .expect(1)
            .mount(&server)
            .await;
        let v = verifier(&server);
        for _ in 0..20 {
            assert_eq!(v.verify("bad").await, Err(AuthError::Invalid));
        }
        // Dropping the server checks `expect(1)`: twenty refusals, one call.
    }

    #[tokio::test]
    async fn an_outage_is_not_remembered_as_a_refusal() {
        let server = MockServer::start().await;
        Mock::given(path("/oauth/token/info"))
            .respond_with(ResponseTemplate::new(502))
            .expect(2)
            .mount(&server)
            .await;
        let v = verifier(&server);
        for _ in 0..2 {
            assert!(matches!(
                v.verify("t").await,
                Err(AuthError::Unavailable(_))
            ));
        }
    }

    #[tokio::test]
    async fn expired_tokens_are_invalid() {
        let server = MockServer::start().await;
        Mock::given(path("/oauth/token/info"))
            .respond_with(ResponseTemplate::new(200).set_body_json(token_info(json!("7"), 0)))
            .mount(&server)
            .await;
        assert_eq!(
            verifier(&server).verify("old").await,
            Err(AuthError::Invalid)
        );
    }

    #[tokio::test]
    async fn a_failing_or_slow_server_is_unavailable_not_invalid() {
        let server = MockServer::start().await;
        Mock::given(path("/oauth/token/info"))
            .respond_with(ResponseTemplate::new(502))
            .mount(&server)
            .await;
        assert!(matches!(
            verifier(&server).verify("t").await,
            Err(AuthError::Unavailable(_))
        ));

        let slow = MockServer::start().await;
        Mock::given(path("/oauth/token/info"))
            .respond_with(
                ResponseTemplate::new(200)
                    .set_body_json(token_info(json!("7"), 60))
                    .set_delay(Duration::from_secs(2)),
            )
            .mount(&slow)
            .await;
        let started = std::time::Instant::now();
        assert!(matches!(
            verifier(&slow).verify("t").await,
            Err(AuthError::Unavailable(_))
        ));
        assert!(started.elapsed() < Duration::from_secs(2));
    }

    #[tokio::test]
    async fn a_server_that_is_down_is_unavailable() {
        let v = Introspection::new(
            "http://127.0.0.1:9",
            Duration::from_secs(30),
            Duration::from_millis(300),
        )
        .unwrap();
        assert!(matches!(
            v.verify("t").await,
            Err(AuthError::Unavailable(_))
        ));
    }
}
