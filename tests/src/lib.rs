//! Helpers for the black-box tests: they speak HTTP to the functions served by
//! `cargo lambda watch` (started by `make test`), mint tokens with the local signing key, give
//! each test a company of its own, and check every response against `openapi.yaml`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

pub mod openapi;

use std::sync::OnceLock;

use idp_core::company::CompanyConfig;
use idp_core::store::{Store, Tables, dynamodb_client};
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode, get_current_timestamp};
use serde_json::{Value, json};

pub const REPO: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/..");

pub fn env(name: &str) -> String {
    std::env::var(name)
        .unwrap_or_else(|_| panic!("{name} is unset: run the tests with `make test`"))
}

pub fn base_url() -> String {
    env("IDP_BASE_URL")
}

fn signing_key() -> &'static EncodingKey {
    static KEY: OnceLock<EncodingKey> = OnceLock::new();
    KEY.get_or_init(|| {
        let pem = std::fs::read(env("IDP_JWT_PRIVATE_KEY")).unwrap();
        EncodingKey::from_ed_pem(&pem).unwrap()
    })
}

/// A token for `company`, valid for ten minutes.
pub fn token(company: &str) -> String {
    token_expiring(company, 600)
}

/// A token whose `exp` lies `seconds` from now (negative: already expired).
pub fn token_expiring(company: &str, seconds: i64) -> String {
    let now = get_current_timestamp() as i64;
    let claims = json!({"company_uid": company, "iat": now, "exp": now + seconds, "iss": "idp-local",
               "client_id": "blackbox-tests"});
    encode(&Header::new(Algorithm::EdDSA), &claims, signing_key()).unwrap()
}

pub async fn store() -> Store {
    Store::new(dynamodb_client().await, Tables::from_env().unwrap())
}

/// The demo company's configuration file, as an operator would load it.
pub fn demo_config() -> Value {
    let text = std::fs::read_to_string(format!("{REPO}/config/companies/demo.yaml")).unwrap();
    serde_yaml::from_str(&text).unwrap()
}

/// A new company with the demo company's rules, so tests never see each other's profiles.
pub async fn fresh_company() -> String {
    fresh_company_with(|_| {}).await
}

/// A new company with the demo company's rules, changed by `edit`.
pub async fn fresh_company_with(edit: impl FnOnce(&mut Value)) -> String {
    let id = format!("t-{}", &uuid::Uuid::new_v4().simple().to_string()[..12]);
    let mut config = demo_config();
    config["company_id"] = json!(id);
    edit(&mut config);
    store()
        .await
        .put_company_config(&CompanyConfig::from_value(config).unwrap())
        .await
        .unwrap();
    id
}

/// Registers the published example's profile (made active) in `company`; returns its uuid.
pub async fn create_seed_profile(api: &Api, company: &str) -> String {
    let mut body: Value = serde_json::from_str(SEED_CREATE_BODY).unwrap();
    body["options"]["active"] = json!(true);
    let created = api
        .post(
            &format!("/v1/companies/{company}/profiles"),
            &token(company),
            &body,
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    created.body["data"]["uuid"].as_str().unwrap().to_owned()
}

/// Gives a profile its first password.
pub async fn add_password(api: &Api, company: &str, uuid: &str, password: &str) {
    let added = api
        .patch(
            &format!("/v1/companies/{company}/profiles/{uuid}"),
            &token(company),
            &json!({"operation": "credentials", "credentials": {"password": password}}),
        )
        .await;
    assert_eq!(added.status, 201, "{}", added.body);
}

/// A response: status and JSON body.
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    pub status: u16,
    pub body: Value,
    /// The `Link` header, when there is one.
    pub link: Option<String>,
}

/// A client for the API. Every reply is checked: it is JSON and its status and body are what
/// `openapi.yaml` documents for that operation.
#[derive(Debug, Clone)]
pub struct Api {
    http: reqwest::Client,
    base: String,
}

impl Default for Api {
    fn default() -> Self {
        Self::new()
    }
}

impl Api {
    pub fn new() -> Self {
        Self::at(base_url())
    }

    /// A client for the functions served at `base` (e.g. the JWKS-verifying server).
    pub fn at(base: String) -> Self {
        Self {
            http: idp_core::tls::reqwest_builder()
                .timeout(std::time::Duration::from_secs(120))
                .build()
                .unwrap(),
            base,
        }
    }

