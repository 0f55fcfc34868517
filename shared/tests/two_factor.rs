//! Second factors (§5.15) through the handlers, against DynamoDB Local, on a clock the tests
//! move: enrolment, the login challenge and its second step, replay, recovery codes, the
//! second factor's lockout, removal, `reset` and the company's `required`. The races (one
//! code in many concurrent requests, parallel wrong codes) run as real concurrent tasks here,
//! where many can meet at once. The black-box test (tests/tests/two_factor.rs) computes its
//! codes with an independent implementation (pyotp); these use the service's own.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::*;
use idp_core::App;
use idp_core::clock::ManualClock;
use idp_core::endpoints::{login, patch_profile};
use idp_core::store::CodeAttempt;
use idp_core::two_factor::{Totp, TotpParams, TotpSecret};
use serde_json::{Value, json};

const PASSWORD: &str = "violet tractor umbrella 42";

struct Profile {
    app: Arc<App>,
    clock: ManualClock,
    company: String,
    uuid: String,
}

impl Profile {
    /// An active profile with a password, in a company of its own (`edit` changes the demo
    /// company's rules), on a clock standing at now.
    async fn new(edit: impl FnOnce(&mut Value)) -> Self {
        let clock = ManualClock::now();
        let app = app_on(clock.clock()).await;
        let company = fresh_company_with(&app, edit).await;
        let mut person = person(1);
        person["origin"] = json!("web");
        let (status, created) = create(&app, &company, &body_with(person), None).await;
        assert_eq!(status, 201, "{created}");
        let uuid = created["data"]["uuid"].as_str().unwrap().to_owned();
        let (status, _) = add_password(&app, &company, &uuid, PASSWORD).await;
        assert_eq!(status, 201);
        Self {
            app,
            clock,
            company,
            uuid,
        }
    }

    /// The profile as the store sees it: its company and id, the second factor's lockout of
    /// its company, and its factors as read now.
    async fn as_stored(
        &self,
    ) -> (
        idp_core::domain::CompanyId,
        idp_core::domain::ProfileId,
        idp_core::company::LockoutPolicy,
        idp_core::store::FactorsRecord,
    ) {
        let company = idp_core::domain::CompanyId::parse(&self.company).unwrap();
        let id = idp_core::domain::ProfileId::parse(&self.uuid).unwrap();
        let config = self
            .app
            .company_config(&company, idp_core::Resource::Profile)
            .await
            .unwrap();
        let record = self.app.store.second_factors(&company, id).await.unwrap();
        (company, id, config.two_factor.lockout(), record.unwrap())
    }

    async fn two_factor(&self, request: Value) -> (u16, Value) {
        self.two_factor_with(request, &token(&self.company)).await
    }

    async fn two_factor_with(&self, request: Value, bearer: &str) -> (u16, Value) {
        let body = json!({"operation": "two_factor", "two_factor": request});
        let req = request_to(
            "PATCH",
            &format!("/v1/companies/{}/profiles/{}", self.company, self.uuid),
            &[("company_id", &self.company), ("uuid", &self.uuid)],
            bearer,
            &body,
        );
        parts(patch_profile::handle(Arc::clone(&self.app), req).await)
    }

    async fn login(&self, extra: Value) -> (u16, Value) {
        let mut credentials =
            json!({"email": "ana1@example.com", "origin": "web", "password": PASSWORD});
        for (key, value) in extra.as_object().unwrap() {
            credentials[key] = value.clone();
        }
        log_in(&self.app, &self.company, credentials).await
    }

    async fn second_step(&self, challenge: &str, credentials: Value) -> (u16, Value) {
        call(
            &self.app,
            login::handle,
            "POST",
            &format!("/v1/companies/{}/profiles/login", self.company),
            &[("company_id", &self.company)],
            &self.company,
            &json!({"challenge": challenge, "credentials": credentials}),
        )
        .await
    }

    /// A challenge from a login with the right password alone.
    async fn challenge(&self) -> String {
        let (status, body) = self.login(json!({})).await;
        assert_eq!(status, 422, "{body}");
        assert_eq!(body["message"], "Second Factor Required", "{body}");
        body["data"]["challenge"].as_str().unwrap().to_owned()
    }

