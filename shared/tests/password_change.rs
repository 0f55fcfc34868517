//! Request and Confirm Password Change (§5.6) in-process against DynamoDB Local, with the file
//! mail transport: the token is read from the message, as its owner would.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use common::*;
use idp_core::App;
use idp_core::clock::ManualClock;
use idp_core::endpoints::{login, patch_profile};
use serde_json::{Value, json};

const OLD: &str = "violet tractor umbrella 42";
const NEW: &str = "copper kettle sings at dawn";

struct Setup {
    app: Arc<App>,
    company: String,
    uuid: String,
    mail: PathBuf,
    clock: ManualClock,
}

async fn setup(edit: impl FnOnce(&mut Value)) -> Setup {
    let mail = std::env::temp_dir().join(format!("idp-mail-{}", uuid::Uuid::new_v4().simple()));
    // The store's clock stands still unless a test moves it (a token's expiry).
    let clock = ManualClock::now();
    let app = app_with_mail_on(mail.clone(), clock.clock()).await;
    let company = fresh_company_with(&app, edit).await;
    let mut body = body_with(person(1));
    body["profile"]["origin"] = json!("test_idp");
    let (_, created) = create(&app, &company, &body, None).await;
    let uuid = created["data"]["uuid"].as_str().unwrap().to_owned();
    let (status, _) = call(
        &app,
        patch_profile::handle,
        "PATCH",
        &format!("/v1/companies/{company}/profiles/{uuid}"),
        &[("company_id", &company), ("uuid", &uuid)],
        &company,
        &json!({"operation": "credentials", "credentials": {"password": OLD}}),
    )
    .await;
    assert_eq!(status, 201);
    Setup {
        app,
        company,
        uuid,
        mail,
        clock,
    }
}

fn no_interval(config: &mut Value) {
    config["password_change"]["min_request_interval_seconds"] = json!(0);
}

impl Setup {
    async fn change(&self, body: Value) -> (u16, Value) {
        change_password(&self.app, &self.company, &body).await
    }

    async fn request(&self) -> (u16, Value) {
        self.change(
            json!({"operation": "request", "access_type": "email", "profile": "ana1@example.com"}),
        )
        .await
    }

    async fn confirm(&self, token: &str, password: &str) -> (u16, Value) {
        self.change(
            json!({"operation": "confirm", "access_type": "username", "profile": "ana1",
                           "token": token, "password": password}),
        )
        .await
    }

    async fn login(&self, password: &str) -> u16 {
        call(
            &self.app,
            login::handle,
            "POST",
            &format!("/v1/companies/{}/profiles/login", self.company),
            &[("company_id", &self.company)],
            &self.company,
            &json!({"credentials": {"email": "ana1@example.com", "origin": "test_idp", "password": password}}),
        )
        .await
        .0
    }
}

/// The messages written so far, oldest first.
fn mails(dir: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut paths: Vec<_> = entries
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "eml"))
        .collect();
    paths.sort();
    paths
        .iter()
        .map(|p| std::fs::read_to_string(p).unwrap())
        .collect()
}

fn token_in(mail: &str) -> String {
    let body = mail.split("\n\n").nth(1).unwrap();
    body.split(|c: char| !c.is_ascii_alphanumeric())
        .find(|word| word.len() == 20)
        .unwrap_or_else(|| panic!("no token in {mail}"))
        .to_owned()
}

fn ok_request() -> (u16, Value) {
    (
        200,
        json!({"code": 200, "resource": "Request Change Password", "message": "Ok"}),
    )
}

fn changed() -> (u16, Value) {
    (
        200,
        json!({"code": 200, "resource": "Confirm Change Password",
                 "data": "The password was changed successfully", "message": "Ok"}),
    )
}

fn invalid_token() -> (u16, Value) {
    (
        400,
        json!({"code": 400, "resource": "Confirm Change Password", "message": "Bad request",
                 "errors": "The token is not valid"}),
    )
}

