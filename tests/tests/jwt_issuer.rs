//! JWT mode against a real issuer: panva's oidc-provider (tests/issuer/issuer.mjs, started by
//! `make test`) issues RFC 9068 access tokens by the client-credentials grant, and a second set
//! of the served functions verifies them through `JWT_JWKS_URL`, as a deployment in AWS does.
//!
//! That server's settings (scripts/test.sh): `JWT_ISSUER` the issuer, `JWT_AUDIENCE`
//! `https://idp.test/api`, `JWT_COMPANY_CLAIM` `https://idp.test/company_uid` (the issuer also
//! puts a decoy `company_uid` in every token), `JWT_TYPE` `at+jwt`, the default 30 s leeway,
//! and a JWKS kept 6 s and refetched at most once a second, so rotation and outages are seen
//! within the test.
//!
//! One test, in steps: the key rotation and the outage change what every later request sees.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use blackbox_tests::{Api, Reply, env, remember_secrets, template_routes};
use jsonwebtoken::{Algorithm, EncodingKey};
use serde_json::{Value, json};

const API: &str = "https://idp.test/api";
/// The JWKS is kept this long by the served functions (JWT_JWKS_MAX_AGE_SECS).
const MAX_AGE: Duration = Duration::from_millis(6_500);
/// And asked again at most this often (JWT_JWKS_MIN_REFRESH_SECS).
const MIN_REFRESH: Duration = Duration::from_millis(1_200);

struct Issuer {
    http: reqwest::Client,
    port: u16,
}

impl Issuer {
    fn new() -> Self {
        Self {
            http: idp_core::tls::reqwest_builder().build().unwrap(),
            port: env("IDP_ISSUER_PORT").parse().unwrap(),
        }
    }

    fn url(&self, offset: u16, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port + offset)
    }

    /// An access token of `client` from the issuer at `offset` (0 the issuer, 2 its twin with
    /// another `iss`, 3 the rogue with other keys), for `resource`.
    async fn token_from(&self, offset: u16, client: &str, resource: &str) -> String {
        let reply: Value = self
            .http
            .post(self.url(offset, "/token"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form(&[
                ("grant_type", "client_credentials"),
                ("client_id", client),
                ("client_secret", "secret"),
                ("resource", resource),
                ("scope", "profiles:read"),
            ]))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let token = reply["access_token"]
            .as_str()
            .unwrap_or_else(|| panic!("no token for {client}: {reply}"))
            .to_owned();
        remember_secrets(json!({ "token": token }).to_string().as_bytes());
        token
    }

    async fn token(&self, client: &str) -> String {
        self.token_from(0, client, API).await
    }

    /// The issuer's control API: a POST with `body`, or a GET without one.
    async fn control(&self, path: &str, body: Option<Value>) -> Value {
        let request = match body {
            Some(body) => self.http.post(self.url(1, path)).json(&body),
            None => self.http.get(self.url(1, path)),
        };
        let response = request.send().await.unwrap();
        assert!(
            response.status().is_success(),
            "control {path}: {}",
            response.status()
        );
        response.json().await.unwrap()
    }

    /// A token with exactly `header` and `payload`, signed by the issuer's key `kid` with
    /// `sign_alg`: what a misbehaving or compromised signer could produce.
    async fn forge(&self, kid: &str, header: Value, payload: &Value, sign_alg: &str) -> String {
        let body = json!({"kid": kid, "header": header, "payload": payload, "sign_alg": sign_alg});
        let token = self.control("/sign", Some(body)).await["token"]
            .as_str()
            .unwrap()
            .to_owned();
        remember_secrets(json!({ "token": token }).to_string().as_bytes());
        token
    }
}

/// `application/x-www-form-urlencoded`, every byte but the unreserved ones escaped.
fn form(pairs: &[(&str, &str)]) -> String {
    let escape = |text: &str| -> String {
        text.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                    (b as char).to_string()
                }
                _ => format!("%{b:02X}"),
            })
            .collect()
    };
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", escape(k), escape(v)))
        .collect::<Vec<_>>()
        .join("&")
}

fn b64(bytes: impl AsRef<[u8]>) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

fn payload_of(token: &str) -> Value {
    let part = token.split('.').nth(1).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap()
}

/// A token with `header` over `payload`, and `signature` as given.
fn assemble(header: &Value, payload: &Value, signature: &str) -> String {
    format!(
        "{}.{}.{signature}",
        b64(header.to_string()),
        b64(payload.to_string())
    )
}

/// What the served functions answer to `token` on Show Profile of the demo company, for a
/// uuid that does not exist: 404 means the token was accepted.
async fn probe(api: &Api, token: &str) -> Reply {
    let uuid = uuid::Uuid::new_v4();
    api.send(
        "GET",
        &format!("/v1/companies/-1/profiles/{uuid}"),
        Some(token),
        None,
    )
    .await
}

