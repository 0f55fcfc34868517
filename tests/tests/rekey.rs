//! `idp-admin rekey` against profiles written before identifiers had a canonical form: their
//! reservations and index keys were made from the values as sent (`Carla`, `11.111.111-1`),
//! which lookups by the canonical form no longer find. After the rekey they are found by any
//! look-alike spelling, the table is consistent, and a pair that now looks the same is
//! reported instead of being merged.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use aws_sdk_dynamodb::types::AttributeValue;
use blackbox_tests::{Api, REPO, assert_consistent, fresh_company, search_uuids, store, token};
use idp_core::company::{Identifier, IdentifierSet};
use idp_core::domain::ProfileField;
use idp_core::domain::{CompanyId, ProfileAttributes, ProfileId};
use idp_core::store::{NewProfile, new_profile_items};
use serde_json::{Value, json};

/// A profile as the code before canonical identifiers wrote it: reservation and index keys of
/// the values as they are.
async fn old_profile(company: &str, fields: Value) -> String {
    let company_id = CompanyId::parse(company).unwrap();
    let attributes = ProfileAttributes::parse(fields.as_object().unwrap()).unwrap();
    let id = ProfileId::new_random();
    let old_key = |set: &str, value: &str| {
        format!("company#{company}#identifier#{set}#{}:{value}", value.len())
    };
    let sets = [
        ProfileField::Nin,
        ProfileField::Username,
        ProfileField::Email,
    ]
    .map(|field| IdentifierSet(vec![field]));
    let identifiers = Identifier::all(&sets, &attributes);
    let old_keys: Vec<String> = ["nin", "username", "email"]
        .iter()
        .map(|set| old_key(set, fields[*set].as_str().unwrap()))
        .collect();
    let profile = NewProfile {
        company: company_id,
        id,
        attributes,
        active: true,
        identification_provider: "test_idp".into(),
        register_type: "nin_register".into(),
        identifiers,
    };
    let store = store().await;
    let client = idp_core::store::dynamodb_client().await;
    let now = idp_core::clock::Clock::system().now_ms();
    for mut item in new_profile_items(&profile, now) {
        let kind = item.get("kind").and_then(|k| k.as_s().ok()).cloned();
        if kind.as_deref() == Some("identifier") {
            // The reservation's key as the old code wrote it: the set's value as sent.
            let pk = item["PK"].as_s().unwrap();
            let set = pk
                .split("#identifier#")
                .nth(1)
                .unwrap()
                .split('#')
                .next()
                .unwrap();
            let set = set.to_owned();
            item.insert(
                "PK".into(),
                AttributeValue::S(old_key(&set, fields[set.as_str()].as_str().unwrap())),
            );
        }
        if kind.as_deref() == Some("profile") {
            item.insert(
                "identifier_keys".into(),
                AttributeValue::L(old_keys.iter().cloned().map(AttributeValue::S).collect()),
            );
            for field in ["nin", "username", "email"] {
                let value = fields[field].as_str().unwrap();
                item.insert(
                    format!("by_{field}"),
                    AttributeValue::S(format!("company#{company}#{value}")),
                );
            }
        }
        client
            .put_item()
            .table_name(&store.tables().profiles)
            .set_item(Some(item))
            .send()
            .await
            .unwrap();
    }
    id.to_string()
}

fn rekey(company: &str) -> (i32, String) {
    let output = std::process::Command::new(format!("{REPO}/target/debug/idp-admin"))
        .args(["rekey", "--company", company])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&output.stdout).into_owned()
        + &String::from_utf8_lossy(&output.stderr);
    (output.status.code().unwrap_or(-1), text)
}

#[tokio::test]
async fn rekey_moves_old_keys_to_the_canonical_form_and_reports_look_alikes() {
    let api = Api::new();
    let company = fresh_company().await;
    let person = |nin: &str, username: &str, email: &str| {
        json!({"nin": nin, "username": username, "email": email, "name": "Ana",
               "lastname": "Soto", "origin": "test_idp"})
    };
    let carla = old_profile(
        &company,
        person("11.111.111-1", "Carla", "carla@example.com"),
    )
    .await;
    let admin_upper = old_profile(&company, person("22", "Admin", "a1@example.com")).await;
    let admin_lower = old_profile(&company, person("33", "admin", "a2@example.com")).await;

    // Before: the canonical spelling finds nothing.
    assert!(
        search_uuids(&api, &company, json!({"username": "carla"}))
            .await
            .is_empty()
    );

    let (code, out) = rekey(&company);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("3 profiles read, 1 rekeyed, 1 left as they were"),
        "{out}"
    );
    assert!(out.contains(&admin_upper), "the look-alike is named: {out}");

    for body in [
        json!({"username": "CARLA"}),
        json!({"username": "carla"}),
        json!({"nin": "11111111-1"}),
        json!({"nin": "11 111 111 1"}),
    ] {
        assert_eq!(
            search_uuids(&api, &company, body.clone()).await,
            vec![carla.clone()],
            "{body}"
        );
    }
    assert_eq!(
        search_uuids(&api, &company, json!({"username": "ADMIN"})).await,
        vec![admin_lower.clone()],
        "the canonical holder keeps its identifier"
    );
    let reply = api
        .post(
            &format!("/v1/companies/{company}/profiles"),
            &token(&company),
            &json!({"register_type": "nin_register", "information_provider": "test_idp",
                    "profile": person("44", "CARLA", "c2@example.com")}),
        )
        .await;
    assert_eq!(reply.status, 400, "{:?}", reply.body);
    assert_eq!(reply.body["errors"], "Profile already present");
    assert_consistent(&company).await;

    // Again: nothing left to move, the same pair reported.
    let (code, out) = rekey(&company);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("3 profiles read, 0 rekeyed, 1 left"), "{out}");
}
