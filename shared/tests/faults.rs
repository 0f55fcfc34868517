//! Faults: DynamoDB throttling and transient errors (injected with an SDK interceptor), and
//! DynamoDB Local killed in the middle of a burst of writes.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::{HashMap, HashSet};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use aws_sdk_dynamodb::config::interceptors::{
    BeforeDeserializationInterceptorContextMut, BeforeTransmitInterceptorContextMut,
};
use aws_sdk_dynamodb::config::retry::RetryPartition;
use aws_sdk_dynamodb::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_dynamodb::error::BoxError;
use aws_smithy_runtime_api::http::StatusCode;
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::config_bag::{Storable, StoreReplace};
use common::*;
use idp_core::endpoints::{delete_profile, patch_profile};
use idp_core::password::HashParams;
use idp_core::store::{Store, dynamodb_client};
use serde_json::json;

/// Answers the first `failures` attempts with DynamoDB's throttling error, as the service sends
/// it on the wire, and counts every attempt.
#[derive(Debug)]
struct Throttle {
    failures: AtomicU32,
    attempts: Arc<AtomicU32>,
    code: &'static str,
    status: u16,
}

impl Intercept for Throttle {
    fn name(&self) -> &'static str {
        "Throttle"
    }

    fn modify_before_deserialization(
        &self,
        context: &mut BeforeDeserializationInterceptorContextMut<'_>,
        _components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        self.attempts.fetch_add(1, Ordering::SeqCst);
        let take = self
            .failures
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |left| {
                left.checked_sub(1)
            });
        if take.is_ok() {
            let response = context.response_mut();
            *response.status_mut() = StatusCode::try_from(self.status)?;
            response
                .headers_mut()
                .insert("content-type", "application/x-amz-json-1.0");
            *response.body_mut() = SdkBody::from(format!(
                r#"{{"__type":"com.amazonaws.dynamodb.v20120810#{}","message":"injected"}}"#,
                self.code
            ));
        }
        Ok(())
    }
}

async fn app_with_faults(
    failures: u32,
    code: &'static str,
    status: u16,
) -> (Arc<idp_core::App>, Arc<AtomicU32>) {
    let attempts = Arc::new(AtomicU32::new(0));
    let config = dynamodb_client()
        .await
        .config()
        .to_builder()
        // A retry partition of its own: the retry token bucket is shared per partition, and
        // other tests' failures must not spend this one's retries.
        .retry_partition(RetryPartition::new(format!("faults-{code}-{failures}")))
        .interceptor(Throttle {
            failures: AtomicU32::new(failures),
            attempts: Arc::clone(&attempts),
            code,
            status,
        })
        .build();
    let store = Store::new(aws_sdk_dynamodb::Client::from_conf(config), tables());
    (
        app_with(store, jwt_verifier(), HashParams::OWASP_MINIMUM).await,
        attempts,
    )
}

#[tokio::test]
async fn throttling_and_transient_errors_are_retried_with_backoff() {
    let plain = app().await;
    let company = fresh_company(&plain).await;
    let (_, created) = create(&plain, &company, &body_with(person(1)), None).await;
    let uuid = created["data"]["uuid"].as_str().unwrap().to_owned();

    for (code, status) in [("ThrottlingException", 400), ("InternalServerError", 500)] {
        // Two failures, then the third attempt (the SDK's standard retry allows 3) succeeds.
        let (app, attempts) = app_with_faults(2, code, status).await;
        let started = std::time::Instant::now();
        let (answer, _) = show(&app, &company, &uuid, false).await;
        assert_eq!(answer, 200, "{code}");
        assert_eq!(attempts.load(Ordering::SeqCst), 3, "{code}: retried twice");
        assert!(started.elapsed() >= Duration::from_millis(1), "backed off");

        // Failing every time: a clean 503 after the last attempt.
        let (app, attempts) = app_with_faults(u32::MAX, code, status).await;
        let (answer, body) = show(&app, &company, &uuid, false).await;
        assert_eq!(
            (answer, body),
            (
                503,
                json!({"code": 503, "resource": "Profile", "message": "Service unavailable",
                         "errors": "The service is temporarily unavailable, please retry"})
            ),
            "{code}"
        );
        assert_eq!(attempts.load(Ordering::SeqCst), 3, "{code}");
    }
}