#[tokio::test]
async fn request_mail_confirm_then_log_in_with_the_new_password() {
    let s = setup(|_| {}).await;
    assert_eq!(s.request().await, ok_request());
    let sent = mails(&s.mail);
    assert_eq!(sent.len(), 1);
    assert!(sent[0].contains("\nTo: ana1@example.com\n"), "{}", sent[0]);
    assert!(sent[0].contains("\nSubject: Your password change code\n"));
    assert!(sent[0].contains("expires in 60 minutes"));
    let token = token_in(&sent[0]);

    // The token is right but the password is refused: the token stays usable.
    let (status, body) = s.confirm(&token, "password123").await;
    assert_eq!(
        (status, &body["resource"]),
        (422, &json!("Confirm Change Password"))
    );
    // Past the policy's 128 code points: refused unhashed, naming the bound.
    assert_eq!(
        s.confirm(&token, &"lantern orbit meadow ".repeat(3000))
            .await,
        (
            422,
            json!({"code": 422, "resource": "Confirm Change Password", "message": "Fail",
                   "errors": "Password must be at most 128 characters long"})
        )
    );
    assert_eq!(s.confirm(&token, NEW).await, changed());
    assert_eq!(s.login(NEW).await, 200);
    assert_eq!(s.login(OLD).await, 422);
    // Single use.
    assert_eq!(
        s.confirm(&token, "another long passphrase").await,
        invalid_token()
    );

    // Neither the token nor any password is stored in plain text anywhere.
    let everything = scan_all(&s.app).await;
    for secret in [token.as_str(), NEW, OLD] {
        assert!(!everything.contains(secret), "{secret} found in DynamoDB");
    }
}

async fn scan_all(app: &App) -> String {
    let mut text = String::new();
    let tables = app.store.tables();
    for table in [&tables.profiles, &tables.companies] {
        let items = scan_table(&raw_client().await, table, None).await;
        // This test's own profile and company are there at least (the token may be spent).
        assert!(
            !items.is_empty(),
            "{table} is empty: the scan would prove nothing"
        );
        text.push_str(&format!("{items:?}"));
    }
    text
}

#[tokio::test]
async fn wrong_expired_superseded_and_foreign_tokens_are_refused() {
    let s = setup(no_interval).await;
    assert_eq!(
        s.confirm("ffffffffffffffffffff", NEW).await,
        invalid_token(),
        "no token yet"
    );
    s.request().await;
    let first = token_in(&mails(&s.mail)[0]);
    s.request().await;
    let second = token_in(&mails(&s.mail)[1]);
    assert_ne!(first, second);
    assert_eq!(s.confirm(&first, NEW).await, invalid_token(), "superseded");

    // Another profile's valid token does not work here.
    let other = setup(no_interval).await;
    other.request().await;
    let foreign = token_in(&mails(&other.mail)[0]);
    assert_eq!(s.confirm(&foreign, NEW).await, invalid_token());

    // Expired (the default lifetime is 60 minutes): refused at once, before DynamoDB's TTL
    // would delete it.
    s.clock.advance(std::time::Duration::from_secs(60 * 60 + 1));
    assert_eq!(s.confirm(&second, NEW).await, invalid_token(), "expired");
    assert_eq!(s.login(OLD).await, 200, "nothing changed");
}

#[tokio::test]
async fn too_many_wrong_tries_invalidate_the_token() {
    let s = setup(|c| c["password_change"]["max_token_attempts"] = json!(3)).await;
    s.request().await;
    let token = token_in(&mails(&s.mail)[0]);
    for _ in 0..3 {
        assert_eq!(
            s.confirm("AAAAAAAAAAAAAAAAAAAA", NEW).await,
            invalid_token()
        );
    }
    assert_eq!(s.confirm(&token, NEW).await, invalid_token());
}

#[tokio::test]
async fn eight_concurrent_confirms_with_one_token_give_exactly_one_200() {
    let s = Arc::new(setup(|_| {}).await);
    s.request().await;
    let token = token_in(&mails(&s.mail)[0]);
    let tasks: Vec<_> = (0..8)
        .map(|n| {
            let (s, token) = (Arc::clone(&s), token.clone());
            tokio::spawn(async move { s.confirm(&token, &format!("{NEW} number {n}")).await })
        })
        .collect();
    let mut successes = 0;
    for task in tasks {
        let reply = task.await.unwrap();
        if reply == changed() {
            successes += 1;
        } else {
            assert_eq!(reply, invalid_token());
        }
    }
    assert_eq!(successes, 1);
}

