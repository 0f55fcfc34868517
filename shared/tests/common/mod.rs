//! Helpers shared by the handler tests: an [`App`] over DynamoDB Local, tokens, requests, and a
//! fresh company per test.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

pub mod soft_passkey;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use aws_sdk_dynamodb::types::AttributeValue;
use idp_core::App;
use idp_core::auth::{ClaimRules, JwtKeys, JwtVerifier, TokenVerifier};
use idp_core::company::CompanyConfig;
use idp_core::endpoints::{create_profile, password_change, show_profile};
use idp_core::password::{HashParams, Passwords};
use idp_core::store::{Store, Tables, dynamodb_client};
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode, get_current_timestamp};
use lambda_http::{Body, Request, RequestExt};
use serde_json::{Value, json};

const SECRET: &str = "handler-tests-secret-handler-tests-secret";

pub fn tables() -> Tables {
    Tables::from_env().expect("run through `make test`: PROFILES_TABLE/COMPANIES_TABLE unset")
}

pub fn jwt_verifier() -> TokenVerifier {
    TokenVerifier::Jwt(Box::new(JwtVerifier::new(
        JwtKeys::hs256(SECRET.as_bytes()),
        ClaimRules::default(),
    )))
}

pub async fn app_with(store: Store, auth: TokenVerifier, params: HashParams) -> Arc<App> {
    Arc::new(
        App::new(
            store,
            auth,
            Passwords::new(params).unwrap(),
            Duration::from_secs(60),
        )
        .with_cursor_key(test_cursor_key())
        .with_factor_key(test_factor_key()),
    )
}

/// A cursor key of the handler tests' own (the served functions use `.local/cursor-key`).
pub fn test_cursor_key() -> idp_core::cursor::CursorKey {
    idp_core::cursor::CursorKey::new(b"handler-tests-cursor-key-0123456789abcdef".to_vec()).unwrap()
}

/// A second-factor sealing key of the handler tests' own (the served functions use
/// `.local/factor-key`).
pub fn test_factor_key() -> idp_core::two_factor::FactorKey {
    idp_core::two_factor::FactorKey::new(b"handler-tests-factor-key-0123456789abcdef").unwrap()
}

/// An app that writes its mail as files under `dir` (the password-change tests read them).
pub async fn app_with_mail(dir: std::path::PathBuf) -> Arc<App> {
    app_with_mail_on(dir, idp_core::clock::Clock::system()).await
}

/// [`app_with_mail`] with its store on `clock` (a test's manual clock).
pub async fn app_with_mail_on(dir: std::path::PathBuf, clock: idp_core::clock::Clock) -> Arc<App> {
    Arc::new(
        App::new(
            Store::new(dynamodb_client().await, tables()).with_clock(clock),
            jwt_verifier(),
            Passwords::new(HashParams::OWASP_MINIMUM).unwrap(),
            Duration::from_secs(60),
        )
        .with_mailer(idp_core::mail::Mailer::File(
            idp_core::mail::FileMailer::new(dir),
        ))
        .with_cursor_key(test_cursor_key())
        .with_factor_key(test_factor_key()),
    )
}

/// A DynamoDB client of its own, for what a test reads or plants beside the store (the store
/// keeps its client to itself).
pub async fn raw_client() -> aws_sdk_dynamodb::Client {
    dynamodb_client().await
}

/// An event as a test's request would record it (actor `test`, a year's retention).
pub fn test_event(
    kind: idp_core::audit::EventType,
    profile: idp_core::domain::ProfileId,
) -> idp_core::audit::Event {
    let trail = idp_core::audit::Trail {
        actor: idp_core::audit::Actor {
            client: Some("test".into()),
            source_ip: None,
            request_id: None,
        },
        retention_days: 365,
    };
    idp_core::audit::Event::success(kind, profile, &trail)
}

pub async fn app() -> Arc<App> {
    app_on(idp_core::clock::Clock::system()).await
}