const ACCEPTED: u16 = 404;

async fn expect(api: &Api, case: &str, token: &str, status: u16) {
    let reply = probe(api, token).await;
    let body = match status {
        401 => json!({"status": 401, "error": "Invalid or expired token"}),
        403 => json!({"code": 403, "message": "Forbidden"}),
        ACCEPTED => json!({"code": 404, "resource": "Profile", "message": "Not found"}),
        _ => reply.body.clone(),
    };
    assert_eq!((reply.status, &reply.body), (status, &body), "{case}");
    println!("{case}: {}", reply.status);
}

#[tokio::test]
async fn a_real_issuers_access_tokens_are_verified_through_its_jwks() {
    let issuer = Issuer::new();
    let api = Api::at(env("IDP_JWKS_BASE_URL"));

    // Every algorithm the README lists, each signed by the issuer with a key of its family.
    for client in [
        "rs256",
        "rs384",
        "rs512",
        "ps256",
        "ps256-pinned",
        "es256",
        "es384",
        "eddsa",
        "ed25519",
    ] {
        expect(
            &api,
            &format!("{client} token"),
            &issuer.token(client).await,
            ACCEPTED,
        )
        .await;
    }

    // Every route of the template verifies the same way (its own function, its own JWKS cache).
    let good = issuer.token("es256").await;
    for route in template_routes() {
        let path = blackbox_tests::concrete(&route.path, "-1");
        let body = (route.method != "GET").then(|| b"{}".to_vec());
        let reply = api.send(&route.method, &path, Some(&good), body).await;
        assert!(
            ![401, 403, 503].contains(&reply.status),
            "{} {path}: {reply:?}",
            route.method
        );
    }

    // The company comes from the configured claim, never from the decoy `company_uid`.
    assert_eq!(payload_of(&good)["company_uid"], json!("decoy-company"));
    expect(
        &api,
        "another company's claim",
        &issuer.token("other-company").await,
        403,
    )
    .await;
    expect(
        &api,
        "no company claim",
        &issuer.token("no-company").await,
        403,
    )
    .await;

    // Issuer, audience, time.
    let other_audience = issuer
        .token_from(0, "es256", "https://other.test/api")
        .await;
    expect(&api, "aud of another API", &other_audience, 401).await;
    let twin = issuer.token_from(2, "es256", API).await;
    expect(&api, "another issuer sharing the keys", &twin, 401).await;
    expect(&api, "exp 120 s ago", &issuer.token("expired").await, 401).await;
    expect(
        &api,
        "exp 10 s ago (within the 30 s leeway)",
        &issuer.token("expired-near").await,
        ACCEPTED,
    )
    .await;
    expect(
        &api,
        "nbf in an hour",
        &issuer.token("nbf-future").await,
        401,
    )
    .await;
    expect(
        &api,
        "nbf in 10 s (within the leeway)",
        &issuer.token("nbf-near").await,
        ACCEPTED,
    )
    .await;

    // Keys the JWKS does not have: the same `iss`, the issuer's own key ids or new ones.
    let rogue = issuer.token_from(3, "rogue", API).await;
    expect(&api, "unknown kid", &rogue, 401).await;
    let collision = issuer.token_from(3, "rogue-collision", API).await;
    expect(&api, "a known kid signed by another key", &collision, 401).await;

    // Forgeries built from a valid token.
    let claims = payload_of(&good);
    let header = json!({"alg": "ES256", "typ": "at+jwt", "kid": "p256-a"});
    let signature = good.split('.').nth(2).unwrap();
    let mut tampered = claims.clone();
    tampered["https://idp.test/company_uid"] = json!("someone-else");
    expect(
        &api,
        "tampered company claim",
        &assemble(&header, &tampered, signature),
        401,
    )
    .await;
    for none in ["none", "None", "NONE", "nOnE"] {
        let header = json!({"alg": none, "typ": "at+jwt", "kid": "p256-a"});
        let unsigned = assemble(&header, &claims, "");
        expect(&api, &format!("alg {none}, no signature"), &unsigned, 401).await;
        expect(
            &api,
            &format!("alg {none}, the original signature"),
            &assemble(&header, &claims, signature),
            401,
        )
        .await;
    }
    let public = issuer.control("/public-pem?kid=rsa-a", None).await;
    let pem = public["pem"].as_str().unwrap();
    let jwk_text = public["jwk"].to_string();
    let der = base64::engine::general_purpose::STANDARD
        .decode(
            pem.lines()
                .filter(|l| !l.starts_with("-----"))
                .collect::<String>(),
        )
        .unwrap();
    for (form, secret) in [
        ("PEM", pem.as_bytes()),
        ("DER", der.as_slice()),
        ("JWK", jwk_text.as_bytes()),
    ] {
        let header = json!({"alg": "HS256", "typ": "at+jwt", "kid": "rsa-a"});
        let input = format!("{}.{}", b64(header.to_string()), b64(claims.to_string()));
        let mac = jsonwebtoken::crypto::sign(
            input.as_bytes(),
            &EncodingKey::from_secret(secret),
            Algorithm::HS256,
        )
        .unwrap();
        expect(
            &api,
            &format!("HS256 keyed with the RSA public key as {form}"),
            &format!("{input}.{mac}"),
            401,
        )
        .await;
    }
    let embedded = json!({"alg": "ES256", "typ": "at+jwt", "kid": "p256-a", "jwk": public["jwk"], "jku": "http://127.0.0.1:9/jwks"});
    expect(
        &api,
        "embedded jwk/jku headers (ignored, original key)",
        &issuer.forge("p256-a", embedded, &claims, "ES256").await,
        ACCEPTED,
    )
    .await;

    // The issuer's own keys, used against what the JWKS says of them.
    let forged = [
        (
            "the same forgery path, well formed (control)",
            "p256-a",
            json!({"alg": "ES256", "typ": "at+jwt", "kid": "p256-a"}),
            "ES256",
            ACCEPTED,
        ),
        (
            "RS256 by a key the JWKS pins to PS256",
            "rsa-pinned",
            json!({"alg": "RS256", "typ": "at+jwt", "kid": "rsa-pinned"}),
            "RS256",
            401,
        ),
        (
            "ES256 header on the P-384 key",
            "p384-a",
            json!({"alg": "ES256", "typ": "at+jwt", "kid": "p384-a"}),
            "ES384",
            401,
        ),
        (
            "EdDSA header on an RSA key",
            "rsa-a",
            json!({"alg": "EdDSA", "typ": "at+jwt", "kid": "rsa-a"}),
            "RS256",
            401,
        ),
        (
            "RS256 by the encryption key",
            "enc-a",
            json!({"alg": "RS256", "typ": "at+jwt", "kid": "enc-a"}),
            "RS256",
            401,
        ),
        (
            "typ JWT (not an access token)",
            "p256-a",
            json!({"alg": "ES256", "typ": "JWT", "kid": "p256-a"}),
            "ES256",
            401,
        ),
        (
            "no kid in a set of many keys",
            "p256-a",
            json!({"alg": "ES256", "typ": "at+jwt"}),
            "ES256",
            401,
        ),
        (
            "a critical header extension",
            "p256-a",
            json!({"alg": "ES256", "typ": "at+jwt", "kid": "p256-a", "crit": ["exp"], "exp": 1}),
            "ES256",
            401,
        ),
    ];
    for (case, kid, header, sign_alg, status) in forged {
        expect(
            &api,
            case,
            &issuer.forge(kid, header, &claims, sign_alg).await,
            status,
        )
        .await;
    }

    // Rotation: a new key is picked up by its new kid; a removed one stops once the set ages.
    let old = issuer.token("rs256").await;
    issuer.control("/rotate?add=rsa-b", Some(json!({}))).await;
    tokio::time::sleep(MIN_REFRESH).await;
    expect(
        &api,
        "rotation: the new kid (refetched)",
        &issuer.token("rotated").await,
        ACCEPTED,
    )
    .await;
    issuer.control("/rotate?drop=rsa-a", Some(json!({}))).await;
    // Whether the removed key still verifies before the set ages depends on which emulated
    // instance answers (each keeps its own cache), so it is asserted in the unit tests
    // (`a_removed_key_stops_verifying_once_the_set_ages`), not here.
    tokio::time::sleep(MAX_AGE).await;
    expect(
        &api,
        "rotation: the removed key once the set aged",
        &old,
        401,
    )
    .await;
    expect(
        &api,
        "rotation: the new key still",
        &issuer.token("rotated").await,
        ACCEPTED,
    )
    .await;

    // Outage: the issuer down. Held keys verify; a kid only a fetch could find is a 503.
    let cached = issuer.token("es256").await;
    let rogue = issuer.token_from(3, "rogue", API).await;
    issuer.control("/down", Some(json!({}))).await;
    expect(&api, "JWKS down: a cached key", &cached, ACCEPTED).await;
    tokio::time::sleep(MIN_REFRESH).await;
    expect(&api, "JWKS down: an unknown kid", &rogue, 503).await;
    tokio::time::sleep(MAX_AGE).await;
    expect(
        &api,
        "JWKS down, set aged: a cached key (stale-if-error)",
        &cached,
        ACCEPTED,
    )
    .await;
    issuer.control("/up", Some(json!({}))).await;
    tokio::time::sleep(MIN_REFRESH).await;
    expect(
        &api,
        "JWKS back: the unknown kid is refused again",
        &rogue,
        401,
    )
    .await;
    expect(&api, "JWKS back: a cached key", &cached, ACCEPTED).await;
}
