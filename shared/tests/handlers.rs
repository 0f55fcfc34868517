//! Handler tests: each endpoint's `handle` called in-process against DynamoDB Local
//! (`make test` starts it and exports its endpoint). Every test works in a company of its own.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::*;
use idp_core::auth::TokenVerifier;
use idp_core::endpoints::create_profile;
use idp_core::password::HashParams;
use idp_core::store::{Store, dynamodb_client};
use serde_json::json;

#[tokio::test]
async fn create_then_show_round_trips_the_normalised_profile() {
    let app = app().await;
    let company = fresh_company(&app).await;
    let profile = json!({"nin": "123", "name": "Ana", "lastname": "Soto",
        "email": "Ana.Soto@Example.COM", "phone_number": "+56 9 1234 5678", "nationality": "chl"});
    let (status, body) = create(
        &app,
        &company,
        &body_with(profile),
        Some("email,phone_number"),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let uuid = body["data"]["uuid"].as_str().unwrap().to_owned();
    assert_eq!(
        body,
        json!({"code": 201, "resource": "Profile", "data": {"uuid": uuid,
            "phone_number": "+56912345678", "email": "ana.soto@example.com",
            "identification_provider": "test_idp"}, "message": "Created"})
    );
    let (status, shown) = show(&app, &company, &uuid, false).await;
    assert_eq!(status, 200);
    assert_eq!(
        shown,
        json!({"code": 200, "resource": "Profile", "message": "Found", "data": {
            "uuid": uuid, "nin": "123", "username": null, "phone_number": "+56912345678",
            "email": "ana.soto@example.com", "origin": null, "name": "Ana", "lastname": "Soto",
            "birthday": null, "nationality": "CHL", "timezone": null, "trusted_fields": {},
            "field_expiration_time": {}, "two_factor_authentication": [], "active": true,
            "identification_provider": "test_idp"}})
    );
}

#[tokio::test]
async fn twenty_concurrent_creates_sharing_an_email_give_exactly_one_201() {
    let app = app().await;
    let company = fresh_company(&app).await;
    let mut tasks = Vec::new();
    for n in 0..20 {
        let app = Arc::clone(&app);
        let company = company.clone();
        tasks.push(tokio::spawn(async move {
            let mut profile = person(n);
            // The same address in different cases: e-mail is compared case-insensitively.
            let email = if n % 2 == 0 {
                "shared@example.com"
            } else {
                "Shared@EXAMPLE.com"
            };
            profile["email"] = json!(email);
            create(&app, &company, &body_with(profile), None).await
        }));
    }
    let mut created = Vec::new();
    for task in tasks {
        let (status, body) = task.await.unwrap();
        match status {
            201 => created.push(body["data"]["uuid"].as_str().unwrap().to_owned()),
            400 => assert_eq!(body["errors"], "Profile already present"),
            other => panic!("unexpected {other}: {body}"),
        }
    }
    assert_eq!(created.len(), 1);

    // Exactly one profile and one reservation per identifier of the winner exist: nothing of the
    // losers was half-written.
    let items = scan_company(&app, &company).await;
    let profiles: Vec<_> = items.iter().filter(|i| kind(i) == "profile").collect();
    let reservations: Vec<_> = items.iter().filter(|i| kind(i) == "identifier").collect();
    assert_eq!(profiles.len(), 1);
    assert_eq!(
        reservations.len(),
        3,
        "nin, username and email of the winner"
    );
    for reservation in reservations {
        assert_eq!(reservation["uuid"].as_s().unwrap(), &created[0]);
    }
}

#[tokio::test]
async fn a_taken_identifier_of_any_set_refuses_the_profile_and_writes_nothing() {
    let app = app().await;
    let company = fresh_company(&app).await;
    assert_eq!(
        create(&app, &company, &body_with(person(1)), None).await.0,
        201
    );
    let mut clash = person(2);
    clash["username"] = json!("ana1");
    let (status, body) = create(&app, &company, &body_with(clash), None).await;
    assert_eq!(
        (status, body),
        (
            400,
            json!({"code": 400, "resource": "Profile", "message": "Bad request",
                     "errors": "Profile already present"})
        )
    );
    // The first profile, its three reservations and its `profile.created` event; the refused
    // create wrote nothing, not even an event.
    let items = scan_company(&app, &company).await;
    let events: Vec<_> = items.iter().filter(|i| kind(i) == "event").collect();
    assert_eq!(items.len() - events.len(), 4);
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["event_type"].as_s().unwrap(), "profile.created");
}

