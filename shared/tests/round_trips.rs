//! DynamoDB round trips per operation, counted exactly with an SDK interceptor: each endpoint's
//! successful path (company configuration already cached, as on a warm Lambda) and its main
//! failure answers. A round trip is one operation execution (a `TransactWriteItems` or a
//! `Query` is one); SDK retries of it are attempts, counted apart. Each measured call's IAM
//! actions (a transaction's per item: `PutItem`, `ConditionCheckItem`, …) are also checked
//! against the policy `template.yaml` gives the function serving it, so the template's least
//! privilege cannot drift from what the code sends.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::cell::RefCell;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use aws_sdk_dynamodb::config::interceptors::{
    BeforeSerializationInterceptorContextRef, BeforeTransmitInterceptorContextRef,
    FinalizerInterceptorContextRef,
};
use aws_sdk_dynamodb::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_dynamodb::error::BoxError;
use aws_sdk_dynamodb::types::AttributeValue;
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_types::config_bag::{Storable, StoreReplace};
use common::*;
use idp_core::App;
use idp_core::endpoints::{
    company_events, delete_profile, list_register_types, login, login_passkey, patch_profile,
    profile_events, profile_status, search_profiles, show_company, show_register_type,
};
use idp_core::mail::{FileMailer, Mailer};
use idp_core::password::{HashParams, Passwords};
use idp_core::store::{Store, dynamodb_client};
use serde_json::{Value, json};

const OLD: &str = "violet tractor umbrella 42";
const NEW: &str = "copper kettle sings at dawn";

/// Records the name of every operation the client executes, and every attempt (retries
/// included).
#[derive(Debug, Default)]
struct Recorder {
    /// One entry per execution, named when its configuration is known (before serialisation).
    operations: Mutex<Vec<String>>,
    attempts: AtomicU32,
    /// (IAM action, table) of every attempt, read off the request sent.
    actions: Mutex<BTreeSet<(String, String)>>,
    /// When each execution started and ended, by entry, for [`sequential_rounds`].
    spans: Mutex<Vec<(Instant, Option<Instant>)>>,
}

thread_local! {
    /// The IAM actions of the last measurement on this test's thread, for [`assert_trips`].
    static LAST_ACTIONS: RefCell<BTreeSet<(String, String)>> = const { RefCell::new(BTreeSet::new()) };
    /// The sequential rounds of the last measurement on this test's thread.
    static LAST_ROUNDS: RefCell<usize> = const { RefCell::new(0) };
}

/// The longest chain of executions each of which started after the one before it had ended:
/// how many times the caller waited on DynamoDB in sequence. Executions that overlap in time
/// (sent concurrently) are one round.
fn sequential_rounds(spans: &[(Instant, Option<Instant>)]) -> usize {
    let mut order: Vec<&(Instant, Option<Instant>)> = spans.iter().collect();
    order.sort_by_key(|(start, _)| *start);
    let mut depth: Vec<usize> = Vec::with_capacity(order.len());
    for (i, (start, _)) in order.iter().enumerate() {
        let before = order[..i]
            .iter()
            .zip(&depth)
            .filter(|((_, end), _)| end.is_some_and(|end| end <= *start))
            .map(|(_, d)| *d)
            .max()
            .unwrap_or(0);
        depth.push(before + 1);
    }
    depth.into_iter().max().unwrap_or(0)
}

impl Recorder {
    fn reset(&self) {
        self.operations.lock().unwrap().clear();
        self.attempts.store(0, Ordering::SeqCst);
        self.actions.lock().unwrap().clear();
        self.spans.lock().unwrap().clear();
    }

    /// The operations executed and the attempts made since the last reset; resets. Their IAM
    /// actions are kept for [`assert_trips`].
    fn take(&self) -> (Vec<String>, u32) {
        let operations = std::mem::take(&mut *self.operations.lock().unwrap());
        let actions = std::mem::take(&mut *self.actions.lock().unwrap());
        LAST_ACTIONS.with(|last| *last.borrow_mut() = actions);
        let rounds = sequential_rounds(&std::mem::take(&mut *self.spans.lock().unwrap()));
        LAST_ROUNDS.with(|last| *last.borrow_mut() = rounds);
        (operations, self.attempts.swap(0, Ordering::SeqCst))
    }
}

/// The IAM actions a request needs: its operation's, or for a transaction each item's.
fn iam_actions(operation: &str, body: &Value) -> Vec<(String, String)> {
    let table = |v: &Value| v["TableName"].as_str().unwrap_or("?").to_owned();
    match operation {
        "TransactWriteItems" => body["TransactItems"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|item| item.as_object())
            .flat_map(|item| item.iter())
            .map(|(kind, write)| {
                let action = match kind.as_str() {
                    "ConditionCheck" => "ConditionCheckItem".to_owned(),
                    other => format!("{other}Item"),
                };
                (action, table(write))
            })
            .collect(),
        "BatchGetItem" => body["RequestItems"]
            .as_object()
            .into_iter()
            .flat_map(|items| items.keys())
            .map(|name| (operation.to_owned(), name.clone()))
            .collect(),
        // A query of an index needs the index's ARN.
        _ if body["IndexName"].is_string() => {
            vec![(operation.to_owned(), format!("{}/index", table(body)))]
        }
        _ => vec![(operation.to_owned(), table(body))],
    }
}

/// Which entry of the [`Recorder`] an execution is, kept in its own config bag, so that
/// concurrent executions each name their own entry.
#[derive(Debug, Clone)]
struct Execution(usize);

impl Storable for Execution {
    type Storer = StoreReplace<Self>;
}

/// Runs inside the client's interceptors, which share one [`Recorder`].
#[derive(Debug)]
struct Counting(Arc<Recorder>);

impl Intercept for Counting {
    fn name(&self) -> &'static str {
        "RoundTripCounter"
    }

    fn read_before_execution(
        &self,
        _context: &BeforeSerializationInterceptorContextRef<'_>,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        // One entry per execution. A client interceptor runs this hook before the operation's
        // own configuration (its `Metadata`) is in the bag, so the entry is named below, before
        // serialisation, which also happens once per execution (attempts come after it).
        let mut operations = self.0.operations.lock().unwrap();
        let name = cfg.load::<Metadata>().map(|m| m.name().to_owned());
        cfg.interceptor_state()
            .store_put(Execution(operations.len()));
        operations.push(name.unwrap_or_default());
        self.0.spans.lock().unwrap().push((Instant::now(), None));
        Ok(())
    }

    fn read_after_execution(
        &self,
        _context: &FinalizerInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if let Some(Execution(i)) = cfg.load::<Execution>()
            && let Some(span) = self.0.spans.lock().unwrap().get_mut(*i)
        {
            span.1 = Some(Instant::now());
        }
        Ok(())
    }

    fn read_before_serialization(
        &self,
        _context: &BeforeSerializationInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let name = cfg
            .load::<Metadata>()
            .map_or_else(|| "?".to_owned(), |m| m.name().to_owned());
        let index = cfg.load::<Execution>().map(|e| e.0);
        let mut operations = self.0.operations.lock().unwrap();
        if let Some(entry) = index
            .and_then(|i| operations.get_mut(i))
            .filter(|entry| entry.is_empty())
        {
            *entry = name;
        }
        Ok(())
    }

    fn read_before_attempt(
        &self,
        _context: &BeforeTransmitInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        self.0.attempts.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }

    fn read_before_transmit(
        &self,
        context: &BeforeTransmitInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let operation = cfg.load::<Metadata>().map(|m| m.name().to_owned());
        let body: Value = context
            .request()
            .body()
            .bytes()
            .and_then(|bytes| serde_json::from_slice(bytes).ok())
            .unwrap_or(Value::Null);
        if let Some(operation) = operation {
            self.0
                .actions
                .lock()
                .unwrap()
                .extend(iam_actions(&operation, &body));
        }
        Ok(())
    }
}

