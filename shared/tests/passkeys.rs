//! Passkeys (§5.16) through the handlers, against DynamoDB Local, with a software passkey
//! (`common::soft_passkey`, written from the WebAuthn specification apart from the
//! `webauthn-rs` code the server verifies with): the races (one assertion in many concurrent
//! requests) run as real concurrent tasks, and the rules a browser cannot be made to break
//! easily (no user verification, another company's key, the lockout, ten passkeys) are
//! checked here. The browser test (tests/tests/passkeys.rs) proves the flows with Chromium.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::Arc;

use common::soft_passkey::SoftPasskey;
use common::*;
use idp_core::App;
use idp_core::clock::ManualClock;
use idp_core::endpoints::{login, login_passkey, patch_profile};
use serde_json::{Value, json};

const PASSWORD: &str = "copper lantern meadow 9";
const ORIGIN: &str = "http://localhost:8080";

struct Profile {
    app: Arc<App>,
    clock: ManualClock,
    company: String,
    uuid: String,
}

impl Profile {
    async fn new(edit: impl FnOnce(&mut Value)) -> Self {
        let clock = ManualClock::now();
        let app = app_on(clock.clock()).await;
        let company = fresh_company_with(&app, edit).await;
        Self::in_company(app, clock, company, 1).await
    }

    async fn in_company(app: Arc<App>, clock: ManualClock, company: String, n: u32) -> Self {
        let mut person = person(n);
        person["origin"] = json!("web");
        let (status, created) = create(&app, &company, &body_with(person), None).await;
        assert_eq!(status, 201, "{created}");
        let uuid = created["data"]["uuid"].as_str().unwrap().to_owned();
        assert_eq!(add_password(&app, &company, &uuid, PASSWORD).await.0, 201);
        Self {
            app,
            clock,
            company,
            uuid,
        }
    }

    async fn two_factor(&self, request: Value) -> (u16, Value) {
        call(
            &self.app,
            patch_profile::handle,
            "PATCH",
            &format!("/v1/companies/{}/profiles/{}", self.company, self.uuid),
            &[("company_id", &self.company), ("uuid", &self.uuid)],
            &self.company,
            &json!({"operation": "two_factor", "two_factor": request}),
        )
        .await
    }

    /// Enrols `passkey`: the confirm's answer.
    async fn enrol(&self, passkey: &mut SoftPasskey, name: &str) -> (u16, Value) {
        let (status, body) = self
            .two_factor(json!({"action": "enrol", "method": "passkey"}))
            .await;
        if status != 200 {
            return (status, body);
        }
        let credential = passkey.create(&body["data"]["options"]);
        self.two_factor(
            json!({"action": "confirm", "method": "passkey", "name": name,
            "enrolment": body["data"]["enrolment"], "credential": credential}),
        )
        .await
    }

    async fn passwordless(&self, company: &str, body: Value) -> (u16, Value) {
        call(
            &self.app,
            login_passkey::handle,
            "POST",
            &format!("/v1/companies/{company}/profiles/login/passkey"),
            &[("company_id", company)],
            company,
            &body,
        )
        .await
    }

    /// Passwordless options of `company`, answered by `passkey`: the request to send.
    async fn assertion_for(&self, company: &str, passkey: &mut SoftPasskey) -> Value {
        let (status, body) = self.passwordless(company, json!({})).await;
        assert_eq!(status, 200, "{body}");
        json!({"challenge": body["data"]["challenge"],
               "credential": passkey.get(&body["data"]["options"])})
    }

    async fn login(&self, body: Value) -> (u16, Value) {
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

    fn password() -> Value {
        json!({"credentials": {"email": "ana1@example.com", "origin": "web", "password": PASSWORD}})
    }
}

fn refused(answer: &(u16, Value)) {
    assert_eq!(answer.0, 422, "{}", answer.1);
    assert_eq!(answer.1["errors"], "Failed Login Attempt", "{}", answer.1);
}

#[tokio::test]
async fn one_assertion_in_eight_concurrent_requests_logs_in_once() {
    let p = Arc::new(Profile::new(|_| {}).await);
    let mut passkey = SoftPasskey::new(ORIGIN);
    assert_eq!(p.enrol(&mut passkey, "Laptop").await.0, 200);
    let request = p.assertion_for(&p.company, &mut passkey).await;
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let (p, request) = (Arc::clone(&p), request.clone());
            tokio::spawn(async move { p.passwordless(&p.company, request).await })
        })
        .collect();
    let mut statuses = Vec::new();
    for task in tasks {
        statuses.push(task.await.unwrap().0);
    }
    statuses.sort();
    assert_eq!(statuses, [200, 422, 422, 422, 422, 422, 422, 422]);
}