#[tokio::test]
async fn inactive_profiles_are_found_only_when_asked_for() {
    let app = app().await;
    let company = fresh_company(&app).await;
    let mut body = body_with(person(1));
    body["options"] = json!({"active": false});
    let (_, created) = create(&app, &company, &body, None).await;
    let uuid = created["data"]["uuid"].as_str().unwrap();
    assert_eq!(
        show(&app, &company, uuid, false).await,
        (
            404,
            json!({"code": 404, "resource": "Profile", "message": "Not found"})
        )
    );
    let (status, shown) = show(&app, &company, uuid, true).await;
    assert_eq!(
        (status, shown["data"]["active"].clone()),
        (200, json!(false))
    );
}

#[tokio::test]
async fn the_company_rules_decide_what_registers() {
    let app = app().await;
    let company = fresh_company(&app).await;
    let bad = |errors: &str| json!({"code": 400, "resource": "Profile", "message": "Bad request", "errors": errors});
    let cases = [
        (
            body_with(json!({"name": "Ana", "lastname": "Soto", "phone_number": "+56912345678"})),
            bad(
                "Profile does not have the required identifiers to register under the company rules",
            ),
        ),
        (
            body_with(json!({"email": "a@b.cl", "name": "Ana"})),
            bad("Profile does not have the required fields to register under the company rules"),
        ),
        (
            body_with(json!({"nin": "1", "name": "A", "lastname": "B", "password": "x"})),
            bad("Unknown profile field `password`"),
        ),
        (
            body_with(json!({"nin": "1", "name": "A", "lastname": "B", "email": "nope"})),
            bad("Profile field `email` is not a valid e-mail address"),
        ),
        (
            body_with(json!({"nin": "1", "name": "A", "lastname": "B", "nationality": "XX"})),
            bad(
                "Profile field `nationality` must be an ISO 3166-1 alpha-3 country code such as CHL",
            ),
        ),
        (
            json!({"register_type": "nin_register", "information_provider": "other", "profile": person(1)}),
            bad("Unknown information_provider `other`"),
        ),
        (
            json!({"register_type": "nin_register", "information_provider": "test_idp", "profile": person(1), "extra": 1}),
            bad("Unknown field `extra`"),
        ),
        (
            json!({"register_type": "nin_register", "information_provider": "test_idp", "profile": person(1), "options": {"active": "no"}}),
            bad("`options.active` must be a boolean"),
        ),
        (
            json!({"register_type": "unknown", "information_provider": "test_idp", "profile": person(1)}),
            json!({"code": 404, "resource": "Register Type", "message": "Not found"}),
        ),
    ];
    for (body, expected) in cases {
        let (status, answer) = create(&app, &company, &body, None).await;
        assert_eq!(answer, expected, "for {body}");
        assert_eq!(u64::from(status), expected["code"].as_u64().unwrap());
    }
    assert!(
        scan_company(&app, &company).await.is_empty(),
        "nothing was written"
    );
}

#[tokio::test]
async fn an_unknown_company_is_404_company_config() {
    let app = app().await;
    let (status, body) = create(&app, "no-such-company", &body_with(person(1)), None).await;
    assert_eq!(
        (status, body),
        (
            404,
            json!({"code": 404, "resource": "Company Config", "message": "Not found"})
        )
    );
}

