//! Update Profile (§5.11) and Delete Profile (§5.12) through HTTP against the real binaries.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use blackbox_tests::{
    Api, fresh_company, fresh_company_with, scan_everything, search_uuids, token,
};
use serde_json::{Value, json};

fn person(n: u32) -> Value {
    json!({"register_type": "nin_register", "information_provider": "test_idp",
           "profile": {"nin": format!("nin-{n}"), "name": "Ana", "lastname": "Soto",
                       "email": format!("ana{n}@example.com"), "username": format!("ana{n}"),
                       "phone_number": "+56912345678", "origin": "test_idp"},
           "options": {"active": true}})
}

async fn create(api: &Api, company: &str, body: &Value) -> String {
    let reply = api
        .post(
            &format!("/v1/companies/{company}/profiles"),
            &token(company),
            body,
        )
        .await;
    assert_eq!(reply.status, 201, "{}", reply.body);
    reply.body["data"]["uuid"].as_str().unwrap().to_owned()
}

async fn update(api: &Api, company: &str, uuid: &str, profile: Value) -> blackbox_tests::Reply {
    api.patch(
        &format!("/v1/companies/{company}/profiles/{uuid}"),
        &token(company),
        &json!({"operation": "update", "profile": profile}),
    )
    .await
}

#[tokio::test]
async fn an_update_changes_values_moves_identifiers_and_search_follows() {
    let api = Api::new();
    let company = fresh_company().await;
    let uuid = create(&api, &company, &person(1)).await;

    let reply = update(
        &api,
        &company,
        &uuid,
        json!({"email": " New.Address@Example.com ", "phone_number": null, "nationality": "chl"}),
    )
    .await;
    assert_eq!(
        (
            reply.status,
            &reply.body["message"],
            &reply.body["resource"]
        ),
        (200, &json!("Updated"), &json!("Profile")),
        "{}",
        reply.body
    );
    let data = &reply.body["data"];
    assert_eq!(data["uuid"], uuid.as_str());
    assert_eq!(data["email"], "new.address@example.com", "normalised");
    assert_eq!(data["phone_number"], Value::Null, "removed");
    assert_eq!(data["nationality"], "CHL");
    assert_eq!(data["nin"], "nin-1", "untouched");
    let shown = api
        .get(
            &format!("/v1/companies/{company}/profiles/{uuid}"),
            &token(&company),
        )
        .await;
    assert_eq!(&shown.body["data"], data, "Show gives what Update answered");

    // Search follows at once: the new value finds it, the old one and the removed one do not.
    assert_eq!(
        search_uuids(&api, &company, json!({"email": "new.address@example.com"})).await,
        vec![uuid.clone()]
    );
    assert!(
        search_uuids(&api, &company, json!({"email": "ana1@example.com"}))
            .await
            .is_empty()
    );
    assert!(
        search_uuids(&api, &company, json!({"phone_number": "+56912345678"}))
            .await
            .is_empty()
    );
    assert_eq!(
        search_uuids(&api, &company, json!({"nationality": "CHL"})).await,
        vec![uuid.clone()]
    );

    // The old e-mail is free for another profile at once; the new one is taken.
    let mut other = person(2);
    other["profile"]["email"] = json!("ana1@example.com");
    let other_uuid = create(&api, &company, &other).await;
    let taken = update(
        &api,
        &company,
        &other_uuid,
        json!({"email": "NEW.address@example.com"}),
    )
    .await;
    assert_eq!(
        (taken.status, &taken.body["errors"]),
        (400, &json!("Profile already present")),
        "{}",
        taken.body
    );
    let unchanged = api
        .get(
            &format!("/v1/companies/{company}/profiles/{other_uuid}"),
            &token(&company),
        )
        .await;
    assert_eq!(
        unchanged.body["data"]["email"], "ana1@example.com",
        "nothing changed"
    );
}

