//! Access tokens (§1, §2) on every route `template.yaml` deploys.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use blackbox_tests::{Api, concrete, fresh_company, template_routes, token, token_expiring};
use serde_json::json;

fn body_for(method: &str) -> Option<Vec<u8>> {
    (method != "GET").then(|| b"{}".to_vec())
}

#[tokio::test]
async fn missing_garbage_and_expired_tokens_are_401_on_every_route() {
    let api = Api::new();
    let company = fresh_company().await;
    let unauthorized = json!({"status": 401, "error": "Invalid or expired token"});
    let routes = template_routes();
    assert!(!routes.is_empty());
    for route in routes {
        let path = concrete(&route.path, &company);
        let expired = token_expiring(&company, -3600);
        let tokens = [
            None,
            Some("garbage"),
            Some("eyJhbGciOiJFZERTQSJ9.eyJjb21wYW55X3VpZCI6Ii0xIn0.c2ln"),
            Some(expired.as_str()),
        ];
        for token in tokens {
            let reply = api
                .send(&route.method, &path, token, body_for(&route.method))
                .await;
            assert_eq!(
                (reply.status, &reply.body),
                (401, &unauthorized),
                "{} {path} with {token:?}",
                route.method
            );
        }
    }
}

#[tokio::test]
async fn another_companys_token_is_403_on_every_route() {
    let api = Api::new();
    let company = fresh_company().await;
    let intruder = fresh_company().await;
    for route in template_routes() {
        let path = concrete(&route.path, &company);
        let reply = api
            .send(
                &route.method,
                &path,
                Some(&token(&intruder)),
                body_for(&route.method),
            )
            .await;
        assert_eq!(
            (reply.status, reply.body),
            (403, json!({"code": 403, "message": "Forbidden"})),
            "{} {path}",
            route.method
        );
    }
}

#[tokio::test]
async fn a_token_signed_by_another_key_is_401() {
    let path = "/v1/companies/-1/profiles/ffffffff-ffff-ffff-ffff-ffffffffffff";
    let claims = json!({"company_uid": "-1", "exp": jsonwebtoken::get_current_timestamp() + 600, "iss": "idp-local"});
    // The right algorithm (EdDSA) by an Ed25519 key no deployment trusts: a fresh random seed
    // in a PKCS#8 envelope (RFC 8410).
    let mut der = vec![
        0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04,
        0x20,
    ];
    der.extend_from_slice(uuid::Uuid::new_v4().as_bytes());
    der.extend_from_slice(uuid::Uuid::new_v4().as_bytes());
    let foreign_ed = jsonwebtoken::EncodingKey::from_ed_der(&der);
    let right_alg_wrong_key = jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::EdDSA),
        &claims,
        &foreign_ed,
    )
    .unwrap();
    // Another algorithm altogether, with a secret.
    let wrong_alg = jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(b"not-the-local-key-not-the-local-key"),
    )
    .unwrap();
    let api = Api::new();
    for forged in [right_alg_wrong_key, wrong_alg] {
        let reply = api.send("GET", path, Some(&forged), None).await;
        assert_eq!(reply.status, 401, "{forged}");
    }
    // The same request with the deployment's own key passes authentication (404: no such
    // profile), so the 401s above come from the keys alone.
    let reply = api.send("GET", path, Some(&token("-1")), None).await;
    assert_eq!(reply.status, 404, "{:?}", reply.body);
}

#[tokio::test]
async fn another_companys_uuid_is_404_on_every_route_that_takes_one() {
    let api = Api::new();
    let owner = fresh_company().await;
    let intruder = fresh_company().await;
    let uuid = blackbox_tests::create_seed_profile(&api, &owner).await;
    let routes: Vec<_> = template_routes()
        .into_iter()
        .filter(|r| r.path.contains("{uuid}"))
        .collect();
    assert!(!routes.is_empty());
    // Each operation of a route that has several (PATCH …/{uuid}: credentials and update).
    let mut cases = Vec::new();
    for route in &routes {
        let path = route
            .path
            .replace("{company_id}", &intruder)
            .replace("{uuid}", &uuid);
        if route.method == "GET" || route.method == "DELETE" {
            cases.push((route, path, None));
        } else if path.ends_with("/status") {
            cases.push((route, path, Some(json!({"operation": "deactivate"}))));
        } else if route.method == "PATCH" {
            cases.push((
                route,
                path.clone(),
                Some(
                    json!({"operation": "credentials", "credentials": {"password": "lantern orbit meadow 7"}}),
                ),
            ));
            cases.push((
                route,
                path,
                Some(json!({"operation": "update", "profile": {"name": "Intruder"}})),
            ));
        } else {
            cases.push((route, path, None));
        }
    }
    for (route, path, body) in cases {
        let reply = api
            .send(
                &route.method,
                &path,
                Some(&token(&intruder)),
                body.map(|b| b.to_string().into_bytes()),
            )
            .await;
        if path.ends_with("/events") {
            // The audit trail answers every uuid (erasure must hide no history), but under the
            // intruder's company it holds none of the owner's events.
            assert_eq!(
                (reply.status, &reply.body["data"]),
                (200, &json!([])),
                "{} {path}",
                route.method
            );
            continue;
        }
        assert_eq!(
            (reply.status, reply.body),
            (
                404,
                json!({"code": 404, "resource": "Profile", "message": "Not found"})
            ),
            "{} {path}",
            route.method
        );
    }
    // Nothing the intruder sent reached the owner's profile.
    let shown = api
        .get(
            &format!("/v1/companies/{owner}/profiles/{uuid}"),
            &token(&owner),
        )
        .await;
    assert_eq!(shown.status, 200, "{}", shown.body);
    assert_ne!(shown.body["data"]["name"], "Intruder");
}
