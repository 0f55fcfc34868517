//! Per-request overhead of every endpoint handler, without network I/O: the real handlers, the
//! real `Store` and the real `aws_sdk_dynamodb::Client` (serialisation, SigV4 signing,
//! endpoint resolution, retry and timeout layers, deserialisation), with an in-process HTTP
//! client under the SDK that answers each DynamoDB (and SES) operation at once with a canned
//! response in the service's own JSON wire format.
//!
//! `cargo bench -p idp-core --bench handler_overhead` (about two minutes). Results:
//! `target/criterion/<group>/<bench>/new/estimates.json` (`median.point_estimate`, in ns):
//!
//! - `handler/<endpoint>`: wall time of one request, argon2 included where the endpoint hashes
//!   (`add_password`, `login`, `password_change_confirm`), at the cheapest parameters the
//!   project accepts (`CHEAPEST`; `HashParams::check` refuses anything below OWASP's minimum);
//! - `handler_cpu/<endpoint>`: CPU time of the thread that runs the handler, from the kernel's
//!   scheduler statistics. argon2 runs on tokio's blocking pool, so this is the handler's own
//!   work without the hash (the hand-off to and from the pool is counted); and time the core
//!   spends on other processes is not, so it holds on a busy machine where wall time does not;
//!   plus `handler_cpu/show_profile_after_hash`: show-profile run right after an (untimed)
//!   argon2 hash, the cold-cache state in which the hashing endpoints run their own work;
//! - `handler_ours/<endpoint>`: the same CPU time without the CPU spent inside SDK operations
//!   (from each operation's first interceptor hook to its last, `SdkCpuMeter`): the handler's
//!   own work, the store's building and reading of items included;
//! - `component/<part>` and `component_cpu/<part>`: the pieces, to read the handler figures
//!   against: `argon2id_hash_cheapest` and `argon2id_verify_cheapest` (wall only),
//!   `password_policy_add_password`, `password_policy_confirm` (length, own data, zxcvbn),
//!   `jwt_verify_same_token`, `jwt_verify_distinct_tokens`, `introspection_cache_hit`,
//!   `company_config_cache_hit`, `sdk_get_item` (one round trip through the SDK and the fake),
//!   `sdk_get_item_no_retry_no_timeout`, `sdk_get_item_no_log_subscriber`,
//!   `store_get_profile`, `fake_transport_answer` (the fake's own share of a round trip) and
//!   `log_line_json`.
//!
//! The `*_cpu` groups are left out, with a message, where `/proc/thread-self/schedstat` is
//! missing or does not track a busy loop.
//!
//! Endpoints: `create_profile`, `show_profile`, `add_password`, `login`, `login_second_step`
//! (a challenge and a TOTP code: no hash), `login_passkey` (a passwordless assertion, verified
//! by the WebAuthn relying party: ECDSA P-256), `activate`, `deactivate`, `password_change_request`,
//! `password_change_confirm`.
//!
//! The canned items are the ones the real code writes: a company configuration stored with
//! `Store::put_company_config`, a profile created through the create handler, its password set
//! through the add-password handler and a token issued through the request handler, each
//! captured from the request the SDK sent and served back to the reads. The fake keeps no state
//! afterwards: writes answer `{}`, so every request of a benchmark takes the same success path.
//!
//! Steady state of a warm instance: the company configuration is cached (first call loads it),
//! the same bearer token is sent every time (the JWT verifier caches nothing, so every request
//! pays a full HS256 verification), logs are formatted as in production (JSON, `info`) but
//! written to a sink, and mail goes through the real `SesMailer` over the same fake transport.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "../tests/common/soft_passkey.rs"]
mod soft_passkey;

use std::cell::Cell;
use std::collections::HashMap;
use std::future::Future;
use std::hint::black_box;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use aws_config::BehaviorVersion;
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_sdk_dynamodb::config::{Credentials, Region};
use aws_sdk_dynamodb::types::AttributeValue;
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpConnector,
};
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::{
    BeforeSerializationInterceptorContextRef, FinalizerInterceptorContextRef,
};
use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, HttpResponse};
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_runtime_api::http::StatusCode;
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::config_bag::ConfigBag;
use criterion::{BenchmarkGroup, Criterion, SamplingMode, measurement::WallTime};
use idp_core::App;
use idp_core::auth::{ClaimRules, Introspection, JwtKeys, JwtVerifier, TokenVerifier};
use idp_core::clock::ManualClock;
use idp_core::company::CompanyConfig;
use idp_core::domain::{CompanyId, ProfileId};
use idp_core::endpoints::{
    create_profile, login, login_passkey, password_change, patch_profile, profile_status,
    show_profile,
};
use idp_core::envelope::Resource;
use idp_core::mail::{Mailer, SesMailer};
use idp_core::password::{HashParams, Password, Passwords, Verification, check_policy};
use idp_core::store::{Store, Tables};
use idp_core::two_factor::{FactorKey, Totp, TotpParams, TotpSecret};
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode, get_current_timestamp};
use lambda_http::{Body, Request, RequestExt, Response};
use serde_json::{Value, json};
use tokio::runtime::Runtime;

/// The cheapest argon2id parameters `HashParams::check` accepts (OWASP's 7 MiB, t=5 setting;
/// m=8 KiB, t=1 is refused). The `component/argon2id_*` benches time them alone.
const CHEAPEST: HashParams = HashParams {
    memory_kib: 7 * 1024,
    iterations: 5,
    parallelism: 1,
};

const COMPANY: &str = "-1";
const SECRET: &str = "handler-overhead-bench-secret-0123456789";
const PASSWORD: &str = "lantern orbit meadow 7";
const NEW_PASSWORD: &str = "copper kettle sings at dawn";
const EMAIL: &str = "tlat@email.com";
const ORIGIN: &str = "test_idp";

const PROFILES_TABLE: &str = "bench-profiles";
const COMPANIES_TABLE: &str = "bench-companies";

// ---------------------------------------------------------------------------------------------
// The in-process transport.

const GET_ITEM: &str = "DynamoDB_20120810.GetItem";
const PUT_ITEM: &str = "DynamoDB_20120810.PutItem";
const UPDATE_ITEM: &str = "DynamoDB_20120810.UpdateItem";
const DELETE_ITEM: &str = "DynamoDB_20120810.DeleteItem";
const QUERY: &str = "DynamoDB_20120810.Query";
const BATCH_GET_ITEM: &str = "DynamoDB_20120810.BatchGetItem";
const TRANSACT_WRITE_ITEMS: &str = "DynamoDB_20120810.TransactWriteItems";
/// SES v2 is REST-JSON: no `x-amz-target`, `POST /v2/email/outbound-emails`.
const SES_SEND_EMAIL: &str = "SESv2.SendEmail";

const AMZ_JSON: &str = "application/x-amz-json-1.0";

/// A canned answer: the first route whose operation matches and whose needle occurs in the
/// request body answers it.
#[derive(Debug)]
struct Route {
    op: &'static str,
    needle: Vec<u8>,
    content_type: &'static str,
    answer: Answer,
}

/// (projection, attribute names, body), as the request spelled the first two.
type Projected = (Vec<u8>, Vec<u8>, Vec<u8>);