    /// Sends a request; `token` `None` sends no Authorization header.
    pub async fn send(
        &self,
        method: &str,
        path_and_query: &str,
        token: Option<&str>,
        body: Option<Vec<u8>>,
    ) -> Reply {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut request = self
            .http
            .request(method.clone(), format!("{}{path_and_query}", self.base))
            .header("content-type", "application/json");
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            remember_secrets(&body);
            request = request.body(body);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let link = response
            .headers()
            .get("link")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let content_type = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let text = response.text().await.unwrap();
        assert!(
            content_type.starts_with("application/json"),
            "{method} {path_and_query} -> {status} with content-type {content_type:?}: {text}"
        );
        let body: Value = serde_json::from_str(&text).unwrap_or_else(|e| {
            panic!("{method} {path_and_query} -> {status}: not JSON ({e}): {text}")
        });
        // What the API hands out once (a TOTP secret, recovery codes, a challenge) is sought
        // by the secret scan too.
        remember_secrets(text.as_bytes());
        let path = path_and_query.split('?').next().unwrap_or_default();
        openapi::check_response(method.as_str(), path, status, &body);
        Reply { status, body, link }
    }

    pub async fn post(&self, path: &str, token: &str, body: &Value) -> Reply {
        self.send(
            "POST",
            path,
            Some(token),
            Some(body.to_string().into_bytes()),
        )
        .await
    }

    pub async fn get(&self, path: &str, token: &str) -> Reply {
        self.send("GET", path, Some(token), None).await
    }

    pub async fn patch(&self, path: &str, token: &str, body: &Value) -> Reply {
        self.send(
            "PATCH",
            path,
            Some(token),
            Some(body.to_string().into_bytes()),
        )
        .await
    }

    pub async fn delete(&self, path: &str, token: &str) -> Reply {
        self.send("DELETE", path, Some(token), None).await
    }
}

/// Checks, from a scan of every item of `company` (all pages), that identifiers and profiles
/// agree: every reservation belongs to a profile that lists it, every reservation a profile
/// lists exists and is that profile's, and every other item of a profile's partition
/// (credential, token) has its profile. Answers the number of profiles.
pub async fn assert_consistent(company: &str) -> usize {
    use aws_sdk_dynamodb::types::AttributeValue;
    use std::collections::{HashMap, HashSet};
    let tables = Tables::from_env().unwrap();
    let items = scan_all(&tables.profiles, Some(&format!("company#{company}#"))).await;
    let text = |item: &HashMap<String, AttributeValue>, name: &str| {
        item.get(name)
            .and_then(|v| v.as_s().ok())
            .cloned()
            .unwrap_or_default()
    };
    let mut profiles: HashMap<String, HashSet<String>> = HashMap::new();
    let mut reservations: HashMap<String, String> = HashMap::new();
    let mut others: Vec<(String, String)> = Vec::new();
    for item in &items {
        // Events live in partitions of their own and outlive the profile by design (erasure
        // keeps the record); they belong to no item collection to check.
        if text(item, "kind") == "event" {
            continue;
        }
        // A passwordless login's challenge is the company's (nobody is known when it is
        // issued); DynamoDB's TTL removes it.
        if text(item, "kind") == "passkey_login" {
            continue;
        }
        let (pk, sk) = (text(item, "PK"), text(item, "SK"));
        match sk.as_str() {
            "profile" => {
                let keys = match item.get("identifier_keys") {
                    Some(AttributeValue::L(list)) => {
                        list.iter().filter_map(|v| v.as_s().ok().cloned()).collect()
                    }
                    _ => HashSet::new(),
                };
                profiles.insert(pk, keys);
            }
            "reservation" => {
                reservations.insert(pk, text(item, "uuid"));
            }
            _ => others.push((pk, sk)),
        }
    }
    let partition = |uuid: &str| format!("company#{company}#profile#{uuid}");
    for (key, uuid) in &reservations {
        let owner = profiles.get(&partition(uuid));
        assert!(
            owner.is_some_and(|keys| keys.contains(key)),
            "reservation {key} of {uuid} has no profile that lists it"
        );
    }
    for (pk, keys) in &profiles {
        for key in keys {
            let uuid = reservations.get(key);
            assert!(
                uuid.is_some_and(|uuid| &partition(uuid) == pk),
                "{pk} lists {key}, held by {uuid:?}"
            );
        }
    }
    for (pk, sk) in &others {
        assert!(
            profiles.contains_key(pk),
            "{sk} of {pk} outlived its profile"
        );
    }
    profiles.len()
}

