//! Concurrency: what many clients at once must not break.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use common::*;
use idp_core::endpoints::profile_status;
use serde_json::json;

#[tokio::test]
async fn fifty_parallel_creates_with_overlapping_identifiers_leave_a_consistent_table() {
    let app = app().await;
    let company = fresh_company(&app).await;
    // nin from 10 values, e-mail from 7, username from 13: many overlap, in different pairs.
    let tasks: Vec<_> = (0..50u32)
        .map(|n| {
            let (app, company) = (Arc::clone(&app), company.clone());
            tokio::spawn(async move {
                let profile = json!({"nin": format!("n{}", n % 10), "email": format!("e{}@x.cl", n % 7),
                    "username": format!("u{}", n % 13), "name": "A", "lastname": "B"});
                (profile.clone(), create(&app, &company, &body_with(profile), None).await)
            })
        })
        .collect();
    let mut winners = HashMap::new();
    for task in tasks {
        let (profile, (status, body)) = task.await.unwrap();
        match status {
            201 => {
                winners.insert(body["data"]["uuid"].as_str().unwrap().to_owned(), profile);
            }
            400 => assert_eq!(body["errors"], "Profile already present"),
            other => panic!("{other}: {body}"),
        }
    }
    assert!(!winners.is_empty());
    // No two winners share any identifier value.
    for field in ["nin", "email", "username"] {
        let values: HashSet<_> = winners.values().map(|p| p[field].clone()).collect();
        assert_eq!(
            values.len(),
            winners.len(),
            "{field} shared by two profiles"
        );
    }

    // The table holds exactly the winners, each with exactly its three reservations.
    let items = scan_company(&app, &company).await;
    let profiles: HashSet<String> = items
        .iter()
        .filter(|i| kind(i) == "profile")
        .map(|i| i["uuid"].as_s().unwrap().clone())
        .collect();
    assert_eq!(profiles, winners.keys().cloned().collect());
    let reservations: Vec<_> = items.iter().filter(|i| kind(i) == "identifier").collect();
    assert_eq!(
        reservations.len(),
        3 * winners.len(),
        "no orphan and no missing reservation"
    );
    for reservation in reservations {
        assert!(profiles.contains(reservation["uuid"].as_s().unwrap()));
    }
}

#[tokio::test]
async fn parallel_activations_and_deactivations_leave_the_state_of_the_last_write() {
    let app = app().await;
    let company = fresh_company(&app).await;
    let (_, created) = create(&app, &company, &body_with(person(1)), None).await;
    let uuid = created["data"]["uuid"].as_str().unwrap().to_owned();
    let tasks: Vec<_> = (0..20)
        .map(|n| {
            let (app, company, uuid) = (Arc::clone(&app), company.clone(), uuid.clone());
            let operation = if n % 2 == 0 { "deactivate" } else { "activate" };
            tokio::spawn(async move {
                let answer = call(
                    &app,
                    profile_status::handle,
                    "PATCH",
                    &format!("/v1/companies/{company}/profiles/{uuid}/status"),
                    &[("company_id", &company), ("uuid", &uuid)],
                    &company,
                    &json!({ "operation": operation }),
                )
                .await;
                (operation, answer)
            })
        })
        .collect();
    let (mut activated, mut deactivated) = (0, 0);
    for task in tasks {
        let (operation, (status, body)) = task.await.unwrap();
        match (operation, status) {
            ("activate", 200) => activated += 1,
            ("deactivate", 200) => deactivated += 1,
            ("activate", 409) => assert_eq!(body["errors"], "Profile is already active"),
            ("deactivate", 409) => assert_eq!(body["errors"], "Profile is already inactive"),
            other => panic!("{other:?}: {body}"),
        }
    }
    // The profile starts active, so the first deactivation to run wins: twenty refusals would
    // mean the writes never ran.
    assert!(deactivated >= 1, "{deactivated}/{activated}");
    // Each success flipped the state, and from `active` the flips alternate deactivate,
    // activate, …: so the stored state is the one the last successful write set.
    assert!(
        deactivated == activated || deactivated == activated + 1,
        "{deactivated}/{activated}"
    );
    let item = profile_item(&app, &company, &uuid).await;
    assert_eq!(*item["active"].as_bool().unwrap(), deactivated == activated);
}