#[derive(Debug)]
enum Answer {
    /// The same body every time.
    Fixed(Vec<u8>),
    /// `{"Item": …}` of a `GetItem`, cut down to the request's `ProjectionExpression` as
    /// DynamoDB does; each projection is worked out once and its body kept.
    Item {
        item: Value,
        projected: Mutex<Vec<Projected>>,
    },
}

impl Answer {
    fn body(&self, request: &[u8]) -> Vec<u8> {
        let (item, projected) = match self {
            Self::Fixed(body) => return body.clone(),
            Self::Item { item, projected } => (item, projected),
        };
        let projection = json_member(request, b"\"ProjectionExpression\":");
        let names = json_member(request, b"\"ExpressionAttributeNames\":");
        let mut known = projected.lock().unwrap();
        if let Some((_, _, body)) = known
            .iter()
            .find(|(p, n, _)| p.as_slice() == projection && n.as_slice() == names)
        {
            return body.clone();
        }
        let body = json!({"Item": project(item, request)})
            .to_string()
            .into_bytes();
        known.push((projection.to_vec(), names.to_vec(), body.clone()));
        body
    }
}

/// The raw text of a top-level string or flat-object member of a JSON body (empty if absent):
/// enough to tell projections apart without parsing the request.
fn json_member<'a>(body: &'a [u8], name: &[u8]) -> &'a [u8] {
    let Some(start) = find(body, name).map(|at| at + name.len()) else {
        return &[];
    };
    let rest = &body[start..];
    let end = match rest.first() {
        Some(b'"') => rest[1..].iter().position(|b| *b == b'"').map(|at| at + 2),
        Some(b'{') => rest.iter().position(|b| *b == b'}').map(|at| at + 1),
        _ => None,
    };
    &rest[..end.unwrap_or(0)]
}

/// `item` with only the attributes the request's projection names (all without one).
fn project(item: &Value, request: &[u8]) -> Value {
    let request: Value = serde_json::from_slice(request).unwrap();
    let Some(projection) = request["ProjectionExpression"].as_str() else {
        return item.clone();
    };
    let names = &request["ExpressionAttributeNames"];
    let mut out = serde_json::Map::new();
    for path in projection.split(',').map(str::trim) {
        let name = names[path].as_str().unwrap_or(path);
        if let Some(value) = item.get(name) {
            out.insert(name.to_owned(), value.clone());
        }
    }
    Value::Object(out)
}

#[derive(Debug, Default)]
struct Wire {
    routes: RwLock<Vec<Route>>,
    recording: AtomicBool,
    /// (operation, request body) of every call while `recording`.
    recorded: Mutex<Vec<(String, Value)>>,
}

impl Wire {
    /// Answers `op` requests whose body contains `needle` with `body` (newest route first).
    fn serve(&self, op: &'static str, needle: &str, body: &Value) {
        self.route(op, needle, Answer::Fixed(body.to_string().into_bytes()));
    }

    /// Answers the `GetItem`s whose body contains `needle` with `item`, projected as asked.
    fn serve_item(&self, needle: &str, item: &Value) {
        let answer = Answer::Item {
            item: item.clone(),
            projected: Mutex::default(),
        };
        self.route(GET_ITEM, needle, answer);
    }

    /// Answers the `Query`s whose body contains `needle` with `items`, in that order.
    fn serve_query(&self, needle: &str, items: &[&Value]) {
        self.serve(QUERY, needle, &query_answer(items));
    }

    fn route(&self, op: &'static str, needle: &str, answer: Answer) {
        let content_type = if op == SES_SEND_EMAIL {
            "application/json"
        } else {
            AMZ_JSON
        };
        let route = Route {
            op,
            needle: needle.as_bytes().to_vec(),
            content_type,
            answer,
        };
        let mut routes = self.routes.write().unwrap();
        routes.retain(|r| !(r.op == op && r.needle == route.needle));
        routes.insert(0, route);
    }

    fn record<T>(&self, during: impl FnOnce() -> T) -> (T, Vec<(String, Value)>) {
        self.recorded.lock().unwrap().clear();
        self.recording.store(true, Ordering::SeqCst);
        let out = during();
        self.recording.store(false, Ordering::SeqCst);
        (out, std::mem::take(&mut *self.recorded.lock().unwrap()))
    }

    fn answer(&self, request: &HttpRequest) -> HttpResponse {
        let op = match request.headers().get("x-amz-target") {
            Some(target) => target,
            None if request.uri().ends_with("/v2/email/outbound-emails") => SES_SEND_EMAIL,
            None => "unknown",
        };
        let body = request.body().bytes().unwrap_or_default();
        if self.recording.load(Ordering::Relaxed) {
            let parsed = serde_json::from_slice(body).unwrap_or(Value::Null);
            self.recorded.lock().unwrap().push((op.to_owned(), parsed));
        }
        let routes = self.routes.read().unwrap();
        let found = routes
            .iter()
            .find(|r| r.op == op && contains(body, &r.needle));
        let (status, content_type, payload) = match found {
            // A copy, as a real client copies off the socket.
            Some(route) => (
                200,
                route.content_type,
                SdkBody::from(route.answer.body(body)),
            ),
            None => (
                400,
                AMZ_JSON,
                SdkBody::from(format!(
                    r#"{{"__type":"com.amazon.coral.validate#ValidationException","message":"bench fake: no canned answer for {op}"}}"#
                )),
            ),
        };
        let mut response = HttpResponse::new(StatusCode::try_from(status).unwrap(), payload);
        response.headers_mut().insert("content-type", content_type);
        response.headers_mut().insert(
            "x-amzn-requestid",
            "BENCH0FAKE0TRANSPORT0000000000000000000000000000000",
        );
        response
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    needle.is_empty() || find(haystack, needle).is_some()
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[derive(Debug, Clone)]
struct FakeConnector(Arc<Wire>);

impl HttpConnector for FakeConnector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        HttpConnectorFuture::ready(Ok(self.0.answer(&request)))
    }
}

/// The `HttpClient` the SDK is built with; one connector, shared by every request.
#[derive(Debug, Clone)]
struct FakeAws(SharedHttpConnector);

impl HttpClient for FakeAws {
    fn http_connector(
        &self,
        _settings: &HttpConnectorSettings,
        _components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        self.0.clone()
    }
}

/// The shared AWS configuration over the fake: static credentials and region, so nothing is
/// looked up; DynamoDB with the timeouts and retries of `store::dynamodb_client` (none of them
/// ever fires: every answer is immediate and successful).
async fn sdk_configs(wire: &Arc<Wire>) -> (aws_sdk_dynamodb::Client, aws_sdk_sesv2::Client) {
    let http = FakeAws(SharedHttpConnector::new(FakeConnector(Arc::clone(wire))));
    let loader = || {
        aws_config::defaults(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .credentials_provider(Credentials::new(
                "AKIDBENCHFAKE",
                "bench-secret-key",
                None,
                None,
                "bench",
            ))
            .http_client(http.clone())
    };
    let dynamodb = idp_core::store::with_bounds(loader()).load().await;
    let ses = loader().load().await;
    (
        aws_sdk_dynamodb::Client::from_conf(
            aws_sdk_dynamodb::config::Builder::from(&dynamodb)
                .interceptor(SdkCpuMeter)
                .build(),
        ),
        aws_sdk_sesv2::Client::from_conf(
            aws_sdk_sesv2::config::Builder::from(&ses)
                .interceptor(SdkCpuMeter)
                .build(),
        ),
    )
}

// ---------------------------------------------------------------------------------------------
// Requests and the fixture.

fn jwt_verifier() -> TokenVerifier {
    TokenVerifier::Jwt(Box::new(JwtVerifier::new(
        JwtKeys::hs256(SECRET.as_bytes()),
        ClaimRules::default(),
    )))
}

fn bearer(company: &str, nonce: u64) -> String {
    let claims =
        json!({"company_uid": company, "exp": get_current_timestamp() + 7200, "nonce": nonce});
    encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(SECRET.as_bytes()),
    )
    .unwrap()
}

