//! The verifier end to end: real signatures by fixed test-only keys, a JWKS served by a local
//! HTTP server.

use super::*;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, get_current_timestamp};
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const SECRET: &str = "0123456789abcdef0123456789abcdef-test-only";

// Test-only key pairs, generated with openssl for these tests and used nowhere else.
const ED_PRIVATE: &str = "-----BEGIN PRIVATE KEY-----
MC4CAQAwBQYDK2VwBCIEIDz7tAefq73TKsclH5DkztreT6zPlLl57+fN0cTYx1yt
-----END PRIVATE KEY-----";
const ED_X: &str = "H_iAPI_XlbVcDrLHtlWJqZLriVVHEP8JDEsMaulXiW0";
const EC_PRIVATE: &str = "-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg7AVDuviR7rEwsbWZ
aIX+aTGhd1rPQOT9ZxTkzVU8raahRANCAASBGp2+gGTLViD4KsQG7xahJOLyhBRW
4D3UTCK8jwRB5EHAg/GDnsLCoVWVUHmcgMNIuSyMHTmWJ1hl9+ZhJ3S0
-----END PRIVATE KEY-----";
const EC_X: &str = "gRqdvoBky1Yg-CrEBu8WoSTi8oQUVuA91EwivI8EQeQ";
const EC_Y: &str = "QcCD8YOewsKhVZVQeZyAw0i5LIwdOZYnWGX35mEndLQ";
/// The SPKI PEM of `ED_PRIVATE`, as `openssl pkey -pubout` writes it.
const ED_PUBLIC_PEM: &str = "-----BEGIN PUBLIC KEY-----
MCowBQYDK2VwAyEAH/iAPI/XlbVcDrLHtlWJqZLriVVHEP8JDEsMaulXiW0=
-----END PUBLIC KEY-----
";

fn b64(bytes: impl AsRef<[u8]>) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// A compact JWS with exactly this header, signed by `key` with the primitive `alg`.
fn sign_raw(header: Value, claims: &Value, key: &EncodingKey, alg: Algorithm) -> String {
    let input = format!("{}.{}", b64(header.to_string()), b64(claims.to_string()));
    let signature = jsonwebtoken::crypto::sign(input.as_bytes(), key, alg).unwrap();
    format!("{input}.{signature}")
}

fn ed() -> EncodingKey {
    EncodingKey::from_ed_pem(ED_PRIVATE.as_bytes()).unwrap()
}

fn ec() -> EncodingKey {
    EncodingKey::from_ec_pem(EC_PRIVATE.as_bytes()).unwrap()
}

fn hmac(secret: &[u8]) -> EncodingKey {
    EncodingKey::from_secret(secret)
}

fn valid() -> Value {
    json!({"company_uid": "-1", "exp": get_current_timestamp() + 60, "iss": "https://issuer.test", "scope": "a b"})
}

fn rules() -> ClaimRules {
    ClaimRules {
        issuer: Some("https://issuer.test".into()),
        ..ClaimRules::default()
    }
}

fn hs256() -> JwtVerifier {
    JwtVerifier::new(JwtKeys::hs256(SECRET.as_bytes()), rules())
}

fn static_ed() -> JwtVerifier {
    JwtVerifier::new(
        JwtKeys::pem(ED_PUBLIC_PEM, SigningAlg::Ed25519).unwrap(),
        rules(),
    )
}

async fn refused(verifier: &JwtVerifier, token: &str) {
    assert_eq!(
        verifier.verify(token).await,
        Err(AuthError::Invalid),
        "{token}"
    );
}

#[tokio::test]
async fn accepts_valid_tokens() {
    let token = sign_raw(
        json!({"alg": "HS256", "typ": "JWT"}),
        &valid(),
        &hmac(SECRET.as_bytes()),
        Algorithm::HS256,
    );
    let claims = hs256().verify(&token).await.unwrap();
    assert_eq!(claims.company_uid.as_deref(), Some("-1"));
    assert_eq!(claims.scopes, vec!["a", "b"]);
}