    /// Enrols and confirms a TOTP: the authenticator and the recovery codes.
    async fn enrol(&self) -> (Totp, Vec<String>) {
        let (status, body) = self
            .two_factor(json!({"action": "enrol", "method": "totp"}))
            .await;
        assert_eq!(
            (status, &body["message"]),
            (200, &json!("Pending")),
            "{body}"
        );
        let secret = body["data"]["secret"].as_str().unwrap();
        let totp = Totp {
            secret: TotpSecret::from_base32(secret).unwrap(),
            params: TotpParams::default(),
        };
        let (status, body) = self
            .two_factor(json!({"action": "confirm", "method": "totp", "code": self.code(&totp, 0)}))
            .await;
        assert_eq!(
            (status, &body["message"]),
            (200, &json!("Enrolled")),
            "{body}"
        );
        let codes = body["data"]["recovery_codes"].as_array().unwrap();
        let codes = codes
            .iter()
            .map(|c| c.as_str().unwrap().to_owned())
            .collect();
        (totp, codes)
    }

    /// The code of the step `offset` steps from now.
    fn code(&self, totp: &Totp, offset: i64) -> String {
        let step = totp.step_of(self.clock.clock().now_seconds());
        totp.code_at_step(step.checked_add_signed(offset).unwrap())
            .to_string()
    }

    /// The next step: a code no request has used yet.
    fn tick(&self) {
        self.clock.advance(Duration::from_secs(30));
    }

    async fn events(&self) -> Vec<Value> {
        let req = request(
            "GET",
            &format!(
                "/v1/companies/{}/profiles/{}/events",
                self.company, self.uuid
            ),
            &[("company_id", &self.company), ("uuid", &self.uuid)],
            &[("limit", "100")],
            Some(&token(&self.company)),
            "",
        );
        let (status, body) =
            parts(idp_core::endpoints::profile_events::handle(Arc::clone(&self.app), req).await);
        assert_eq!(status, 200, "{body}");
        body["data"].as_array().unwrap().clone()
    }
}

fn request_to(
    method: &str,
    path: &str,
    params: &[(&str, &str)],
    bearer: &str,
    body: &Value,
) -> lambda_http::Request {
    let body = if body.is_null() {
        String::new()
    } else {
        body.to_string()
    };
    request(method, path, params, &[], Some(bearer), &body)
}

fn failed_login() -> Value {
    json!({"code": 422, "resource": "Profile", "message": "Fail", "errors": "Failed Login Attempt"})
}

