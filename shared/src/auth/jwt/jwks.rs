//! A JWKS endpoint: fetched on first use, kept for a while, fetched again for a new `kid`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::RwLock;

use super::super::AuthError;
use super::alg::SigningAlg;
use super::keys::{Lookup, VerifyingKey, lookup, signing_keys};

/// How long keys are kept, and how often the endpoint may be asked again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JwksTiming {
    /// A set older than this is fetched again before use: a key removed from the JWKS stops
    /// verifying within this time.
    pub max_age: Duration,
    /// The endpoint is asked at most once per this interval, however many unknown `kid`s arrive.
    pub min_refresh: Duration,
    /// While the endpoint cannot be reached, a set this much past `max_age` still verifies
    /// the keys it holds (an unknown `kid` is then a 503): an issuer's outage does not lock
    /// every caller out at once.
    pub stale_if_error: Duration,
}

impl Default for JwksTiming {
    fn default() -> Self {
        Self {
            max_age: Duration::from_secs(600),
            min_refresh: Duration::from_secs(30),
            stale_if_error: Duration::from_secs(3600),
        }
    }
}

/// A JWKS larger than this is refused unread past the limit.
const MAX_DOCUMENT_BYTES: usize = 256 * 1024;

#[derive(Debug)]
pub struct JwksSource {
    pub(super) url: String,
    http: reqwest::Client,
    timing: JwksTiming,
    state: RwLock<State>,
}

#[derive(Debug, Default)]
struct State {
    keys: Vec<Arc<VerifyingKey>>,
    /// When `keys` were fetched; `None` before the first successful fetch.
    fetched: Option<Instant>,
    /// The last time the endpoint was asked, successfully or not.
    attempted: Option<Instant>,
    /// Whether that last attempt failed: an unknown `kid` may then be a key the issuer has
    /// and this instance could not fetch, so it is a 503 (try again), never a 401 (throw the
    /// token away), until a fetch succeeds.
    last_failed: bool,
}

fn unavailable() -> AuthError {
    AuthError::Unavailable("the JWKS endpoint cannot be reached".into())
}

/// What the cached state says about a token, before any fetch.
enum Plan {
    Answer(Result<Arc<VerifyingKey>, AuthError>),
    Fetch,
}

impl State {
    fn age(&self, now: Instant) -> Option<Duration> {
        self.fetched.map(|at| now.saturating_duration_since(at))
    }

    fn may_fetch(&self, now: Instant, timing: &JwksTiming) -> bool {
        self.attempted
            .is_none_or(|at| now.saturating_duration_since(at) >= timing.min_refresh)
    }

    fn plan(&self, kid: Option<&str>, alg: SigningAlg, now: Instant, timing: &JwksTiming) -> Plan {
        let fresh = self.age(now).is_some_and(|age| age < timing.max_age);
        if !fresh {
            return if self.may_fetch(now, timing) {
                Plan::Fetch
            } else {
                // Asked too recently and still not fresh: the endpoint failed.
                Plan::Answer(self.stale_answer(kid, alg, now, timing))
            };
        }
        match lookup(&self.keys, kid, alg) {
            Lookup::Found(key) => Plan::Answer(Ok(key)),
            Lookup::Refused => Plan::Answer(Err(AuthError::Invalid)),
            Lookup::Unknown if self.may_fetch(now, timing) => Plan::Fetch,
            Lookup::Unknown if self.last_failed => Plan::Answer(Err(unavailable())),
            // The set was fetched moments ago and has no such key.
            Lookup::Unknown => Plan::Answer(Err(AuthError::Invalid)),
        }
    }

    /// The answer from the keys held while the endpoint cannot give newer ones.
    fn stale_answer(
        &self,
        kid: Option<&str>,
        alg: SigningAlg,
        now: Instant,
        timing: &JwksTiming,
    ) -> Result<Arc<VerifyingKey>, AuthError> {
        let usable = self
            .age(now)
            .is_some_and(|age| age < timing.max_age + timing.stale_if_error);
        if !usable {
            return Err(unavailable());
        }
        match lookup(&self.keys, kid, alg) {
            Lookup::Found(key) => Ok(key),
            Lookup::Refused => Err(AuthError::Invalid),
            Lookup::Unknown => Err(unavailable()),
        }
    }
}

