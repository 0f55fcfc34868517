//! Company configuration reads (§5.8–§5.10) through HTTP against the real binaries.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use blackbox_tests::{Api, fresh_company, fresh_company_with, token};
use serde_json::json;

#[tokio::test]
async fn the_demo_company_shows_its_forms_and_nothing_else() {
    let api = Api::new();
    let reply = api.get("/v1/companies/-1", &token("-1")).await;
    assert_eq!(
        (reply.status, reply.body),
        (
            200,
            json!({"code": 200, "resource": "Company Config", "message": "Found", "data": {
                "company_id": "-1",
                "company_name": "Test Company",
                "unique_fields": ["nin", "username", "email"],
                "unique_fields_relation": [["nin"], ["username"], ["email"]],
                "allowed_registers": [["nin_register", "test_idp"]],
                "allowed_logins": ["email_origin_password"]
            }})
        )
    );
}

#[tokio::test]
async fn a_company_shows_its_composite_sets_pairs_and_login_names() {
    let api = Api::new();
    let company = fresh_company_with(|c| {
        c["name"] = json!(null);
        c["identifier_sets"] = json!([["email", "origin"], ["phone_number"], ["nin"]]);
        c["information_providers"] = json!(["test_idp", "google"]);
        c["register_types"]["social"] =
            json!({"required": ["email"], "allowed": ["email", "origin"], "information_providers": ["google"]});
        c["login_forms"] = json!([
            {"identifiers": ["email", "origin"], "authenticators": ["password"]},
            {"name": "by_phone", "identifiers": ["phone_number"], "authenticators": ["password"]}
        ]);
    })
    .await;
    let reply = api
        .get(&format!("/v1/companies/{company}"), &token(&company))
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let data = &reply.body["data"];
    assert_eq!(data["company_id"], company.as_str());
    assert_eq!(data["company_name"], json!(null));
    assert_eq!(
        data["unique_fields"],
        json!(["email", "origin", "phone_number", "nin"])
    );
    assert_eq!(
        data["unique_fields_relation"],
        json!([["email", "origin"], ["phone_number"], ["nin"]])
    );
    // One load dated every pair at once: then by form, then provider.
    assert_eq!(
        data["allowed_registers"],
        json!([
            ["nin_register", "google"],
            ["nin_register", "test_idp"],
            ["social", "google"]
        ])
    );
    assert_eq!(
        data["allowed_logins"],
        json!(["email_origin_password", "by_phone"])
    );
    let text = reply.body.to_string();
    for internal in [
        "password_policy",
        "lockout",
        "min_length",
        "email_body",
        "token_ttl",
    ] {
        assert!(!text.contains(internal), "{internal} leaked: {text}");
    }
}

#[tokio::test]
async fn an_unknown_company_is_404_company_config() {
    let api = Api::new();
    // A valid id without a configuration, and one no configuration can have (65 characters).
    let too_long = "a".repeat(65);
    for company in ["nobody-here", too_long.as_str()] {
        let reply = api
            .get(&format!("/v1/companies/{company}"), &token(company))
            .await;
        assert_eq!(
            (reply.status, reply.body),
            (
                404,
                json!({"code": 404, "resource": "Company Config", "message": "Not found"})
            ),
            "{company}"
        );
    }
    // And the token of a company that exists may not look at one that does not.
    let known = fresh_company().await;
    let reply = api.get("/v1/companies/nobody-here", &token(&known)).await;
    assert_eq!(reply.status, 403);
}
