//! Second factors (§5.15) through HTTP against the real binaries, with an independent
//! authenticator: every code comes from Python's `pyotp` reading the `otpauth://` URI the API
//! handed out, as an authenticator app would. Enrol → confirm → login challenge → second step
//! → replay refused → recovery code once → one request → remove → `[]` → enrol again →
//! lockout → support's reset → `[]`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use blackbox_tests::{
    Api, SEED_LOGIN_BODY, add_password, authenticator, create_seed_profile, fresh_company,
    settled_step, token,
};
use serde_json::{Value, json};

const PASSWORD: &str = "lantern orbit meadow 7";

struct Session {
    api: Api,
    company: String,
    uuid: String,
    /// The newest step whose code was spent: every later code must come from after it.
    last_step: u64,
}

impl Session {
    fn profile_path(&self) -> String {
        format!("/v1/companies/{}/profiles/{}", self.company, self.uuid)
    }

    async fn two_factor(&self, request: Value) -> (u16, Value) {
        let reply = self
            .api
            .patch(
                &self.profile_path(),
                &token(&self.company),
                &json!({"operation": "two_factor", "two_factor": request}),
            )
            .await;
        (reply.status, reply.body)
    }

    async fn login(&self, body: Value) -> (u16, Value) {
        let reply = self
            .api
            .post(
                &format!("/v1/companies/{}/profiles/login", self.company),
                &token(&self.company),
                &body,
            )
            .await;
        (reply.status, reply.body)
    }

    fn credentials(extra: Value) -> Value {
        let mut body: Value = serde_json::from_str(SEED_LOGIN_BODY).unwrap();
        body["credentials"]["password"] = json!(PASSWORD);
        for (key, value) in extra.as_object().unwrap() {
            body["credentials"][key] = value.clone();
        }
        body
    }

    async fn challenge(&self) -> String {
        let (status, body) = self.login(Self::credentials(json!({}))).await;
        assert_eq!(status, 422, "{body}");
        assert_eq!(body["message"], "Second Factor Required", "{body}");
        body["data"]["challenge"].as_str().unwrap().to_owned()
    }

    /// A code no request has spent: the earliest step of the ±1 window after the last one
    /// spent. Near a step's end it waits for the next step, so the code is still in the
    /// window when the function checks it.
    fn fresh_code(&mut self, uri: &str) -> String {
        let step = (settled_step() - 1).max(self.last_step + 1);
        self.last_step = step;
        authenticator(uri, &[step])["codes"][0]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// Enrols and confirms a TOTP: its URI and the recovery codes.
    async fn enrol(&mut self) -> (String, Vec<String>) {
        let (status, body) = self
            .two_factor(json!({"action": "enrol", "method": "totp"}))
            .await;
        assert_eq!(
            (status, &body["message"]),
            (200, &json!("Pending")),
            "{body}"
        );
        let uri = body["data"]["otpauth_uri"].as_str().unwrap().to_owned();
        // The app reads what the API said: the secret, the issuer, the account, the defaults.
        let app = authenticator(&uri, &[]);
        assert_eq!(app["secret"], body["data"]["secret"]);
        assert_eq!(app["issuer"], "Test Company");
        assert_eq!(app["name"], "tlat@email.com");
        assert_eq!(
            (app["digits"].as_u64(), app["interval"].as_u64()),
            (Some(6), Some(30))
        );
        // A new secret: the last enrolment's steps mean nothing to it.
        self.last_step = 0;
        let code = self.fresh_code(&uri);
        let (status, body) = self
            .two_factor(json!({"action": "confirm", "method": "totp", "code": code}))
            .await;
        assert_eq!(
            (status, &body["message"]),
            (200, &json!("Enrolled")),
            "{body}"
        );
        let codes: Vec<String> = body["data"]["recovery_codes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c.as_str().unwrap().to_owned())
            .collect();
        (uri, codes)
    }
}

fn failed_login() -> Value {
    json!({"code": 422, "resource": "Profile", "message": "Fail", "errors": "Failed Login Attempt"})
}

#[tokio::test]
async fn an_authenticator_app_enrols_logs_in_and_recovers() {
    let api = Api::new();
    let company = fresh_company().await;
    let uuid = create_seed_profile(&api, &company).await;
    add_password(&api, &company, &uuid, PASSWORD).await;
    let mut s = Session {
        api,
        company,
        uuid,
        last_step: 0,
    };

    let (uri, codes) = s.enrol().await;
    assert_eq!(codes.len(), 10);
    let shown = s.api.get(&s.profile_path(), &token(&s.company)).await;
    let list = &shown.body["data"]["two_factor_authentication"];
    assert_eq!(list[0]["method"], "totp", "{}", shown.body);
    assert_eq!(list[1]["method"], "recovery_codes");
    assert_eq!(list[1]["remaining"], 10);

    // The password alone: the challenge, never the profile.
    let challenge = s.challenge().await;
    let code = s.fresh_code(&uri);
    let (status, body) = s
        .login(json!({"challenge": challenge, "credentials": {"totp": code}}))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["uuid"], s.uuid.as_str());

    // The same code again, on a new challenge: refused.
    let again = s.challenge().await;
    let (status, body) = s
        .login(json!({"challenge": again, "credentials": {"totp": code}}))
        .await;
    assert_eq!((status, body), (422, failed_login()));

    // A recovery code, once; the second time it is refused.
    let (status, body) = s
        .login(json!({"challenge": again, "credentials": {"recovery_code": codes[0]}}))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["two_factor_authentication"][1]["remaining"], 9);
    let third = s.challenge().await;
    let (status, body) = s
        .login(json!({"challenge": third, "credentials": {"recovery_code": codes[0]}}))
        .await;
    assert_eq!((status, body), (422, failed_login()));