#[tokio::test]
async fn an_update_keeps_the_register_type_rules_and_answers_every_refusal() {
    let api = Api::new();
    let company = fresh_company_with(|config| {
        config["register_types"]["nin_register"]["allowed"] = json!([
            "nin",
            "username",
            "email",
            "name",
            "lastname",
            "phone_number",
            "origin"
        ]);
    })
    .await;
    let uuid = create(&api, &company, &person(1)).await;
    for (profile, status, needle) in [
        (
            json!({"timezone": "UTC"}),
            400,
            "not allowed by register type",
        ),
        (json!({"nin": null}), 400, "required fields"),
        (
            json!({"email": "not an e-mail"}),
            400,
            "Profile field `email`",
        ),
        (json!({"password": "x"}), 400, "password"),
        (json!({"email": 7}), 400, "`email`"),
        (json!({}), 400, "at least one"),
    ] {
        let reply = update(&api, &company, &uuid, profile.clone()).await;
        assert_eq!(reply.status, status, "{profile}: {}", reply.body);
        let errors = reply.body["errors"].as_str().unwrap_or_default();
        assert!(errors.contains(needle), "{profile}: {errors}");
        assert!(
            !errors.contains("not an e-mail"),
            "never the value: {errors}"
        );
    }
    // No identifier set left complete: nin stays (required), but the others can all go.
    let ok = update(
        &api,
        &company,
        &uuid,
        json!({"username": null, "email": null}),
    )
    .await;
    assert_eq!(
        ok.status, 200,
        "nin alone still completes a set: {}",
        ok.body
    );

    let path = format!("/v1/companies/{company}/profiles/{uuid}");
    let missing = format!("/v1/companies/{company}/profiles/{}", uuid::Uuid::new_v4());
    let reply = api
        .patch(
            &missing,
            &token(&company),
            &json!({"operation": "update", "profile": {"name": "B"}}),
        )
        .await;
    assert_eq!(reply.status, 404, "{}", reply.body);
    let reply = api
        .patch(&path, &token(&company), &json!({"operation": "update"}))
        .await;
    assert_eq!(reply.status, 400, "profile is required: {}", reply.body);
    let reply = api
        .patch(&path, &token(&company), &json!({"operation": "rename"}))
        .await;
    assert_eq!(
        reply.status, 501,
        "other operations keep their 501: {}",
        reply.body
    );
    let reply = api
        .patch(
            &path,
            &token("another-company"),
            &json!({"operation": "update", "profile": {"name": "B"}}),
        )
        .await;
    assert_eq!(reply.status, 403);

    let reply = api
        .patch(
            &format!("{path}/status"),
            &token(&company),
            &json!({"operation": "deactivate"}),
        )
        .await;
    assert_eq!(reply.status, 200);
    let reply = update(&api, &company, &uuid, json!({"name": "Bea"})).await;
    assert_eq!(
        (reply.status, &reply.body["errors"]),
        (409, &json!("Profile is not active"))
    );
}

#[tokio::test]
async fn an_e_mail_change_withdraws_a_pending_password_change_token() {
    let api = Api::new();
    // The subject names the company, so that this test reads its own mail.
    let company = fresh_company_with(|c| {
        let id = c["company_id"].as_str().unwrap().to_owned();
        c["password_change"]["email_subject"] = json!(format!("Your password change code ({id})"));
    })
    .await;
    let uuid = create(&api, &company, &person(3)).await;
    blackbox_tests::add_password(&api, &company, &uuid, "lantern orbit meadow 7").await;
    let requested = api
        .patch(
            &format!("/v1/companies/{company}/profiles/password"),
            &token(&company),
            &json!({"operation": "request", "access_type": "email", "profile": "ana3@example.com"}),
        )
        .await;
    assert_eq!(requested.status, 200, "{}", requested.body);
    let mail = blackbox_tests::mail_to("ana3@example.com", &company).await;
    let mailed = blackbox_tests::token_in(&mail);

    let reply = update(&api, &company, &uuid, json!({"email": "moved@example.com"})).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let confirm = api
        .patch(
            &format!("/v1/companies/{company}/profiles/password"),
            &token(&company),
            &json!({"operation": "confirm", "access_type": "username", "profile": "ana3",
                    "token": mailed, "password": "copper kettle sings at dawn"}),
        )
        .await;
    assert_eq!(
        confirm.status, 400,
        "the old mailbox's link must not work: {}",
        confirm.body
    );
    // The password and the login by the new e-mail still work.
    let login = api
        .post(
            &format!("/v1/companies/{company}/profiles/login"),
            &token(&company),
            &json!({"credentials": {"email": "moved@example.com", "origin": "test_idp",
                                    "password": "lantern orbit meadow 7"}}),
        )
        .await;
    assert_eq!(login.status, 200, "{}", login.body);
}

