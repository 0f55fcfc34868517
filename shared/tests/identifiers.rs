//! §6 "Identifiers are compared in a canonical form": NFKC, e-mail and username case-folded,
//! format characters (Unicode Cf) refused with a 400 naming the field, `nin` compared without
//! spaces, dots and hyphens. Two profiles can never hold identifiers that look the same;
//! reservations, search, login and password change all find a profile by any look-alike
//! spelling; the profile shows the value as sent, NFKC-normalised.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::Arc;

use common::*;
use idp_core::App;
use idp_core::endpoints::{login, search_profiles};
use serde_json::{Value, json};

fn profile(nin: &str, username: &str, email: &str) -> Value {
    let mut body = body_with(json!({"nin": nin, "name": "Ana", "lastname": "Soto",
        "username": username, "email": email, "origin": "test_idp"}));
    body["options"] = json!({"active": true});
    body
}

fn taken() -> (u16, Value) {
    (
        400,
        json!({"code": 400, "resource": "Profile", "message": "Bad request",
               "errors": "Profile already present"}),
    )
}

async fn search(app: &Arc<App>, company: &str, body: Value) -> Vec<String> {
    let (status, found) = call(
        app,
        search_profiles::handle,
        "POST",
        &format!("/v1/companies/{company}/profiles/query"),
        &[("company_id", company)],
        company,
        &body,
    )
    .await;
    assert_eq!(status, 200, "{found}");
    found["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["uuid"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn look_alike_identifiers_are_one_identifier() {
    let app = app().await;
    let company = fresh_company(&app).await;
    let (status, created) = create(
        &app,
        &company,
        &profile("12.345.678-5", "Admin", "Ana.Soto@Example.com"),
        None,
    )
    .await;
    assert_eq!(status, 201, "{created}");
    let uuid = created["data"]["uuid"].as_str().unwrap().to_owned();
    let (_, shown) = show(&app, &company, &uuid, false).await;
    assert_eq!(shown["data"]["nin"], "12.345.678-5", "shown as sent");
    assert_eq!(shown["data"]["username"], "Admin", "shown as sent");

    // Each of these looks like the first profile's nin, username or e-mail.
    for (n, (nin, username, email)) in [
        ("12345678-5", "other1", "other1@example.com"),
        ("123456785", "other2", "other2@example.com"),
        ("12 345 678-5", "other3", "other3@example.com"),
        ("99", "admin", "other4@example.com"),
        ("98", "ADMIN", "other5@example.com"),
        ("97", "ａｄｍｉｎ", "other6@example.com"),
        ("96", "other7", "ANA.SOTO@example.com"),
        ("95", "other8", "ａｎａ.ｓｏｔｏ@example.com"),
    ]
    .into_iter()
    .enumerate()
    {
        assert_eq!(
            create(&app, &company, &profile(nin, username, email), None).await,
            taken(),
            "{n}: {nin} {username} {email}"
        );
    }

    // Search and login find the profile by any look-alike spelling.
    for body in [
        json!({"nin": "123456785"}),
        json!({"nin": "12 345 678-5"}),
        json!({"username": "ADMIN"}),
        json!({"username": "ａｄｍｉｎ"}),
        json!({"email": "ana.soto@EXAMPLE.com"}),
        json!({"username": "admin", "nin": "12345678-5"}),
    ] {
        assert_eq!(
            search(&app, &company, body.clone()).await,
            vec![uuid.clone()],
            "{body}"
        );
    }
    let (status, _) = add_password(&app, &company, &uuid, "violet tractor umbrella 42").await;
    assert_eq!(status, 201);
    let (status, body) = call(
        &app,
        login::handle,
        "POST",
        &format!("/v1/companies/{company}/profiles/login"),
        &[("company_id", &company)],
        &company,
        &json!({"credentials": {"email": "ＡＮＡ.soto@example.com", "origin": "test_idp",
                                "password": "violet tractor umbrella 42"}}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn invisible_format_characters_are_refused_by_field() {
    let app = app().await;
    let company = fresh_company(&app).await;
    for (field, value) in [
        ("username", "admin\u{200B}"),
        ("username", "\u{202E}nimda"),
        ("username", "ad\u{00AD}min"),
        ("nin", "1234\u{2060}5678"),
        ("email", "admin\u{200D}@example.com"),
        ("origin", "test\u{FEFF}_idp"),
    ] {
        let mut body = profile("11111111", "someone", "someone@example.com");
        body["profile"][field] = json!(value);
        let (status, answer) = create(&app, &company, &body, None).await;
        assert_eq!(status, 400, "{field} {value:?}: {answer}");
        let errors = answer["errors"].as_str().unwrap();
        assert!(
            errors.contains(&format!("`{field}`"))
                && errors.contains("invisible format characters"),
            "{errors}"
        );
    }
    // Names may need joiners (Persian's zero-width non-joiner): not an identifier, kept.
    let mut body = profile("22222222", "persian", "persian@example.com");
    body["profile"]["name"] = json!("می\u{200C}خواهم");
    let (status, answer) = create(&app, &company, &body, None).await;
    assert_eq!(status, 201, "{answer}");
}