struct Counted {
    app: Arc<App>,
    recorder: Arc<Recorder>,
    store: Store,
    company: String,
    mail: PathBuf,
}

/// A store whose client counts its round trips into `recorder`.
async fn counting_store(recorder: &Arc<Recorder>) -> Store {
    let config = dynamodb_client()
        .await
        .config()
        .to_builder()
        .interceptor(Counting(Arc::clone(recorder)))
        .build();
    Store::new(aws_sdk_dynamodb::Client::from_conf(config), tables())
}

fn app_over(store: Store, params: HashParams, mail: &Path) -> Arc<App> {
    Arc::new(
        App::new(
            store,
            jwt_verifier(),
            Passwords::new(params).unwrap(),
            std::time::Duration::from_secs(60),
        )
        .with_mailer(Mailer::File(FileMailer::new(mail.to_owned())))
        .with_cursor_key(test_cursor_key())
        .with_factor_key(test_factor_key()),
    )
}

/// An app over a counting client, in a company of its own. Counting starts after the app is
/// built, so nothing done at construction is counted.
async fn counted(edit: impl FnOnce(&mut Value)) -> Counted {
    let recorder = Arc::new(Recorder::default());
    let store = counting_store(&recorder).await;
    let mail = std::env::temp_dir().join(format!("idp-mail-{}", uuid::Uuid::new_v4().simple()));
    let app = app_over(store.clone(), HashParams::OWASP_MINIMUM, &mail);
    let company = fresh_company_with(&app, edit).await;
    recorder.reset();
    Counted {
        app,
        recorder,
        store,
        company,
        mail,
    }
}

impl Counted {
    /// Runs `op` and answers what it returned with the operations and attempts it cost.
    async fn measure<T>(&self, op: impl std::future::Future<Output = T>) -> (T, Vec<String>, u32) {
        self.recorder.reset();
        let out = op.await;
        let (operations, attempts) = self.recorder.take();
        (out, operations, attempts)
    }

    async fn create(&self, n: u32, active: bool) -> String {
        let (status, body) = create(&self.app, &self.company, &profile(n, active), None).await;
        assert_eq!(status, 201, "{body}");
        body["data"]["uuid"].as_str().unwrap().to_owned()
    }

    async fn status(&self, uuid: &str, operation: &str) -> (u16, Value) {
        call(
            &self.app,
            profile_status::handle,
            "PATCH",
            &format!("/v1/companies/{}/profiles/{uuid}/status", self.company),
            &[("company_id", &self.company), ("uuid", uuid)],
            &self.company,
            &json!({ "operation": operation }),
        )
        .await
    }

    async fn update(&self, uuid: &str, profile: Value) -> (u16, Value) {
        call(
            &self.app,
            patch_profile::handle,
            "PATCH",
            &format!("/v1/companies/{}/profiles/{uuid}", self.company),
            &[("company_id", &self.company), ("uuid", uuid)],
            &self.company,
            &json!({"operation": "update", "profile": profile}),
        )
        .await
    }

    async fn delete(&self, uuid: &str) -> (u16, Value) {
        let req = request(
            "DELETE",
            &format!("/v1/companies/{}/profiles/{uuid}", self.company),
            &[("company_id", &self.company), ("uuid", uuid)],
            &[],
            Some(&token(&self.company)),
            "",
        );
        parts(delete_profile::handle(Arc::clone(&self.app), req).await)
    }

    async fn add_password_with(&self, app: &Arc<App>, uuid: &str, password: &str) -> (u16, Value) {
        call(
            app,
            patch_profile::handle,
            "PATCH",
            &format!("/v1/companies/{}/profiles/{uuid}", self.company),
            &[("company_id", &self.company), ("uuid", uuid)],
            &self.company,
            &json!({"operation": "credentials", "credentials": {"password": password}}),
        )
        .await
    }

    async fn add_password(&self, uuid: &str, password: &str) -> (u16, Value) {
        self.add_password_with(&self.app, uuid, password).await
    }

    async fn login_with(&self, app: &Arc<App>, email: &str, password: &str) -> (u16, Value) {
        call(
            app,
            login::handle,
            "POST",
            &format!("/v1/companies/{}/profiles/login", self.company),
            &[("company_id", &self.company)],
            &self.company,
            &json!({"credentials": {"email": email, "origin": "test_idp", "password": password}}),
        )
        .await
    }

    async fn login(&self, email: &str, password: &str) -> (u16, Value) {
        self.login_with(&self.app, email, password).await
    }

    async fn change(&self, body: Value) -> (u16, Value) {
        change_password(&self.app, &self.company, &body).await
    }

    async fn request(&self, email: &str) -> (u16, Value) {
        self.change(json!({"operation": "request", "access_type": "email", "profile": email}))
            .await
    }

    async fn confirm(&self, username: &str, token: &str, password: &str) -> (u16, Value) {
        self.change(json!({"operation": "confirm", "access_type": "username",
                           "profile": username, "token": token, "password": password}))
            .await
    }

    /// Loads the company configuration into the app's cache, as an earlier call on a warm
    /// instance would have (an unknown e-mail touches nothing else).
    async fn warm(&self) {
        self.login("nobody@example.com", OLD).await;
    }

    /// `GET /v1/companies/{company}` through the Show Company Configuration handler.
    async fn show_company(&self, company: &str) -> (u16, Value) {
        let req = request(
            "GET",
            &format!("/v1/companies/{company}"),
            &[("company_id", company)],
            &[],
            Some(&token(company)),
            "",
        );
        parts(show_company::handle(Arc::clone(&self.app), req).await)
    }

    /// `POST …/profiles/query` with `body`.
    async fn search(&self, body: &Value) -> (u16, Value) {
        self.search_page(body, &[]).await
    }

    /// `POST …/profiles/query?{query}` with `body`.
    async fn search_page(&self, body: &Value, query: &[(&str, &str)]) -> (u16, Value) {
        let company = self.company.as_str();
        let req = request(
            "POST",
            &format!("/v1/companies/{company}/profiles/query"),
            &[("company_id", company)],
            query,
            Some(&token(company)),
            &body.to_string(),
        );
        parts(search_profiles::handle(Arc::clone(&self.app), req).await)
    }