#[tokio::test]
async fn enrol_confirm_then_log_in_in_two_steps_or_one() {
    let p = Profile::new(|_| {}).await;
    // No factor yet: the password alone logs in, and the profile lists none.
    let (status, body) = p.login(json!({})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["two_factor_authentication"], json!([]));

    let (totp, codes) = p.enrol().await;
    assert_eq!(codes.len(), 10);
    assert_eq!(totp.secret.bytes().len(), 20, "160 bits");

    // The password alone: never a 200.
    let (status, body) = p.login(json!({})).await;
    assert_eq!(status, 422);
    assert_eq!(body["resource"], "Profile");
    assert_eq!(body["errors"], "A second factor is required");
    assert_eq!(body["data"]["methods"], json!(["totp", "recovery_code"]));
    assert_eq!(body["data"]["expires_in"], 300);
    let challenge = body["data"]["challenge"].as_str().unwrap().to_owned();

    // The second step, one step later (the confirm spent this one).
    p.tick();
    let (status, body) = p
        .second_step(&challenge, json!({"totp": p.code(&totp, 0)}))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["message"], "Found");
    let list = &body["data"]["two_factor_authentication"];
    assert_eq!(list[0]["method"], "totp");
    assert_eq!(list[1]["remaining"], 10);
    assert!(!body.to_string().contains(totp.secret.to_base32().as_str()));

    // The challenge is single use, and the step logs in once, even with a new challenge.
    let (status, body) = p
        .second_step(&challenge, json!({"totp": p.code(&totp, 0)}))
        .await;
    assert_eq!((status, body), (422, failed_login()));
    let fresh = p.challenge().await;
    let (status, body) = p
        .second_step(&fresh, json!({"totp": p.code(&totp, 0)}))
        .await;
    assert_eq!((status, body), (422, failed_login()), "replayed step");
    // ... and an earlier step, within the window, is spent with it.
    let (status, _) = p
        .second_step(&fresh, json!({"totp": p.code(&totp, -1)}))
        .await;
    assert_eq!(status, 422);
    // The next step works on the same challenge: a wrong code did not use it up.
    p.tick();
    let (status, body) = p
        .second_step(&fresh, json!({"totp": p.code(&totp, 0)}))
        .await;
    assert_eq!(status, 200, "{body}");

    // A recovery code, once.
    let challenge = p.challenge().await;
    let (status, body) = p
        .second_step(
            &challenge,
            json!({"recovery_code": codes[0].to_uppercase()}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["two_factor_authentication"][1]["remaining"], 9);
    let challenge = p.challenge().await;
    let (status, _) = p
        .second_step(&challenge, json!({"recovery_code": codes[0]}))
        .await;
    assert_eq!(status, 422, "a recovery code works once");

    // Everything in one request.
    p.tick();
    let (status, body) = p.login(json!({"totp": p.code(&totp, 0)})).await;
    assert_eq!(status, 200, "{body}");
    let (status, _) = p.login(json!({"totp": p.code(&totp, 0)})).await;
    assert_eq!(status, 422, "replayed in one request too");
    let (status, body) = p.login(json!({"recovery_code": codes[1]})).await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = p
        .login(json!({"totp": "000000", "recovery_code": codes[2]}))
        .await;
    assert_eq!(status, 400, "{body}");

    // A foreign or malformed challenge, or a wrong shape.
    let other = Profile::new(|_| {}).await;
    let (status, _) = other
        .second_step(&challenge, json!({"recovery_code": codes[3]}))
        .await;
    assert_eq!(status, 422, "another company's challenge");
    for bad in ["", "x", &"A".repeat(64)] {
        let (status, body) = p.second_step(bad, json!({"totp": "123456"})).await;
        assert_eq!((status, body), (422, failed_login()));
    }
    let (status, _) = p
        .second_step(&challenge, json!({"totp": "1", "password": PASSWORD}))
        .await;
    assert_eq!(status, 400);

    // The trail: each step, and no secret in any event.
    let events = p.events().await;
    let types: Vec<&str> = events.iter().map(|e| e["type"].as_str().unwrap()).collect();
    for wanted in [
        "two_factor.enrolled",
        "two_factor.challenged",
        "two_factor.succeeded",
        "two_factor.failed",
    ] {
        assert!(types.contains(&wanted), "{wanted}: {types:?}");
    }
    let reasons: Vec<&str> = events.iter().filter_map(|e| e["reason"].as_str()).collect();
    assert!(reasons.contains(&"replayed_code"), "{reasons:?}");
    assert!(reasons.contains(&"expired"), "{reasons:?}");
    let text = serde_json::to_string(&events).unwrap();
    assert!(!text.contains(totp.secret.to_base32().as_str()));
    for code in &codes {
        assert!(!text.contains(code.as_str()));
    }
    assert!(!text.contains(&challenge));
}