/// [`app`] with its store on `clock` (a test's manual clock).
pub async fn app_on(clock: idp_core::clock::Clock) -> Arc<App> {
    let store = Store::new(dynamodb_client().await, tables()).with_clock(clock);
    app_with(store, jwt_verifier(), HashParams::OWASP_MINIMUM).await
}

pub fn token(company: &str) -> String {
    let claims = json!({"company_uid": company, "exp": get_current_timestamp() + 600, "client_id": "handler-tests"});
    encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(SECRET.as_bytes()),
    )
    .unwrap()
}

/// A token of `company` that carries `scope`.
pub fn token_with_scope(company: &str, scope: &str) -> String {
    let claims = json!({"company_uid": company, "exp": get_current_timestamp() + 600,
                        "client_id": "handler-tests", "scope": scope});
    encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(SECRET.as_bytes()),
    )
    .unwrap()
}

/// A new company with the demo company's rules.
pub async fn fresh_company(app: &App) -> String {
    fresh_company_with(app, |_| {}).await
}

/// A new company with the demo company's rules, changed by `edit`.
pub async fn fresh_company_with(app: &App, edit: impl FnOnce(&mut Value)) -> String {
    let id = format!("h-{}", &uuid::Uuid::new_v4().simple().to_string()[..12]);
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../config/companies/demo.yaml");
    let mut value: Value = serde_yaml::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    value["company_id"] = json!(id);
    edit(&mut value);
    let config = CompanyConfig::from_value(value).unwrap();
    app.store.put_company_config(&config).await.unwrap();
    id
}

pub fn request(
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
    remember_secrets(body);
    builder
        .body(Body::from(body.to_owned()))
        .unwrap()
        .with_path_parameters(to_map(params))
        .with_query_string_parameters(to_map(query))
}