/// A DynamoDB Local of this test's own, on disk so that it can be killed and started again.
struct OwnDynamoDb {
    port: u16,
    data: PathBuf,
    child: Option<Child>,
}

impl OwnDynamoDb {
    fn start(port: u16, data: PathBuf) -> Self {
        let mut db = Self {
            port,
            data,
            child: None,
        };
        db.restart();
        db
    }

    fn restart(&mut self) {
        let jar_dir = std::env::var("IDP_DDB_LOCAL_DIR").expect("run through `make test`");
        std::fs::create_dir_all(&self.data).unwrap();
        let child = Command::new("java")
            .current_dir(jar_dir)
            .args([
                "-Djava.library.path=./DynamoDBLocal_lib",
                "-jar",
                "DynamoDBLocal.jar",
            ])
            .args(["-sharedDb", "-dbPath"])
            .arg(&self.data)
            .args(["-port", &self.port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        self.child = Some(child);
        for _ in 0..300 {
            if TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("DynamoDB Local did not start on {}", self.port);
    }

    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            child.kill().unwrap();
            child.wait().unwrap();
        }
    }

    fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

impl Drop for OwnDynamoDb {
    fn drop(&mut self) {
        self.kill();
        let _ = std::fs::remove_dir_all(&self.data);
    }
}

#[tokio::test]
async fn dynamodb_dying_mid_burst_gives_clean_503s_and_nothing_half_written() {
    let (mut db, client, app) = own_stack(8471).await;
    let company = fresh_company(&app).await;
    // DynamoDB Local answers its first requests slowly: warm it up.
    let (status, warm) = create(&app, &company, &body_with(person(100)), None).await;
    assert_eq!(status, 201, "{warm}");

    // A burst of creates, 20 ms apart; DynamoDB dies part of the way through.
    let mut tasks = Vec::new();
    for n in 0..40u32 {
        let (app, company) = (Arc::clone(&app), company.clone());
        tasks.push(tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(20 * u64::from(n))).await;
            create(&app, &company, &body_with(person(n)), None).await
        }));
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    db.kill();
    let mut created_ids = HashSet::from([warm["data"]["uuid"].as_str().unwrap().to_owned()]);
    let mut unavailable = 0;
    for task in tasks {
        let (status, body) = task.await.unwrap();
        match status {
            201 => {
                created_ids.insert(body["data"]["uuid"].as_str().unwrap().to_owned());
            }
            503 => {
                assert_eq!(
                    body["errors"],
                    "The service is temporarily unavailable, please retry"
                );
                unavailable += 1;
            }
            other => panic!("{other}: {body}"),
        }
    }
    assert!(
        !created_ids.is_empty(),
        "some creates finished before the kill"
    );
    assert!(unavailable > 0, "some creates met a dead DynamoDB");

    // Back up: no reservation or profile exists without the other.
    db.restart();
    let items = scan_table(&client, &tables().profiles, None).await;
    // Not asserted: that every acknowledged profile survived. DynamoDB Local, killed, can lose
    // its last acknowledged writes (seen here: one in a run); durability is DynamoDB's promise,
    // not something the emulator can show. Atomicity is this code's, and is asserted below:
    // whatever survived survived whole.
    let profiles = assert_whole(&items);
    assert!(
        created_ids.iter().any(|id| profiles.contains_key(id)),
        "the acknowledged writes are there"
    );

    // And the same client serves again.
    let (status, _) = create(&app, &company, &body_with(person(99)), None).await;
    assert_eq!(status, 201, "recovered");
}