/// One API Gateway request as `lambda_http` hands it to a handler.
#[derive(Debug, Clone)]
struct Call {
    method: &'static str,
    path: String,
    params: Vec<(&'static str, String)>,
    query: Vec<(&'static str, &'static str)>,
    authorization: String,
    body: String,
}

impl Call {
    fn new(method: &'static str, path: String, token: &str, body: Value) -> Self {
        Self {
            method,
            path,
            params: vec![("company_id", COMPANY.to_owned())],
            query: Vec::new(),
            authorization: format!("Bearer {token}"),
            body: if body.is_null() {
                String::new()
            } else {
                body.to_string()
            },
        }
    }

    fn param(mut self, name: &'static str, value: &str) -> Self {
        self.params.push((name, value.to_owned()));
        self
    }

    fn query(mut self, name: &'static str, value: &'static str) -> Self {
        self.query.push((name, value));
        self
    }

    fn request(&self) -> Request {
        let params: HashMap<String, String> = self
            .params
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone()))
            .collect();
        let query: HashMap<String, String> = self
            .query
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        let body = if self.body.is_empty() {
            Body::Empty
        } else {
            Body::Text(self.body.clone())
        };
        lambda_http::http::Request::builder()
            .method(self.method)
            .uri(&self.path)
            .header("authorization", &self.authorization)
            .header("content-type", "application/json")
            .body(body)
            .unwrap()
            .with_path_parameters(params)
            .with_query_string_parameters(query)
    }
}

fn profiles_path() -> String {
    format!("/v1/companies/{COMPANY}/profiles")
}

fn status_and_body(response: Response<Body>) -> (u16, Value) {
    let status = response.status().as_u16();
    let body = match response.body() {
        Body::Text(text) => serde_json::from_str(text).unwrap(),
        _ => Value::Null,
    };
    (status, body)
}

/// (table, item) of every `Put` of the recorded `TransactWriteItems` and every `PutItem`.
fn put_items(recorded: &[(String, Value)]) -> Vec<(String, Value)> {
    let mut items = Vec::new();
    let mut take = |put: &Value| {
        let table = put["TableName"].as_str().unwrap_or_default().to_owned();
        items.push((table, put["Item"].clone()));
    };
    for (op, body) in recorded {
        match op.as_str() {
            TRANSACT_WRITE_ITEMS => body["TransactItems"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|write| write.get("Put"))
                .for_each(&mut take),
            PUT_ITEM => take(body),
            _ => {}
        }
    }
    items
}

/// The body of the first recorded call of `op`.
fn body_of<'a>(recorded: &'a [(String, Value)], op: &str) -> &'a Value {
    recorded
        .iter()
        .find(|(o, _)| o == op)
        .map(|(_, body)| body)
        .unwrap_or_else(|| panic!("no {op} among {:?}", ops(recorded)))
}

fn ops(recorded: &[(String, Value)]) -> Vec<&str> {
    recorded
        .iter()
        .map(|(op, _)| op.trim_start_matches("DynamoDB_20120810."))
        .collect()
}

/// A `Query` answer holding `items`, in one page.
fn query_answer(items: &[&Value]) -> Value {
    json!({"Items": items, "Count": items.len(), "ScannedCount": items.len()})
}

/// A JSON string literal as the SDK writes it, to find a key in a request body.
fn quoted(text: &str) -> String {
    serde_json::to_string(text).unwrap()
}