pub fn parts(response: lambda_http::Response<Body>) -> (u16, Value) {
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

pub async fn create(
    app: &Arc<App>,
    company: &str,
    body: &Value,
    fields: Option<&str>,
) -> (u16, Value) {
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

pub async fn show(app: &Arc<App>, company: &str, uuid: &str, disabled: bool) -> (u16, Value) {
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

pub fn body_with(profile: Value) -> Value {
    json!({"register_type": "nin_register", "information_provider": "test_idp", "profile": profile})
}

pub fn person(n: u32) -> Value {
    json!({"nin": format!("nin-{n}"), "name": "Ana", "lastname": "Soto",
           "email": format!("ana{n}@example.com"), "username": format!("ana{n}")})
}

pub fn kind(item: &HashMap<String, AttributeValue>) -> &str {
    item.get("kind")
        .and_then(|v| v.as_s().ok())
        .map_or("", String::as_str)
}

/// Every item of `company` in the profiles table, read page by page to the end: a scan stops
/// at 1 MB (or at DynamoDB Local's page size), and a check that read one page could pass
/// without looking at the rest.
pub async fn scan_company(app: &App, company: &str) -> Vec<HashMap<String, AttributeValue>> {
    scan_table(
        &raw_client().await,
        &app.store.tables().profiles,
        Some(company),
    )
    .await
}

/// Every item of `table` (of one company's, when given), all pages.
pub async fn scan_table(
    client: &aws_sdk_dynamodb::Client,
    table: &str,
    company: Option<&str>,
) -> Vec<HashMap<String, AttributeValue>> {
    let mut items = Vec::new();
    let mut start = None;
    loop {
        let mut scan = client
            .scan()
            .table_name(table)
            .set_exclusive_start_key(start);
        if let Some(company) = company {
            scan = scan
                .filter_expression("company_id = :c")
                .expression_attribute_values(":c", AttributeValue::S(company.to_owned()));
        }
        let page = scan.send().await.unwrap();
        items.extend(page.items.unwrap_or_default());
        start = page.last_evaluated_key;
        if start.is_none() {
            return items;
        }
    }
}

/// Calls `handler` with a JSON body on `path`, whose parameters are given explicitly.
pub async fn call<F, Fut>(
    app: &Arc<App>,
    handler: F,
    method: &str,
    path: &str,
    params: &[(&str, &str)],
    company: &str,
    body: &Value,
) -> (u16, Value)
where
    F: FnOnce(Arc<App>, Request) -> Fut,
    Fut: std::future::Future<Output = lambda_http::Response<Body>>,
{
    let req = request(
        method,
        path,
        params,
        &[],
        Some(&token(company)),
        &body.to_string(),
    );
    parts(handler(Arc::clone(app), req).await)
}

/// `POST …/profiles/login` with `credentials`, through the Login handler.
pub async fn log_in(app: &Arc<App>, company: &str, credentials: Value) -> (u16, Value) {
    call(
        app,
        idp_core::endpoints::login::handle,
        "POST",
        &format!("/v1/companies/{company}/profiles/login"),
        &[("company_id", company)],
        company,
        &json!({ "credentials": credentials }),
    )
    .await
}

/// `PATCH …/profiles/{uuid}` with `operation: "credentials"`: the profile's first password.
pub async fn add_password(
    app: &Arc<App>,
    company: &str,
    uuid: &str,
    password: &str,
) -> (u16, Value) {
    call(
        app,
        idp_core::endpoints::patch_profile::handle,
        "PATCH",
        &format!("/v1/companies/{company}/profiles/{uuid}"),
        &[("company_id", company), ("uuid", uuid)],
        company,
        &json!({"operation": "credentials", "credentials": {"password": password}}),
    )
    .await
}

/// `PATCH …/profiles/password` of `company` (request or confirm, as `body` says).
pub async fn change_password(app: &Arc<App>, company: &str, body: &Value) -> (u16, Value) {
    call(
        app,
        password_change::handle,
        "PATCH",
        &format!("/v1/companies/{company}/profiles/password"),
        &[("company_id", company)],
        company,
        body,
    )
    .await
}

/// The item of one profile, as stored.
pub async fn profile_item(app: &App, company: &str, uuid: &str) -> HashMap<String, AttributeValue> {
    partition_item(app, company, uuid, "profile")
        .await
        .expect("the profile item")
}

/// The password credential of one profile, as stored.
pub async fn password_item(
    app: &App,
    company: &str,
    uuid: &str,
) -> HashMap<String, AttributeValue> {
    partition_item(app, company, uuid, "credential#password")
        .await
        .expect("the password credential")
}

/// One item of a profile's partition, by its sort key.
pub async fn partition_item(
    app: &App,
    company: &str,
    uuid: &str,
    sort_key: &str,
) -> Option<HashMap<String, AttributeValue>> {
    raw_client()
        .await
        .get_item()
        .table_name(&app.store.tables().profiles)
        .key(
            "PK",
            AttributeValue::S(format!("company#{company}#profile#{uuid}")),
        )
        .key("SK", AttributeValue::S(sort_key.to_owned()))
        .consistent_read(true)
        .send()
        .await
        .unwrap()
        .item
}

/// Appends every `password`/`token` of a request body to `$IDP_SECRETS_FILE` for the secret
/// scan that ends `make test` (the same format as the black-box tests write).
fn remember_secrets(body: &str) {
    let (Ok(path), Ok(value)) = (
        std::env::var("IDP_SECRETS_FILE"),
        serde_json::from_str::<Value>(body),
    ) else {
        return;
    };
    let credentials = value.get("credentials").unwrap_or(&value);
    let found: Vec<&str> = ["password", "token"]
        .iter()
        .filter_map(|key| credentials.get(key).or_else(|| value.get(key)))
        .filter_map(Value::as_str)
        .collect();
    if found.is_empty() {
        return;
    }
    use std::io::Write;
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .unwrap();
    for secret in found {
        writeln!(file, "{secret}").unwrap();
    }
}