#[tokio::test]
async fn dynamodb_unreachable_gives_a_clean_503() {
    // A client pointed at a closed port: every call fails to connect.
    let config = dynamodb_client()
        .await
        .config()
        .to_builder()
        .endpoint_url("http://127.0.0.1:9")
        .build();
    let store = Store::new(aws_sdk_dynamodb::Client::from_conf(config), tables());
    let app = app_with(store, jwt_verifier(), HashParams::OWASP_MINIMUM).await;
    let (status, body) = create(&app, "any", &body_with(person(1)), None).await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(
        body,
        json!({"code": 503, "resource": "Profile", "message": "Service unavailable",
               "errors": "The service is temporarily unavailable, please retry"})
    );
    let (status, _) = show(&app, "any", "ffffffff-ffff-ffff-ffff-ffffffffffff", false).await;
    assert_eq!(status, 503);
}

/// The production path: opaque tokens introspected against an Atenea-compatible server (a local
/// fake answering Atenea's `GET /oauth/token/info` wire format).
#[tokio::test]
async fn opaque_tokens_are_introspected_against_atenea() {
    use idp_core::auth::Introspection;
    use wiremock::matchers::{header, method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};

    let atenea = MockServer::start().await;
    let store = Store::new(dynamodb_client().await, tables());
    let company = {
        let plain = app().await;
        fresh_company(&plain).await
    };
    let info = |company_uid: &str| {
        json!({"resource_owner_id": null, "scope": ["public"], "expires_in": 7200,
               "application": {"uid": "app-1", "company_uid": company_uid},
               "created_at": 1_700_000_000, "company_uid": company_uid})
    };
    Mock::given(method("GET"))
        .and(path("/oauth/token/info"))
        .and(header("authorization", "Bearer opaque-good"))
        .respond_with(ResponseTemplate::new(200).set_body_json(info(&company)))
        .expect(1)
        .mount(&atenea)
        .await;
    Mock::given(method("GET"))
        .and(path("/oauth/token/info"))
        .and(header("authorization", "Bearer opaque-other"))
        .respond_with(ResponseTemplate::new(200).set_body_json(info("someone-else")))
        .mount(&atenea)
        .await;
    Mock::given(method("GET"))
        .and(path("/oauth/token/info"))
        .respond_with(ResponseTemplate::new(401).set_body_json(
            json!({"error": "invalid_token", "error_description": "The access token is invalid"}),
        ))
        .mount(&atenea)
        .await;
    let introspection = Introspection::new(
        &atenea.uri(),
        Duration::from_secs(30),
        Duration::from_secs(1),
    )
    .unwrap();
    let app = app_with(
        store,
        TokenVerifier::Introspection(introspection),
        HashParams::OWASP_MINIMUM,
    )
    .await;
    let call = |token: &'static str| {
        let app = Arc::clone(&app);
        let company = company.clone();
        async move {
            let req = request(
                "POST",
                &format!("/v1/companies/{company}/profiles"),
                &[("company_id", &company)],
                &[],
                Some(token),
                &body_with(person(1)).to_string(),
            );
            parts(create_profile::handle(app, req).await)
        }
    };
    assert_eq!(call("opaque-good").await.0, 201);
    assert_eq!(
        call("opaque-other").await,
        (403, json!({"code": 403, "message": "Forbidden"}))
    );
    assert_eq!(
        call("opaque-unknown").await,
        (
            401,
            json!({"status": 401, "error": "Invalid or expired token"})
        )
    );
    // The second call with the same token was answered from the cache (`expect(1)` above).
    assert_eq!(
        call("opaque-good").await.0,
        400,
        "reaches the duplicate check"
    );
    atenea.verify().await;

    // Atenea unreachable: 503, not 401, so the caller retries instead of dropping its token.
    let down = Introspection::new(
        "http://127.0.0.1:9",
        Duration::from_secs(30),
        Duration::from_secs(1),
    )
    .unwrap();
    let app = app_with(
        Store::new(dynamodb_client().await, tables()),
        TokenVerifier::Introspection(down),
        HashParams::OWASP_MINIMUM,
    )
    .await;
    let req = request(
        "POST",
        &format!("/v1/companies/{company}/profiles"),
        &[("company_id", &company)],
        &[],
        Some("opaque-new"),
        &body_with(person(1)).to_string(),
    );
    let (status, body) = parts(create_profile::handle(app, req).await);
    assert_eq!((status, body["resource"].clone()), (503, json!("Profile")));
}
