//! Handler tests: each endpoint's `handle` called in-process against DynamoDB Local
//! (`make test` starts it and exports its endpoint). Every test works in a company of its own.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use aws_sdk_dynamodb::types::AttributeValue;
use idp_core::App;
use idp_core::auth::{JwtKeys, JwtVerifier, TokenVerifier};
use idp_core::company::CompanyConfig;
use idp_core::endpoints::{create_profile, show_profile};
use idp_core::store::{Store, Tables, dynamodb_client};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, encode, get_current_timestamp};
use lambda_http::{Body, Request, RequestExt};
use serde_json::{Value, json};

const SECRET: &str = "handler-tests-secret-handler-tests-secret";

fn tables() -> Tables {
    Tables::from_env().expect("run through `make test`: PROFILES_TABLE/COMPANIES_TABLE unset")
}

async fn app() -> Arc<App> {
    let store = Store::new(dynamodb_client().await, tables());
    let verifier = JwtVerifier::new(
        JwtKeys::Static(
            DecodingKey::from_secret(SECRET.as_bytes()),
            Algorithm::HS256,
        ),
        None,
        None,
    );
    Arc::new(App::new(
        store,
        TokenVerifier::Jwt(Box::new(verifier)),
        Duration::from_secs(60),
    ))
}

fn token(company: &str) -> String {
    let claims = json!({"company_uid": company, "exp": get_current_timestamp() + 600});
    encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(SECRET.as_bytes()),
    )
    .unwrap()
}

/// A new company with the demo company's rules.
async fn fresh_company(app: &App) -> String {
    let id = format!("h-{}", &uuid::Uuid::new_v4().simple().to_string()[..12]);
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../config/companies/demo.yaml");
    let mut value: Value = serde_yaml::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    value["company_id"] = json!(id);
    let config = CompanyConfig::from_value(value).unwrap();
    app.store.put_company_config(&config).await.unwrap();
    id
}

fn request(
    method: &str,
    path: &str,
    params: &[(&str, &str)],
    query: &[(&str, &str)],
    token: Option<&str>,
    body: &str,
) -> Request {
    let mut builder = lambda_http::http::Request::builder()
        .method(method)
        .uri(path);
    if let Some(token) = token {
        builder = builder.header("authorization", format!("Bearer {token}"));
    }
    let to_map = |pairs: &[(&str, &str)]| -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    };
    builder
        .body(Body::from(body.to_owned()))
        .unwrap()
        .with_path_parameters(to_map(params))
        .with_query_string_parameters(to_map(query))
}

fn parts(response: lambda_http::Response<Body>) -> (u16, Value) {
    let status = response.status().as_u16();
    assert_eq!(
        response.headers()["content-type"],
        "application/json",
        "every response is JSON"
    );
    let body = match response.body() {
        Body::Text(text) => serde_json::from_str(text).unwrap(),
        other => panic!("unexpected body {other:?}"),
    };
    (status, body)
}

async fn create(app: &Arc<App>, company: &str, body: &Value, fields: Option<&str>) -> (u16, Value) {
    let query: Vec<(&str, &str)> = fields.map(|f| vec![("fields", f)]).unwrap_or_default();
    let req = request(
        "POST",
        &format!("/v1/companies/{company}/profiles"),
        &[("company_id", company)],
        &query,
        Some(&token(company)),
        &body.to_string(),
    );
    parts(create_profile::handle(Arc::clone(app), req).await)
}

async fn show(app: &Arc<App>, company: &str, uuid: &str, disabled: bool) -> (u16, Value) {
    let query: &[(&str, &str)] = if disabled {
        &[("disabled_profile", "true")]
    } else {
        &[]
    };
    let req = request(
        "GET",
        &format!("/v1/companies/{company}/profiles/{uuid}"),
        &[("company_id", company), ("uuid", uuid)],
        query,
        Some(&token(company)),
        "",
    );
    parts(show_profile::handle(Arc::clone(app), req).await)
}

fn body_with(profile: Value) -> Value {
    json!({"register_type": "nin_register", "information_provider": "test_idp", "profile": profile})
}

fn person(n: u32) -> Value {
    json!({"nin": format!("nin-{n}"), "name": "Ana", "lastname": "Soto",
           "email": format!("ana{n}@example.com"), "username": format!("ana{n}")})
}

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

fn kind(item: &HashMap<String, AttributeValue>) -> &str {
    item.get("kind")
        .and_then(|v| v.as_s().ok())
        .map_or("", String::as_str)
}

async fn scan_company(app: &App, company: &str) -> Vec<HashMap<String, AttributeValue>> {
    let output = app
        .store
        .client()
        .scan()
        .table_name(&app.store.tables().profiles)
        .filter_expression("company_id = :c")
        .expression_attribute_values(":c", AttributeValue::S(company.to_owned()))
        .send()
        .await
        .unwrap();
    output.items.unwrap_or_default()
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
    assert_eq!(scan_company(&app, &company).await.len(), 4);
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
    let verifier = JwtVerifier::new(
        JwtKeys::Static(
            DecodingKey::from_secret(SECRET.as_bytes()),
            Algorithm::HS256,
        ),
        None,
        None,
    );
    let app = Arc::new(App::new(
        store,
        TokenVerifier::Jwt(Box::new(verifier)),
        Duration::from_secs(60),
    ));
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
    let app = Arc::new(App::new(
        store,
        TokenVerifier::Introspection(introspection),
        Duration::from_secs(60),
    ));
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
    drop(atenea);
    // A cached token keeps working while Atenea is down; an unseen one gets 503, not 401.
    assert_eq!(
        call("opaque-good").await.0,
        400,
        "cached: reaches the duplicate check"
    );
    let (status, body) = call("opaque-new").await;
    assert_eq!((status, body["resource"].clone()), (503, json!("Profile")));
}
