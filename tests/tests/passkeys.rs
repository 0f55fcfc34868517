//! Passkeys (§5.16) in a real browser: Debian's Chromium, headless, with the DevTools
//! Protocol's virtual WebAuthn authenticator (CTAP2, internal, resident keys, user
//! verification), driven by `tests/browser/authenticator.mjs`. The page
//! (`tests/browser/page.html`) fetches the options from the API through its own server, calls
//! `navigator.credentials.create/get` with `PublicKeyCredential.parse…OptionsFromJSON` and
//! sends `credential.toJSON()` back; the real functions verify it. Every exchange the page made
//! is checked here against `openapi.yaml` and fed to the secret scan.
//!
//! Enrol → passwordless → replayed assertion refused → the passkey as the second factor →
//! another origin refused → a cloned key (counter behind) refused → removed with a recovery
//! code → the removed credential refused → an enrolment from another origin refused.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

use blackbox_tests::{
    Api, REPO, SEED_LOGIN_BODY, add_password, base_url, create_seed_profile, fresh_company,
    openapi, remember_secrets, token,
};
use serde_json::{Value, json};

const PASSWORD: &str = "harbour violet canyon 4";
const PAGE: &str = "http://localhost:8080";
const OTHER_ORIGIN: &str = "http://localhost:8081";

/// The browser with its authenticator, and the page's servers.
struct Browser {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

impl Browser {
    fn start(company_token: &str) -> Self {
        // Beside the driver's node_modules, as the test issuer runs.
        let dir = format!("{REPO}/.local/browser");
        assert!(
            std::path::Path::new(&format!("{dir}/node_modules/playwright-core")).exists(),
            "playwright-core is not installed: run scripts/install-tools.sh"
        );
        for file in ["page.html", "app-server.mjs", "authenticator.mjs"] {
            std::fs::copy(
                format!("{REPO}/tests/browser/{file}"),
                format!("{dir}/{file}"),
            )
            .unwrap();
        }
        let mut child = Command::new("node")
            .arg("authenticator.mjs")
            .current_dir(&dir)
            .env("IDP_BASE_URL", base_url())
            .env("IDP_PAGE_TOKEN", company_token)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("node runs the browser driver");
        let stdin = child.stdin.take().unwrap();
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut ready = String::new();
        stdout.read_line(&mut ready).unwrap();
        assert!(
            ready.contains("\"ready\":true"),
            "the driver did not start: {ready:?}"
        );
        Self {
            child,
            stdin,
            stdout,
        }
    }

    fn ask(&mut self, request: Value) -> Value {
        writeln!(self.stdin, "{request}").unwrap();
        let mut line = String::new();
        self.stdout.read_line(&mut line).unwrap();
        let answer: Value = serde_json::from_str(&line)
            .unwrap_or_else(|e| panic!("the driver answered {line:?}: {e}"));
        assert!(answer.get("error").is_none(), "{request} -> {answer}");
        answer
    }