impl JwksSource {
    pub fn new(url: String, http: reqwest::Client, timing: JwksTiming) -> Self {
        Self {
            url,
            http,
            timing,
            state: RwLock::new(State::default()),
        }
    }

    /// The key that verifies a token of `kid` and `alg`, fetching the set when it must.
    pub async fn key_for(
        &self,
        kid: Option<&str>,
        alg: SigningAlg,
    ) -> Result<Arc<VerifyingKey>, AuthError> {
        if let Plan::Answer(answer) =
            self.state
                .read()
                .await
                .plan(kid, alg, Instant::now(), &self.timing)
        {
            return answer;
        }
        let mut state = self.state.write().await;
        // Another request may have fetched while this one waited for the lock.
        if let Plan::Answer(answer) = state.plan(kid, alg, Instant::now(), &self.timing) {
            return answer;
        }
        state.attempted = Some(Instant::now());
        match self.fetch().await {
            Ok(keys) => {
                state.last_failed = false;
                state.keys = keys;
                state.fetched = state.attempted;
                match lookup(&state.keys, kid, alg) {
                    Lookup::Found(key) => Ok(key),
                    Lookup::Refused | Lookup::Unknown => Err(AuthError::Invalid),
                }
            }
            Err(reason) => {
                state.last_failed = true;
                tracing::warn!(url = %self.url, %reason, "JWKS fetch failed");
                state.stale_answer(kid, alg, Instant::now(), &self.timing)
            }
        }
    }