    /// A page of one profile's events (`uuid`) or, with `None`, of the company's.
    async fn events(&self, uuid: Option<&str>, query: &[(&str, &str)]) -> (u16, Value) {
        let company = self.company.as_str();
        let mut params = vec![("company_id", company)];
        let path = match uuid {
            Some(uuid) => {
                params.push(("uuid", uuid));
                format!("/v1/companies/{company}/profiles/{uuid}/events")
            }
            None => format!("/v1/companies/{company}/events"),
        };
        let req = request("GET", &path, &params, query, Some(&token(company)), "");
        let app = Arc::clone(&self.app);
        parts(match uuid {
            Some(_) => profile_events::handle(app, req).await,
            None => company_events::handle(app, req).await,
        })
    }

    /// The demo form through the demo provider, by the Show Register Type handler.
    async fn show_register_type(&self) -> (u16, Value) {
        let company = self.company.as_str();
        let req = request(
            "GET",
            &format!(
                "/v1/companies/{company}/register_types/nin_register/information_provider/test_idp"
            ),
            &[
                ("company_id", company),
                ("register_name", "nin_register"),
                ("provider_name", "test_idp"),
            ],
            &[],
            Some(&token(company)),
            "",
        );
        parts(show_register_type::handle(Arc::clone(&self.app), req).await)
    }

    /// The first page of register types, by the Show All Register Types handler.
    async fn list_register_types(&self) -> (u16, Value) {
        let company = self.company.as_str();
        let req = request(
            "GET",
            &format!("/v1/companies/{company}/register_types"),
            &[("company_id", company)],
            &[("per_page", "100")],
            Some(&token(company)),
            "",
        );
        parts(list_register_types::handle(Arc::clone(&self.app), req).await)
    }

    fn last_token(&self) -> String {
        let mut paths: Vec<_> = std::fs::read_dir(&self.mail)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "eml"))
            .collect();
        paths.sort();
        let mail = std::fs::read_to_string(paths.last().unwrap()).unwrap();
        mail.split("\n\n")
            .nth(1)
            .unwrap()
            .split(|c: char| !c.is_ascii_alphanumeric())
            .find(|word| word.len() == 20)
            .unwrap()
            .to_owned()
    }
}

fn profile(n: u32, active: bool) -> Value {
    let mut body = body_with(person(n));
    body["profile"]["origin"] = json!("test_idp");
    body["options"] = json!({ "active": active });
    body
}

fn email(n: u32) -> String {
    format!("ana{n}@example.com")
}

fn names(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
}

/// With `ROUND_TRIPS_JSONL=path` (set by `make bench`), appends what was measured as one JSON
/// line, so that docs/benchmarks.md shows the counts these tests assert.
fn record(what: &str, operations: &[String], attempts: u32, rounds: usize) {
    use std::io::Write;
    let Ok(path) = std::env::var("ROUND_TRIPS_JSONL") else {
        return;
    };
    // One write per line: tests run in parallel and append to the same file.
    let line = format!(
        "{}\n",
        json!({"what": what, "operations": operations, "attempts": attempts, "rounds": rounds})
    );
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .unwrap();
    file.write_all(line.as_bytes()).unwrap();
}

/// Asserts the operations (in order) and that no attempt was retried.
#[track_caller]
fn assert_trips(what: &str, measured: (Vec<String>, u32), expected: &[&str]) {
    let (operations, attempts) = measured;
    let rounds = LAST_ROUNDS.with(|last| *last.borrow());
    println!(
        "round trips: {what}: {} ({}), attempts {attempts}, sequential rounds {rounds}",
        operations.len(),
        operations.join(", ")
    );
    record(what, &operations, attempts, rounds);
    assert_eq!(operations, names(expected), "{what}: operations");
    let actions = LAST_ACTIONS.with(|last| std::mem::take(&mut *last.borrow_mut()));
    assert_allowed(what, &actions);
    assert_eq!(
        attempts as usize,
        expected.len(),
        "{what}: attempts (one per operation, no retries)"
    );
}

/// Which function (by binary, as `idp_core::routes::ROUTES` names it) each measurement's
/// label is about, by the label's start.
const MEASURED: [(&str, &str); 17] = [
    ("company config", "show-company"),
    ("one register type", "show-register-type"),
    ("all register types", "list-register-types"),
    ("create", "create-profile"),
    ("show", "show-profile"),
    ("activate", "profile-status"),
    ("deactivate", "profile-status"),
    ("add password", "patch-profile"),
    ("update", "patch-profile"),
    ("two factor", "patch-profile"),
    ("delete", "delete-profile"),
    ("login", "login"),
    ("passwordless", "login-passkey"),
    ("search", "search-profiles"),
    ("password-change", "password-change"),
    ("profile events", "profile-events"),
    ("company events", "company-events"),
];

/// The functions (by binary) a measurement's label is about: the warm-up runs in each.
fn functions_of(what: &str) -> Vec<&'static str> {
    if what.starts_with("warm-up") {
        return idp_core::routes::functions();
    }
    let found: Vec<&str> = MEASURED
        .iter()
        .filter(|(prefix, _)| what.starts_with(prefix))
        .map(|(_, f)| *f)
        .collect();
    assert!(
        !found.is_empty(),
        "{what}: which function is this? (MEASURED)"
    );
    found
}

/// A route added to the table has its round trips counted here (and its template policies
/// checked against what it sends), or this fails.
#[test]
fn every_function_of_the_route_table_has_its_round_trips_counted() {
    let mut measured: Vec<&str> = MEASURED.iter().map(|(_, f)| *f).collect();
    measured.sort();
    measured.dedup();
    let mut functions = idp_core::routes::functions();
    functions.sort();
    assert_eq!(
        measured, functions,
        "MEASURED vs idp_core::routes::ROUTES: count the new function's round trips"
    );
}

/// `template.yaml`, read once for every assertion of the run.
fn template() -> &'static serde_yaml::Value {
    static TEMPLATE: std::sync::OnceLock<serde_yaml::Value> = std::sync::OnceLock::new();
    TEMPLATE.get_or_init(|| {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../template.yaml");
        serde_yaml::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
    })
}

/// (action, table logical id) that `template.yaml` allows the function built from `binary`.
fn template_allows(binary: &str) -> BTreeSet<(String, String)> {
    let resources = template()["Resources"].as_mapping().unwrap();
    let function = resources
        .values()
        .find(|r| r["Metadata"]["BuildProperties"]["Binary"].as_str() == Some(binary))
        .unwrap_or_else(|| panic!("template.yaml has no function built from {binary}"));
    let mut allowed = BTreeSet::new();
    for policy in function["Properties"]["Policies"].as_sequence().unwrap() {
        for statement in policy["Statement"].as_sequence().into_iter().flatten() {
            // `Resource: !GetAtt ProfilesTable.Arn`, or an index's
            // `!Sub "${ProfilesTable.Arn}/index/*"`.
            let resource = match &statement["Resource"] {
                serde_yaml::Value::Tagged(tagged) => {
                    tagged.value.as_str().unwrap_or_default().to_owned()
                }
                other => format!("{other:?}"),
            };
            let table = if let Some(table) = resource.strip_suffix(".Arn") {
                table.to_owned()
            } else if let Some((table, _index)) = resource
                .strip_prefix("${")
                .and_then(|r| r.split_once(".Arn}/index/"))
            {
                // Every index (`/index/*`) or one by name: the recorder knows the table only.
                format!("{table}/index")
            } else {
                continue;
            };
            for action in statement["Action"].as_sequence().into_iter().flatten() {
                if let Some(action) = action.as_str().and_then(|a| a.strip_prefix("dynamodb:")) {
                    allowed.insert((action.to_owned(), table.clone()));
                }
            }
        }
    }
    allowed
}