/// The handler benches: one endpoint each, arranged by [`Fixture::new`].
struct Endpoint {
    id: &'static str,
    expect: u16,
    call: Call,
    /// Routes this endpoint needs on top of the shared ones (`op`, needle, answer; for
    /// `GetItem`, the item).
    routes: Vec<(&'static str, String, Value)>,
    handler: fn(Arc<App>, Request) -> HandlerFuture,
    /// Whether the handler hashes or verifies a password (argon2 on the blocking pool).
    hashes: bool,
}

type HandlerFuture = std::pin::Pin<Box<dyn Future<Output = Response<Body>> + Send>>;

macro_rules! handler {
    ($module:ident) => {
        |app, req| Box::pin($module::handle(app, req)) as HandlerFuture
    };
}

struct Fixture {
    rt: Runtime,
    wire: Arc<Wire>,
    app: Arc<App>,
    /// The SDK client the store was built with, for the bare round trips.
    client: aws_sdk_dynamodb::Client,
    token: String,
    company: CompanyId,
    profile_id: ProfileId,
    profile_key: String,
    endpoints: Vec<Endpoint>,
}

impl Fixture {
    fn new() -> Self {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let wire = Arc::new(Wire::default());
        let (dynamodb, ses) = rt.block_on(sdk_configs(&wire));
        let tables = Tables {
            profiles: PROFILES_TABLE.into(),
            companies: COMPANIES_TABLE.into(),
        };
        // A clock that stands still: the TOTP code of the second step stays valid however long
        // the run (the fake keeps no state, so the code is never spent either).
        let clock = ManualClock::now();
        let app = Arc::new(
            App::new(
                Store::new(dynamodb.clone(), tables).with_clock(clock.clock()),
                jwt_verifier(),
                Passwords::new(CHEAPEST).unwrap(),
                // Longer than the run: every request after the first finds the cache warm.
                Duration::from_secs(3600),
            )
            .with_mailer(Mailer::Ses(SesMailer::new(ses)))
            .with_factor_key(FactorKey::new(SECRET.as_bytes()).unwrap()),
        );
        let token = bearer(COMPANY, 0);
        let company = CompanyId::parse(COMPANY).unwrap();

        // Writes succeed; unconditional answers that specific routes below take precedence over.
        for op in [PUT_ITEM, UPDATE_ITEM, DELETE_ITEM, TRANSACT_WRITE_ITEMS] {
            wire.serve(op, "", &json!({}));
        }
        wire.serve(
            SES_SEND_EMAIL,
            "",
            &json!({"MessageId": "0100018f-bench-0000"}),
        );

        // The company configuration, as `put_company_config` writes it.
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../config/companies/demo.yaml");
        let mut value: Value =
            serde_yaml::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        value["company_id"] = json!(COMPANY);
        let config = CompanyConfig::from_value(value).unwrap();
        // A first load: no stored configuration to keep dates from.
        wire.serve(GET_ITEM, &quoted(COMPANIES_TABLE), &json!({}));
        let (stored, recorded) = wire.record(|| rt.block_on(app.store.put_company_config(&config)));
        stored.unwrap();
        let (_, company_item) = put_items(&recorded).pop().unwrap();
        wire.serve_item(&quoted(COMPANIES_TABLE), &company_item);

        // A profile, created through the handler: its items are served back to the reads.
        let create = Call::new(
            "POST",
            profiles_path(),
            &token,
            json!({
                "register_type": "nin_register",
                "information_provider": ORIGIN,
                "profile": {
                    "nin": "123456789", "username": "tlat", "phone_number": "+56912345678",
                    "email": EMAIL, "origin": ORIGIN, "name": "trust", "lastname": "latin",
                    "birthday": "12-03-4567", "nationality": "CHL", "timezone": "UTC"
                },
                "options": {"active": true}
            }),
        )
        .query("fields", "email,name,nin,lastname,phone_number,origin");
        let (response, recorded) =
            wire.record(|| rt.block_on(create_profile::handle(Arc::clone(&app), create.request())));
        let (status, body) = status_and_body(response);
        assert_eq!(status, 201, "setup: create profile: {body}");
        eprintln!("setup: create_profile sent {:?}", ops(&recorded));
        let uuid = body["data"]["uuid"].as_str().unwrap().to_owned();
        let profile_id = ProfileId::parse(&uuid).unwrap();
        let mut profile_item = Value::Null;
        for (_, item) in put_items(&recorded) {
            if item["kind"]["S"] == "profile" {
                profile_item = item;
            } else {
                // Identifier reservations, read by login and the password change.
                wire.serve_item(&quoted(item["PK"]["S"].as_str().unwrap()), &item);
            }
        }
        let profile_key = profile_item["PK"]["S"].as_str().unwrap().to_owned();

        // Its first password, set through the handler (argon2 at `CHEAPEST`).
        wire.serve_item(&quoted(&profile_key), &profile_item);
        wire.serve_query(&quoted(&profile_key), &[&profile_item]);
        let add = Call::new(
            "PATCH",
            format!("{}/{uuid}", profiles_path()),
            &token,
            json!({"operation": "credentials", "credentials": {"password": PASSWORD}}),
        )
        .param("uuid", &uuid);
        let (response, recorded) =
            wire.record(|| rt.block_on(patch_profile::handle(Arc::clone(&app), add.request())));
        let (status, body) = status_and_body(response);
        assert_eq!(status, 201, "setup: add password: {body}");
        eprintln!("setup: add_password sent {:?}", ops(&recorded));
        // The credential it put, served with the profile from now on.
        let (_, password_item) = put_items(&recorded)
            .into_iter()
            .find(|(_, item)| item["SK"]["S"] == "credential#password")
            .expect("setup: add password put no credential");
        assert!(password_item["password_hash"]["S"].is_string());
        let with_password = profile_item.clone();
        wire.serve_query(&quoted(&profile_key), &[&password_item, &profile_item]);

        // A password-change token, issued through the request handler and read from the mail.
        let request_change = Call::new(
            "PATCH",
            format!("{}/password", profiles_path()),
            &token,
            json!({"operation": "request", "access_type": "email", "profile": EMAIL}),
        );
        let (response, recorded) = wire.record(|| {
            rt.block_on(password_change::handle(
                Arc::clone(&app),
                request_change.request(),
            ))
        });
        let (status, body) = status_and_body(response);
        assert_eq!(status, 200, "setup: request password change: {body}");
        eprintln!("setup: password_change_request sent {:?}", ops(&recorded));
        let (_, token_item) = put_items(&recorded)
            .into_iter()
            .find(|(_, item)| item["SK"]["S"] == "token#password-change")
            .expect("setup: no token written");
        let mail = body_of(&recorded, SES_SEND_EMAIL)["Content"]["Simple"]["Body"]["Text"]["Data"]
            .as_str()
            .unwrap();
        let settings = &config.password_change;
        let before_token = settings
            .email_body
            .split("{token}")
            .next()
            .unwrap()
            .replace(
                "{minutes}",
                &settings.token_ttl_seconds.div_ceil(60).to_string(),
            );
        let reset_token: String = mail[before_token.len()..]
            .chars()
            .take_while(char::is_ascii_alphanumeric)
            .collect();
        assert_eq!(reset_token.len(), 20, "setup: token from the mail");
        // The profile's partition as each reader queries it: login from the credentials to the
        // profile (`BETWEEN … AND :to`), the confirm from the credentials on, token included.
        let login_partition = query_answer(&[&password_item, &profile_item]);
        let confirm_partition = query_answer(&[&password_item, &profile_item, &token_item]);
        let no_password_partition = query_answer(&[&profile_item]);

        // The profile as a status change reads it before flipping it.
        let mut inactive = with_password.clone();
        inactive["active"] = json!({"BOOL": false});

        let status_call = |operation: &str| {
            Call::new(
                "PATCH",
                format!("{}/{uuid}/status", profiles_path()),
                &token,
                json!({"operation": operation}),
            )
            .param("uuid", &uuid)
        };
        // A TOTP, enrolled and confirmed through the handler, then a login's challenge: what
        // the second step reads.
        let second_step = second_step_call(
            &rt,
            &wire,
            &app,
            &token,
            (&uuid, &profile_key),
            (&password_item, &profile_item),
            &clock,
        );

        let passkey = passkey_login_call(
            &rt,
            &wire,
            &app,
            &token,
            (&uuid, &profile_key),
            (&password_item, &profile_item),
            &clock,
        );

        // Every endpoint serves the profile's items it expects: without a password for
        // add-password, with one for the rest.
        let profile_route = |item: &Value| (GET_ITEM, quoted(&profile_key), item.clone());
        let partition_route = |answer: &Value| (QUERY, quoted(&profile_key), answer.clone());
        let endpoints = vec![
            Endpoint {
                id: "create_profile",
                expect: 201,
                call: create,
                routes: Vec::new(),
                handler: handler!(create_profile),
                hashes: false,
            },
            Endpoint {
                id: "show_profile",
                expect: 200,
                call: Call::new(
                    "GET",
                    format!("{}/{uuid}", profiles_path()),
                    &token,
                    Value::Null,
                )
                .param("uuid", &uuid),
                routes: vec![profile_route(&with_password)],
                handler: handler!(show_profile),
                hashes: false,
            },
            Endpoint {
                id: "add_password",
                expect: 201,
                call: add,
                routes: vec![partition_route(&no_password_partition)],
                handler: handler!(patch_profile),
                hashes: true,
            },
            Endpoint {
                id: "login",
                expect: 200,
                call: Call::new(
                    "POST",
                    format!("{}/login", profiles_path()),
                    &token,
                    json!({"credentials": {"email": EMAIL, "origin": ORIGIN, "password": PASSWORD}}),
                ),
                routes: vec![partition_route(&login_partition)],
                handler: handler!(login),
                hashes: true,
            },
            second_step,
            passkey,
            Endpoint {
                id: "activate",
                expect: 200,
                call: status_call("activate"),
                // Read first (the change is conditioned on the version read), then one
                // transaction with its event.
                routes: vec![profile_route(&inactive)],
                handler: handler!(profile_status),
                hashes: false,
            },
            Endpoint {
                id: "deactivate",
                expect: 200,
                call: status_call("deactivate"),
                routes: vec![profile_route(&with_password)],
                handler: handler!(profile_status),
                hashes: false,
            },
            Endpoint {
                id: "password_change_request",
                expect: 200,
                call: request_change,
                routes: vec![profile_route(&with_password)],
                handler: handler!(password_change),
                hashes: false,
            },
            Endpoint {
                id: "password_change_confirm",
                expect: 200,
                call: Call::new(
                    "PATCH",
                    format!("{}/password", profiles_path()),
                    &token,
                    json!({"operation": "confirm", "access_type": "email", "profile": EMAIL,
                           "token": reset_token, "password": NEW_PASSWORD}),
                ),
                routes: vec![partition_route(&confirm_partition)],
                handler: handler!(password_change),
                hashes: true,
            },
        ];

        Self {
            rt,
            wire,
            app,
            client: dynamodb,
            token,
            company,
            profile_id,
            profile_key,
            endpoints,
        }
    }