#[tokio::test]
async fn rejects_expired_forged_foreign_premature_and_unexpiring_tokens() {
    let now = get_current_timestamp();
    let iss = "https://issuer.test";
    let hs = |claims: Value, secret: &str| {
        sign_raw(
            json!({"alg": "HS256"}),
            &claims,
            &hmac(secret.as_bytes()),
            Algorithm::HS256,
        )
    };
    let verifier = hs256();
    for token in [
        hs(
            json!({"company_uid": "1", "exp": now - 120, "iss": iss}),
            SECRET,
        ),
        hs(
            json!({"company_uid": "1", "exp": now + 60, "iss": iss}),
            "another-secret-another-secret-12345",
        ),
        hs(
            json!({"company_uid": "1", "exp": now + 60, "iss": "https://evil"}),
            SECRET,
        ),
        hs(json!({"company_uid": "1", "iss": iss}), SECRET),
        hs(
            json!({"company_uid": "1", "exp": now + 7200, "nbf": now + 3600, "iss": iss}),
            SECRET,
        ),
        "not-a-jwt".to_owned(),
    ] {
        refused(&verifier, &token).await;
    }
}

#[tokio::test]
async fn refuses_algorithm_switching_and_alg_none() {
    let verifier = hs256();
    let hs384 = sign_raw(
        json!({"alg": "HS384"}),
        &valid(),
        &hmac(SECRET.as_bytes()),
        Algorithm::HS384,
    );
    refused(&verifier, &hs384).await;
    let unsigned = format!("{}.{}.", b64(r#"{"alg":"none"}"#), b64(valid().to_string()));
    refused(&verifier, &unsigned).await;
    let none_signed = format!(
        "{}.{}.c2ln",
        b64(r#"{"alg":"none"}"#),
        b64(valid().to_string())
    );
    refused(&verifier, &none_signed).await;
}

#[tokio::test]
async fn a_static_ed25519_key_takes_both_names_and_nothing_else() {
    let verifier = static_ed();
    for name in ["EdDSA", "Ed25519"] {
        let token = sign_raw(
            json!({"alg": name, "kid": "whatever"}),
            &valid(),
            &ed(),
            Algorithm::EdDSA,
        );
        assert!(verifier.verify(&token).await.is_ok(), "{name}");
    }
    // The right algorithm, signed by a key this verifier does not hold.
    let other = EncodingKey::from_ed_der(&{
        let mut der = URL_SAFE_NO_PAD
            .decode("MC4CAQAwBQYDK2VwBCIEIDz7tAefq73TKsclH5DkztreT6zPlLl57-fN0cTYx1yt")
            .unwrap();
        *der.last_mut().unwrap() ^= 1;
        der
    });
    refused(
        &verifier,
        &sign_raw(json!({"alg": "EdDSA"}), &valid(), &other, Algorithm::EdDSA),
    )
    .await;
    // HS256 keyed with the public key, as PEM text and as raw key bytes.
    for secret in [
        ED_PUBLIC_PEM.as_bytes().to_vec(),
        URL_SAFE_NO_PAD.decode(ED_X).unwrap(),
    ] {
        refused(
            &verifier,
            &sign_raw(
                json!({"alg": "HS256"}),
                &valid(),
                &hmac(&secret),
                Algorithm::HS256,
            ),
        )
        .await;
    }
    // Another family's signature under an Edwards header, and the other way round.
    refused(
        &verifier,
        &sign_raw(json!({"alg": "EdDSA"}), &valid(), &ec(), Algorithm::ES256),
    )
    .await;
    refused(
        &verifier,
        &sign_raw(json!({"alg": "ES256"}), &valid(), &ec(), Algorithm::ES256),
    )
    .await;
    // A tampered claim under the original signature.
    let token = sign_raw(json!({"alg": "EdDSA"}), &valid(), &ed(), Algorithm::EdDSA);
    let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
    let mut claims = valid();
    claims["company_uid"] = json!("2");
    parts[1] = b64(claims.to_string());
    refused(&verifier, &parts.join(".")).await;
}

async fn jwks_verifier(set: Value) -> (MockServer, JwtVerifier) {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/jwks"))
        .respond_with(ResponseTemplate::new(200).set_body_json(set))
        .mount(&server)
        .await;
    let source = JwksSource::new(
        format!("{}/jwks", server.uri()),
        crate::tls::reqwest_builder().build().unwrap(),
        JwksTiming::default(),
    );
    (server, JwtVerifier::new(JwtKeys::Jwks(source), rules()))
}

#[tokio::test]
async fn a_jwks_verifies_each_family_with_its_own_key_only() {
    let (_server, verifier) = jwks_verifier(json!({"keys": [
        {"kty": "OKP", "crv": "Ed25519", "kid": "ed", "x": ED_X, "use": "sig"},
        {"kty": "EC", "crv": "P-256", "kid": "ec", "x": EC_X, "y": EC_Y, "alg": "ES256"},
        {"kty": "EC", "crv": "P-256", "kid": "ec-as-384", "x": EC_X, "y": EC_Y, "alg": "ES384"},
        {"kty": "RSA", "kid": "enc", "use": "enc", "alg": "RSA-OAEP-256", "n": "AQAB", "e": "AQAB"},
    ]}))
    .await;
    let accepted = [
        sign_raw(
            json!({"alg": "EdDSA", "kid": "ed"}),
            &valid(),
            &ed(),
            Algorithm::EdDSA,
        ),
        sign_raw(
            json!({"alg": "Ed25519", "kid": "ed"}),
            &valid(),
            &ed(),
            Algorithm::EdDSA,
        ),
        sign_raw(
            json!({"alg": "ES256", "kid": "ec", "typ": "at+jwt"}),
            &valid(),
            &ec(),
            Algorithm::ES256,
        ),
    ];
    for token in accepted {
        assert_eq!(
            verifier
                .verify(&token)
                .await
                .unwrap()
                .company_uid
                .as_deref(),
            Some("-1"),
            "{token}"
        );
    }
    let refused_tokens = [
        // The kid of one family under another family's algorithm: no fallback to the right key.
        sign_raw(
            json!({"alg": "EdDSA", "kid": "ec"}),
            &valid(),
            &ed(),
            Algorithm::EdDSA,
        ),
        sign_raw(
            json!({"alg": "ES256", "kid": "ed"}),
            &valid(),
            &ec(),
            Algorithm::ES256,
        ),
        // A P-256 key pinned to ES384 by the publisher (a curve mismatch besides).
        sign_raw(
            json!({"alg": "ES256", "kid": "ec-as-384"}),
            &valid(),
            &ec(),
            Algorithm::ES256,
        ),
        // An encryption key never verifies, and the set holds no HMAC key to confuse with.
        sign_raw(
            json!({"alg": "HS256", "kid": "ec"}),
            &valid(),
            &hmac(EC_X.as_bytes()),
            Algorithm::HS256,
        ),
        sign_raw(
            json!({"alg": "RS256", "kid": "enc"}),
            &valid(),
            &ec(),
            Algorithm::ES256,
        ),
        // No kid in a set of several keys, and a kid the set does not have.
        sign_raw(json!({"alg": "EdDSA"}), &valid(), &ed(), Algorithm::EdDSA),
        sign_raw(
            json!({"alg": "EdDSA", "kid": "gone"}),
            &valid(),
            &ed(),
            Algorithm::EdDSA,
        ),
        // An embedded key is never used.
        sign_raw(
            json!({"alg": "EdDSA", "kid": "attacker", "jwk": {"kty": "OKP", "crv": "Ed25519", "x": ED_X}}),
            &valid(),
            &ed(),
            Algorithm::EdDSA,
        ),
    ];
    for token in refused_tokens {
        refused(&verifier, &token).await;
    }
    // The all-zero ECDSA signature (CVE-2022-21449's "psychic signature").
    let input = format!(
        "{}.{}",
        b64(r#"{"alg":"ES256","kid":"ec"}"#),
        b64(valid().to_string())
    );
    refused(&verifier, &format!("{input}.{}", b64([0u8; 64]))).await;
}

#[tokio::test]
async fn the_header_type_is_enforced_when_configured() {
    let verifier = JwtVerifier::new(
        JwtKeys::pem(ED_PUBLIC_PEM, SigningAlg::Ed25519).unwrap(),
        ClaimRules {
            token_type: Some("at+jwt".into()),
            ..rules()
        },
    );
    let at = sign_raw(
        json!({"alg": "EdDSA", "typ": "at+jwt"}),
        &valid(),
        &ed(),
        Algorithm::EdDSA,
    );
    assert!(verifier.verify(&at).await.is_ok());
    let id_token = sign_raw(
        json!({"alg": "EdDSA", "typ": "JWT"}),
        &valid(),
        &ed(),
        Algorithm::EdDSA,
    );
    refused(&verifier, &id_token).await;
}
