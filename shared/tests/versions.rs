//! The `version` condition of Update and erasure, on DynamoDB Local: a write computed from a
//! read that another write has since overtaken is refused, never applied to newer data.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::*;
use idp_core::audit::EventType;
use idp_core::company::Identifier;
use idp_core::domain::{CompanyId, ProfileAttributes, ProfileField, ProfileId};
use idp_core::endpoints::profile_status;
use idp_core::envelope::Resource;
use idp_core::store::{EraseOutcome, UpdateOutcome, Versioned};
use serde_json::json;

async fn read_profile(app: &idp_core::App, company: &CompanyId, id: ProfileId) -> Versioned {
    app.store
        .profile_for_change(company, id)
        .await
        .unwrap()
        .unwrap()
}

#[tokio::test]
async fn a_change_computed_from_an_overtaken_read_is_refused() {
    let app = app().await;
    let company = fresh_company(&app).await;
    let (status, body) = create(&app, &company, &body_with(person(1)), None).await;
    assert_eq!(status, 201, "{body}");
    let uuid = body["data"]["uuid"].as_str().unwrap().to_owned();
    let id = ProfileId::parse(&uuid).unwrap();
    let company_id = CompanyId::parse(&company).unwrap();
    let config = app
        .company_config(&company_id, Resource::Profile)
        .await
        .unwrap();
    let change = |email: &str, current: &Versioned| {
        let set = ProfileAttributes::parse(json!({ "email": email }).as_object().unwrap()).unwrap();
        let attributes = current.profile.attributes.changed(&set, &[]);
        let identifiers = Identifier::all(&config.identifier_sets, &attributes);
        (attributes, identifiers)
    };

    // Two updates from one read: the first wins, the second finds the version moved on.
    let read = read_profile(&app, &company_id, id).await;
    assert_eq!(read.version, 1);
    let (attributes, keys_a) = change("first@example.com", &read);
    let first = app
        .store
        .update_profile(
            &read,
            &attributes,
            &keys_a,
            &test_event(EventType::ProfileUpdated, id),
        )
        .await
        .unwrap();
    assert!(matches!(first, UpdateOutcome::Updated(_)), "{first:?}");
    let (attributes, keys_b) = change("second@example.com", &read);
    let second = app
        .store
        .update_profile(
            &read,
            &attributes,
            &keys_b,
            &test_event(EventType::ProfileUpdated, id),
        )
        .await
        .unwrap();
    assert_eq!(second, UpdateOutcome::Stale);

    // A status change in between overtakes a read too.
    let read = read_profile(&app, &company_id, id).await;
    assert_eq!(read.version, 2);
    let (status, body) = call(
        &app,
        profile_status::handle,
        "PATCH",
        &format!("/v1/companies/{company}/profiles/{uuid}/status"),
        &[("company_id", company.as_str()), ("uuid", uuid.as_str())],
        &company,
        &json!({"operation": "deactivate"}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let (attributes, keys_c) = change("third@example.com", &read);
    let outcome = app
        .store
        .update_profile(
            &read,
            &attributes,
            &keys_c,
            &test_event(EventType::ProfileUpdated, id),
        )
        .await
        .unwrap();
    assert_eq!(outcome, UpdateOutcome::Stale);

    // Nothing of the refused writes landed: the first update's e-mail and reservations stand.
    let now = read_profile(&app, &company_id, id).await;
    assert_eq!(
        now.profile.attributes.get(ProfileField::Email),
        Some("first@example.com")
    );
    assert_eq!(now.version, 3);
    assert!(now.keys_are(&company_id, &keys_a));
    for identifier in keys_b.iter().chain(&keys_c).filter(|k| !keys_a.contains(k)) {
        assert_eq!(
            app.store
                .find_profile_id(&company_id, Some(identifier))
                .await
                .unwrap(),
            None,
            "{identifier:?} was reserved by a refused update"
        );
    }

    // Erasure reads for itself, so it always applies to the newest version.
    assert_eq!(
        app.store
            .erase_profile(&company_id, id, &test_event(EventType::ProfileDeleted, id))
            .await
            .unwrap(),
        EraseOutcome::Erased
    );
    assert_eq!(
        app.store
            .erase_profile(&company_id, id, &test_event(EventType::ProfileDeleted, id))
            .await
            .unwrap(),
        EraseOutcome::NotFound
    );
    for identifier in &keys_a {
        assert_eq!(
            app.store
                .find_profile_id(&company_id, Some(identifier))
                .await
                .unwrap(),
            None
        );
    }
}
