//! Update and erasure racing each other, creates, logins and password changes (§5.11, §5.12):
//! whatever the interleaving, every answer is one the contract allows, and a scan of the
//! company afterwards finds no orphan reservation, no reservation without its profile, no
//! profile without its reservations, and no credential or token without its profile.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use blackbox_tests::{Api, Reply, add_password, assert_consistent, fresh_company_with, token};
use serde_json::{Value, json};

const PASSWORD: &str = "lantern orbit meadow 7";
const ROUNDS: u32 = 8;

fn person(n: u32) -> Value {
    json!({"register_type": "nin_register", "information_provider": "test_idp",
           "profile": {"nin": format!("nin-{n}"), "name": "Ana", "lastname": "Soto",
                       "email": format!("ana{n}@example.com"), "username": format!("ana{n}"),
                       "origin": "test_idp"},
           "options": {"active": true}})
}

/// A company whose password-change mails name it in the subject (tests read their own).
async fn company() -> String {
    fresh_company_with(|c| {
        let id = c["company_id"].as_str().unwrap().to_owned();
        c["password_change"]["email_subject"] = json!(format!("Your password change code ({id})"));
    })
    .await
}

async fn create(company: &str, body: &Value) -> Reply {
    Api::new()
        .post(
            &format!("/v1/companies/{company}/profiles"),
            &token(company),
            body,
        )
        .await
}

async fn created(company: &str, n: u32) -> String {
    let reply = create(company, &person(n)).await;
    assert_eq!(reply.status, 201, "{}", reply.body);
    reply.body["data"]["uuid"].as_str().unwrap().to_owned()
}

async fn update(company: &str, uuid: &str, profile: Value) -> Reply {
    Api::new()
        .patch(
            &format!("/v1/companies/{company}/profiles/{uuid}"),
            &token(company),
            &json!({"operation": "update", "profile": profile}),
        )
        .await
}

async fn delete(company: &str, uuid: &str) -> Reply {
    Api::new()
        .delete(
            &format!("/v1/companies/{company}/profiles/{uuid}"),
            &token(company),
        )
        .await
}

#[tokio::test]
async fn update_racing_delete_leaves_one_outcome_and_nothing_behind() {
    let company = company().await;
    let mut tally = std::collections::BTreeMap::new();
    for n in 0..ROUNDS {
        let uuid = created(&company, n).await;
        let new_email = format!("moved{n}@example.com");
        let (updated, deleted) = tokio::join!(
            update(&company, &uuid, json!({"email": new_email})),
            delete(&company, &uuid)
        );
        assert_eq!(deleted.status, 200, "{}", deleted.body);
        assert!(
            [200, 404].contains(&updated.status),
            "update: {} {}",
            updated.status,
            updated.body
        );
        *tally.entry(updated.status).or_insert(0) += 1;
        // Both addresses are free again: the erasure released whichever one the profile had.
        let mut again = person(n);
        again["profile"]["email"] = json!(new_email);
        assert_eq!(create(&company, &again).await.status, 201);
        let mut old = person(100 + n);
        old["profile"]["email"] = json!(format!("ana{n}@example.com"));
        assert_eq!(create(&company, &old).await.status, 201);
    }
    println!("update racing delete, {ROUNDS} rounds: update answers {tally:?}");
    assert_eq!(assert_consistent(&company).await, 2 * ROUNDS as usize);
}

#[tokio::test]
async fn update_racing_create_of_the_same_value_has_one_winner() {
    let company = company().await;
    let (mut updates_won, mut creates_won) = (0, 0);
    for n in 0..ROUNDS {
        let uuid = created(&company, n).await;
        let contested = format!("contested{n}@example.com");
        let mut rival = person(200 + n);
        rival["profile"]["email"] = json!(contested);
        let (updated, rival) = tokio::join!(
            update(&company, &uuid, json!({"email": contested})),
            create(&company, &rival)
        );
        match (updated.status, rival.status) {
            (200, 400) => updates_won += 1,
            (400, 201) => creates_won += 1,
            other => panic!("{other:?}: {} / {}", updated.body, rival.body),
        }
        for loser in [&updated, &rival] {
            if loser.status == 400 {
                assert_eq!(loser.body["errors"], "Profile already present");
            }
        }
    }
    println!(
        "update racing create, {ROUNDS} rounds: the update won {updates_won}, the create {creates_won}"
    );
    assert_eq!(
        assert_consistent(&company).await,
        (ROUNDS + creates_won) as usize
    );
}

#[tokio::test]
async fn delete_racing_login_and_password_change_leaves_no_credential_or_token() {
    let company = company().await;
    let api = Api::new();
    let mut answers = std::collections::BTreeMap::new();
    for n in 0..ROUNDS {
        let uuid = created(&company, n).await;
        add_password(&api, &company, &uuid, PASSWORD).await;
        let email = format!("ana{n}@example.com");
        let requested = api
            .patch(
                &format!("/v1/companies/{company}/profiles/password"),
                &token(&company),
                &json!({"operation": "request", "access_type": "email", "profile": email}),
            )
            .await;
        assert_eq!(requested.status, 200, "{}", requested.body);
        let code = blackbox_tests::token_in(&blackbox_tests::mail_to(&email, &company).await);
        let bearer = token(&company);
        let login_body =
            json!({"credentials": {"email": email, "origin": "test_idp", "password": PASSWORD}});
        let confirm_body = json!({"operation": "confirm", "access_type": "email", "profile": email,
                                  "token": code, "password": "copper kettle sings at dawn"});
        let request_body = json!({"operation": "request", "access_type": "username", "profile": format!("ana{n}")});
        let login_path = format!("/v1/companies/{company}/profiles/login");
        let change_path = format!("/v1/companies/{company}/profiles/password");
        let login = api.post(&login_path, &bearer, &login_body);
        let confirm = api.patch(&change_path, &bearer, &confirm_body);
        let request_again = api.patch(&change_path, &bearer, &request_body);
        let (deleted, login, confirm, again) =
            tokio::join!(delete(&company, &uuid), login, confirm, request_again);
        assert_eq!(deleted.status, 200, "{}", deleted.body);
        // Before the erasure: a success; after it: the answers for an unknown profile.
        assert!([200, 422].contains(&login.status), "login: {}", login.body);
        assert!(
            [200, 400, 404].contains(&confirm.status),
            "confirm: {}",
            confirm.body
        );
        assert!(
            [200, 400, 404, 429].contains(&again.status),
            "request: {}",
            again.body
        );
        for (what, status) in [
            ("login", login.status),
            ("confirm", confirm.status),
            ("request", again.status),
        ] {
            *answers.entry((what, status)).or_insert(0) += 1;
        }
    }
    println!("delete racing login, confirm and request, {ROUNDS} rounds: {answers:?}");
    assert_eq!(assert_consistent(&company).await, 0);
}