/// Every profile has exactly the reservations it lists, and every reservation has a profile
/// that lists it; answers the profiles (uuid → reservation keys).
fn assert_whole(
    items: &[HashMap<String, aws_sdk_dynamodb::types::AttributeValue>],
) -> HashMap<String, Vec<String>> {
    let profiles: HashMap<String, Vec<String>> = items
        .iter()
        .filter(|i| kind(i) == "profile")
        .map(|i| {
            let keys = i["identifier_keys"]
                .as_l()
                .unwrap()
                .iter()
                .map(|k| k.as_s().unwrap().clone())
                .collect();
            (i["uuid"].as_s().unwrap().clone(), keys)
        })
        .collect();
    let reservations: HashMap<String, String> = items
        .iter()
        .filter(|i| kind(i) == "identifier")
        .map(|i| {
            (
                i["PK"].as_s().unwrap().clone(),
                i["uuid"].as_s().unwrap().clone(),
            )
        })
        .collect();
    for (id, keys) in &profiles {
        for key in keys {
            assert_eq!(reservations.get(key), Some(id), "profile {id} lacks {key}");
        }
    }
    for (key, owner) in &reservations {
        assert!(
            profiles.get(owner).is_some_and(|keys| keys.contains(key)),
            "orphan reservation {key}"
        );
    }
    profiles
}

/// DynamoDB Local of its own, on disk, with the tables, and an app over it.
async fn own_stack(port: u16) -> (OwnDynamoDb, aws_sdk_dynamodb::Client, Arc<idp_core::App>) {
    let data = std::env::temp_dir().join(format!("idp-ddb-{}", uuid::Uuid::new_v4().simple()));
    let db = OwnDynamoDb::start(port, data);
    let admin = concat!(env!("CARGO_MANIFEST_DIR"), "/../target/debug/idp-admin");
    let template = concat!(env!("CARGO_MANIFEST_DIR"), "/../template.yaml");
    let created = Command::new(admin)
        .args(["create-tables", "--template", template])
        .env("AWS_ENDPOINT_URL_DYNAMODB", db.endpoint())
        .output()
        .unwrap();
    assert!(created.status.success(), "{created:?}");
    let config = dynamodb_client()
        .await
        .config()
        .to_builder()
        .endpoint_url(db.endpoint())
        .build();
    let client = aws_sdk_dynamodb::Client::from_conf(config);
    let store = Store::new(client.clone(), tables());
    let app = app_with(store, jwt_verifier(), HashParams::OWASP_MINIMUM).await;
    (db, client, app)
}

#[tokio::test]
async fn dynamodb_dying_mid_burst_of_updates_and_deletes_leaves_every_profile_whole() {
    let (mut db, client, app) = own_stack(8472).await;
    let company = fresh_company(&app).await;
    let mut uuids = Vec::new();
    for n in 0..30u32 {
        let (status, body) = create(&app, &company, &body_with(person(n)), None).await;
        assert_eq!(status, 201, "{body}");
        uuids.push(body["data"]["uuid"].as_str().unwrap().to_owned());
    }

    // Even profiles move their e-mail, odd ones are erased, 20 ms apart; DynamoDB dies midway.
    let mut tasks = Vec::new();
    for (n, uuid) in uuids.iter().enumerate() {
        let (app, company, uuid) = (Arc::clone(&app), company.clone(), uuid.clone());
        tasks.push(tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(20 * n as u64)).await;
            let path = format!("/v1/companies/{company}/profiles/{uuid}");
            let params = [("company_id", company.as_str()), ("uuid", uuid.as_str())];
            let answer = if n % 2 == 0 {
                let body = json!({"operation": "update", "profile": {"email": format!("moved{n}@example.com")}});
                call(&app, patch_profile::handle, "PATCH", &path, &params, &company, &body).await
            } else {
                call(&app, delete_profile::handle, "DELETE", &path, &params, &company, &json!(null)).await
            };
            (n % 2 == 0, answer)
        }));
    }
    // Most of the burst is sent by then; what is still on the way meets a dead DynamoDB.
    tokio::time::sleep(Duration::from_millis(450)).await;
    db.kill();
    let mut tally: HashMap<(&str, u16), u32> = HashMap::new();
    for task in tasks {
        let (is_update, (status, body)) = task.await.unwrap();
        match status {
            200 => {}
            503 => assert_eq!(
                body["errors"],
                "The service is temporarily unavailable, please retry"
            ),
            other => panic!("{other}: {body}"),
        }
        *tally
            .entry((if is_update { "update" } else { "delete" }, status))
            .or_insert(0) += 1;
    }
    println!("updates and deletes around the kill: {tally:?}");
    assert!(
        tally.keys().any(|(_, s)| *s == 200),
        "some finished before the kill"
    );
    assert!(
        tally.keys().any(|(_, s)| *s == 503),
        "some met a dead DynamoDB"
    );

    db.restart();
    let items = scan_table(&client, &tables().profiles, None).await;
    let profiles = assert_whole(&items);
    // Each surviving profile holds either its old e-mail or its new one, with the matching
    // reservation (assert_whole); no other item outlived an erased profile.
    for item in &items {
        let pk = item["PK"].as_s().unwrap();
        if let Some(uuid) = pk
            .rsplit("#profile#")
            .next()
            .filter(|_| pk.contains("#profile#"))
        {
            assert!(profiles.contains_key(uuid), "{pk} outlived its profile");
        }
    }
    // And the same client serves again.
    let (status, _) = create(&app, &company, &body_with(person(99)), None).await;
    assert_eq!(status, 201, "recovered");
}