/// Every item of both tables, all pages, as text: what a test looks through for a value that
/// must be gone.
pub async fn scan_everything() -> Vec<String> {
    use aws_sdk_dynamodb::types::AttributeValue;
    fn text(value: &AttributeValue) -> String {
        match value {
            AttributeValue::S(s) | AttributeValue::N(s) => s.clone(),
            AttributeValue::L(list) => list.iter().map(text).collect::<Vec<_>>().join(" "),
            AttributeValue::M(map) => map
                .iter()
                .map(|(k, v)| format!("{k} {}", text(v)))
                .collect::<Vec<_>>()
                .join(" "),
            AttributeValue::Ss(list) => list.join(" "),
            other => format!("{other:?}"),
        }
    }
    let tables = Tables::from_env().unwrap();
    let mut items = Vec::new();
    for table in [&tables.profiles, &tables.companies] {
        for item in scan_all(table, None).await {
            items.push(
                item.iter()
                    .map(|(k, v)| format!("{k}={}", text(v)))
                    .collect::<Vec<_>>()
                    .join(" "),
            );
        }
    }
    items
}

/// Every item of `table` (whose `PK` starts with `prefix`, when given), all pages: a scan page
/// stops at 1 MB, and a check that read one page could pass without looking at the rest.
async fn scan_all(
    table: &str,
    prefix: Option<&str>,
) -> Vec<std::collections::HashMap<String, aws_sdk_dynamodb::types::AttributeValue>> {
    use aws_sdk_dynamodb::types::AttributeValue;
    let client = dynamodb_client().await;
    let mut items = Vec::new();
    let mut start = None;
    loop {
        let mut scan = client
            .scan()
            .table_name(table)
            .set_exclusive_start_key(start);
        if let Some(prefix) = prefix {
            scan = scan
                .filter_expression("begins_with(PK, :p)")
                .expression_attribute_values(":p", AttributeValue::S(prefix.to_owned()));
        }
        let page = scan.send().await.unwrap();
        items.extend(page.items.unwrap_or_default());
        start = page.last_evaluated_key;
        if start.is_none() {
            return items;
        }
    }
}

/// The request body of the published Create Profile example, verbatim.
pub const SEED_CREATE_BODY: &str = r#"{
"register_type": "nin_register",
"information_provider": "test_idp",
"profile": {
"nin": "123456789",
"username": "tlat",
"phone_number": "+56912345678",
"email": "tlat@email.com",
"origin": "test_idp",
"name": "trust",
"lastname": "latin",
"birthday": "12-03-4567",
"nationality": "CHL",
"timezone": "UTC"
},
"options": {
"active": false
}
}"#;

/// The `?fields=` of the published Create Profile example.
pub const SEED_CREATE_FIELDS: &str = "email,name,nin,lastname,phone_number,origin";

/// A route the deployment serves: method and path template.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Route {
    pub method: String,
    pub path: String,
}

/// Every route `template.yaml` gives a function, the one source of truth for what is deployed.
pub fn template_routes() -> Vec<Route> {
    template_functions()
        .into_iter()
        .map(|(route, _)| route)
        .collect()
}

/// Every route of `template.yaml` with the binary of its function (`BuildProperties.Binary`).
pub fn template_functions() -> Vec<(Route, String)> {
    let text = std::fs::read_to_string(format!("{REPO}/template.yaml")).unwrap();
    let doc: serde_yaml::Value = serde_yaml::from_str(&text).unwrap();
    let mut routes = Vec::new();
    for (_, resource) in doc["Resources"].as_mapping().unwrap() {
        if resource["Type"].as_str() != Some("AWS::Serverless::Function") {
            continue;
        }
        let binary = resource["Metadata"]["BuildProperties"]["Binary"]
            .as_str()
            .unwrap_or_else(|| panic!("a function without BuildProperties.Binary: {resource:?}"));
        for (_, event) in resource["Properties"]["Events"].as_mapping().unwrap() {
            if event["Type"].as_str() == Some("HttpApi") {
                let route = Route {
                    method: event["Properties"]["Method"]
                        .as_str()
                        .unwrap()
                        .to_uppercase(),
                    path: event["Properties"]["Path"].as_str().unwrap().to_owned(),
                };
                routes.push((route, binary.to_owned()));
            }
        }
    }
    routes.sort();
    routes
}