#[tokio::test]
async fn requests_are_rate_limited_per_profile() {
    let s = setup(|_| {}).await;
    assert_eq!(s.request().await, ok_request());
    assert_eq!(
        s.request().await,
        (
            429,
            json!({"code": 429, "resource": "Request Change Password", "message": "Too many requests",
            "errors": "A password change was requested less than 60 seconds ago; try again later"})
        )
    );
    assert_eq!(mails(&s.mail).len(), 1, "no second mail");
}

#[tokio::test]
async fn a_successful_change_clears_the_lockout() {
    let s = setup(|c| {
        no_interval(c);
        c["lockout_policy"] =
            json!({"lock_after_failures": 2, "base_delay_seconds": 60, "max_delay_seconds": 60});
    })
    .await;
    for _ in 0..2 {
        assert_eq!(s.login("wrong wrong wrong").await, 422);
    }
    assert_eq!(s.login(OLD).await, 422, "locked");
    s.request().await;
    let token = token_in(&mails(&s.mail)[0]);
    assert_eq!(s.confirm(&token, NEW).await, changed());
    assert_eq!(s.login(NEW).await, 200, "lockout cleared");
}

#[tokio::test]
async fn bad_operations_access_types_and_profiles() {
    let s = setup(|_| {}).await;
    let bad = |resource: &str, errors: &str| {
        (
            400,
            json!({"code": 400, "resource": resource, "message": "Bad request", "errors": errors}),
        )
    };
    assert_eq!(
        s.change(
            json!({"operation": "reset", "access_type": "email", "profile": "ana1@example.com"})
        )
        .await,
        bad(
            "Change Password",
            "Operation field is null or not supported"
        )
    );
    assert_eq!(
        s.change(json!({"access_type": "email", "profile": "ana1@example.com"}))
            .await,
        bad(
            "Change Password",
            "Operation field is null or not supported"
        )
    );
    assert_eq!(
        s.change(json!({"operation": "request", "access_type": "nin", "profile": "nin-1"}))
            .await,
        bad(
            "Change Password",
            "access_type field is null or not supported"
        )
    );
    let not_found = (
        404,
        json!({"code": 404, "resource": "Profile", "message": "Not found"}),
    );
    assert_eq!(
        s.change(
            json!({"operation": "request", "access_type": "email", "profile": "nobody@example.com"})
        )
        .await,
        not_found
    );
    assert_eq!(
        s.change(
            json!({"operation": "confirm", "access_type": "email", "profile": "nobody@example.com",
                        "token": "ffffffffffffffffffff", "password": NEW})
        )
        .await,
        not_found
    );
    assert!(mails(&s.mail).is_empty());
}

#[tokio::test]
async fn inactive_profiles_get_409() {
    let s = setup(|_| {}).await;
    s.app
        .store
        .set_active(
            &idp_core::domain::CompanyId::parse(&s.company).unwrap(),
            idp_core::domain::ProfileId::parse(&s.uuid).unwrap(),
            false,
            &test_event(
                idp_core::audit::EventType::ProfileDeactivated,
                idp_core::domain::ProfileId::parse(&s.uuid).unwrap(),
            ),
        )
        .await
        .unwrap();
    let conflict = (
        409,
        json!({"code": 409, "resource": "Profile", "message": "Conflict",
                                "errors": "Profile is not active"}),
    );
    assert_eq!(s.request().await, conflict);
    assert_eq!(s.confirm("ffffffffffffffffffff", NEW).await, conflict);
}

#[tokio::test]
async fn uniform_answers_hide_who_exists() {
    let s = setup(|c| c["password_change"]["prevent_user_existence_errors"] = json!(true)).await;
    assert_eq!(
        s.change(
            json!({"operation": "request", "access_type": "email", "profile": "nobody@example.com"})
        )
        .await,
        ok_request()
    );
    assert!(
        mails(&s.mail).is_empty(),
        "nothing sent for an unknown profile"
    );
    assert_eq!(
        s.change(
            json!({"operation": "confirm", "access_type": "email", "profile": "nobody@example.com",
                        "token": "ffffffffffffffffffff", "password": NEW})
        )
        .await,
        invalid_token()
    );
    assert_eq!(s.request().await, ok_request());
    assert_eq!(s.request().await, ok_request(), "rate-limited, silently");
    assert_eq!(mails(&s.mail).len(), 1);
}