#[tokio::test]
async fn enrolment_answers_and_refusals() {
    // No issuer of its own: its name is what authenticator apps show.
    let p = Profile::new(|value| {
        value["name"] = json!("Acme Corp");
        value["two_factor"]
            .as_object_mut()
            .unwrap()
            .remove("issuer");
    })
    .await;
    let (status, body) = p
        .two_factor(json!({"action": "enrol", "method": "totp"}))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["resource"], "Two Factor");
    let uri = body["data"]["otpauth_uri"].as_str().unwrap();
    let secret = body["data"]["secret"].as_str().unwrap();
    assert_eq!(secret.len(), 32, "160 bits in base32");
    assert_eq!(
        uri,
        format!(
            "otpauth://totp/Acme%20Corp:ana1%40example.com?secret={secret}&issuer=Acme%20Corp&algorithm=SHA1&digits=6&period=30"
        )
    );
    // A new enrol replaces the pending one: the first secret no longer confirms.
    let first = Totp {
        secret: TotpSecret::from_base32(secret).unwrap(),
        params: TotpParams::default(),
    };
    let (_, again) = p
        .two_factor(json!({"action": "enrol", "method": "totp"}))
        .await;
    assert_ne!(again["data"]["secret"], body["data"]["secret"]);
    let (status, body) = p
        .two_factor(json!({"action": "confirm", "method": "totp", "code": p.code(&first, 0)}))
        .await;
    assert_eq!(
        (status, body["errors"].as_str()),
        (422, Some("The code is not valid"))
    );
    // Not pending after 15 minutes.
    p.clock.advance(Duration::from_secs(16 * 60));
    let second = Totp {
        secret: TotpSecret::from_base32(again["data"]["secret"].as_str().unwrap()).unwrap(),
        params: TotpParams::default(),
    };
    let (status, _) = p
        .two_factor(json!({"action": "confirm", "method": "totp", "code": p.code(&second, 0)}))
        .await;
    assert_eq!(status, 409);

    let (totp, _) = p.enrol().await;
    let (status, body) = p
        .two_factor(json!({"action": "enrol", "method": "totp"}))
        .await;
    assert_eq!(
        (status, body["errors"].as_str()),
        (409, Some("Two factor method already enrolled"))
    );
    // The profile shows the factor, never its secret.
    let (status, shown) = show(&p.app, &p.company, &p.uuid, false).await;
    assert_eq!(status, 200);
    let list = shown["data"]["two_factor_authentication"]
        .as_array()
        .unwrap();
    assert_eq!(list.len(), 2);
    assert_eq!(list[0]["method"], "totp");
    assert!(list[0]["id"].is_string() && list[0]["created_at"].is_string());
    assert!(!shown.to_string().contains(totp.secret.to_base32().as_str()));

    for (request, status) in [
        (json!({"action": "enrol", "method": "sms"}), 400),
        (json!({"action": "forget"}), 400),
        (json!({"action": "enrol"}), 400),
    ] {
        assert_eq!(p.two_factor(request.clone()).await.0, status, "{request}");
    }
    // Unknown profile; inactive profile.
    let missing = Profile {
        uuid: uuid::Uuid::new_v4().to_string(),
        app: Arc::clone(&p.app),
        clock: p.clock.clone(),
        company: p.company.clone(),
    };
    let (status, _) = missing
        .two_factor(json!({"action": "enrol", "method": "totp"}))
        .await;
    assert_eq!(status, 404);

    // A company that does not offer TOTP.
    let none = Profile::new(|value| value["two_factor"] = json!({"methods": []})).await;
    let (status, body) = none
        .two_factor(json!({"action": "enrol", "method": "totp"}))
        .await;
    assert_eq!(
        (status, body["errors"].as_str()),
        (400, Some("Two factor method not offered by the company"))
    );
}

