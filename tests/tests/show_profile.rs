//! Show Profile (§5.2) through HTTP against the real binaries.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use blackbox_tests::{Api, SEED_CREATE_BODY, fresh_company, token};
use serde_json::{Value, json};

#[tokio::test]
async fn an_active_profile_is_found_with_every_field() {
    let api = Api::new();
    let company = fresh_company().await;
    let mut body: Value = serde_json::from_str(SEED_CREATE_BODY).unwrap();
    body["options"]["active"] = json!(true);
    body["profile"].as_object_mut().unwrap().remove("birthday");
    let created = api
        .post(
            &format!("/v1/companies/{company}/profiles"),
            &token(&company),
            &body,
        )
        .await;
    let uuid = created.body["data"]["uuid"].as_str().unwrap();
    for query in ["", "?disabled_profile=true", "?disabled_profile=false"] {
        let reply = api
            .get(
                &format!("/v1/companies/{company}/profiles/{uuid}{query}"),
                &token(&company),
            )
            .await;
        assert_eq!(reply.status, 200, "{query}");
        assert_eq!(reply.body["message"], "Found");
        assert_eq!(reply.body["data"]["active"], true);
        assert_eq!(reply.body["data"]["birthday"], Value::Null);
    }
}

#[tokio::test]
async fn unknown_and_malformed_uuids_are_404() {
    let api = Api::new();
    let company = fresh_company().await;
    for uuid in [
        "ffffffff-ffff-ffff-ffff-ffffffffffff",
        "gggggggg-gggg-gggg-gggg-gggggggggggg",
        "not-a-uuid",
    ] {
        let reply = api
            .get(
                &format!("/v1/companies/{company}/profiles/{uuid}"),
                &token(&company),
            )
            .await;
        assert_eq!(
            (reply.status, reply.body),
            (
                404,
                json!({"code": 404, "resource": "Profile", "message": "Not found"})
            ),
            "{uuid}"
        );
    }
}

#[tokio::test]
async fn another_companys_profile_is_not_found() {
    let api = Api::new();
    let owner = fresh_company().await;
    let other = fresh_company().await;
    let created = api
        .post(
            &format!("/v1/companies/{owner}/profiles"),
            &token(&owner),
            &serde_json::from_str(SEED_CREATE_BODY).unwrap(),
        )
        .await;
    let uuid = created.body["data"]["uuid"].as_str().unwrap();
    let reply = api
        .get(
            &format!("/v1/companies/{other}/profiles/{uuid}?disabled_profile=true"),
            &token(&other),
        )
        .await;
    assert_eq!(reply.status, 404);
}

#[tokio::test]
async fn a_bad_disabled_profile_value_is_400() {
    let api = Api::new();
    let company = fresh_company().await;
    let reply = api
        .get(
            &format!("/v1/companies/{company}/profiles/ffffffff-ffff-ffff-ffff-ffffffffffff?disabled_profile=yes"),
            &token(&company),
        )
        .await;
    assert_eq!(
        (reply.status, reply.body),
        (
            400,
            json!({"code": 400, "resource": "Profile", "message": "Bad request",
                     "errors": "Query parameter `disabled_profile` must be true or false"})
        )
    );
}