    /// `window.idp[function](...args)` on the page at `origin`: what it returned. Every
    /// request the page made is checked against openapi.yaml and its secrets remembered.
    fn page(&mut self, origin: &str, function: &str, args: Value) -> Value {
        let answer =
            self.ask(json!({"op": "page", "origin": origin, "fn": function, "args": args}));
        for exchange in answer["exchanges"].as_array().unwrap() {
            let request = exchange["request"].as_str().unwrap();
            let body = exchange["body"].as_str().unwrap();
            remember_secrets(request.as_bytes());
            remember_secrets(body.as_bytes());
            let path = exchange["path"].as_str().unwrap();
            let status = exchange["status"].as_u64().unwrap() as u16;
            let body: Value = serde_json::from_str(body).unwrap();
            openapi::check_response(exchange["method"].as_str().unwrap(), path, status, &body);
        }
        answer["result"].clone()
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = writeln!(self.stdin, "{}", json!({"op": "quit"}));
        let _ = self.child.wait();
    }
}

fn credentials() -> Value {
    let mut body: Value = serde_json::from_str(SEED_LOGIN_BODY).unwrap();
    body["credentials"]["password"] = json!(PASSWORD);
    body["credentials"].clone()
}

fn assert_refused(reply: &Value) {
    assert_eq!(reply["status"], 422, "{reply}");
    assert_eq!(reply["body"]["errors"], "Failed Login Attempt", "{reply}");
}

#[tokio::test]
async fn a_passkey_enrols_logs_in_alone_and_as_second_factor_and_every_forgery_is_refused() {
    let api = Api::new();
    let company = fresh_company().await;
    let uuid = create_seed_profile(&api, &company).await;
    add_password(&api, &company, &uuid, PASSWORD).await;
    let mut browser = Browser::start(&token(&company));

    // Enrol: creation options in WebAuthn's JSON form, a resident credential, recovery codes.
    let enrolled = browser.page(PAGE, "enrol", json!([company, uuid, "Laptop"]));
    let options = &enrolled["enrol"]["body"]["data"]["options"];
    assert_eq!(options["rp"]["id"], "localhost", "{enrolled}");
    assert_eq!(options["authenticatorSelection"]["residentKey"], "required");
    let confirm = &enrolled["confirm"];
    assert_eq!(confirm["status"], 200, "{enrolled}");
    assert_eq!(confirm["body"]["message"], "Enrolled");
    let recovery: Vec<String> = confirm["body"]["data"]["recovery_codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_owned())
        .collect();
    assert_eq!(recovery.len(), 10);
    let list = &confirm["body"]["data"]["two_factor_authentication"];
    let passkey = list
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["method"] == "passkey")
        .unwrap_or_else(|| panic!("{list}"))
        .clone();
    assert_eq!(passkey["name"], "Laptop");
    assert!(passkey["backup_eligible"].is_boolean() && passkey["backed_up"].is_boolean());
    let credential_id = enrolled["credential"]["id"].as_str().unwrap().to_owned();
    assert!(!list.to_string().contains(&credential_id), "{list}");

    // Passwordless: discoverable options (no allowCredentials), user verification required.
    let first = browser.page(PAGE, "passwordless", json!([company]));
    let options = &first["options"]["body"]["data"]["options"];
    assert_eq!(first["options"]["body"]["resource"], "Passkey Login");
    assert_eq!(options["userVerification"], "required", "{first}");
    assert!(
        options
            .get("allowCredentials")
            .is_none_or(|l| l.as_array().unwrap().is_empty())
    );
    assert_eq!(first["login"]["status"], 200, "{first}");
    assert_eq!(first["login"]["body"]["message"], "Found");
    assert_eq!(first["login"]["body"]["data"]["uuid"], uuid);

    // The same assertion again, with its challenge or with a new one: refused.
    let path = format!("/v1/companies/{company}/profiles/login/passkey");
    let replay = json!({"challenge": first["options"]["body"]["data"]["challenge"],
                        "credential": first["credential"]});
    assert_refused(&browser.page(PAGE, "call", json!(["POST", path, replay])));
    let fresh = browser.page(PAGE, "call", json!(["POST", path, {}]));
    let replay = json!({"challenge": fresh["body"]["data"]["challenge"],
                        "credential": first["credential"]});
    assert_refused(&browser.page(PAGE, "call", json!(["POST", path, replay])));

    // As the second factor: the password's 422 carries the profile's passkey options.
    let second = browser.page(PAGE, "secondFactor", json!([company, credentials()]));
    let data = &second["first"]["body"]["data"];
    assert_eq!(
        second["first"]["body"]["message"], "Second Factor Required",
        "{second}"
    );
    assert!(
        data["methods"]
            .as_array()
            .unwrap()
            .contains(&json!("passkey"))
    );
    assert_eq!(
        data["passkey_options"]["allowCredentials"][0]["id"],
        credential_id
    );
    assert_eq!(second["login"]["status"], 200, "{second}");
    assert_eq!(second["login"]["body"]["data"]["uuid"], uuid);

    // A page of another origin (same RP ID, another port): the browser signs, the IDP refuses.
    let elsewhere = browser.page(OTHER_ORIGIN, "passwordless", json!([company]));
    assert_refused(&elsewhere["login"]);
    let elsewhere = browser.page(
        OTHER_ORIGIN,
        "secondFactor",
        json!([company, credentials()]),
    );
    assert_refused(&elsewhere["login"]);

    // A cloned key: the authenticator's counter put behind what the IDP last saw.
    let before = browser.ask(json!({"op": "credentials"}))["result"][0]["signCount"]
        .as_u64()
        .unwrap();
    assert!(before >= 2, "{before}");
    browser.ask(json!({"op": "sign_count", "count": 0}));
    let cloned = browser.page(PAGE, "passwordless", json!([company]));
    assert_refused(&cloned["login"]);
    // The genuine key, ahead again, still works.
    browser.ask(json!({"op": "sign_count", "count": before + 10}));
    let genuine = browser.page(PAGE, "passwordless", json!([company]));
    assert_eq!(genuine["login"]["status"], 200, "{genuine}");

    // Removed with a recovery code: the last factor, so the recovery codes go too.
    let removed = api
        .patch(
            &format!("/v1/companies/{company}/profiles/{uuid}"),
            &token(&company),
            &json!({"operation": "two_factor", "two_factor": {"action": "remove",
                    "method": "passkey", "id": passkey["id"], "code": recovery[0]}}),
        )
        .await;
    assert_eq!(removed.status, 200, "{}", removed.body);
    assert_eq!(removed.body["data"]["two_factor_authentication"], json!([]));
    let gone = browser.page(PAGE, "passwordless", json!([company]));
    assert_refused(&gone["login"]);

    // An enrolment answered from a page of another origin: not verified.
    let foreign = browser.page(OTHER_ORIGIN, "enrol", json!([company, uuid, "Phone"]));
    assert_eq!(foreign["confirm"]["status"], 422, "{foreign}");
    assert_eq!(
        foreign["confirm"]["body"]["errors"],
        "The passkey could not be verified"
    );

    // The trail: every step, with its reason, and no credential material.
    let events = api
        .get(
            &format!("/v1/companies/{company}/profiles/{uuid}/events?limit=100"),
            &token(&company),
        )
        .await;
    let list = events.body["data"].as_array().unwrap();
    let has = |kind: &str, reason: Option<&str>| {
        list.iter()
            .any(|e| e["type"] == kind && reason.is_none_or(|r| e.to_string().contains(r)))
    };
    assert!(has("two_factor.enrolled", None));
    assert!(has("login.succeeded", None));
    assert!(
        has("two_factor.failed", Some("counter_regressed")),
        "{list:?}"
    );
    assert!(
        has("two_factor.failed", Some("passkey_not_verified")),
        "{list:?}"
    );
    assert!(has("two_factor.removed", None));
    let text = events.body.to_string();
    assert!(!text.contains(&credential_id));
}