/// A concrete path for a route template, with `company` and a random uuid filled in.
pub fn concrete(path: &str, company: &str) -> String {
    path.replace("{company_id}", company)
        .replace("{uuid}", &uuid::Uuid::new_v4().to_string())
}

/// The request bodies of the other published examples, verbatim. Their passwords are masks
/// (`*******`), which the password policy refuses, as it must any 7-character password.
pub const SEED_ADD_PASSWORD_BODY: &str = r#"{
"operation": "credentials",
"credentials": {
"password": "*******"
}
}"#;

pub const SEED_LOGIN_BODY: &str = r#"{
"credentials": {
"email": "tlat@email.com",
"origin": "test_idp",
"password": "*******"
}
}"#;

pub const SEED_ACTIVATE_BODY: &str = r#"{
"operation": "activate"
}"#;

/// The published Confirm Password Change examples, verbatim (by e-mail, by username).
pub const SEED_CONFIRM_BY_EMAIL: &str = r#"{
"operation": "confirm",
"access_type": "email",
"profile": "tlat@email.com",
"token": "ffffffffffffffffffff",
"password": "********"
}"#;

pub const SEED_CONFIRM_BY_USERNAME: &str = r#"{
"operation": "confirm",
"access_type": "username",
"profile": "user_2022",
"token": "ffffffffffffffffffff",
"password": "********"
}"#;

