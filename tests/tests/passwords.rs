//! Add New Password (§5.4), Login With Password (§5.3) and Activate/Deactivate (§5.5) through
//! HTTP against the real binaries, starting from the published examples.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use blackbox_tests::{
    Api, Reply, SEED_ACTIVATE_BODY, SEED_ADD_PASSWORD_BODY, SEED_CREATE_BODY, SEED_LOGIN_BODY,
    add_password, create_seed_profile, fresh_company, fresh_company_with, token,
};
use serde_json::{Value, json};

const PASSWORD: &str = "lantern orbit meadow 7";

async fn raw(api: &Api, method: &str, path: &str, company: &str, body: &str) -> Reply {
    api.send(
        method,
        path,
        Some(&token(company)),
        Some(body.as_bytes().to_vec()),
    )
    .await
}

fn login_with(password: &str) -> Value {
    let mut body: Value = serde_json::from_str(SEED_LOGIN_BODY).unwrap();
    body["credentials"]["password"] = json!(password);
    body
}

fn conflict(errors: &str) -> Value {
    json!({"code": 409, "resource": "Profile", "message": "Conflict", "errors": errors})
}

#[tokio::test]
async fn the_published_examples_from_registration_to_login() {
    let api = Api::new();
    let company = fresh_company().await;
    let base = format!("/v1/companies/{company}/profiles");

    // Create Profile, verbatim: an inactive profile.
    let created = raw(&api, "POST", &base, &company, SEED_CREATE_BODY).await;
    assert_eq!(created.status, 201);
    let uuid = created.body["data"]["uuid"].as_str().unwrap().to_owned();
    let profile = format!("{base}/{uuid}");

    // Inactive: no password can be added yet.
    let reply = api
        .patch(
            &profile,
            &token(&company),
            &json!({"operation": "credentials",
        "credentials": {"password": PASSWORD}}),
        )
        .await;
    assert_eq!(
        (reply.status, reply.body),
        (409, conflict("Profile is not active"))
    );

    // Activate Profile, verbatim.
    let activated = raw(
        &api,
        "PATCH",
        &format!("{profile}/status"),
        &company,
        SEED_ACTIVATE_BODY,
    )
    .await;
    assert_eq!(activated.status, 200);
    assert_eq!(activated.body["message"], "Activated");
    assert_eq!(activated.body["resource"], "Profile");
    assert_eq!(activated.body["data"]["active"], true);
    assert_eq!(activated.body["data"]["uuid"], json!(uuid));
    assert_eq!(activated.body["data"]["trusted_fields"], json!({}));
    let again = raw(
        &api,
        "PATCH",
        &format!("{profile}/status"),
        &company,
        SEED_ACTIVATE_BODY,
    )
    .await;
    assert_eq!(
        (again.status, again.body),
        (409, conflict("Profile is already active"))
    );

    // Add New Password, verbatim: the mask is 7 characters, below the policy's minimum.
    let masked = raw(&api, "PATCH", &profile, &company, SEED_ADD_PASSWORD_BODY).await;
    assert_eq!(
        (masked.status, masked.body),
        (
            422,
            json!({"code": 422, "resource": "Profile Credential", "message": "Fail",
                     "errors": "Password must be at least 8 characters long"})
        )
    );
    let body = SEED_ADD_PASSWORD_BODY.replace("*******", PASSWORD);
    let added = raw(&api, "PATCH", &profile, &company, &body).await;
    assert_eq!(
        (added.status, added.body),
        (
            201,
            json!({"code": 201, "resource": "Profile Credential", "message": "1 new credentials created"})
        )
    );
    let twice = raw(&api, "PATCH", &profile, &company, &body).await;
    assert_eq!(
        (twice.status, twice.body),
        (
            422,
            json!({"code": 422, "resource": "Profile Credential", "message": "Fail",
                     "errors": "No new credentials were created"})
        )
    );

    // Login With Password, verbatim: the mask is not the password.
    let login = format!("{base}/login");
    let failed = raw(&api, "POST", &login, &company, SEED_LOGIN_BODY).await;
    assert_eq!(
        (failed.status, failed.body),
        (
            422,
            json!({"code": 422, "resource": "Profile", "message": "Fail", "errors": "Failed Login Attempt"})
        )
    );
    let ok = api
        .post(&login, &token(&company), &login_with(PASSWORD))
        .await;
    assert_eq!(ok.status, 200);
    assert_eq!(
        ok.body,
        json!({"code": 200, "resource": "Profile", "data": {
            "uuid": uuid, "nin": "123456789", "username": "tlat", "phone_number": "+56912345678",
            "email": "tlat@email.com", "origin": "test_idp", "name": "trust", "lastname": "latin",
            "birthday": "12-03-4567", "nationality": "CHL", "timezone": "UTC",
            "trusted_fields": {}, "field_expiration_time": {}, "two_factor_authentication": [],
            "active": true, "identification_provider": "test_idp"}, "message": "Found"})
    );

    // Deactivated: the right password is told the profile is not active, the wrong one is not.
    let deactivated = api
        .patch(
            &format!("{profile}/status"),
            &token(&company),
            &json!({"operation": "deactivate"}),
        )
        .await;
    assert_eq!(
        (deactivated.status, &deactivated.body["message"]),
        (200, &json!("Deactivated"))
    );
    let inactive = api
        .post(&login, &token(&company), &login_with(PASSWORD))
        .await;
    assert_eq!(
        (inactive.status, inactive.body),
        (409, conflict("Profile is not active"))
    );
    let wrong = raw(&api, "POST", &login, &company, SEED_LOGIN_BODY).await;
    assert_eq!(wrong.status, 422);
    let twice = api
        .patch(
            &format!("{profile}/status"),
            &token(&company),
            &json!({"operation": "deactivate"}),
        )
        .await;
    assert_eq!(
        (twice.status, twice.body),
        (409, conflict("Profile is already inactive"))
    );
}