#[tokio::test]
async fn passwordless_needs_user_verification_and_a_second_factor_follows_the_company() {
    // preferred (the demo's): a passkey without user verification is a second factor…
    let p = Profile::new(|_| {}).await;
    let mut passkey = SoftPasskey::new(ORIGIN);
    passkey.user_verified = false;
    let (status, body) = p.enrol(&mut passkey, "Key").await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = p.login(Profile::password()).await;
    assert_eq!(status, 422);
    let step = json!({"challenge": body["data"]["challenge"],
        "credentials": {"passkey": passkey.get(&body["data"]["passkey_options"])}});
    assert_eq!(p.login(step).await.0, 200);
    // …but never both factors.
    let request = p.assertion_for(&p.company, &mut passkey).await;
    refused(&p.passwordless(&p.company, request).await);

    // required: no user verification, no passkey at all.
    let strict = Profile::new(|c| c["passkeys"]["user_verification"] = json!("required")).await;
    let mut key = SoftPasskey::new(ORIGIN);
    key.user_verified = false;
    let (status, body) = strict.enrol(&mut key, "Key").await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["errors"], "The passkey could not be verified");
}

#[tokio::test]
async fn a_key_behind_its_counter_another_companys_key_and_a_removed_key_are_refused() {
    let p = Profile::new(|_| {}).await;
    let mut passkey = SoftPasskey::new(ORIGIN);
    let (status, body) = p.enrol(&mut passkey, "Laptop").await;
    assert_eq!(status, 200, "{body}");
    let codes = body["data"]["recovery_codes"].clone();
    let request = p.assertion_for(&p.company, &mut passkey).await;
    let (status, body) = p.passwordless(&p.company, request).await;
    assert_eq!(status, 200, "{body}");
    let listed = &body["data"]["two_factor_authentication"][0];
    assert_eq!(
        (listed["method"].as_str(), listed["name"].as_str()),
        (Some("passkey"), Some("Laptop"))
    );
    assert!(listed["backup_eligible"].is_boolean(), "{listed}");

    // A clone: the same key, its counter behind the one stored.
    passkey.counter = 0;
    let request = p.assertion_for(&p.company, &mut passkey).await;
    refused(&p.passwordless(&p.company, request).await);
    passkey.counter = 5;
    let request = p.assertion_for(&p.company, &mut passkey).await;
    assert_eq!(p.passwordless(&p.company, request).await.0, 200);

    // Another company with the same relying party: its user handle names nobody there.
    let other = fresh_company_with(&p.app, |_| {}).await;
    let request = p.assertion_for(&other, &mut passkey).await;
    refused(&p.passwordless(&other, request).await);
    // A challenge of another company does not serve this one.
    let foreign = p.assertion_for(&other, &mut passkey).await;
    refused(&p.passwordless(&p.company, foreign).await);

    // Removed (the last factor: the recovery codes go with it), then refused.
    let id = listed["id"].clone();
    let (status, body) = p
        .two_factor(json!({"action": "remove", "method": "passkey", "id": id, "code": codes[0]}))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["two_factor_authentication"], json!([]));
    let request = p.assertion_for(&p.company, &mut passkey).await;
    refused(&p.passwordless(&p.company, request).await);
    assert_eq!(p.login(Profile::password()).await.0, 200);
}

#[tokio::test]
async fn wrong_assertions_lock_the_second_factor_and_ten_passkeys_are_the_most() {
    let p = Profile::new(|_| {}).await;
    let mut passkey = SoftPasskey::new(ORIGIN);
    assert_eq!(p.enrol(&mut passkey, "Laptop").await.0, 200);
    // Five answers signed for another origin (the demo's max_failures): the factor locks,
    // and the genuine key is refused until the wait is over.
    passkey.origin = "http://localhost:9999".into();
    for _ in 0..5 {
        let request = p.assertion_for(&p.company, &mut passkey).await;
        refused(&p.passwordless(&p.company, request).await);
    }
    passkey.origin = ORIGIN.into();
    let request = p.assertion_for(&p.company, &mut passkey).await;
    refused(&p.passwordless(&p.company, request).await);
    p.clock.advance(std::time::Duration::from_secs(31));
    let request = p.assertion_for(&p.company, &mut passkey).await;
    assert_eq!(p.passwordless(&p.company, request).await.0, 200);

    for n in 2..=10 {
        let (status, body) = p
            .enrol(&mut SoftPasskey::new(ORIGIN), &format!("Key {n}"))
            .await;
        assert_eq!(status, 200, "{body}");
    }
    let (status, body) = p
        .two_factor(json!({"action": "enrol", "method": "passkey"}))
        .await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["errors"], "A profile may hold at most 10 passkeys");
}
