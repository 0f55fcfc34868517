//! The data model's indexes on DynamoDB Local: what listing and search will query (issue 15)
//! is written by today's writes. Every index is sparse, keyed by company (and shard), sorted
//! by `ord`, and carries keys only: no profile value, no credential, no token.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::HashMap;
use std::sync::Arc;

use aws_sdk_dynamodb::types::AttributeValue;
use common::*;
use idp_core::App;
use idp_core::endpoints::{password_change, patch_profile, profile_status};
use idp_core::store::index::{DISABLED_OFFSET, SHARDS};
use serde_json::{Value, json};

type Item = HashMap<String, AttributeValue>;

/// Every entry of one index partition in `ord` order, all pages, with `ord` below or from
/// the disabled offset.
async fn entries(app: &App, index: &str, attribute: &str, key: &str, active: bool) -> Vec<Item> {
    let mut items = Vec::new();
    let mut start = None;
    let condition = if active {
        "#k = :k AND #o < :off"
    } else {
        "#k = :k AND #o >= :off"
    };
    loop {
        let page = raw_client()
            .await
            .query()
            .table_name(&app.store.tables().profiles)
            .index_name(index)
            .key_condition_expression(condition)
            .expression_attribute_names("#k", attribute)
            .expression_attribute_names("#o", "ord")
            .expression_attribute_values(":k", AttributeValue::S(key.to_owned()))
            .expression_attribute_values(":off", AttributeValue::N(DISABLED_OFFSET.to_string()))
            .set_exclusive_start_key(start)
            .send()
            .await
            .unwrap();
        items.extend(page.items.unwrap_or_default());
        start = page.last_evaluated_key;
        if start.is_none() {
            return items;
        }
    }
}

/// The uuids of a company's listing (all shards merged by `ord`), active or disabled.
async fn listing(app: &App, company: &str, active: bool) -> Vec<String> {
    let mut all = Vec::new();
    for shard in 0..SHARDS {
        let key = format!("company#{company}#list#{shard}");
        all.extend(entries(app, "by-creation", "list_key", &key, active).await);
    }
    all.sort_by_key(|item| item["ord"].as_n().unwrap().parse::<u128>().unwrap());
    all.iter().map(uuid_of).collect()
}

fn uuid_of(item: &Item) -> String {
    let pk = item["PK"].as_s().unwrap();
    pk.rsplit('#').next().unwrap().to_owned()
}

async fn new_profile(app: &Arc<App>, company: &str, n: u32) -> String {
    let mut body = body_with(person(n));
    body["profile"]["origin"] = json!("test_idp");
    body["profile"]["nationality"] = json!("chl");
    let (status, created) = create(app, company, &body, None).await;
    assert_eq!(status, 201, "{created}");
    created["data"]["uuid"].as_str().unwrap().to_owned()
}

