//! Create Profile (§5.1) through HTTP against the real binaries.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use blackbox_tests::{Api, SEED_CREATE_BODY, SEED_CREATE_FIELDS, fresh_company, token};
use serde_json::{Value, json};

fn seed_body() -> Value {
    serde_json::from_str(SEED_CREATE_BODY).unwrap()
}

async fn create(api: &Api, company: &str, body: &Value, query: &str) -> blackbox_tests::Reply {
    api.post(
        &format!("/v1/companies/{company}/profiles{query}"),
        &token(company),
        body,
    )
    .await
}

#[tokio::test]
async fn the_published_example_creates_an_inactive_profile() {
    let api = Api::new();
    let company = fresh_company().await;
    // The example's body, byte for byte, with the example's `?fields=`.
    let reply = api
        .send(
            "POST",
            &format!("/v1/companies/{company}/profiles?fields={SEED_CREATE_FIELDS}"),
            Some(&token(&company)),
            Some(SEED_CREATE_BODY.as_bytes().to_vec()),
        )
        .await;
    assert_eq!(reply.status, 201, "{}", reply.body);
    let uuid = reply.body["data"]["uuid"].as_str().unwrap().to_owned();
    assert_eq!(
        reply.body,
        json!({"code": 201, "resource": "Profile", "data": {
            "uuid": uuid, "nin": "123456789", "phone_number": "+56912345678",
            "email": "tlat@email.com", "origin": "test_idp", "name": "trust", "lastname": "latin",
            "identification_provider": "test_idp"}, "message": "Created"})
    );

    // `options.active: false`: hidden from Show unless asked for.
    let path = format!("/v1/companies/{company}/profiles/{uuid}");
    let hidden = api.get(&path, &token(&company)).await;
    assert_eq!(
        (hidden.status, hidden.body),
        (
            404,
            json!({"code": 404, "resource": "Profile", "message": "Not found"})
        )
    );
    let shown = api
        .get(&format!("{path}?disabled_profile=true"), &token(&company))
        .await;
    assert_eq!(shown.status, 200);
    assert_eq!(
        shown.body,
        json!({"code": 200, "resource": "Profile", "data": {
            "uuid": uuid, "nin": "123456789", "username": "tlat", "phone_number": "+56912345678",
            "email": "tlat@email.com", "origin": "test_idp", "name": "trust", "lastname": "latin",
            "birthday": "12-03-4567", "nationality": "CHL", "timezone": "UTC",
            "trusted_fields": {}, "field_expiration_time": {}, "two_factor_authentication": [],
            "active": false, "identification_provider": "test_idp"}, "message": "Found"})
    );
}

#[tokio::test]
async fn without_fields_the_answer_is_uuid_and_provider() {
    let api = Api::new();
    let company = fresh_company().await;
    let reply = create(&api, &company, &seed_body(), "").await;
    assert_eq!(reply.status, 201);
    let data = reply.body["data"].as_object().unwrap();
    assert_eq!(
        data.keys().collect::<Vec<_>>(),
        vec!["uuid", "identification_provider"]
    );
}

#[tokio::test]
async fn fields_not_in_the_body_come_back_null() {
    let api = Api::new();
    let company = fresh_company().await;
    let body = json!({"register_type": "nin_register", "information_provider": "test_idp",
        "profile": {"nin": "123456789", "name": "trust", "lastname": "latin"},
        "options": {"active": false}});
    let reply = create(
        &api,
        &company,
        &body,
        "?fields=nin,phone_number,email,name,lastname",
    )
    .await;
    assert_eq!(reply.status, 201);
    let uuid = reply.body["data"]["uuid"].clone();
    // The second published 201 example ("New Profile Not Active").
    assert_eq!(
        reply.body,
        json!({"code": 201, "resource": "Profile", "data": {"uuid": uuid, "nin": "123456789",
            "phone_number": null, "email": null, "name": "trust", "lastname": "latin",
            "identification_provider": "test_idp"}, "message": "Created"})
    );
}

fn bad_request(errors: &str) -> Value {
    json!({"code": 400, "resource": "Profile", "message": "Bad request", "errors": errors})
}

