//! The audit trail against the served functions (API.md §5.13–§5.14): one profile walked
//! through its life leaves exactly its events, in order, readable after its erasure, with no
//! personal data; another company's token reads nothing.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use blackbox_tests::{
    Api, REPO, SEED_CREATE_BODY, fresh_company, fresh_company_with, mail_to, remember_secrets,
    token, token_in,
};
use serde_json::{Value, json};

const PASSWORD: &str = "lantern orbit meadow 7";
const NEW_PASSWORD: &str = "copper kettle sings at dawn";

#[tokio::test]
async fn a_profile_walked_through_its_life_leaves_exactly_its_events() {
    let api = Api::new();
    // The subject names the company, so the mail of this run is told from the others'.
    let company = fresh_company_with(|c| {
        let id = c["company_id"].as_str().unwrap().to_owned();
        c["password_change"]["email_subject"] = json!(format!("Your password change code ({id})"));
    })
    .await;
    let t = token(&company);
    let base = format!("/v1/companies/{company}/profiles");
    let mut body: Value = serde_json::from_str(SEED_CREATE_BODY).unwrap();
    body["options"]["active"] = json!(true);
    let created = api.post(&base, &t, &body).await;
    assert_eq!(created.status, 201, "{}", created.body);
    let uuid = created.body["data"]["uuid"].as_str().unwrap().to_owned();
    let profile = format!("{base}/{uuid}");

    let update = json!({"operation": "update", "profile": {"name": "Trinidad", "timezone": null}});
    assert_eq!(api.patch(&profile, &t, &update).await.status, 200);
    for operation in ["deactivate", "activate"] {
        let reply = api
            .patch(
                &format!("{profile}/status"),
                &t,
                &json!({ "operation": operation }),
            )
            .await;
        assert_eq!(reply.status, 200, "{}", reply.body);
    }
    let credentials = json!({"operation": "credentials", "credentials": {"password": PASSWORD}});
    assert_eq!(api.patch(&profile, &t, &credentials).await.status, 201);
    let login = |password: &str| json!({"credentials": {"email": "tlat@email.com", "origin": "test_idp", "password": password}});
    let wrong = api
        .post(&format!("{base}/login"), &t, &login("a wrong guess here"))
        .await;
    assert_eq!(wrong.status, 422);
    assert_eq!(
        api.post(&format!("{base}/login"), &t, &login(PASSWORD))
            .await
            .status,
        200
    );
    let change = format!("{base}/password");
    let request =
        json!({"operation": "request", "access_type": "email", "profile": "tlat@email.com"});
    assert_eq!(api.patch(&change, &t, &request).await.status, 200);
    let mail_token = token_in(&mail_to("tlat@email.com", &company).await);
    remember_secrets(json!({ "token": mail_token }).to_string().as_bytes());
    let confirm = json!({"operation": "confirm", "access_type": "email",
        "profile": "tlat@email.com", "token": mail_token, "password": NEW_PASSWORD});
    let confirmed = api.patch(&change, &t, &confirm).await;
    assert_eq!(confirmed.status, 200, "{}", confirmed.body);
    assert_eq!(api.delete(&profile, &t).await.status, 200);

    // Read after the erasure, by its uuid, newest first: exactly the walk, reversed.
    let trail = api.get(&format!("{profile}/events?limit=100"), &t).await;
    assert_eq!(trail.status, 200, "{}", trail.body);
    let events = trail.body["data"].as_array().unwrap();
    let seen: Vec<(&str, &str, Option<&str>)> = events
        .iter()
        .rev()
        .map(|e| {
            (
                e["type"].as_str().unwrap(),
                e["outcome"].as_str().unwrap(),
                e["reason"].as_str(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            ("profile.created", "success", None),
            ("profile.updated", "success", None),
            ("profile.deactivated", "success", None),
            ("profile.activated", "success", None),
            ("credential.created", "success", None),
            ("login.failed", "failure", Some("wrong_password")),
            ("login.succeeded", "success", None),
            ("password_change.requested", "success", None),
            ("password_change.confirmed", "success", None),
            ("profile.deleted", "success", None),
        ]
    );
    for event in events {
        assert_eq!(event["profile"], json!(uuid));
        assert_eq!(event["actor"]["client"], "blackbox-tests");
        assert!(
            event["request_id"]
                .as_str()
                .is_some_and(|id| !id.is_empty()),
            "{event}"
        );
        let text = event.to_string();
        for personal in [
            "tlat",
            "123456789",
            "trust",
            "latin",
            "+569",
            "Trinidad",
            "lantern",
            "copper",
            &mail_token,
        ] {
            assert!(!text.contains(personal), "{personal} in {text}");
        }
    }
    assert_eq!(events[8]["changed_fields"], json!(["name", "timezone"]));
    // Another company's token reads nothing, not even that there is a trail.
    let other = fresh_company().await;
    let foreign = api.get(&format!("{profile}/events"), &token(&other)).await;
    assert_eq!(
        (foreign.status, foreign.body),
        (403, json!({"code": 403, "message": "Forbidden"}))
    );
    let company_trail = api
        .get(&format!("/v1/companies/{company}/events"), &token(&other))
        .await;
    assert_eq!(company_trail.status, 403);
    // The company's trail holds the same ten.
    let all = api
        .get(&format!("/v1/companies/{company}/events?limit=100"), &t)
        .await;
    assert_eq!(all.body["data"].as_array().unwrap().len(), 10);
    // An unknown identifier's failure is recorded without a trace of what was typed.
    let unknown = json!({"credentials": {"email": "typed-by-nobody@example.com", "origin": "test_idp", "password": "nothing here"}});
    assert_eq!(
        api.post(&format!("{base}/login"), &t, &unknown)
            .await
            .status,
        422
    );
    let newest = api
        .get(
            &format!("/v1/companies/{company}/events?limit=1&type=login."),
            &t,
        )
        .await;
    let event = &newest.body["data"][0];
    assert_eq!(
        (event["profile"].clone(), event["reason"].clone()),
        (Value::Null, json!("unknown_identifier"))
    );
    assert!(!event.to_string().contains("typed-by-nobody"));

    // `idp-admin events` writes the same events as the API, as JSON Lines, for a SIEM.
    let output = std::process::Command::new(format!("{REPO}/target/debug/idp-admin"))
        .args(["events", "--company", &company, "--type", "profile."])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let lines: Vec<Value> = String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    let api_page = api
        .get(&format!("/v1/companies/{company}/events?type=profile."), &t)
        .await;
    assert_eq!(
        lines.len(),
        5,
        "created, updated, deactivated, activated, deleted"
    );
    assert_eq!(&json!(lines), &api_page.body["data"]);
}
