//! Request and Confirm Password Change (§5.6) through HTTP against the real binaries: the token
//! travels by the local stack's mail files, as it would by e-mail.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use blackbox_tests::{
    Api, SEED_CONFIRM_BY_EMAIL, SEED_CONFIRM_BY_USERNAME, add_password, create_seed_profile,
    fresh_company_with, function_logs, mail_to, token, token_in,
};
use serde_json::{Value, json};

const OLD: &str = "lantern orbit meadow 7";
const NEW: &str = "copper kettle sings at dawn";

/// A company with the published example's profile, active, with password `OLD`.
async fn company_with_profile(api: &Api) -> String {
    // Tests run in parallel and share the example's address: the subject names the company, so
    // each test reads its own mail.
    let company = fresh_company_with(|c| {
        let id = c["company_id"].as_str().unwrap().to_owned();
        c["password_change"]["email_subject"] = json!(format!("Your password change code ({id})"));
    })
    .await;
    let uuid = create_seed_profile(api, &company).await;
    add_password(api, &company, &uuid, OLD).await;
    company
}

async fn change(api: &Api, company: &str, body: &Value) -> blackbox_tests::Reply {
    api.patch(
        &format!("/v1/companies/{company}/profiles/password"),
        &token(company),
        body,
    )
    .await
}

async fn login(api: &Api, company: &str, password: &str) -> u16 {
    api.post(
        &format!("/v1/companies/{company}/profiles/login"),
        &token(company),
        &json!({"credentials": {"email": "tlat@email.com", "origin": "test_idp", "password": password}}),
    )
    .await
    .status
}

#[tokio::test]
async fn the_published_confirm_examples_verbatim() {
    let api = Api::new();
    let company = company_with_profile(&api).await;
    let path = format!("/v1/companies/{company}/profiles/password");
    // No token was ever requested: the example's token is not valid.
    let by_email = api
        .send(
            "PATCH",
            &path,
            Some(&token(&company)),
            Some(SEED_CONFIRM_BY_EMAIL.as_bytes().to_vec()),
        )
        .await;
    assert_eq!(
        (by_email.status, by_email.body),
        (
            400,
            json!({"code": 400, "resource": "Confirm Change Password", "message": "Bad request",
                     "errors": "The token is not valid"})
        )
    );
    // The example's username belongs to no profile of this company.
    let by_username = api
        .send(
            "PATCH",
            &path,
            Some(&token(&company)),
            Some(SEED_CONFIRM_BY_USERNAME.as_bytes().to_vec()),
        )
        .await;
    assert_eq!(
        (by_username.status, by_username.body),
        (
            404,
            json!({"code": 404, "resource": "Profile", "message": "Not found"})
        )
    );
}

#[tokio::test]
async fn request_read_the_mail_confirm_and_log_in() {
    let api = Api::new();
    let company = company_with_profile(&api).await;
    let requested = change(
        &api,
        &company,
        &json!({"operation": "request", "access_type": "email", "profile": "TLAT@email.com"}),
    )
    .await;
    assert_eq!(
        (requested.status, requested.body),
        (
            200,
            json!({"code": 200, "resource": "Request Change Password", "message": "Ok"})
        )
    );
    let mail = mail_to("tlat@email.com", &company).await;
    let secret = token_in(&mail);

    let confirmed = change(
        &api,
        &company,
        &json!({"operation": "confirm", "access_type": "username", "profile": "tlat",
                "token": secret, "password": NEW}),
    )
    .await;
    assert_eq!(
        (confirmed.status, confirmed.body),
        (
            200,
            json!({"code": 200, "resource": "Confirm Change Password",
                     "data": "The password was changed successfully", "message": "Ok"})
        )
    );
    assert_eq!(login(&api, &company, NEW).await, 200);
    assert_eq!(login(&api, &company, OLD).await, 422);
    let reused = change(
        &api,
        &company,
        &json!({"operation": "confirm", "access_type": "email", "profile": "tlat@email.com",
                "token": secret, "password": "yet another fine passphrase"}),
    )
    .await;
    assert_eq!(reused.status, 400);

    // No log line of the functions carries the token or a password.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let logs = function_logs();
    assert!(
        logs.contains("password changed with a token"),
        "the logs were captured"
    );
    for secret in [secret.as_str(), NEW, OLD] {
        assert!(
            !logs.contains(secret),
            "{secret} appears in the function logs"
        );
    }
}

#[tokio::test]
async fn eight_concurrent_confirms_with_one_token_give_exactly_one_200() {
    let api = Api::new();
    let company = company_with_profile(&api).await;
    let requested = change(
        &api,
        &company,
        &json!({"operation": "request", "access_type": "username", "profile": "tlat"}),
    )
    .await;
    assert_eq!(requested.status, 200);
    let secret = token_in(&mail_to("tlat@email.com", &company).await);
    let tasks: Vec<_> = (0..8)
        .map(|n| {
            let (api, company, secret) = (api.clone(), company.clone(), secret.clone());
            tokio::spawn(async move {
                let body = json!({"operation": "confirm", "access_type": "email",
                    "profile": "tlat@email.com", "token": secret, "password": format!("{NEW} {n}")});
                change(&api, &company, &body).await.status
            })
        })
        .collect();
    let mut statuses = Vec::new();
    for task in tasks {
        statuses.push(task.await.unwrap());
    }
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        1,
        "{statuses:?}"
    );
    assert!(
        statuses.iter().all(|s| *s == 200 || *s == 400),
        "{statuses:?}"
    );
}