fn assert_allowed(what: &str, actions: &BTreeSet<(String, String)>) {
    let tables = tables();
    let logical = |name: &str| {
        if let Some(table) = name.strip_suffix("/index") {
            assert_eq!(table, tables.profiles, "{what}: an index of {table}");
            "ProfilesTable/index".to_owned()
        } else if name == tables.profiles {
            "ProfilesTable".to_owned()
        } else if name == tables.companies {
            "CompaniesTable".to_owned()
        } else {
            panic!("{what}: a request to table {name}")
        }
    };
    for function in functions_of(what) {
        let allowed = template_allows(function);
        for (action, table) in actions {
            let needed = (action.clone(), logical(table));
            assert!(
                allowed.contains(&needed),
                "{what}: {function} sends dynamodb:{action} to {} but template.yaml does not \
                 allow it (it allows {allowed:?})",
                needed.1
            );
        }
    }
}

#[tokio::test]
async fn company_config_reads_cost_one_get_item_cold_and_none_warm() {
    let c = counted(|_| {}).await;
    let ((status, body), ops, attempts) = c.measure(c.show_company(&c.company)).await;
    assert_eq!(status, 200, "{body}");
    assert_trips(
        "company config, cold instance",
        (ops, attempts),
        &["GetItem"],
    );
    let ((status, _), ops, attempts) = c.measure(c.show_company(&c.company)).await;
    assert_eq!(status, 200);
    assert_trips("company config, warm instance", (ops, attempts), &[]);
    // An unknown company is not remembered: each request asks again.
    for _ in 0..2 {
        let ((status, _), ops, attempts) = c.measure(c.show_company("nobody-here")).await;
        assert_eq!(status, 404);
        assert_trips(
            "company config, unknown company",
            (ops, attempts),
            &["GetItem"],
        );
    }
    // The register types are part of the configuration: one cold read for each function (in
    // Lambda each is its own instance), none warm, whatever the page asks for.
    let cold = counted(|_| {}).await;
    let ((status, body), ops, attempts) = cold.measure(cold.show_register_type()).await;
    assert_eq!(status, 200, "{body}");
    assert_trips("one register type, cold", (ops, attempts), &["GetItem"]);
    let ((status, body), ops, attempts) = c.measure(c.show_register_type()).await;
    assert_eq!(status, 200, "{body}");
    assert_trips("one register type, warm", (ops, attempts), &[]);
    let cold = counted(|_| {}).await;
    let ((status, body), ops, attempts) = cold.measure(cold.list_register_types()).await;
    assert_eq!(status, 200, "{body}");
    assert_trips("all register types, cold", (ops, attempts), &["GetItem"]);
    let ((status, body), ops, attempts) = c.measure(c.list_register_types()).await;
    assert_eq!(
        (status, body["data"].as_array().map(Vec::len)),
        (200, Some(1))
    );
    assert_trips("all register types, warm", (ops, attempts), &[]);
}

#[tokio::test]
async fn a_search_page_is_its_index_queries_and_one_batch_read() {
    let c = counted(|_| {}).await;
    for n in 1..=3 {
        c.create(n, true).await;
    }
    c.warm().await;
    // A nearly unique value: one partition of one index, then the page's profiles.
    let ((status, body), ops, attempts) = c.measure(c.search(&json!({"email": email(2)}))).await;
    assert_eq!(
        (status, body["data"].as_array().map(Vec::len)),
        (200, Some(1)),
        "{body}"
    );
    assert_trips(
        "search, by e-mail",
        (ops, attempts),
        &["Query", "BatchGetItem"],
    );
    // Nothing found: the query alone.
    let ((status, body), ops, attempts) = c
        .measure(c.search(&json!({"email": "nobody@example.com"})))
        .await;
    assert_eq!((status, &body["data"]), (200, &json!([])));
    assert_trips("search, nothing found", (ops, attempts), &["Query"]);
    // No filter: the company's listing is written over 8 shards (docs/design.md), so a page
    // reads each shard (concurrently), then its profiles.
    let ((status, body), ops, attempts) = c.measure(c.search(&json!({}))).await;
    assert_eq!(
        (status, body["data"].as_array().map(Vec::len)),
        (200, Some(3)),
        "{body}"
    );
    let mut listing = vec!["Query"; 8];
    listing.push("BatchGetItem");
    assert_trips("search, no filter", (ops, attempts), &listing);
    // The eight queries go out together: the page waits on DynamoDB twice.
    assert_eq!(last_rounds(), 2, "search, no filter: sequential rounds");

    // Deeper pages and residual filters keep to two rounds as well.
    for n in 4..=12 {
        c.create(n, true).await;
    }
    let ((status, body), ops, attempts) = c
        .measure(c.search_page(&json!({}), &[("page", "2"), ("per_page", "5")]))
        .await;
    assert_eq!(
        (status, body["data"].as_array().map(Vec::len)),
        (200, Some(5)),
        "{body}"
    );
    assert_trips("search, no filter, page 2", (ops, attempts), &listing);
    assert_eq!(last_rounds(), 2, "search, page 2: sequential rounds");
    let ((status, body), ops, attempts) = c
        .measure(c.search(&json!({"email": email(7), "name": "Ana"})))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_trips(
        "search, e-mail and name",
        (ops, attempts),
        &["Query", "BatchGetItem"],
    );
    assert_eq!(last_rounds(), 2, "search, two filters: sequential rounds");
}

/// The sequential rounds of the last measurement on this thread.
fn last_rounds() -> usize {
    LAST_ROUNDS.with(|last| *last.borrow())
}

#[tokio::test]
async fn create_and_show_cost_one_round_trip_and_a_status_change_two() {
    let c = counted(|_| {}).await;
    c.create(1, true).await;

    let ((status, body), ops, attempts) = c
        .measure(create(&c.app, &c.company, &profile(2, true), None))
        .await;
    assert_eq!(status, 201, "{body}");
    let uuid = body["data"]["uuid"].as_str().unwrap().to_owned();
    assert_trips("create", (ops, attempts), &["TransactWriteItems"]);

    let ((status, body), ops, attempts) = c
        .measure(create(&c.app, &c.company, &profile(2, true), None))
        .await;
    assert_eq!(
        (status, &body["errors"]),
        (400, &json!("Profile already present"))
    );
    assert_trips(
        "create, identifier taken",
        (ops, attempts),
        &["TransactWriteItems"],
    );

    let ((status, _), ops, attempts) = c.measure(show(&c.app, &c.company, &uuid, false)).await;
    assert_eq!(status, 200);
    assert_trips("show", (ops, attempts), &["GetItem"]);

    let unknown = uuid::Uuid::new_v4().to_string();
    let ((status, _), ops, attempts) = c.measure(show(&c.app, &c.company, &unknown, false)).await;
    assert_eq!(status, 404);
    assert_trips("show, unknown profile", (ops, attempts), &["GetItem"]);

    for operation in ["deactivate", "activate"] {
        let ((status, _), ops, attempts) = c.measure(c.status(&uuid, operation)).await;
        assert_eq!(status, 200, "{operation}");
        // The profile read, then its write with its event.
        assert_trips(
            operation,
            (ops, attempts),
            &["GetItem", "TransactWriteItems"],
        );
    }
    let ((status, _), ops, attempts) = c.measure(c.status(&uuid, "activate")).await;
    assert_eq!(status, 409);
    assert_trips("activate, already active", (ops, attempts), &["GetItem"]);
    let ((status, _), ops, attempts) = c.measure(c.status(&unknown, "activate")).await;
    assert_eq!(status, 404);
    assert_trips("activate, unknown profile", (ops, attempts), &["GetItem"]);
}