#[tokio::test]
async fn every_documented_400() {
    let api = Api::new();
    let company = fresh_company().await;
    assert_eq!(create(&api, &company, &seed_body(), "").await.status, 201);

    let mut no_identifiers = seed_body();
    for field in ["nin", "username", "email"] {
        no_identifiers["profile"]
            .as_object_mut()
            .unwrap()
            .remove(field);
    }
    let mut no_required = seed_body();
    no_required["profile"] = json!({"email": "other@email.com", "name": "trust"});
    let mut same_email_other_case = seed_body();
    same_email_other_case["profile"] = json!({"nin": "999", "name": "a", "lastname": "b",
        "email": "TLAT@Email.com"});

    let cases = [
        (
            no_identifiers,
            "Profile does not have the required identifiers to register under the company rules",
        ),
        (
            no_required,
            "Profile does not have the required fields to register under the company rules",
        ),
        (seed_body(), "Profile already present"),
        (same_email_other_case, "Profile already present"),
    ];
    for (body, errors) in cases {
        let reply = create(&api, &company, &body, "").await;
        assert_eq!(
            (reply.status, reply.body),
            (400, bad_request(errors)),
            "{body}"
        );
    }
}

#[tokio::test]
async fn invalid_values_are_named() {
    let api = Api::new();
    let company = fresh_company().await;
    let with = |field: &str, value: Value| {
        let mut body = seed_body();
        body["profile"][field] = value;
        body
    };
    let cases = [
        (
            with("email", json!("tlat@")),
            "Profile field `email` is not a valid e-mail address",
        ),
        (
            with("phone_number", json!("912345678")),
            "Profile field `phone_number` must be an E.164 phone number such as +56912345678",
        ),
        (
            with("nationality", json!("CL")),
            "Profile field `nationality` must be an ISO 3166-1 alpha-3 country code such as CHL",
        ),
        (
            with("birthday", json!("31-02-2000")),
            "Profile field `birthday` is not a real calendar date",
        ),
        (
            with("nin", json!(123456789)),
            "Profile field `nin` must be a string",
        ),
        (
            with("name", json!("x".repeat(129))),
            "Profile field `name` is too long",
        ),
        (
            with("favourite_color", json!("blue")),
            "Unknown profile field `favourite_color`",
        ),
    ];
    for (body, errors) in cases {
        let reply = create(&api, &company, &body, "").await;
        assert_eq!(
            (reply.status, reply.body),
            (400, bad_request(errors)),
            "{body}"
        );
    }
    let mut provider = seed_body();
    provider["information_provider"] = json!("someone_else");
    let reply = create(&api, &company, &provider, "").await;
    assert_eq!(
        reply.body,
        bad_request("Unknown information_provider `someone_else`")
    );
    let reply = create(&api, &company, &seed_body(), "?fields=email,password").await;
    assert_eq!(
        reply.body,
        bad_request("Query parameter `fields` names an unknown field `password`")
    );
}

#[tokio::test]
async fn unknown_company_and_register_type_are_404() {
    let api = Api::new();
    let reply = create(&api, "never-loaded", &seed_body(), "").await;
    assert_eq!(
        (reply.status, reply.body),
        (
            404,
            json!({"code": 404, "resource": "Company Config", "message": "Not found"})
        )
    );
    let company = fresh_company().await;
    let mut body = seed_body();
    body["register_type"] = json!("email_register");
    let reply = create(&api, &company, &body, "").await;
    assert_eq!(
        (reply.status, reply.body),
        (
            404,
            json!({"code": 404, "resource": "Register Type", "message": "Not found"})
        )
    );
}

#[tokio::test]
async fn twenty_concurrent_creates_sharing_an_email_give_exactly_one_201() {
    let api = Api::new();
    let company = fresh_company().await;
    let mut tasks = Vec::new();
    for n in 0..20 {
        let api = api.clone();
        let company = company.clone();
        tasks.push(tokio::spawn(async move {
            let body = json!({"register_type": "nin_register", "information_provider": "test_idp",
                "profile": {"nin": format!("n{n}"), "username": format!("u{n}"),
                            "email": "race@email.com", "name": "a", "lastname": "b"}});
            create(&api, &company, &body, "").await
        }));
    }
    let mut statuses = Vec::new();
    for task in tasks {
        let reply = task.await.unwrap();
        if reply.status == 400 {
            assert_eq!(reply.body, bad_request("Profile already present"));
        }
        statuses.push(reply.status);
    }
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 400).count(),
        19,
        "{statuses:?}"
    );
}