/// The newest message the local stack's file transport wrote to `recipient` whose subject
/// mentions `company`, waiting a little for it to appear.
pub async fn mail_to(recipient: &str, company: &str) -> String {
    let dir = env("IDP_MAIL_DIR");
    for _ in 0..50 {
        let mut found: Vec<(std::path::PathBuf, String)> = std::fs::read_dir(&dir)
            .map(|entries| {
                entries
                    .filter_map(Result::ok)
                    .map(|e| e.path())
                    .filter(|p| p.extension().is_some_and(|x| x == "eml"))
                    .filter_map(|p| std::fs::read_to_string(&p).ok().map(|t| (p, t)))
                    .filter(|(_, text)| text.contains(&format!("\nTo: {recipient}\n")))
                    .filter(|(_, text)| {
                        text.lines().any(|l| {
                            l.starts_with("Subject:") && l.contains(&format!("({company})"))
                        })
                    })
                    .collect()
            })
            .unwrap_or_default();
        found.sort();
        if let Some((_, text)) = found.pop() {
            return text;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("no mail to {recipient} in {dir}");
}

/// The 20-character token of a password-change message.
pub fn token_in(mail: &str) -> String {
    let body = mail.split("\n\n").nth(1).unwrap_or_default();
    body.split(|c: char| !c.is_ascii_alphanumeric())
        .find(|word| word.len() == 20)
        .unwrap_or_else(|| panic!("no token in {mail}"))
        .to_owned()
}

/// The uuids of the first page (up to 100) of `company`'s profiles matching `body`, in order.
pub async fn search_uuids(api: &Api, company: &str, body: Value) -> Vec<String> {
    let reply = api
        .post(
            &format!("/v1/companies/{company}/profiles/query?per_page=100"),
            &token(company),
            &body,
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    reply.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["uuid"].as_str().unwrap().to_owned())
        .collect()
}

/// Everything the served functions have logged so far.
pub fn function_logs() -> String {
    std::fs::read_to_string(env("IDP_FUNCTIONS_LOG")).unwrap_or_default()
}

/// What an independent authenticator (Python's `pyotp`, in `.local/venv-vectors`) reads off an
/// otpauth URI, and its codes of the given time steps.
pub fn authenticator(uri: &str, steps: &[u64]) -> Value {
    let script = "import json, sys, pyotp\n\
                  totp = pyotp.parse_uri(sys.argv[1])\n\
                  steps = [int(s) for s in sys.argv[2:]]\n\
                  print(json.dumps({'secret': totp.secret, 'issuer': totp.issuer, \
                  'name': totp.name, 'digits': totp.digits, 'interval': totp.interval, \
                  'codes': [totp.at(s * totp.interval) for s in steps]}))";
    let mut args = vec!["-c".to_owned(), script.to_owned(), uri.to_owned()];
    args.extend(steps.iter().map(u64::to_string));
    serde_json::from_slice(&vectors_python(&args)).unwrap()
}

/// What the independent implementations' interpreter (`.local/venv-vectors`, or
/// `$IDP_VECTORS_PYTHON`) prints when run with `args`; it must succeed.
pub fn vectors_python(args: &[String]) -> Vec<u8> {
    let python = std::env::var("IDP_VECTORS_PYTHON")
        .unwrap_or_else(|_| format!("{REPO}/.local/venv-vectors/bin/python"));
    let out = std::process::Command::new(python)
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// The 30-second step of now, by this machine's clock (the functions run on the same one).
pub fn step_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        / 30
}

/// The current 30-second step, first waiting out a step's last 3 seconds: a code of the
/// step returned (or of the one before it) is still inside the function's ±1 window when a
/// request made now reaches it, however the two clocks fall against the boundary.
pub fn settled_step() -> u64 {
    let seconds = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    if seconds % 30 >= 27 {
        std::thread::sleep(std::time::Duration::from_secs(31 - seconds % 30));
    }
    step_now()
}

/// Appends every secret of a JSON body (request or response) to `$IDP_SECRETS_FILE`: each
/// `password`, `token`, `code`, `recovery_code(s)`, `challenge`, TOTP `secret` (with the forms
/// its bytes would take if stored in the clear) and `otpauth_uri`, so the secret scan at the
/// end of `make test` can look for each of them in DynamoDB, the logs and the audit trail.
pub fn remember_secrets(body: &[u8]) {
    let Ok(path) = std::env::var("IDP_SECRETS_FILE") else {
        return;
    };
    let Ok(value) = serde_json::from_slice::<Value>(body) else {
        return;
    };
    let mut found = Vec::new();
    collect_secrets(&value, &mut found);
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

/// The forms a TOTP secret's bytes would take in a scanned item or log line if it were stored
/// in the clear: hexadecimal, base64, and the decimal list of a binary attribute's `Debug`.
fn stored_forms(base32: &str) -> Vec<String> {
    use base64::Engine;
    let Some(secret) = idp_core::two_factor::TotpSecret::from_base32(base32) else {
        return Vec::new();
    };
    let bytes = secret.bytes();
    vec![
        bytes.iter().map(|b| format!("{b:02x}")).collect(),
        base64::engine::general_purpose::STANDARD.encode(bytes),
        bytes
            .iter()
            .map(u8::to_string)
            .collect::<Vec<_>>()
            .join(", "),
    ]
}

fn collect_secrets(value: &Value, found: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, inner) in map {
                match (key.as_str(), inner) {
                    (
                        "password" | "token" | "otpauth_uri" | "challenge" | "recovery_code"
                        | "code",
                        Value::String(secret),
                    ) if !secret.contains('\n') => {
                        found.push(secret.clone());
                    }
                    ("secret", Value::String(secret)) => {
                        found.push(secret.clone());
                        found.extend(stored_forms(secret));
                    }
                    ("recovery_codes", Value::Array(codes)) => {
                        for code in codes.iter().filter_map(Value::as_str) {
                            found.push(code.to_owned());
                            found.push(code.replace('-', ""));
                        }
                    }
                    // WebAuthn options (and the browser's responses) are public by design: their
                    // `challenge` is a nonce the page sees, which the server keeps with the
                    // ceremony's state. The opaque `challenge` and `enrolment` beside them are
                    // the secrets.
                    ("options" | "passkey_options" | "credential" | "passkey", _) => {}
                    ("enrolment", Value::String(secret)) => found.push(secret.clone()),
                    _ => collect_secrets(inner, found),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|item| collect_secrets(item, found)),
        _ => {}
    }
}