    /// Serves what `endpoint` reads, runs it once and checks it succeeds.
    fn arrange(&self, endpoint: &Endpoint) {
        for (op, needle, answer) in &endpoint.routes {
            match *op {
                GET_ITEM => self.wire.serve_item(needle, answer),
                op => self.wire.serve(op, needle, answer),
            }
        }
        let (response, recorded) = self.wire.record(|| {
            self.rt.block_on((endpoint.handler)(
                Arc::clone(&self.app),
                endpoint.call.request(),
            ))
        });
        let (status, body) = status_and_body(response);
        eprintln!("{}: {status} after {:?}", endpoint.id, ops(&recorded));
        assert_eq!(
            status, endpoint.expect,
            "{}: not the success path: {body}",
            endpoint.id
        );
    }
}

/// The second step of a login with a TOTP (`login_second_step`): enrols and confirms a TOTP
/// through the patch-profile handler and takes a challenge from a password-only login, each
/// from the items the one before wrote; then serves the second step's `BatchGetItem` (the
/// challenge, the password credential, the factors, the profile) and its code attempt's `UpdateItem` (the factors, as
/// `ALL_NEW` gives them).
fn second_step_call(
    rt: &Runtime,
    wire: &Wire,
    app: &Arc<App>,
    token: &str,
    (uuid, profile_key): (&str, &str),
    (password_item, profile_item): (&Value, &Value),
    clock: &ManualClock,
) -> Endpoint {
    let two_factor = |request: Value| {
        Call::new(
            "PATCH",
            format!("{}/{uuid}", profiles_path()),
            token,
            json!({"operation": "two_factor", "two_factor": request}),
        )
        .param("uuid", uuid)
    };
    let factor_put = |recorded: &[(String, Value)]| {
        put_items(recorded)
            .into_iter()
            .find(|(_, item)| item["SK"]["S"] == "credential#second-factor")
            .map(|(_, item)| item)
            .expect("setup: no second-factor item written")
    };
    wire.serve_query(&quoted(profile_key), &[password_item, profile_item]);
    let enrol = two_factor(json!({"action": "enrol", "method": "totp"}));
    let (response, recorded) =
        wire.record(|| rt.block_on(patch_profile::handle(Arc::clone(app), enrol.request())));
    let (status, body) = status_and_body(response);
    assert_eq!(status, 200, "setup: enrol: {body}");
    let pending = factor_put(&recorded);
    let totp = Totp {
        secret: TotpSecret::from_base32(body["data"]["secret"].as_str().unwrap()).unwrap(),
        params: TotpParams::default(),
    };
    let step = totp.step_of(clock.clock().now_seconds());

    wire.serve_query(&quoted(profile_key), &[&pending, profile_item]);
    let code = totp.code_at_step(step).to_string();
    let confirm = two_factor(json!({"action": "confirm", "method": "totp", "code": code}));
    let (response, recorded) =
        wire.record(|| rt.block_on(patch_profile::handle(Arc::clone(app), confirm.request())));
    let (status, body) = status_and_body(response);
    assert_eq!(status, 200, "setup: confirm: {body}");
    let enrolled = factor_put(&recorded);

    wire.serve_query(
        &quoted(profile_key),
        &[password_item, &enrolled, profile_item],
    );
    let password_only = Call::new(
        "POST",
        format!("{}/login", profiles_path()),
        token,
        json!({"credentials": {"email": EMAIL, "origin": ORIGIN, "password": PASSWORD}}),
    );
    let (response, recorded) =
        wire.record(|| rt.block_on(login::handle(Arc::clone(app), password_only.request())));
    let (status, body) = status_and_body(response);
    assert_eq!(status, 422, "setup: challenge: {body}");
    let challenge = body["data"]["challenge"].as_str().unwrap().to_owned();
    let written = body_of(&recorded, TRANSACT_WRITE_ITEMS)["TransactItems"]
        .as_array()
        .unwrap()
        .iter()
        .find_map(|item| {
            let key = &item["Update"]["Key"];
            key["SK"]["S"]
                .as_str()
                .is_some_and(|sk| sk.starts_with("token#challenge#"))
                .then(|| key.clone())
        })
        .expect("setup: no challenge written");
    let mut challenge_item = written;
    challenge_item["kind"] = json!({"S": "challenge"});
    challenge_item["uuid"] = json!({"S": uuid});
    challenge_item["expires_ms"] = json!({"N": (clock.clock().now_ms() + 300_000).to_string()});
    // Bound to the password it was issued for: the step reads the credential beside it.
    challenge_item["password_set_at"] = password_item["password_set_at"].clone();

    // The code attempt's answer: the factors counted once more, revision moved on.
    let mut counted = enrolled.clone();
    let revision: u64 = enrolled["revision"]["N"].as_str().unwrap().parse().unwrap();
    counted["revision"] = json!({"N": (revision + 1).to_string()});
    counted["failures"] = json!({"N": "1"});
    let next = totp.code_at_step(step + 1).to_string();
    Endpoint {
        id: "login_second_step",
        expect: 200,
        call: Call::new(
            "POST",
            format!("{}/login", profiles_path()),
            token,
            json!({"challenge": challenge, "credentials": {"totp": next}}),
        ),
        routes: vec![
            (
                BATCH_GET_ITEM,
                quoted(profile_key),
                json!({"Responses": {PROFILES_TABLE: [challenge_item, password_item, enrolled, profile_item]},
                       "UnprocessedKeys": {}}),
            ),
            (
                UPDATE_ITEM,
                "credential#second-factor".into(),
                json!({ "Attributes": counted }),
            ),
        ],
        handler: handler!(login),
        hashes: false,
    }
}

/// A passwordless passkey login (`login_passkey`): a passkey enrolled and confirmed through
/// the patch-profile handler with a software passkey (`tests/common/soft_passkey.rs`), the
/// options taken from the passkey-login handler; then serves the login's `BatchGetItem` (the
/// challenge with the ceremony's state, the factors, the profile) and its attempt's
/// `UpdateItem`. Every run verifies the same assertion against the same stored counter.
fn passkey_login_call(
    rt: &Runtime,
    wire: &Wire,
    app: &Arc<App>,
    token: &str,
    (uuid, profile_key): (&str, &str),
    (password_item, profile_item): (&Value, &Value),
    clock: &ManualClock,
) -> Endpoint {
    let mut passkey = soft_passkey::SoftPasskey::new("http://localhost:8080");
    let two_factor = |request: Value| {
        Call::new(
            "PATCH",
            format!("{}/{uuid}", profiles_path()),
            token,
            json!({"operation": "two_factor", "two_factor": request}),
        )
        .param("uuid", uuid)
    };
    let expires_ms = json!({"N": (clock.clock().now_ms() + 300_000).to_string()});
    // The ceremony an UpdateItem kept, as the item a read gives back.
    let ceremony = |recorded: &[(String, Value)], kind: &str, owner: &str| {
        let update = body_of(recorded, UPDATE_ITEM);
        let mut item = update["Key"].clone();
        item["kind"] = json!({"S": kind});
        item["uuid"] = json!({"S": owner});
        item["expires_ms"] = expires_ms.clone();
        item["passkey_state"] = update["ExpressionAttributeValues"][":state"].clone();
        item
    };

    wire.serve_query(&quoted(profile_key), &[password_item, profile_item]);
    let enrol = two_factor(json!({"action": "enrol", "method": "passkey"}));
    let (response, recorded) =
        wire.record(|| rt.block_on(patch_profile::handle(Arc::clone(app), enrol.request())));
    let (status, body) = status_and_body(response);
    assert_eq!(status, 200, "setup: passkey enrol: {body}");
    let enrolment = ceremony(&recorded, "passkey_enrolment", uuid);
    let credential = passkey.create(&body["data"]["options"]);

    wire.serve_item("token#challenge#", &enrolment);
    let confirm = two_factor(
        json!({"action": "confirm", "method": "passkey", "name": "Laptop",
        "enrolment": body["data"]["enrolment"], "credential": credential}),
    );
    let (response, recorded) =
        wire.record(|| rt.block_on(patch_profile::handle(Arc::clone(app), confirm.request())));
    let (status, body) = status_and_body(response);
    assert_eq!(status, 200, "setup: passkey confirm: {body}");
    let enrolled = put_items(&recorded)
        .into_iter()
        .find(|(_, item)| item["SK"]["S"] == "credential#second-factor")
        .map(|(_, item)| item)
        .expect("setup: no second-factor item written");

    let path = format!("{}/login/passkey", profiles_path());
    let options = Call::new("POST", path.clone(), token, json!({}));
    let (response, recorded) =
        wire.record(|| rt.block_on(login_passkey::handle(Arc::clone(app), options.request())));
    let (status, body) = status_and_body(response);
    assert_eq!(status, 200, "setup: passkey options: {body}");
    let challenge_item = ceremony(&recorded, "passkey_login", "-");
    let assertion = passkey.get(&body["data"]["options"]);

    // The attempt's answer: the factors counted once more, revision moved on.
    let mut counted = enrolled.clone();
    let revision: u64 = enrolled["revision"]["N"].as_str().unwrap().parse().unwrap();
    counted["revision"] = json!({"N": (revision + 1).to_string()});
    counted["failures"] = json!({"N": "1"});
    Endpoint {
        id: "login_passkey",
        expect: 200,
        call: Call::new(
            "POST",
            path,
            token,
            json!({"challenge": body["data"]["challenge"], "credential": assertion}),
        ),
        routes: vec![
            (
                BATCH_GET_ITEM,
                quoted(profile_key),
                json!({"Responses": {PROFILES_TABLE: [challenge_item, enrolled, profile_item]},
                       "UnprocessedKeys": {}}),
            ),
            (
                UPDATE_ITEM,
                "credential#second-factor".into(),
                json!({ "Attributes": counted }),
            ),
        ],
        handler: handler!(login_passkey),
        hashes: false,
    }
}

// ---------------------------------------------------------------------------------------------
// Clocks.

thread_local! {
    /// This thread's scheduler statistics, opened once: each reading is then one `pread`.
    static SCHEDSTAT: Option<std::fs::File> =
        std::fs::File::open("/proc/thread-self/schedstat").ok();
}

/// CPU time this thread has run, from the scheduler's statistics (nanoseconds; about 2 µs per
/// reading). The kernel brings a running thread's total up to date only at scheduling events,
/// up to a tick late; yielding first makes one.
fn thread_cpu() -> Option<Duration> {
    use std::os::unix::fs::FileExt;
    std::thread::yield_now();
    SCHEDSTAT.with(|file| {
        let mut buf = [0u8; 128];
        let len = file.as_ref()?.read_at(&mut buf, 0).ok()?;
        let text = std::str::from_utf8(&buf[..len]).ok()?;
        let nanos = text.split_whitespace().next()?.parse().ok()?;
        Some(Duration::from_nanos(nanos))
    })
}

/// Whether [`thread_cpu`] tracks a busy loop of this thread: it must advance, and never by
/// more than the wall time (less is fine: other processes may take the core meanwhile).
fn thread_cpu_works() -> bool {
    let Some(before) = thread_cpu() else {
        return false;
    };
    let started = Instant::now();
    while started.elapsed() < Duration::from_millis(50) {
        black_box(0u64);
    }
    let wall = started.elapsed().as_secs_f64();
    let Some(after) = thread_cpu() else {
        return false;
    };
    let cpu = after.saturating_sub(before).as_secs_f64();
    eprintln!(
        "thread CPU clock: {:.1} ms of CPU in {:.1} ms of a busy loop (the rest went to other processes)",
        cpu * 1e3,
        wall * 1e3
    );
    cpu > wall * 0.1 && cpu < wall * 1.05 + 0.001
}

thread_local! {
    /// This thread's CPU time inside SDK operations so far, and where the current one began.
    static SDK_CPU: Cell<(Duration, Duration)> = const { Cell::new((Duration::ZERO, Duration::ZERO)) };
}

/// This thread's CPU time, exact to the call (`clock_gettime`, one system call), for the short
/// windows of [`SdkCpuMeter`], where [`thread_cpu`]'s yield would itself disturb the request.
fn thread_cpu_now() -> Duration {
    let t = rustix::time::clock_gettime(rustix::time::ClockId::ThreadCPUTime);
    Duration::new(
        u64::try_from(t.tv_sec).unwrap_or(0),
        u32::try_from(t.tv_nsec).unwrap_or(0),
    )
}

/// CPU time this thread has spent inside SDK operations (DynamoDB and SES) since it started.
fn sdk_cpu() -> Duration {
    SDK_CPU.with(|c| c.get().0)
}

/// Adds each SDK operation's CPU time, from its first interceptor hook to its last, to
/// [`SDK_CPU`]: serialisation, endpoint resolution, SigV4 signing, the retry and timeout
/// layers, the fake transport and deserialisation. What the SDK does before its first hook
/// (the fluent builder, the operation's configuration) is left with the caller, so the split
/// errs on the side of counting more as ours.
#[derive(Debug)]
struct SdkCpuMeter;

impl Intercept for SdkCpuMeter {
    fn name(&self) -> &'static str {
        "SdkCpuMeter"
    }