#[tokio::test]
async fn remove_regenerate_and_reset() {
    let p = Profile::new(|value| value["two_factor"] = json!({"reset_scope": "support"})).await;
    let (totp, codes) = p.enrol().await;

    // Regenerate with a current code: ten new codes, the old ones stop working.
    p.tick();
    let (status, body) = p
        .two_factor(
            json!({"action": "regenerate", "method": "recovery_codes", "code": p.code(&totp, 0)}),
        )
        .await;
    assert_eq!(
        (status, &body["message"]),
        (200, &json!("Regenerated")),
        "{body}"
    );
    let fresh: Vec<String> = body["data"]["recovery_codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_owned())
        .collect();
    assert_eq!(fresh.len(), 10);
    let (status, _) = p.login(json!({"recovery_code": codes[0]})).await;
    assert_eq!(status, 422, "an old code no longer works");
    // The same TOTP step cannot regenerate twice.
    let (status, _) = p
        .two_factor(
            json!({"action": "regenerate", "method": "recovery_codes", "code": p.code(&totp, 0)}),
        )
        .await;
    assert_eq!(status, 422);

    // Remove with a recovery code: every factor and the codes gone.
    let (status, body) = p
        .two_factor(json!({"action": "remove", "method": "totp", "code": "nope"}))
        .await;
    assert_eq!(
        (status, body["errors"].as_str()),
        (422, Some("The code is not valid"))
    );
    let (status, body) = p
        .two_factor(json!({"action": "remove", "method": "totp", "code": fresh[4]}))
        .await;
    assert_eq!(
        (status, &body["message"]),
        (200, &json!("Removed")),
        "{body}"
    );
    assert_eq!(body["data"]["two_factor_authentication"], json!([]));
    let (status, body) = p.login(json!({})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["two_factor_authentication"], json!([]));
    let items = scan_company(&p.app, &p.company).await;
    assert!(
        items.iter().all(|item| kind(item) != "second_factor"),
        "nothing of the factors is left"
    );

    // Reset: only with the company's scope, then recorded with its reason.
    p.enrol().await;
    let (status, _) = p.two_factor(json!({"action": "reset"})).await;
    assert_eq!(status, 403, "no `support` scope");
    let scoped = token_with_scope(&p.company, "support");
    let (status, body) = p.two_factor_with(json!({"action": "reset"}), &scoped).await;
    assert_eq!(
        (status, &body["message"]),
        (200, &json!("Removed")),
        "{body}"
    );
    let (status, _) = p.two_factor_with(json!({"action": "reset"}), &scoped).await;
    assert_eq!(status, 409, "nothing left to reset");
    let (status, body) = p.login(json!({})).await;
    assert_eq!(status, 200, "{body}");
    let events = p.events().await;
    let reset = events
        .iter()
        .find(|e| e["type"] == "two_factor.removed" && e["reason"] == "reset")
        .expect("the reset is recorded");
    assert_eq!(reset["outcome"], "success");
    assert!(
        events
            .iter()
            .any(|e| e["type"] == "recovery_codes.regenerated")
    );
}

#[tokio::test]
async fn wrong_codes_lock_the_second_factor_with_doubling_waits() {
    let p = Profile::new(|value| {
        value["two_factor"] =
            json!({"max_failures": 3, "base_delay_seconds": 60, "max_delay_seconds": 600})
    })
    .await;
    let (totp, codes) = p.enrol().await;
    p.tick();
    let challenge = p.challenge().await;
    for _ in 0..3 {
        let (status, _) = p.second_step(&challenge, json!({"totp": "000000"})).await;
        assert_eq!(status, 422);
    }
    // Locked: the right code and a recovery code are refused alike.
    let (status, body) = p
        .second_step(&challenge, json!({"totp": p.code(&totp, 0)}))
        .await;
    assert_eq!((status, body), (422, failed_login()));
    let (status, _) = p.login(json!({"recovery_code": codes[0]})).await;
    assert_eq!(status, 422);
    // The password's own lockout is not what stopped it: its failures were cleared.
    let item = password_item(&p.app, &p.company, &p.uuid).await;
    assert!(!item.contains_key("failed_logins"), "{item:?}");
    // After the wait, the right code works, and clears the count.
    p.clock.advance(Duration::from_secs(61));
    let (status, body) = p.login(json!({"totp": p.code(&totp, 0)})).await;
    assert_eq!(status, 200, "{body}");
    let events = p.events().await;
    assert!(events.iter().any(|e| e["reason"] == "locked"));
    assert!(events.iter().any(|e| e["reason"] == "wrong_code"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_code_in_concurrent_second_steps_logs_in_once() {
    // The replays each count as a wrong code: a limit above them, so the lockout (tested on
    // its own) does not stop the second round.
    let p =
        Arc::new(Profile::new(|value| value["two_factor"] = json!({"max_failures": 100})).await);
    let (totp, codes) = p.enrol().await;
    p.tick();
    for credentials in [
        json!({"totp": p.code(&totp, 0)}),
        json!({"recovery_code": codes[5]}),
    ] {
        let mut challenges = Vec::new();
        for _ in 0..8 {
            challenges.push(p.challenge().await);
        }
        let tasks: Vec<_> = challenges
            .into_iter()
            .map(|challenge| {
                let (p, credentials) = (Arc::clone(&p), credentials.clone());
                tokio::spawn(async move { p.second_step(&challenge, credentials).await })
            })
            .collect();
        let mut statuses = Vec::new();
        for task in tasks {
            let (status, body) = task.await.unwrap();
            assert!(status == 200 || body == failed_login(), "{status} {body}");
            statuses.push(status);
        }
        let logged_in = statuses.iter().filter(|s| **s == 200).count();
        assert_eq!(logged_in, 1, "{credentials}: {statuses:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_wrong_codes_never_pass_the_second_factors_limit() {
    let p = Profile::new(|_| {}).await;
    p.enrol().await;
    let (company, id, policy, record) = p.as_stored().await;
    let tasks: Vec<_> = (0..30)
        .map(|_| {
            let (app, company, policy) = (Arc::clone(&p.app), company.clone(), policy.clone());
            let factors = record.factors.clone();
            tokio::spawn(async move {
                app.store
                    .reserve_code_attempt(&company, id, &factors, &policy)
                    .await
                    .expect("a lost race is never an error")
            })
        })
        .collect();
    let mut counts = Vec::new();
    for task in tasks {
        if let CodeAttempt::Reserved(factors) = task.await.unwrap() {
            counts.push(factors.failures);
        }
    }
    counts.sort_unstable();
    assert_eq!(
        counts,
        vec![1, 2, 3, 4, 5],
        "each count handed out once, then the lock"
    );
}

#[tokio::test]
async fn a_company_that_requires_a_second_factor_refuses_the_password_alone() {
    let p = Profile::new(|value| value["two_factor"] = json!({"required": true})).await;
    let (status, body) = p.login(json!({})).await;
    assert_eq!(
        (status, body),
        (
            422,
            json!({"code": 422, "resource": "Profile", "message": "Second Factor Enrolment Required",
                   "errors": "A second factor must be enrolled before this profile can log in"})
        )
    );
    // A wrong password is still the uniform failure: the refusal says the password was right.
    let (status, body) = log_in(
        &p.app,
        &p.company,
        json!({"email": "ana1@example.com", "origin": "web", "password": "wrong wrong wrong 1"}),
    )
    .await;
    assert_eq!((status, body), (422, failed_login()));
    let (totp, _) = p.enrol().await;
    p.tick();
    let (status, body) = p.login(json!({"totp": p.code(&totp, 0)})).await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn erasure_takes_the_factors_and_challenges_with_the_profile() {
    let p = Profile::new(|_| {}).await;
    p.enrol().await;
    p.challenge().await;
    let req = request_to(
        "DELETE",
        &format!("/v1/companies/{}/profiles/{}", p.company, p.uuid),
        &[("company_id", &p.company), ("uuid", &p.uuid)],
        &token(&p.company),
        &json!(null),
    );
    let (status, _) =
        parts(idp_core::endpoints::delete_profile::handle(Arc::clone(&p.app), req).await);
    assert_eq!(status, 200);
    let left: Vec<String> = scan_company(&p.app, &p.company)
        .await
        .iter()
        .map(|item| kind(item).to_owned())
        .filter(|kind| kind != "event")
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

#[tokio::test]
async fn a_deactivated_profile_answers_409_only_after_its_second_factor() {
    let p = Profile::new(|_| {}).await;
    let (totp, _) = p.enrol().await;
    let req = request_to(
        "PATCH",
        &format!("/v1/companies/{}/profiles/{}/status", p.company, p.uuid),
        &[("company_id", &p.company), ("uuid", &p.uuid)],
        &token(&p.company),
        &json!({"operation": "deactivate"}),
    );
    let (status, _) =
        parts(idp_core::endpoints::profile_status::handle(Arc::clone(&p.app), req).await);
    assert_eq!(status, 200);
    // The password alone tells nothing of the state: the same challenge as ever.
    let challenge = p.challenge().await;
    let (status, _) = p.second_step(&challenge, json!({"totp": "000000"})).await;
    assert_eq!(status, 422);
    p.tick();
    let (status, body) = p
        .second_step(&challenge, json!({"totp": p.code(&totp, 0)}))
        .await;
    assert_eq!(
        (status, body["errors"].as_str()),
        (409, Some("Profile is not active"))
    );
    // Changing its factors waits for it to be active again.
    let (status, _) = p.two_factor(json!({"action": "reset"})).await;
    assert_eq!(status, 409);
}

/// The race the concurrent test above may or may not produce on a given run, set up in order:
/// two requests count the same code, both find it valid, the first spends it; the second's
/// spend, conditioned on the revision its count returned, must lose, however the two
/// interleave in time.
#[tokio::test]
async fn a_code_counted_by_two_requests_is_spent_by_one() {
    use idp_core::store::{Spend, SpendOutcome};
    use idp_core::two_factor::{Challenge, Code, CodeCheck};

    let p = Profile::new(|_| {}).await;
    let (totp, _) = p.enrol().await;
    p.tick();
    let (company, id, policy, record) = p.as_stored().await;
    let code = p.code(&totp, 0);
    let now = p.clock.clock().now_seconds();
    let key = test_factor_key();
    let mut spends = Vec::new();
    for _ in 0..2 {
        // Both count from what they read before either counted.
        let attempt = p
            .app
            .store
            .reserve_code_attempt(&company, id, &record.factors, &policy)
            .await
            .unwrap();
        let CodeAttempt::Reserved(reserved) = attempt else {
            panic!("counted");
        };
        let check = reserved.check(&key, (&company, id), Code::Totp(&code), now);
        let Ok(CodeCheck::Valid(used)) = check else {
            panic!("valid for both: neither has spent it yet ({check:?})");
        };
        spends.push(Spend {
            next: reserved.after(&used),
            reserved: *reserved,
            used,
        });
    }
    let mut outcomes = Vec::new();
    for spend in &spends {
        let challenge = Challenge::parse(&p.challenge().await).unwrap();
        let events = [idp_core::audit::Event::success(
            idp_core::audit::EventType::TwoFactorSucceeded,
            id,
            &idp_core::audit::Trail {
                actor: idp_core::audit::Actor::default(),
                retention_days: 1,
            },
        )];
        let outcome = p
            .app
            .store
            .spend_with_challenge(&company, id, &challenge, spend, &events)
            .await
            .unwrap();
        outcomes.push(outcome);
    }
    // The first count is stale once the second is made: the second's spend is the one.
    assert!(
        matches!(outcomes[0], SpendOutcome::Raced(_)),
        "{:?}",
        outcomes[0]
    );
    assert_eq!(outcomes[1], SpendOutcome::Spent);
    // And spent, the code is gone for any later count.
    let record = p
        .app
        .store
        .second_factors(&company, id)
        .await
        .unwrap()
        .unwrap();
    let step = totp.step_of(now);
    assert_eq!(record.factors.last_step, Some(step));
}

#[tokio::test]
async fn a_password_changed_after_the_challenge_ends_it() {
    let p = Profile::new(|_| {}).await;
    let (totp, _) = p.enrol().await;
    let challenge = p.challenge().await;
    // The password changes (as a confirmed password change writes it) before the second step.
    p.clock.advance(Duration::from_secs(5));
    raw_client()
        .await
        .update_item()
        .table_name(&p.app.store.tables().profiles)
        .key(
            "PK",
            aws_sdk_dynamodb::types::AttributeValue::S(format!(
                "company#{}#profile#{}",
                p.company, p.uuid
            )),
        )
        .key(
            "SK",
            aws_sdk_dynamodb::types::AttributeValue::S("credential#password".into()),
        )
        .update_expression("SET password_set_at = :now")
        .expression_attribute_values(
            ":now",
            aws_sdk_dynamodb::types::AttributeValue::N(p.clock.clock().now_seconds().to_string()),
        )
        .send()
        .await
        .unwrap();
    p.tick();
    let (status, body) = p
        .second_step(&challenge, json!({"totp": p.code(&totp, 0)}))
        .await;
    assert_eq!(
        (status, body),
        (422, failed_login()),
        "issued for the old password"
    );
    // A challenge of the password as it is now works.
    let challenge = p.challenge().await;
    let (status, body) = p
        .second_step(&challenge, json!({"totp": p.code(&totp, 0)}))
        .await;
    assert_eq!(status, 200, "{body}");
}