/// How many items the transaction being sent has.
#[derive(Debug, Clone)]
struct TransactionItems(usize);

impl Storable for TransactionItems {
    type Storer = StoreReplace<Self>;
}

/// Answers every `TransactWriteItems` as DynamoDB does when one item's table or index is out
/// of capacity: a `TransactionCanceledException` whose reasons carry `ThrottlingError` (one
/// reason per item, `None` for the others).
#[derive(Debug)]
struct CancelForCapacity {
    code: &'static str,
}

impl Intercept for CancelForCapacity {
    fn name(&self) -> &'static str {
        "CancelForCapacity"
    }

    /// Notes the items, and sends DynamoDB Local an empty transaction instead (refused
    /// unread), so that nothing is written, as with a real cancellation.
    fn modify_before_transmit(
        &self,
        context: &mut BeforeTransmitInterceptorContextMut<'_>,
        _components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let request = context.request_mut();
        let target = request.headers().get("x-amz-target").unwrap_or_default();
        if target.ends_with(".TransactWriteItems") {
            let sent: serde_json::Value =
                serde_json::from_slice(request.body().bytes().unwrap_or_default())?;
            let items = sent["TransactItems"].as_array().map_or(1, Vec::len);
            cfg.interceptor_state().store_put(TransactionItems(items));
            let empty = br#"{"TransactItems":[]}"#;
            request
                .headers_mut()
                .insert("content-length", empty.len().to_string());
            *request.body_mut() = SdkBody::from(&empty[..]);
        }
        Ok(())
    }

    fn modify_before_deserialization(
        &self,
        context: &mut BeforeDeserializationInterceptorContextMut<'_>,
        _components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let Some(TransactionItems(items)) = cfg.load::<TransactionItems>().cloned() else {
            return Ok(());
        };
        let mut reasons = vec![json!({"Code": "None"}); items];
        reasons[items - 1] = json!({"Code": self.code,
            "Message": "Throughput exceeds the current capacity of your table or index."});
        let response = context.response_mut();
        *response.status_mut() = StatusCode::try_from(400)?;
        response
            .headers_mut()
            .insert("content-type", "application/x-amz-json-1.0");
        *response.body_mut() = SdkBody::from(
            json!({
                "__type": "com.amazonaws.dynamodb.v20120810#TransactionCanceledException",
                "Message": "Transaction cancelled, please refer cancellation reasons for specific reasons",
                "CancellationReasons": reasons,
            })
            .to_string(),
        );
        Ok(())
    }
}