    fn read_before_execution(
        &self,
        _context: &BeforeSerializationInterceptorContextRef<'_>,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        SDK_CPU.with(|c| c.set((c.get().0, thread_cpu_now())));
        Ok(())
    }

    fn read_after_execution(
        &self,
        _context: &FinalizerInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        SDK_CPU.with(|c| {
            let (total, began) = c.get();
            c.set((total + thread_cpu_now().saturating_sub(began), began));
        });
        Ok(())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Clock {
    Wall,
    ThreadCpu,
    /// The thread's CPU time without the time inside SDK operations ([`SdkCpuMeter`]): the
    /// handler's own work, the store's item building and reading included.
    ThreadCpuWithoutSdk,
}

impl Clock {
    /// The group name for `base` measured with this clock.
    fn group(self, base: &str) -> String {
        match self {
            Self::Wall => base.to_owned(),
            Self::ThreadCpu => format!("{base}_cpu"),
            Self::ThreadCpuWithoutSdk => format!("{base}_ours"),
        }
    }
}

/// Requests are built before the clock starts, this many at a time.
const CHUNK: u64 = 256;

/// Runs `endpoint` `iters` times on the fixture's runtime and returns the time `clock` saw.
fn time_endpoint(fixture: &Fixture, endpoint: &Endpoint, clock: Clock, iters: u64) -> Duration {
    fixture.rt.block_on(async {
        let mut total = Duration::ZERO;
        let mut left = iters;
        while left > 0 {
            let n = left.min(CHUNK);
            let requests: Vec<Request> = (0..n).map(|_| endpoint.call.request()).collect();
            let (wall, cpu, sdk) = (Instant::now(), start_cpu(clock), sdk_cpu());
            for req in requests {
                let response = (endpoint.handler)(Arc::clone(&fixture.app), req).await;
                assert_eq!(
                    response.status().as_u16(),
                    endpoint.expect,
                    "{}",
                    endpoint.id
                );
                black_box(response);
            }
            total += match (clock, cpu) {
                (Clock::ThreadCpuWithoutSdk, Some(cpu)) => thread_cpu()
                    .unwrap()
                    .saturating_sub(cpu)
                    .saturating_sub(sdk_cpu().saturating_sub(sdk)),
                (_, Some(cpu)) => thread_cpu().unwrap().saturating_sub(cpu),
                (_, None) => wall.elapsed(),
            };
            left -= n;
        }
        total
    })
}

fn start_cpu(clock: Clock) -> Option<Duration> {
    (clock != Clock::Wall).then(|| thread_cpu().unwrap())
}

/// CPU time of `endpoint` run `iters` times, each right after an argon2 hash at `CHEAPEST` on
/// the blocking pool (not timed), as a hashing endpoint's own work runs.
fn time_after_hash(fixture: &Fixture, endpoint: &Endpoint, iters: u64) -> Duration {
    let password = Password::new(PASSWORD);
    fixture.rt.block_on(async {
        let mut total = Duration::ZERO;
        for _ in 0..iters {
            let req = endpoint.call.request();
            fixture.app.passwords.hash(&password).await.unwrap();
            let started = thread_cpu().unwrap();
            let response = (endpoint.handler)(Arc::clone(&fixture.app), req).await;
            assert_eq!(response.status().as_u16(), endpoint.expect);
            black_box(response);
            total += thread_cpu().unwrap().saturating_sub(started);
        }
        total
    })
}

/// Times `iters` runs of an async routine on the fixture's runtime with `clock`.
fn time_async<F, Fut, T>(rt: &Runtime, clock: Clock, iters: u64, mut routine: F) -> Duration
where
    F: FnMut() -> Fut,
    Fut: Future<Output = T>,
{
    rt.block_on(async {
        let (wall, cpu) = (Instant::now(), start_cpu(clock));
        for _ in 0..iters {
            black_box(routine().await);
        }
        match cpu {
            Some(cpu) => thread_cpu().unwrap().saturating_sub(cpu),
            None => wall.elapsed(),
        }
    })
}

// ---------------------------------------------------------------------------------------------
// Benches.

/// Sampling budget of a bench group: mode, samples, warm-up and measurement time.
#[derive(Debug, Clone, Copy)]
struct Budget(SamplingMode, usize, Duration, Duration);

impl Budget {
    fn apply(self, group: &mut BenchmarkGroup<'_, WallTime>) {
        let Self(mode, samples, warm_up, measurement) = self;
        group
            .sampling_mode(mode)
            .sample_size(samples)
            .warm_up_time(warm_up)
            .measurement_time(measurement);
    }
}

/// Fast benches: enough samples for a stable median within a short run.
const QUICK: Budget = Budget(
    SamplingMode::Auto,
    30,
    Duration::from_millis(300),
    Duration::from_millis(1500),
);

/// Benches of about a password hash per iteration (tens of milliseconds).
const SLOW: Budget = Budget(
    SamplingMode::Flat,
    10,
    Duration::from_millis(500),
    Duration::from_secs(3),
);

/// CPU-clocked benches of endpoints that hash: criterion plans iterations from the time it is
/// given (CPU, tens of microseconds) while each iteration also waits for the hash on another
/// thread (tens of milliseconds). These budgets, in CPU time, keep the wall time to seconds;
/// criterion's "Unable to complete 10 samples in 100.0ms" for these is expected and harmless.
const SLOW_CPU: Budget = Budget(
    SamplingMode::Flat,
    10,
    Duration::from_millis(5),
    Duration::from_millis(100),
);

fn bench_handlers(c: &mut Criterion, fixture: &Fixture, clocks: &[Clock]) {
    for &clock in clocks {
        let mut group = c.benchmark_group(clock.group("handler"));
        for endpoint in &fixture.endpoints {
            fixture.arrange(endpoint);
            match (endpoint.hashes, clock) {
                (false, _) => QUICK.apply(&mut group),
                (true, Clock::Wall) => SLOW.apply(&mut group),
                (true, Clock::ThreadCpu | Clock::ThreadCpuWithoutSdk) => SLOW_CPU.apply(&mut group),
            }
            group.bench_function(endpoint.id, |b| {
                b.iter_custom(|iters| time_endpoint(fixture, endpoint, clock, iters));
            });
        }
        if clock == Clock::ThreadCpu {
            // The endpoints that hash run their own work after (and before) argon2 has swept
            // megabytes through the caches; this is that effect on an endpoint that does not.
            let show = fixture
                .endpoints
                .iter()
                .find(|e| e.id == "show_profile")
                .unwrap();
            fixture.arrange(show);
            SLOW_CPU.apply(&mut group);
            group.bench_function("show_profile_after_hash", |b| {
                b.iter_custom(|iters| time_after_hash(fixture, show, iters));
            });
        }
        group.finish();
    }
}

/// argon2id at the cheapest accepted parameters, through `Passwords` (blocking pool), in wall
/// time only: a thread CPU clock would not see the hash, which runs on another thread.
fn bench_hash(c: &mut Criterion, fixture: &Fixture) {
    let rt = &fixture.rt;
    let passwords = Passwords::new(CHEAPEST).unwrap();
    let password = Password::new(PASSWORD);
    let phc = rt.block_on(passwords.hash(&password)).unwrap();
    assert_eq!(
        rt.block_on(passwords.verify(&password, &phc)),
        Ok(Verification::Match { rehash: None })
    );
    let mut group = c.benchmark_group("component");
    SLOW.apply(&mut group);
    group.bench_function("argon2id_hash_cheapest", |b| {
        b.iter_custom(|iters| time_async(rt, Clock::Wall, iters, || passwords.hash(&password)));
    });
    group.bench_function("argon2id_verify_cheapest", |b| {
        b.iter_custom(|iters| {
            time_async(rt, Clock::Wall, iters, || passwords.verify(&password, &phc))
        });
    });
    group.finish();
}

/// The parts of a request, each alone, with each clock.
fn bench_components(c: &mut Criterion, fixture: &Fixture, clocks: &[Clock]) {
    let rt = &fixture.rt;
    let app = &fixture.app;

    let config = rt
        .block_on(app.company_config(&fixture.company, Resource::Profile))
        .unwrap();
    let profile = rt
        .block_on(app.store.get_profile(&fixture.company, fixture.profile_id))
        .unwrap()
        .unwrap();
    let own = idp_core::password::own_data(&profile);
    let policies: Vec<(&str, Password)> = [
        ("password_policy_add_password", PASSWORD),
        ("password_policy_confirm", NEW_PASSWORD),
    ]
    .into_iter()
    .map(|(id, raw)| (id, Password::new(raw)))
    .collect();
    for (_, candidate) in &policies {
        assert_eq!(
            check_policy(&config.password_policy, candidate, &own),
            Ok(())
        );
    }

    assert_eq!(
        rt.block_on(app.auth.verify(&fixture.token))
            .unwrap()
            .company_uid
            .as_deref(),
        Some(COMPANY)
    );
    let distinct: Vec<String> = (1..=1024).map(|n| bearer(COMPANY, n)).collect();
    let (introspection, _server) = rt.block_on(async {
        use wiremock::matchers::{method, path};
        use wiremock::{Mock, MockServer, ResponseTemplate};
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .and(path("/oauth/token/info"))
            .respond_with(ResponseTemplate::new(200).set_body_json(
                json!({"company_uid": COMPANY, "scope": ["public"], "expires_in": 7200}),
            ))
            .expect(1)
            .mount(&server)
            .await;
        let introspection = Introspection::new(
            &server.uri(),
            Duration::from_secs(3600),
            Duration::from_secs(2),
        )
        .unwrap();
        // The one miss, over loopback; every verification after it is a cache hit.
        let claims = introspection.verify("opaque-bench-token").await.unwrap();
        assert_eq!(claims.company_uid.as_deref(), Some(COMPANY));
        (introspection, server)
    });

    // One DynamoDB round trip through the SDK and the fake: as configured (the timeouts and
    // retries of production), without retry and timeout layers, and as the store reads it.
    let bare = aws_sdk_dynamodb::Client::from_conf(
        fixture
            .client
            .config()
            .to_builder()
            .retry_config(RetryConfig::disabled())
            .timeout_config(TimeoutConfig::disabled())
            .build(),
    );
    let key = AttributeValue::S(fixture.profile_key.clone());
    let get_item = |client: &aws_sdk_dynamodb::Client| {
        client
            .get_item()
            .table_name(PROFILES_TABLE)
            .key("PK", key.clone())
            .key("SK", AttributeValue::S("profile".into()))
            .consistent_read(true)
            .send()
    };
    assert!(
        rt.block_on(get_item(&fixture.client))
            .unwrap()
            .item
            .is_some()
    );
    assert!(rt.block_on(get_item(&bare)).unwrap().item.is_some());
    let (_, recorded) = fixture
        .wire
        .record(|| rt.block_on(get_item(&fixture.client)).is_ok());
    let mut request = HttpRequest::new(SdkBody::from(recorded[0].1.to_string()));
    request.headers_mut().insert("x-amz-target", GET_ITEM);

    for &clock in clocks {
        let mut group = c.benchmark_group(clock.group("component"));
        QUICK.apply(&mut group);
        let mut bench = |id: &str, f: &mut dyn FnMut(u64) -> Duration| {
            group.bench_function(id, |b| b.iter_custom(&mut *f));
        };
        // The password policy (length, own data, zxcvbn) as add-password and confirm run it.
        for (id, candidate) in &policies {
            bench(id, &mut |iters| {
                time_async(rt, clock, iters, || async {
                    check_policy(&config.password_policy, black_box(candidate), &own)
                })
            });
        }
        // Access tokens. The JWT verifier keeps no cache: the same token costs a full
        // verification every time, as a different one does. Introspection caches; its hit is
        // the contrast.
        bench("jwt_verify_same_token", &mut |iters| {
            time_async(rt, clock, iters, || app.auth.verify(&fixture.token))
        });
        bench("jwt_verify_distinct_tokens", &mut |iters| {
            let mut next = distinct.iter().cycle();
            time_async(rt, clock, iters, || app.auth.verify(next.next().unwrap()))
        });
        bench("introspection_cache_hit", &mut |iters| {
            time_async(rt, clock, iters, || {
                introspection.verify("opaque-bench-token")
            })
        });
        bench("company_config_cache_hit", &mut |iters| {
            time_async(rt, clock, iters, || {
                app.company_config(&fixture.company, Resource::Profile)
            })
        });
        bench("sdk_get_item", &mut |iters| {
            time_async(rt, clock, iters, || get_item(&fixture.client))
        });
        bench("sdk_get_item_no_retry_no_timeout", &mut |iters| {
            time_async(rt, clock, iters, || get_item(&bare))
        });
        bench("store_get_profile", &mut |iters| {
            time_async(rt, clock, iters, || {
                app.store.get_profile(&fixture.company, fixture.profile_id)
            })
        });
        // The fake transport's own share of each round trip: route lookup and answer.
        bench("fake_transport_answer", &mut |iters| {
            time_async(rt, clock, iters, || async {
                fixture.wire.answer(black_box(&request))
            })
        });
        // One production-format log line (JSON, info), formatted and written to a sink.
        bench("log_line_json", &mut |iters| {
            time_async(rt, clock, iters, || async {
                tracing::info!(company = %fixture.company, profile = %fixture.profile_id, "profile status changed");
            })
        });
        group.finish();
    }
}

/// The same SDK round trip with no log subscriber at all, to tell what the production
/// subscriber (JSON, `info`) costs inside the SDK. Last: a second dispatcher changes how
/// `tracing` caches its decisions for the rest of the process.
fn bench_without_logs(c: &mut Criterion, fixture: &Fixture, clocks: &[Clock]) {
    let rt = &fixture.rt;
    let key = AttributeValue::S(fixture.profile_key.clone());
    let client = &fixture.client;
    let get_item = || {
        client
            .get_item()
            .table_name(PROFILES_TABLE)
            .key("PK", key.clone())
            .key("SK", AttributeValue::S("profile".into()))
            .consistent_read(true)
            .send()
    };
    tracing::subscriber::with_default(tracing::subscriber::NoSubscriber::default(), || {
        for &clock in clocks {
            let mut group = c.benchmark_group(clock.group("component"));
            QUICK.apply(&mut group);
            group.bench_function("sdk_get_item_no_log_subscriber", |b| {
                b.iter_custom(|iters| time_async(rt, clock, iters, get_item));
            });
            group.finish();
        }
    });
}

fn main() {
    // Production's log format and filter, written to a sink instead of stdout.
    idp_core::telemetry::init_writing_to(std::io::sink);
    let mut criterion = Criterion::default().configure_from_args();
    let fixture = Fixture::new();
    let clocks: &[Clock] = if thread_cpu_works() {
        &[Clock::Wall, Clock::ThreadCpu]
    } else {
        eprintln!(
            "*_cpu groups skipped: /proc/thread-self/schedstat is missing or does not track this thread"
        );
        &[Clock::Wall]
    };
    let handler_clocks: &[Clock] = if clocks.contains(&Clock::ThreadCpu) {
        &[Clock::Wall, Clock::ThreadCpu, Clock::ThreadCpuWithoutSdk]
    } else {
        clocks
    };
    bench_handlers(&mut criterion, &fixture, handler_clocks);
    bench_hash(&mut criterion, &fixture);
    bench_components(&mut criterion, &fixture, clocks);
    bench_without_logs(&mut criterion, &fixture, clocks);
    criterion.final_summary();
}