#[tokio::test]
async fn adding_a_password_costs_two_round_trips() {
    let c = counted(|_| {}).await;
    let uuid = c.create(1, true).await;
    let inactive = c.create(2, false).await;
    c.warm().await;

    let ((status, body), ops, attempts) = c.measure(c.add_password(&uuid, OLD)).await;
    assert_eq!(status, 201, "{body}");
    assert_trips(
        "add password",
        (ops, attempts),
        &["Query", "TransactWriteItems"],
    );

    let ((status, _), ops, attempts) = c.measure(c.add_password(&uuid, NEW)).await;
    assert_eq!(status, 422);
    assert_trips("add password, already set", (ops, attempts), &["Query"]);

    let ((status, _), ops, attempts) = c.measure(c.add_password(&inactive, OLD)).await;
    assert_eq!(status, 409);
    assert_trips("add password, inactive", (ops, attempts), &["Query"]);
}

/// The requests every failed login makes, whoever the identifiers name: the reservation read,
/// the partition's Query, the attempt's conditional write, and the failure's event (§6: the
/// same store work for known and unknown identifiers).
const LOGIN_FAILS: [&str; 4] = ["GetItem", "Query", "UpdateItem", "PutItem"];

#[tokio::test]
async fn login_costs_the_same_requests_for_known_and_unknown_identifiers() {
    let c = counted(|_| {}).await;
    let uuid = c.create(1, true).await;
    assert_eq!(c.add_password(&uuid, OLD).await.0, 201);
    c.create(2, true).await;
    c.warm().await;

    // A success: its attempt counted, then cleared.
    let ((status, body), ops, attempts) = c.measure(c.login(&email(1), OLD)).await;
    assert_eq!(status, 200, "{body}");
    assert_trips(
        "login",
        (ops, attempts),
        &["GetItem", "Query", "UpdateItem", "TransactWriteItems"],
    );

    let mut sequences = Vec::new();
    for (what, identifier, password) in [
        ("login, wrong password", email(1), "wrong wrong wrong"),
        (
            "login, unknown identifier",
            "nobody@example.com".into(),
            OLD,
        ),
        ("login, malformed identifier", "not an e-mail".into(), OLD),
        ("login, profile without a password", email(2), OLD),
    ] {
        let ((status, body), ops, attempts) = c.measure(c.login(&identifier, password)).await;
        assert_eq!(
            (status, &body["errors"]),
            (422, &json!("Failed Login Attempt")),
            "{what}"
        );
        sequences.push((what, ops.clone()));
        assert_trips(what, (ops, attempts), &LOGIN_FAILS);
    }
    assert!(
        sequences.windows(2).all(|pair| pair[0].1 == pair[1].1),
        "one sequence for every failure: {sequences:?}"
    );

    // Past the length bound: no lookup, for anyone; only the attempt's event, which names no
    // profile.
    let long = "long password ".repeat(20);
    for (what, identifier) in [
        ("login, password over the bound", email(1)),
        (
            "login, unknown, password over the bound",
            "nobody@example.com".into(),
        ),
    ] {
        let ((status, _), ops, attempts) = c.measure(c.login(&identifier, &long)).await;
        assert_eq!(status, 422, "{what}");
        assert_trips(what, (ops, attempts), &["PutItem"]);
    }

    // The success after a failure clears the count: the same four requests.
    let ((status, _), ops, attempts) = c.measure(c.login(&email(1), OLD)).await;
    assert_eq!(status, 200);
    assert_trips(
        "login after failures (lockout reset)",
        (ops, attempts),
        &["GetItem", "Query", "UpdateItem", "TransactWriteItems"],
    );
}

impl Counted {
    async fn two_factor(&self, uuid: &str, request: Value) -> (u16, Value) {
        call(
            &self.app,
            patch_profile::handle,
            "PATCH",
            &format!("/v1/companies/{}/profiles/{uuid}", self.company),
            &[("company_id", &self.company), ("uuid", uuid)],
            &self.company,
            &json!({"operation": "two_factor", "two_factor": request}),
        )
        .await
    }

    async fn login_body(&self, body: Value) -> (u16, Value) {
        call(
            &self.app,
            login::handle,
            "POST",
            &format!("/v1/companies/{}/profiles/login", self.company),
            &[("company_id", &self.company)],
            &self.company,
            &body,
        )
        .await
    }
}

impl Counted {
    async fn passwordless(&self, body: Value) -> (u16, Value) {
        call(
            &self.app,
            login_passkey::handle,
            "POST",
            &format!("/v1/companies/{}/profiles/login/passkey", self.company),
            &[("company_id", &self.company)],
            &self.company,
            &body,
        )
        .await
    }
}