    async fn fetch(&self) -> Result<Vec<Arc<VerifyingKey>>, String> {
        let mut response = self
            .http
            .get(&self.url)
            .header(
                reqwest::header::ACCEPT,
                "application/jwk-set+json, application/json",
            )
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .map_err(|e| e.without_url().to_string())?;
        let mut document = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| e.without_url().to_string())?
        {
            if document.len() + chunk.len() > MAX_DOCUMENT_BYTES {
                return Err(format!("larger than {MAX_DOCUMENT_BYTES} bytes"));
            }
            document.extend_from_slice(&chunk);
        }
        signing_keys(&document).ok_or_else(|| "not a JWK set".to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use wiremock::matchers::{method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};

    const X1: &str = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo";

    fn set(kids: &[&str]) -> serde_json::Value {
        json!({"keys": kids.iter().map(|kid| json!({"kty": "OKP", "crv": "Ed25519", "kid": kid, "x": X1})).collect::<Vec<_>>()})
    }

    fn quick() -> JwksTiming {
        JwksTiming {
            max_age: Duration::from_millis(400),
            min_refresh: Duration::from_millis(100),
            stale_if_error: Duration::from_millis(800),
        }
    }

    async fn source(server: &MockServer) -> JwksSource {
        let http = crate::tls::reqwest_builder().build().unwrap();
        JwksSource::new(format!("{}/jwks", server.uri()), http, quick())
    }

    async fn serve(server: &MockServer, status: u16, body: serde_json::Value) {
        server.reset().await;
        Mock::given(method("GET"))
            .and(path("/jwks"))
            .respond_with(ResponseTemplate::new(status).set_body_json(body))
            .mount(server)
            .await;
    }

    #[tokio::test]
    async fn fetches_once_refetches_for_a_new_kid_and_throttles_unknown_ones() {
        let server = MockServer::start().await;
        serve(&server, 200, set(&["a"])).await;
        let jwks = source(&server).await;
        let ed = SigningAlg::Ed25519;
        assert!(jwks.key_for(Some("a"), ed).await.is_ok());
        assert!(jwks.key_for(Some("a"), ed).await.is_ok());
        assert_eq!(server.received_requests().await.unwrap().len(), 1);
        // Within min_refresh an unknown kid is refused without asking again.
        assert_eq!(
            jwks.key_for(Some("b"), ed).await.unwrap_err(),
            AuthError::Invalid
        );
        serve(&server, 200, set(&["a", "b"])).await;
        tokio::time::sleep(Duration::from_millis(120)).await;
        assert!(
            jwks.key_for(Some("b"), ed).await.is_ok(),
            "a new kid after min_refresh"
        );
        assert_eq!(
            jwks.key_for(Some("a"), SigningAlg::Es256)
                .await
                .unwrap_err(),
            AuthError::Invalid
        );
        assert_eq!(
            server.received_requests().await.unwrap().len(),
            1,
            "a mismatch fetches nothing"
        );
    }

    #[tokio::test]
    async fn a_removed_key_stops_verifying_once_the_set_ages() {
        let server = MockServer::start().await;
        serve(&server, 200, set(&["a", "b"])).await;
        let jwks = source(&server).await;
        let ed = SigningAlg::Ed25519;
        assert!(jwks.key_for(Some("a"), ed).await.is_ok());
        serve(&server, 200, set(&["b"])).await;
        assert!(jwks.key_for(Some("a"), ed).await.is_ok(), "still cached");
        tokio::time::sleep(Duration::from_millis(450)).await;
        assert_eq!(
            jwks.key_for(Some("a"), ed).await.unwrap_err(),
            AuthError::Invalid
        );
        assert!(jwks.key_for(Some("b"), ed).await.is_ok());
    }

    #[tokio::test]
    async fn while_the_endpoint_is_down_held_keys_verify_and_new_kids_are_503() {
        let server = MockServer::start().await;
        serve(&server, 200, set(&["a"])).await;
        let jwks = source(&server).await;
        let ed = SigningAlg::Ed25519;
        assert!(jwks.key_for(Some("a"), ed).await.is_ok());
        serve(&server, 503, json!({})).await;
        tokio::time::sleep(Duration::from_millis(120)).await;
        assert!(matches!(
            jwks.key_for(Some("new"), ed).await,
            Err(AuthError::Unavailable(_))
        ));
        assert!(
            matches!(
                jwks.key_for(Some("new"), ed).await,
                Err(AuthError::Unavailable(_))
            ),
            "inside the cool-down too: the key may exist and could not be fetched"
        );
        assert_eq!(
            server.received_requests().await.unwrap().len(),
            1,
            "the cool-down still holds"
        );
        assert!(
            jwks.key_for(Some("a"), ed).await.is_ok(),
            "fresh keys need no fetch"
        );
        tokio::time::sleep(Duration::from_millis(400)).await;
        assert!(
            jwks.key_for(Some("a"), ed).await.is_ok(),
            "aged, but the endpoint is down"
        );
        tokio::time::sleep(Duration::from_millis(900)).await;
        assert!(
            matches!(
                jwks.key_for(Some("a"), ed).await,
                Err(AuthError::Unavailable(_))
            ),
            "past stale_if_error"
        );
        serve(&server, 200, json!({"not": "a set"})).await;
        tokio::time::sleep(Duration::from_millis(120)).await;
        assert!(
            matches!(
                jwks.key_for(Some("a"), ed).await,
                Err(AuthError::Unavailable(_))
            ),
            "garbage is an outage"
        );
    }

    #[tokio::test]
    async fn never_fetched_and_unreachable_is_503() {
        let http = crate::tls::reqwest_builder().build().unwrap();
        let jwks = JwksSource::new("http://127.0.0.1:9/jwks".into(), http, quick());
        assert!(matches!(
            jwks.key_for(Some("a"), SigningAlg::Ed25519).await,
            Err(AuthError::Unavailable(_))
        ));
        // And the next token within min_refresh is answered without another attempt.
        assert!(matches!(
            jwks.key_for(Some("a"), SigningAlg::Ed25519).await,
            Err(AuthError::Unavailable(_))
        ));
    }
}