#[tokio::test]
async fn a_delete_erases_everything_and_frees_the_identifiers() {
    let api = Api::new();
    let company = fresh_company().await;
    let uuid = create(&api, &company, &person(4)).await;
    blackbox_tests::add_password(&api, &company, &uuid, "lantern orbit meadow 7").await;
    let path = format!("/v1/companies/{company}/profiles/{uuid}");

    let reply = api.delete(&path, &token(&company)).await;
    assert_eq!(
        (reply.status, &reply.body["message"], &reply.body["data"]),
        (200, &json!("Deleted"), &json!({"uuid": uuid})),
        "{}",
        reply.body
    );
    assert_eq!(
        api.delete(&path, &token(&company)).await.status,
        404,
        "a second delete"
    );
    assert_eq!(api.get(&path, &token(&company)).await.status, 404);
    assert!(
        search_uuids(&api, &company, json!({"email": "ana4@example.com"}))
            .await
            .is_empty()
    );
    assert!(search_uuids(&api, &company, json!({})).await.is_empty());

    // Nothing personal left in any table: not one identifier value, not the hash; the uuid
    // only in the audit trail's events, which record that the profile existed and was
    // erased, and hold no value of it (API.md §5.13).
    let everything = scan_everything().await;
    for needle in [
        uuid.as_str(),
        "ana4@example.com",
        "nin-4",
        "#4:ana4",
        "argon2",
    ] {
        let found: Vec<&String> = everything
            .iter()
            .filter(|i| i.contains(needle))
            .filter(|i| !(needle == uuid && i.contains("kind=event")))
            .collect();
        assert!(
            found.is_empty() || (needle == "argon2" && found.iter().all(|i| !i.contains(&company))),
            "{needle} survives: {found:?}"
        );
    }
    assert!(
        everything.iter().any(|i| i.contains("kind=event")
            && i.contains("event_type=profile.deleted")
            && i.contains(&uuid)),
        "the erasure's event"
    );
    // The identifiers register again at once.
    create(&api, &company, &person(4)).await;

    // An inactive profile is erased too; a foreign company's token cannot.
    let mut body = person(5);
    body["options"]["active"] = json!(false);
    let inactive = create(&api, &company, &body).await;
    let path = format!("/v1/companies/{company}/profiles/{inactive}");
    assert_eq!(
        api.delete(&path, &token("another-company")).await.status,
        403
    );
    assert_eq!(api.delete(&path, &token(&company)).await.status, 200);
    let bad = format!("/v1/companies/{company}/profiles/not-a-uuid");
    assert_eq!(api.delete(&bad, &token(&company)).await.status, 404);
}

/// Eight profiles race to take one e-mail: exactly one wins, the others get the 400, and the
/// reservation belongs to the winner.
#[tokio::test]
async fn eight_profiles_racing_for_one_e_mail_leave_one_owner() {
    let api = Api::new();
    let company = fresh_company().await;
    let mut uuids = Vec::new();
    for n in 10..18 {
        uuids.push(create(&api, &company, &person(n)).await);
    }
    let racers = uuids.iter().map(|uuid| {
        let (company, uuid) = (company.clone(), uuid.clone());
        tokio::spawn(async move {
            let reply = update(
                &Api::new(),
                &company,
                &uuid,
                json!({"email": "prize@example.com"}),
            )
            .await;
            (uuid, reply.status, reply.body)
        })
    });
    let mut winners = Vec::new();
    let mut refused = 0;
    for racer in racers.collect::<Vec<_>>() {
        let (uuid, status, body) = racer.await.unwrap();
        match status {
            200 => winners.push(uuid),
            400 => {
                assert_eq!(body["errors"], "Profile already present");
                refused += 1;
            }
            other => panic!("{other}: {body}"),
        }
    }
    assert_eq!((winners.len(), refused), (1, 7));
    let reservations: Vec<String> = scan_everything()
        .await
        .into_iter()
        .filter(|item| {
            item.contains(&format!(
                "PK=company#{company}#identifier#email#17:prize@example.com"
            ))
        })
        .collect();
    assert_eq!(reservations.len(), 1, "{reservations:?}");
    assert!(reservations[0].contains(&winners[0]), "{reservations:?}");
    assert_eq!(
        search_uuids(&api, &company, json!({"email": "prize@example.com"})).await,
        winners
    );
}