#[tokio::test]
async fn passkeys_cost_what_the_other_factors_cost() {
    use common::soft_passkey::SoftPasskey;
    let c = counted(|_| {}).await;
    let uuid = c.create(1, true).await;
    assert_eq!(c.add_password(&uuid, OLD).await.0, 201);
    c.warm().await;
    let mut passkey = SoftPasskey::new("http://localhost:8080");

    // Enrolment: the profile with its factors read, the ceremony's state kept; then the state
    // read back and the passkey written with the state used up, in one transaction.
    let ((status, body), ops, attempts) = c
        .measure(c.two_factor(&uuid, json!({"action": "enrol", "method": "passkey"})))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_trips(
        "two factor passkey enrol",
        (ops, attempts),
        &["Query", "UpdateItem"],
    );
    let credential = passkey.create(&body["data"]["options"]);
    let confirm = json!({"action": "confirm", "method": "passkey", "name": "Laptop",
        "enrolment": body["data"]["enrolment"], "credential": credential});
    let ((status, body), ops, attempts) = c.measure(c.two_factor(&uuid, confirm)).await;
    assert_eq!(status, 200, "{body}");
    assert_trips(
        "two factor passkey confirm",
        (ops, attempts),
        &["Query", "GetItem", "TransactWriteItems"],
    );

    // As the second factor: the password's four requests (the passkey's state rides on the
    // challenge), then the step's three, as a code's.
    let credentials = json!({"email": email(1), "origin": "test_idp", "password": OLD});
    let ((status, body), ops, attempts) = c
        .measure(c.login_body(json!({ "credentials": credentials })))
        .await;
    assert_eq!(status, 422, "{body}");
    assert_trips(
        "login, passkey required",
        (ops, attempts),
        &["GetItem", "Query", "UpdateItem", "TransactWriteItems"],
    );
    let assertion = passkey.get(&body["data"]["passkey_options"]);
    let step =
        json!({"challenge": body["data"]["challenge"], "credentials": {"passkey": assertion}});
    let ((status, body), ops, attempts) = c.measure(c.login_body(step)).await;
    assert_eq!(status, 200, "{body}");
    assert_trips(
        "login, passkey step",
        (ops, attempts),
        &["BatchGetItem", "UpdateItem", "TransactWriteItems"],
    );

    // Passwordless: one write for the options; one read, the count and one transaction for
    // the answer; a replay is a read and its event.
    let ((status, body), ops, attempts) = c.measure(c.passwordless(json!({}))).await;
    assert_eq!(status, 200, "{body}");
    assert_trips("passwordless options", (ops, attempts), &["UpdateItem"]);
    let answer = json!({"challenge": body["data"]["challenge"],
        "credential": passkey.get(&body["data"]["options"])});
    let ((status, body), ops, attempts) = c.measure(c.passwordless(answer.clone())).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["uuid"], uuid);
    assert_trips(
        "passwordless login",
        (ops, attempts),
        &["BatchGetItem", "UpdateItem", "TransactWriteItems"],
    );
    let ((status, _), ops, attempts) = c.measure(c.passwordless(answer)).await;
    assert_eq!(status, 422);
    assert_trips(
        "passwordless login, challenge used",
        (ops, attempts),
        &["BatchGetItem", "PutItem"],
    );
}

/// The TOTP code `offset` steps from now.
fn totp_code(secret: &str, offset: i64) -> String {
    let totp = idp_core::two_factor::Totp {
        secret: idp_core::two_factor::TotpSecret::from_base32(secret).unwrap(),
        params: idp_core::two_factor::TotpParams::default(),
    };
    let now = idp_core::clock::Clock::system().now_seconds();
    let step = totp.step_of(now).checked_add_signed(offset).unwrap();
    totp.code_at_step(step).to_string()
}