    // Password and code in one request.
    let code = s.fresh_code(&uri);
    let (status, body) = s.login(Session::credentials(json!({"totp": code}))).await;
    assert_eq!(status, 200, "{body}");

    // Remove with a recovery code: the profile is back to a password alone.
    let (status, body) = s
        .two_factor(json!({"action": "remove", "method": "totp", "code": codes[1]}))
        .await;
    assert_eq!(
        (status, &body["message"]),
        (200, &json!("Removed")),
        "{body}"
    );
    let (status, body) = s.login(Session::credentials(json!({}))).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["two_factor_authentication"], json!([]));

    // Enrol again, then five wrong codes lock the second factor: a recovery code is refused
    // too, until support resets the profile's factors.
    let (uri, codes) = s.enrol().await;
    let challenge = s.challenge().await;
    for _ in 0..5 {
        let (status, body) = s
            .login(json!({"challenge": challenge, "credentials": {"totp": "000000"}}))
            .await;
        assert_eq!((status, body), (422, failed_login()));
    }
    let (status, body) = s
        .login(json!({"challenge": challenge, "credentials": {"recovery_code": codes[0]}}))
        .await;
    assert_eq!((status, body), (422, failed_login()), "locked");
    let code = s.fresh_code(&uri);
    let (status, _) = s.login(Session::credentials(json!({"totp": code}))).await;
    assert_eq!(status, 422, "locked, whatever the code");
    let (status, body) = s.two_factor(json!({"action": "reset"})).await;
    assert_eq!(
        (status, &body["message"]),
        (200, &json!("Removed")),
        "{body}"
    );
    let (status, body) = s.login(Session::credentials(json!({}))).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["two_factor_authentication"], json!([]));

    // The trail tells the story, with no code, secret or challenge in it.
    let events = s
        .api
        .get(
            &format!("{}/events?limit=100", s.profile_path()),
            &token(&s.company),
        )
        .await;
    let types: Vec<&str> = events.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap())
        .collect();
    for wanted in [
        "two_factor.enrolled",
        "two_factor.challenged",
        "two_factor.succeeded",
        "two_factor.failed",
        "two_factor.removed",
    ] {
        assert!(types.contains(&wanted), "{wanted}: {types:?}");
    }
    let text = events.body.to_string();
    for code in &codes {
        assert!(!text.contains(code.as_str()));
    }
    assert!(!text.contains(&challenge));
}