#[tokio::test]
async fn other_operations_and_bad_credentials() {
    let api = Api::new();
    let company = fresh_company().await;
    let base = format!("/v1/companies/{company}/profiles");
    let uuid = create_seed_profile(&api, &company).await;
    let profile = format!("{base}/{uuid}");

    let reply = api
        .patch(&profile, &token(&company), &json!({"operation": "remove"}))
        .await;
    assert_eq!(
        (reply.status, reply.body),
        (
            501,
            json!({"code": 501, "resource": "Profile", "message": "Not Implemented"})
        )
    );
    let reply = api
        .patch(
            &profile,
            &token(&company),
            &json!({"operation": "credentials", "credentials": {"pin": "1234"}}),
        )
        .await;
    assert_eq!(
        (reply.status, reply.body),
        (
            422,
            json!({"code": 422, "resource": "Profile Credentials", "message": "Fail",
            "errors": "Profile Credentials must be formatted as a Map<String:String> and contain at least one valid value"})
        )
    );
    let reply = api
        .patch(
            &format!("{profile}/status"),
            &token(&company),
            &json!({"operation": "suspend"}),
        )
        .await;
    assert_eq!(
        (reply.status, &reply.body["resource"]),
        (400, &json!("Profile"))
    );
    let reply = api
        .post(
            &format!("{base}/login"),
            &token(&company),
            &json!({"credentials": {"username": "tlat", "password": PASSWORD}}),
        )
        .await;
    assert_eq!(
        (reply.status, reply.body),
        (
            400,
            json!({"code": 400, "resource": "Profile", "message": "Bad request",
                     "errors": "Credentials do not match any login form of the company"})
        )
    );
}

#[tokio::test]
async fn ten_concurrent_first_passwords_give_exactly_one_201() {
    let api = Api::new();
    let company = fresh_company().await;
    let uuid = create_seed_profile(&api, &company).await;
    let path = format!("/v1/companies/{company}/profiles/{uuid}");
    let tasks: Vec<_> = (0..10)
        .map(|n| {
            let (api, company, path) = (api.clone(), company.clone(), path.clone());
            tokio::spawn(async move {
                let body = json!({"operation": "credentials", "credentials": {"password": format!("{PASSWORD} {n}")}});
                api.patch(&path, &token(&company), &body).await
            })
        })
        .collect();
    let mut statuses = Vec::new();
    for task in tasks {
        statuses.push(task.await.unwrap().status);
    }
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        1,
        "{statuses:?}"
    );
    assert!(
        statuses.iter().all(|s| *s == 201 || *s == 422),
        "{statuses:?}"
    );
}

#[tokio::test]
async fn lockout_refuses_even_the_right_password_until_the_wait_is_over() {
    let api = Api::new();
    let company = fresh_company_with(|c| {
        c["lockout_policy"] =
            json!({"lock_after_failures": 2, "base_delay_seconds": 2, "max_delay_seconds": 2});
    })
    .await;
    let base = format!("/v1/companies/{company}/profiles");
    let uuid = create_seed_profile(&api, &company).await;
    add_password(&api, &company, &uuid, PASSWORD).await;
    let login = format!("{base}/login");
    for _ in 0..2 {
        assert_eq!(
            api.post(&login, &token(&company), &login_with("wrong horse"))
                .await
                .status,
            422
        );
    }
    let locked = api
        .post(&login, &token(&company), &login_with(PASSWORD))
        .await;
    assert_eq!(
        (locked.status, locked.body),
        (
            422,
            json!({"code": 422, "resource": "Profile", "message": "Fail", "errors": "Failed Login Attempt"})
        )
    );
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    assert_eq!(
        api.post(&login, &token(&company), &login_with(PASSWORD))
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn another_companys_profile_cannot_be_changed() {
    let api = Api::new();
    let owner = fresh_company().await;
    let other = fresh_company().await;
    let uuid = create_seed_profile(&api, &owner).await;
    let foreign = format!("/v1/companies/{other}/profiles/{uuid}");
    let not_found = json!({"code": 404, "resource": "Profile", "message": "Not found"});
    let add = json!({"operation": "credentials", "credentials": {"password": PASSWORD}});
    let reply = api.patch(&foreign, &token(&other), &add).await;
    assert_eq!((reply.status, &reply.body), (404, &not_found));
    let reply = api
        .patch(
            &format!("{foreign}/status"),
            &token(&other),
            &json!({"operation": "deactivate"}),
        )
        .await;
    assert_eq!((reply.status, &reply.body), (404, &not_found));
    // And the owner's profile is untouched.
    let shown = api
        .get(
            &format!("/v1/companies/{owner}/profiles/{uuid}"),
            &token(&owner),
        )
        .await;
    assert_eq!(shown.body["data"]["active"], true);
}