#[tokio::test]
async fn second_factors_cost_at_most_one_round_trip_more_than_a_password() {
    let c = counted(|_| {}).await;
    let uuid = c.create(1, true).await;
    assert_eq!(c.add_password(&uuid, OLD).await.0, 201);
    c.warm().await;

    // Enrolment: a read of the profile with its factors, then one transaction.
    let ((status, body), ops, attempts) = c
        .measure(c.two_factor(&uuid, json!({"action": "enrol", "method": "totp"})))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_trips(
        "two factor enrol",
        (ops, attempts),
        &["Query", "TransactWriteItems"],
    );
    let secret = body["data"]["secret"].as_str().unwrap().to_owned();
    // The step before now is still in the window: later steps stay for the logins below.
    let confirm = json!({"action": "confirm", "method": "totp", "code": totp_code(&secret, -1)});
    let ((status, body), ops, attempts) = c.measure(c.two_factor(&uuid, confirm)).await;
    assert_eq!(status, 200, "{body}");
    assert_trips(
        "two factor confirm",
        (ops, attempts),
        &["Query", "TransactWriteItems"],
    );
    let codes: Vec<String> = body["data"]["recovery_codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_owned())
        .collect();

    // The password alone: a login's four requests, the challenge riding on the last.
    let credentials = json!({"email": email(1), "origin": "test_idp", "password": OLD});
    let ((status, body), ops, attempts) = c
        .measure(c.login_body(json!({ "credentials": credentials })))
        .await;
    assert_eq!(status, 422, "{body}");
    assert_trips(
        "login, second factor required",
        (ops, attempts),
        &["GetItem", "Query", "UpdateItem", "TransactWriteItems"],
    );
    let challenge = body["data"]["challenge"].as_str().unwrap().to_owned();

    // The second step: one read of the challenge, factors and profile; the code counted; the
    // code spent with the challenge and the events.
    let wrong = json!({"challenge": challenge, "credentials": {"totp": "000000"}});
    let ((status, _), ops, attempts) = c.measure(c.login_body(wrong)).await;
    assert_eq!(status, 422);
    assert_trips(
        "login, second step, wrong code",
        (ops, attempts),
        &["BatchGetItem", "UpdateItem", "PutItem"],
    );
    let right = json!({"challenge": challenge, "credentials": {"totp": totp_code(&secret, 0)}});
    let ((status, body), ops, attempts) = c.measure(c.login_body(right.clone())).await;
    assert_eq!(status, 200, "{body}");
    assert_trips(
        "login, second step",
        (ops, attempts),
        &["BatchGetItem", "UpdateItem", "TransactWriteItems"],
    );
    let ((status, _), ops, attempts) = c.measure(c.login_body(right)).await;
    assert_eq!(status, 422);
    assert_trips(
        "login, second step, challenge used",
        (ops, attempts),
        &["BatchGetItem", "PutItem"],
    );

    // Everything in one request: one request more than a password alone.
    let mut one = credentials.clone();
    one["totp"] = json!(totp_code(&secret, 1));
    let ((status, body), ops, attempts) =
        c.measure(c.login_body(json!({ "credentials": one }))).await;
    assert_eq!(status, 200, "{body}");
    assert_trips(
        "login, password and code in one request",
        (ops, attempts),
        &[
            "GetItem",
            "Query",
            "UpdateItem",
            "UpdateItem",
            "TransactWriteItems",
        ],
    );

    // Regenerating and removing count their code first.
    let mut recovery = credentials.clone();
    recovery["recovery_code"] = json!(codes[0]);
    assert_eq!(
        c.login_body(json!({ "credentials": recovery })).await.0,
        200
    );
    let remove = json!({"action": "remove", "method": "totp", "code": codes[1]});
    let ((status, body), ops, attempts) = c.measure(c.two_factor(&uuid, remove)).await;
    assert_eq!(status, 200, "{body}");
    assert_trips(
        "two factor remove",
        (ops, attempts),
        &["Query", "UpdateItem", "TransactWriteItems"],
    );

    // Support's reset: a read and one transaction.
    c.two_factor(&uuid, json!({"action": "enrol", "method": "totp"}))
        .await;
    let ((status, body), ops, attempts) = c
        .measure(c.two_factor(&uuid, json!({"action": "reset"})))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_trips(
        "two factor reset",
        (ops, attempts),
        &["Query", "TransactWriteItems"],
    );
}

#[tokio::test]
async fn a_locked_profile_costs_what_a_wrong_password_costs() {
    let c = counted(|config| {
        config["lockout_policy"] =
            json!({"lock_after_failures": 1, "base_delay_seconds": 60, "max_delay_seconds": 60});
    })
    .await;
    let uuid = c.create(1, true).await;
    assert_eq!(c.add_password(&uuid, OLD).await.0, 201);
    assert_eq!(c.login(&email(1), "wrong wrong wrong").await.0, 422);

    let ((status, _), ops, attempts) = c.measure(c.login(&email(1), OLD)).await;
    assert_eq!(status, 422, "locked");
    assert_trips("login, locked", (ops, attempts), &LOGIN_FAILS);
}

#[tokio::test]
async fn a_hash_upgrade_rides_on_the_write_that_clears_the_attempt() {
    let c = counted(|_| {}).await;
    let uuid = c.create(1, true).await;
    assert_eq!(c.add_password(&uuid, OLD).await.0, 201);
    // The same counting client, with stronger hash parameters.
    let stronger = HashParams {
        memory_kib: 24 * 1024,
        ..HashParams::OWASP_MINIMUM
    };
    let upgrading = app_over(c.store.clone(), stronger, &c.mail);
    c.login_with(&upgrading, "nobody@example.com", OLD).await;

    for what in ["login with a hash upgrade", "login once upgraded"] {
        let ((status, _), ops, attempts) =
            c.measure(c.login_with(&upgrading, &email(1), OLD)).await;
        assert_eq!(status, 200, "{what}");
        assert_trips(
            what,
            (ops, attempts),
            &["GetItem", "Query", "UpdateItem", "TransactWriteItems"],
        );
    }
}

#[tokio::test]
async fn password_change_request_and_confirm() {
    let c = counted(|_| {}).await;
    let uuid = c.create(1, true).await;
    assert_eq!(c.add_password(&uuid, OLD).await.0, 201);
    c.warm().await;

    let ((status, body), ops, attempts) = c.measure(c.request(&email(1))).await;
    assert_eq!(status, 200, "{body}");
    assert_trips(
        "password-change request",
        (ops, attempts),
        &["GetItem", "TransactWriteItems", "PutItem"],
    );
    let token = c.last_token();

    let ((status, _), ops, attempts) = c.measure(c.request(&email(1))).await;
    assert_eq!(status, 429);
    assert_trips(
        "password-change request, rate-limited",
        (ops, attempts),
        &["GetItem", "TransactWriteItems", "PutItem"],
    );

    let ((status, _), ops, attempts) = c
        .measure(c.confirm("ana1", "AAAAAAAAAAAAAAAAAAAA", NEW))
        .await;
    assert_eq!(status, 400);
    assert_trips(
        "password-change confirm, wrong token",
        (ops, attempts),
        &["GetItem", "Query", "TransactWriteItems"],
    );

    let ((status, body), ops, attempts) = c.measure(c.confirm("ana1", &token, NEW)).await;
    assert_eq!(status, 200, "{body}");
    assert_trips(
        "password-change confirm",
        (ops, attempts),
        &["GetItem", "Query", "TransactWriteItems"],
    );

    let ((status, _), ops, attempts) = c.measure(c.confirm("ana1", &token, NEW)).await;
    assert_eq!(status, 400);
    assert_trips(
        "password-change confirm, token used",
        (ops, attempts),
        &["GetItem", "Query", "PutItem"],
    );

    // A profile deactivated since its last token: both conditions fail, the profile's answers.
    assert_eq!(c.request(&email(1)).await.0, 200);
    assert_eq!(c.status(&uuid, "deactivate").await.0, 200);
    let ((status, body), ops, attempts) = c.measure(c.request(&email(1))).await;
    assert_eq!(
        (status, &body["errors"]),
        (409, &json!("Profile is not active"))
    );
    assert_trips(
        "password-change request, inactive with a recent token",
        (ops, attempts),
        &["GetItem", "TransactWriteItems", "PutItem"],
    );

    let ((status, _), ops, attempts) = c.measure(c.request("nobody@example.com")).await;
    assert_eq!(status, 404);
    assert_trips(
        "password-change request, unknown profile",
        (ops, attempts),
        &["GetItem", "PutItem"],
    );
    let ((status, _), ops, attempts) = c
        .measure(c.confirm("nobody", "AAAAAAAAAAAAAAAAAAAA", NEW))
        .await;
    assert_eq!(status, 404);
    assert_trips(
        "password-change confirm, unknown profile",
        (ops, attempts),
        &["GetItem", "PutItem"],
    );
}

#[tokio::test]
async fn password_change_for_inactive_and_mail_less_profiles() {
    let c = counted(|config| {
        config["password_change"]["min_request_interval_seconds"] = json!(0);
    })
    .await;
    c.create(1, false).await;
    let mut no_mail = profile(2, true);
    no_mail["profile"].as_object_mut().unwrap().remove("email");
    let (status, _) = create(&c.app, &c.company, &no_mail, None).await;
    assert_eq!(status, 201);
    c.warm().await;

    let ((status, body), ops, attempts) = c.measure(c.request(&email(1))).await;
    assert_eq!(
        (status, &body["errors"]),
        (409, &json!("Profile is not active"))
    );
    assert_trips(
        "password-change request, inactive",
        (ops, attempts),
        &["GetItem", "TransactWriteItems", "PutItem"],
    );
    assert!(
        !c.mail.exists() || std::fs::read_dir(&c.mail).unwrap().next().is_none(),
        "nothing sent"
    );

    let ((status, body), ops, attempts) = c
        .measure(
            c.change(json!({"operation": "request", "access_type": "username", "profile": "ana2"})),
        )
        .await;
    assert_eq!(
        (status, &body["errors"]),
        (
            409,
            &json!("Profile has no e-mail address to send the token to")
        )
    );
    assert_trips(
        "password-change request, no e-mail",
        (ops, attempts),
        &["GetItem", "GetItem", "PutItem"],
    );

    let ((status, _), ops, attempts) = c
        .measure(c.confirm("ana1", "AAAAAAAAAAAAAAAAAAAA", NEW))
        .await;
    assert_eq!(status, 409);
    assert_trips(
        "password-change confirm, inactive",
        (ops, attempts),
        &["GetItem", "Query", "PutItem"],
    );
}

/// Identifier items written before they carried the owner's e-mail still work: the request
/// reads the profile for it.
#[tokio::test]
async fn password_change_request_for_a_profile_created_before_the_e_mail_was_kept() {
    let c = counted(|_| {}).await;
    let uuid = c.create(1, true).await;
    assert_eq!(c.add_password(&uuid, OLD).await.0, 201);
    for item in scan_company(&c.app, &c.company).await {
        if kind(&item) == "identifier" {
            raw_client()
                .await
                .update_item()
                .table_name(&c.app.store.tables().profiles)
                .key("PK", item["PK"].clone())
                .key("SK", item["SK"].clone())
                .update_expression("REMOVE email")
                .send()
                .await
                .unwrap();
        }
    }
    assert!(
        scan_company(&c.app, &c.company)
            .await
            .iter()
            .filter(|i| kind(i) == "identifier")
            .all(|i| !i.contains_key("email"))
    );
    c.warm().await;

    let ((status, body), ops, attempts) = c.measure(c.request(&email(1))).await;
    assert_eq!(status, 200, "{body}");
    assert_trips(
        "password-change request, identifier without e-mail",
        (ops, attempts),
        &["GetItem", "GetItem", "TransactWriteItems", "PutItem"],
    );
    let token = c.last_token();
    assert_eq!(c.confirm("ana1", &token, NEW).await.0, 200);
    assert_eq!(c.login(&email(1), NEW).await.0, 200);
}

/// Every identifier item of a new profile carries its e-mail (immutable), and only that.
#[tokio::test]
async fn identifier_items_carry_the_owners_e_mail() {
    let c = counted(|_| {}).await;
    let uuid = c.create(1, true).await;
    let identifiers: Vec<_> = scan_company(&c.app, &c.company)
        .await
        .into_iter()
        .filter(|i| kind(i) == "identifier")
        .collect();
    assert_eq!(identifiers.len(), 3, "nin, username, email");
    for item in identifiers {
        assert_eq!(item["uuid"], AttributeValue::S(uuid.clone()));
        assert_eq!(item["email"], AttributeValue::S(email(1)));
    }
}

/// With `prevent_user_existence_errors`, refusals answer 200 after the same round trips.
#[tokio::test]
async fn uniform_answers_cost_the_same_round_trips() {
    let c = counted(|config| {
        config["password_change"]["prevent_user_existence_errors"] = json!(true);
    })
    .await;
    c.create(1, false).await;
    c.create(2, true).await;
    c.warm().await;
    // Every answer, whoever the identifier names: the reservation read, then the token's
    // transaction (for a random id when nobody holds the identifier), the request's event, and
    // the response floor.
    for (what, profile) in [
        ("inactive", email(1)),
        ("unknown", "nobody@example.com".to_owned()),
        ("malformed", "not an e-mail".to_owned()),
        ("first", email(2)),
        ("rate-limited", email(2)),
    ] {
        let started = Instant::now();
        let ((status, _), ops, attempts) = c.measure(c.request(&profile)).await;
        assert_eq!(status, 200, "{what}");
        assert!(
            started.elapsed() >= std::time::Duration::from_millis(400),
            "{what}: answered before the floor"
        );
        assert_trips(
            &format!("password-change request (uniform), {what}"),
            (ops, attempts),
            &["GetItem", "TransactWriteItems", "PutItem"],
        );
    }
    let sent = std::fs::read_dir(&c.mail).unwrap().count();
    assert_eq!(
        sent, 1,
        "only the active profile's first request sends mail"
    );
}

/// Concurrent requests for one profile: the token's write is conditioned on the last one's
/// time, so exactly one is issued and mailed; the others are rate-limited.
#[tokio::test]
async fn eight_concurrent_requests_issue_exactly_one_token() {
    let c = Arc::new(counted(|_| {}).await);
    c.create(1, true).await;
    c.warm().await;
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let c = Arc::clone(&c);
            tokio::spawn(async move { c.request(&email(1)).await })
        })
        .collect();
    let mut issued = 0;
    for task in tasks {
        let (status, body) = task.await.unwrap();
        match status {
            200 => issued += 1,
            429 => assert_eq!(body["message"], "Too many requests"),
            other => panic!("unexpected {other}: {body}"),
        }
    }
    assert_eq!(issued, 1);
    assert_eq!(std::fs::read_dir(&c.mail).unwrap().count(), 1);
}