#[tokio::test]
async fn every_transaction_cancelled_for_capacity_is_a_503_and_writes_nothing() {
    let mail = std::env::temp_dir().join(format!("idp-mail-{}", uuid::Uuid::new_v4().simple()));
    let plain = app_with_mail(mail.clone()).await;
    let company = fresh_company_with(&plain, |config| {
        config["password_change"]["min_request_interval_seconds"] = json!(0);
    })
    .await;
    let (status, created) = create(&plain, &company, &body_with(person(1)), None).await;
    assert_eq!(status, 201, "{created}");
    let uuid = created["data"]["uuid"].as_str().unwrap().to_owned();
    let profile_path = format!("/v1/companies/{company}/profiles/{uuid}");
    let add_password = json!({"operation": "credentials",
        "credentials": {"password": "violet tractor umbrella 42"}});
    let request_token =
        json!({"operation": "request", "access_type": "email", "profile": "ana1@example.com"});

    for code in [
        "ThrottlingError",
        "ProvisionedThroughputExceeded",
        "RequestLimitExceeded",
    ] {
        let config = dynamodb_client()
            .await
            .config()
            .to_builder()
            .interceptor(CancelForCapacity { code })
            .build();
        let store = Store::new(aws_sdk_dynamodb::Client::from_conf(config), tables());
        let cancelled = Arc::new(
            idp_core::App::new(
                store,
                jwt_verifier(),
                idp_core::password::Passwords::new(HashParams::OWASP_MINIMUM).unwrap(),
                Duration::from_secs(60),
            )
            .with_mailer(idp_core::mail::Mailer::File(
                idp_core::mail::FileMailer::new(mail.clone()),
            ))
            .with_cursor_key(test_cursor_key())
            .with_factor_key(test_factor_key()),
        );
        let unavailable = |resource: &str| {
            json!({"code": 503, "resource": resource, "message": "Service unavailable",
                   "errors": "The service is temporarily unavailable, please retry"})
        };

        let answer = create(&cancelled, &company, &body_with(person(2)), None).await;
        assert_eq!(answer, (503, unavailable("Profile")), "create, {code}");

        let params = [("company_id", company.as_str()), ("uuid", uuid.as_str())];
        let answer = call(
            &cancelled,
            patch_profile::handle,
            "PATCH",
            &profile_path,
            &params,
            &company,
            &add_password,
        )
        .await;
        assert_eq!(
            answer,
            (503, unavailable("Profile Credential")),
            "add password, {code}"
        );

        let answer = change_password(&cancelled, &company, &request_token).await;
        assert_eq!(
            answer,
            (503, unavailable("Request Change Password")),
            "password-change request, {code}"
        );
    }

    // A real token, mailed by the plain app, confirmed through the cancelling one.
    let (status, _) = call(
        &plain,
        patch_profile::handle,
        "PATCH",
        &profile_path,
        &[("company_id", &company), ("uuid", &uuid)],
        &company,
        &add_password,
    )
    .await;
    assert_eq!(status, 201);
    let (status, _) = change_password(&plain, &company, &request_token).await;
    assert_eq!(status, 200);
    let message = std::fs::read_dir(&mail)
        .unwrap()
        .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
        .next()
        .unwrap();
    let token = message
        .split("\n\n")
        .nth(1)
        .unwrap()
        .split(|c: char| !c.is_ascii_alphanumeric())
        .find(|word| word.len() == 20)
        .unwrap()
        .to_owned();
    let config = dynamodb_client()
        .await
        .config()
        .to_builder()
        .interceptor(CancelForCapacity {
            code: "ThrottlingError",
        })
        .build();
    let store = Store::new(aws_sdk_dynamodb::Client::from_conf(config), tables());
    let cancelled = app_with(store, jwt_verifier(), HashParams::OWASP_MINIMUM).await;
    let confirm = json!({"operation": "confirm", "access_type": "email",
        "profile": "ana1@example.com", "token": token, "password": "copper kettle sings at dawn"});
    let answer = change_password(&cancelled, &company, &confirm).await;
    assert_eq!(answer.0, 503, "confirm: {}", answer.1);
    assert_eq!(answer.1["resource"], "Confirm Change Password");
    // Nothing was written: the token still works, once, through the plain app.
    let answer = change_password(&plain, &company, &confirm).await;
    assert_eq!(answer.0, 200, "{}", answer.1);
    let _ = std::fs::remove_dir_all(&mail);
    // Only the first profile exists: the cancelled creates left nothing.
    let kinds: Vec<String> = scan_company(&plain, &company)
        .await
        .iter()
        .map(|item| kind(item).to_owned())
        .collect();
    assert_eq!(
        kinds.iter().filter(|k| k.as_str() == "profile").count(),
        1,
        "{kinds:?}"
    );
}