async fn set_status(app: &Arc<App>, company: &str, uuid: &str, operation: &str) {
    let (status, body) = call(
        app,
        profile_status::handle,
        "PATCH",
        &format!("/v1/companies/{company}/profiles/{uuid}/status"),
        &[("company_id", company), ("uuid", uuid)],
        company,
        &json!({ "operation": operation }),
    )
    .await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn listing_keeps_creation_order_and_moves_disabled_profiles_aside() {
    let app = app().await;
    let company = fresh_company(&app).await;
    let mut created = Vec::new();
    for n in 0..12 {
        created.push(new_profile(&app, &company, n).await);
    }
    assert_eq!(listing(&app, &company, true).await, created);
    assert!(listing(&app, &company, false).await.is_empty());

    set_status(&app, &company, &created[3], "deactivate").await;
    set_status(&app, &company, &created[7], "deactivate").await;
    let mut active = created.clone();
    active.retain(|u| u != &created[3] && u != &created[7]);
    assert_eq!(listing(&app, &company, true).await, active);
    assert_eq!(
        listing(&app, &company, false).await,
        vec![created[3].clone(), created[7].clone()]
    );

    // Back to active: back in its place, by creation time.
    set_status(&app, &company, &created[3], "activate").await;
    active.insert(3, created[3].clone());
    assert_eq!(listing(&app, &company, true).await, active);
    assert_eq!(
        profile_item(&app, &company, &created[3]).await["version"]
            .as_n()
            .unwrap(),
        "3",
        "created, deactivated, activated: each write of the profile counts"
    );

    // Another company's listing holds none of these.
    let other = fresh_company(&app).await;
    new_profile(&app, &other, 0).await;
    let theirs = listing(&app, &other, true).await;
    assert_eq!(theirs.len(), 1);
    assert!(!created.contains(&theirs[0]));
}

#[tokio::test]
async fn every_field_finds_its_profile_and_the_entries_hold_keys_only() {
    let mail = std::env::temp_dir().join(format!("idp-mail-{}", uuid::Uuid::new_v4().simple()));
    let app = app_with_mail(mail).await;
    let company = fresh_company(&app).await;
    let uuid = new_profile(&app, &company, 1).await;
    let twin = new_profile(&app, &company, 2).await;
    // A password and a pending token: neither may reach any index.
    let (status, _) = call(
        &app,
        patch_profile::handle,
        "PATCH",
        &format!("/v1/companies/{company}/profiles/{uuid}"),
        &[("company_id", &company), ("uuid", &uuid)],
        &company,
        &json!({"operation": "credentials", "credentials": {"password": "lantern orbit meadow 7"}}),
    )
    .await;
    assert_eq!(status, 201);
    let (status, _) = call(
        &app,
        password_change::handle,
        "PATCH",
        &format!("/v1/companies/{company}/profiles/password"),
        &[("company_id", &company)],
        &company,
        &json!({"operation": "request", "access_type": "email", "profile": "ana1@example.com"}),
    )
    .await;
    assert_eq!(status, 200);

    // Unique values: one partition each, keyed by the canonical form (the nin `nin-1` without
    // its hyphen). Shared ones: spread over the shards.
    let unique: [(&str, &str, &str); 5] = [
        ("by-email", "by_email", "ana1@example.com"),
        ("by-nin", "by_nin", "nin1"),
        ("by-username", "by_username", "ana1"),
        ("by-name", "by_name", "Ana"),
        ("by-lastname", "by_lastname", "Soto"),
    ];
    for (index, attribute, value) in unique {
        let key = format!("company#{company}#{value}");
        let found: Vec<String> = entries(&app, index, attribute, &key, true)
            .await
            .iter()
            .map(uuid_of)
            .collect();
        let expected = if matches!(attribute, "by_name" | "by_lastname") {
            vec![uuid.clone(), twin.clone()]
        } else {
            vec![uuid.clone()]
        };
        assert_eq!(found, expected, "{index}");
    }
    for (index, attribute, value) in [
        ("by-nationality", "by_nationality", "CHL"),
        ("by-origin", "by_origin", "test_idp"),
        (
            "by-identification-provider",
            "by_identification_provider",
            "test_idp",
        ),
    ] {
        let mut found = Vec::new();
        for shard in 0..SHARDS {
            let key = format!("company#{company}#{shard}#{value}");
            let items = entries(&app, index, attribute, &key, true).await;
            for item in &items {
                let names: Vec<&str> = item.keys().map(String::as_str).collect();
                let mut names = names;
                names.sort_unstable();
                assert_eq!(names, ["PK", "SK", attribute, "ord"], "{index}: keys only");
                assert_eq!(item["SK"].as_s().unwrap(), "profile");
            }
            found.extend(items.iter().map(uuid_of));
        }
        found.sort();
        let mut expected = vec![uuid.clone(), twin.clone()];
        expected.sort();
        assert_eq!(found, expected, "{index}");
    }
    // The credential and the token are in the profile's partition, in no index.
    let partition: Vec<Value> = scan_company(&app, &company)
        .await
        .iter()
        .filter(|i| i["PK"].as_s().unwrap().ends_with(&uuid))
        .map(|i| {
            json!([
                i["SK"].as_s().unwrap(),
                i.contains_key("list_key") || i.contains_key("ord")
            ])
        })
        .collect();
    assert!(
        partition.contains(&json!(["profile", true])),
        "{partition:?}"
    );
    assert!(
        partition.contains(&json!(["credential#password", false])),
        "{partition:?}"
    );
    assert!(
        partition.contains(&json!(["token#password-change", false])),
        "{partition:?}"
    );
    assert!(
        partition
            .iter()
            .all(|entry| entry[0] == "profile" || entry[1] == false),
        "{partition:?}"
    );
}