/// The init-phase warm-up is one `GetItem` of one attempt, and a DynamoDB that cannot be
/// reached only delays it briefly (the function starts anyway).
#[tokio::test]
async fn the_warm_up_is_one_get_item_and_never_fails() {
    let recorder = Arc::new(Recorder::default());
    let store = counting_store(&recorder).await;
    recorder.reset();
    store.warm_up().await;
    assert_trips("warm-up", recorder.take(), &["GetItem"]);

    let unreachable = dynamodb_client()
        .await
        .config()
        .to_builder()
        .endpoint_url("http://127.0.0.1:9")
        .interceptor(Counting(Arc::clone(&recorder)))
        .build();
    let store = Store::new(aws_sdk_dynamodb::Client::from_conf(unreachable), tables());
    let started = std::time::Instant::now();
    store.warm_up().await;
    assert!(started.elapsed() < std::time::Duration::from_secs(3));
    assert_trips(
        "warm-up, DynamoDB unreachable",
        recorder.take(),
        &["GetItem"],
    );
}

#[tokio::test]
async fn update_and_delete_are_a_read_and_one_transaction() {
    let c = counted(|_| {}).await;
    let uuid = c.create(1, true).await;
    c.create(2, true).await;
    c.warm().await;

    let ((status, body), ops, attempts) = c
        .measure(c.update(&uuid, json!({"email": "moved@example.com", "name": "Bea"})))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_trips(
        "update, e-mail moved",
        (ops, attempts),
        &["GetItem", "TransactWriteItems"],
    );
    let ((status, _), ops, attempts) = c.measure(c.update(&uuid, json!({"name": "Eva"}))).await;
    assert_eq!(status, 200);
    assert_trips(
        "update, no identifier changed",
        (ops, attempts),
        &["GetItem", "TransactWriteItems"],
    );
    let ((status, body), ops, attempts) =
        c.measure(c.update(&uuid, json!({"email": email(2)}))).await;
    assert_eq!(
        (status, &body["errors"]),
        (400, &json!("Profile already present"))
    );
    assert_trips(
        "update, identifier taken",
        (ops, attempts),
        &["GetItem", "TransactWriteItems"],
    );
    let unknown = uuid::Uuid::new_v4().to_string();
    let ((status, _), ops, attempts) = c.measure(c.update(&unknown, json!({"name": "X"}))).await;
    assert_eq!(status, 404);
    assert_trips("update, unknown", (ops, attempts), &["GetItem"]);

    let ((status, body), ops, attempts) = c.measure(c.delete(&uuid)).await;
    assert_eq!(status, 200, "{body}");
    assert_trips("delete", (ops, attempts), &["Query", "TransactWriteItems"]);
    let ((status, _), ops, attempts) = c.measure(c.delete(&uuid)).await;
    assert_eq!(status, 404);
    assert_trips("delete, unknown", (ops, attempts), &["Query"]);
}

/// A page of the audit trail costs what the page holds: one `Query` of the profile's event
/// partition, or one per shard of the company index (sent together), never more with more
/// events; the company configuration is cached as everywhere.
#[tokio::test]
async fn an_audit_trail_page_costs_its_page() {
    let c = counted(|_| {}).await;
    let uuid = c.create(1, true).await;
    for _ in 0..3 {
        assert_eq!(c.update(&uuid, json!({"name": "Eva"})).await.0, 200);
        assert_eq!(c.update(&uuid, json!({"name": "Ana"})).await.0, 200);
    }
    c.warm().await;
    let ((status, body), ops, attempts) = c.measure(c.events(Some(&uuid), &[("limit", "2")])).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"].as_array().map(Vec::len), Some(2));
    assert_trips("profile events, a page", (ops, attempts), &["Query"]);
    let unknown = uuid::Uuid::new_v4().to_string();
    let ((status, body), ops, attempts) = c.measure(c.events(Some(&unknown), &[])).await;
    assert_eq!((status, &body["data"]), (200, &json!([])));
    assert_trips("profile events, never existed", (ops, attempts), &["Query"]);
    let ((status, body), ops, attempts) = c.measure(c.events(None, &[("limit", "5")])).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"].as_array().map(Vec::len), Some(5));
    assert_trips("company events, a page", (ops, attempts), &["Query"; 8]);
}
