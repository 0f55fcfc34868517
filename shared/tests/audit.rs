//! The audit trail's writes (API.md §5.13), on DynamoDB Local through the handlers: every
//! change and every login attempt leaves exactly its event, in order, in the change's own
//! transaction, with no personal data; erasure keeps them.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use common::*;
use idp_core::endpoints::{delete_profile, patch_profile, profile_status};
use serde_json::{Value, json};

type Item = HashMap<String, AttributeValue>;

/// The company's events, oldest first (by their sort key: time, then id).
async fn events(app: &idp_core::App, company: &str) -> Vec<Item> {
    let mut events: Vec<Item> = scan_company(app, company)
        .await
        .into_iter()
        .filter(|item| kind(item) == "event")
        .collect();
    events.sort_by(|a, b| a["SK"].as_s().unwrap().cmp(b["SK"].as_s().unwrap()));
    events
}

fn text<'a>(item: &'a Item, name: &str) -> Option<&'a str> {
    item.get(name)
        .and_then(|v| v.as_s().ok())
        .map(String::as_str)
}

/// (type, outcome, reason) of each event.
fn summary(events: &[Item]) -> Vec<(String, String, Option<String>)> {
    events
        .iter()
        .map(|e| {
            (
                text(e, "event_type").unwrap().to_owned(),
                text(e, "outcome").unwrap().to_owned(),
                text(e, "reason").map(str::to_owned),
            )
        })
        .collect()
}

#[tokio::test]
async fn a_profile_walked_through_its_life_leaves_exactly_its_events_with_no_personal_data() {
    let app = app().await;
    let company = fresh_company(&app).await;
    let mut profile = person(1);
    profile["origin"] = json!("test_idp");
    let (status, body) = create(&app, &company, &body_with(profile), None).await;
    assert_eq!(status, 201, "{body}");
    let uuid = body["data"]["uuid"].as_str().unwrap().to_owned();
    let path = format!("/v1/companies/{company}/profiles/{uuid}");
    let params = [("company_id", company.as_str()), ("uuid", uuid.as_str())];
    let patch = |body: Value| {
        let app = app.clone();
        let (path, company) = (path.clone(), company.clone());
        let uuid = uuid.clone();
        async move {
            let params = [("company_id", company.as_str()), ("uuid", uuid.as_str())];
            call(
                &app,
                patch_profile::handle,
                "PATCH",
                &path,
                &params,
                &company,
                &body,
            )
            .await
        }
    };
    let (status, body) = patch(json!({"operation": "update",
        "profile": {"name": "Bea", "lastname": "Soto", "phone_number": "+56912345678"}}))
    .await;
    assert_eq!(status, 200, "{body}");
    for operation in ["deactivate", "activate"] {
        let (status, body) = call(
            &app,
            profile_status::handle,
            "PATCH",
            &format!("{path}/status"),
            &params,
            &company,
            &json!({ "operation": operation }),
        )
        .await;
        assert_eq!(status, 200, "{operation}: {body}");
    }
    let password = "lantern orbit meadow 7";
    let (status, body) = patch(json!({"operation": "credentials",
        "credentials": {"password": password}}))
    .await;
    assert_eq!(status, 201, "{body}");
    let creds = |password: &str| json!({"email": "ana1@example.com", "origin": "test_idp", "password": password});
    assert_eq!(
        log_in(&app, &company, creds("copper kettle at dusk"))
            .await
            .0,
        422
    );
    assert_eq!(log_in(&app, &company, creds(password)).await.0, 200);
    let nobody = json!({"email": "nobody-typed-this@example.com", "origin": "test_idp",
        "password": "not this one either"});
    assert_eq!(log_in(&app, &company, nobody).await.0, 422);
    let (status, body) = call(
        &app,
        delete_profile::handle,
        "DELETE",
        &path,
        &params,
        &company,
        &json!(null),
    )
    .await;
    assert_eq!(status, 200, "{body}");

    let events = events(&app, &company).await;
    let s = |t: &str, o: &str, r: Option<&str>| (t.to_owned(), o.to_owned(), r.map(str::to_owned));
    assert_eq!(
        summary(&events),
        vec![
            s("profile.created", "success", None),
            s("profile.updated", "success", None),
            s("profile.deactivated", "success", None),
            s("profile.activated", "success", None),
            s("credential.created", "success", None),
            s("login.failed", "failure", Some("wrong_password")),
            s("login.succeeded", "success", None),
            s("login.failed", "failure", Some("unknown_identifier")),
            s("profile.deleted", "success", None),
        ]
    );
    for (i, event) in events.iter().enumerate() {
        let unknown = i == 7;
        assert_eq!(
            text(event, "profile"),
            (!unknown).then_some(uuid.as_str()),
            "{i}"
        );
        assert_eq!(text(event, "client"), Some("handler-tests"), "{i}");
        assert_eq!(text(event, "company_id"), Some(company.as_str()));
        // Kept a year (the demo company's `audit.retention_days`), from the event's time.
        let at: u64 = event["at"].as_n().unwrap().parse().unwrap();
        let expires: u64 = event["expires_at"].as_n().unwrap().parse().unwrap();
        assert_eq!(expires, at / 1000 + 365 * 86_400, "{i}");
        // The company index's attributes: a shard of the company, the event's order.
        assert!(
            text(event, "events_key")
                .unwrap()
                .starts_with(&format!("company#{company}#events#shard#"))
        );
        assert_eq!(text(event, "events_at"), text(event, "SK"));
        // Nothing a person typed, no secret: only uuids, names of fields and codes.
        let all = format!("{event:?}");
        for value in [
            "ana1",
            "nin-1",
            "Ana",
            "Bea",
            "Soto",
            "+569",
            "lantern",
            "copper",
            "nobody-typed-this",
            "not this one",
            "argon2",
        ] {
            assert!(!all.contains(value), "event {i} holds `{value}`: {all}");
        }
    }
    let changed: Vec<&str> = events[1]["changed_fields"]
        .as_l()
        .unwrap()
        .iter()
        .map(|v| v.as_s().unwrap().as_str())
        .collect();
    assert_eq!(
        changed,
        ["phone_number", "name"],
        "the changed fields, in the API's order"
    );
    // Erasure removed the person and kept the record: only events are left of the profile.
    let left: Vec<Item> = scan_company(&app, &company).await;
    assert!(left.iter().all(|item| kind(item) == "event"), "{left:?}");
}

#[tokio::test]
async fn a_refused_change_writes_no_event_and_an_over_long_password_names_no_profile() {
    let app = app().await;
    let company = fresh_company(&app).await;
    assert_eq!(
        create(&app, &company, &body_with(person(1)), None).await.0,
        201
    );
    let mut clash = person(2);
    clash["email"] = json!("ana1@example.com");
    assert_eq!(create(&app, &company, &body_with(clash), None).await.0, 400);
    let long = json!({"email": "ana1@example.com", "origin": "test_idp",
        "password": "long password ".repeat(20)});
    assert_eq!(log_in(&app, &company, long).await.0, 422);
    let events = events(&app, &company).await;
    assert_eq!(
        summary(&events),
        vec![
            ("profile.created".into(), "success".into(), None),
            (
                "login.failed".into(),
                "failure".into(),
                Some("password_too_long".into())
            ),
        ]
    );
    assert_eq!(text(&events[1], "profile"), None);
}

/// `GET …/events` through its handler, with the app's cursor key.
async fn list(
    app: &std::sync::Arc<idp_core::App>,
    company: &str,
    token_company: &str,
    uuid: Option<&str>,
    query: &[(&str, &str)],
) -> (u16, Value, Option<String>) {
    use idp_core::endpoints::{company_events, profile_events};
    let mut params = vec![("company_id", company)];
    let path = match uuid {
        Some(uuid) => {
            params.push(("uuid", uuid));
            format!("/v1/companies/{company}/profiles/{uuid}/events")
        }
        None => format!("/v1/companies/{company}/events"),
    };
    let req = request(
        "GET",
        &path,
        &params,
        query,
        Some(&token(token_company)),
        "",
    );
    let app = std::sync::Arc::clone(app);
    let response = match uuid {
        Some(_) => profile_events::handle(app, req).await,
        None => company_events::handle(app, req).await,
    };
    let link = response
        .headers()
        .get("link")
        .map(|v| v.to_str().unwrap().to_owned());
    let (status, body) = parts(response);
    (status, body, link)
}

/// The `cursor` of a `Link: <…?cursor=…&…>; rel="next"`.
fn cursor_of(link: &str) -> String {
    link.split("cursor=")
        .nth(1)
        .unwrap()
        .split(['&', '>'])
        .next()
        .unwrap()
        .to_owned()
}

fn types(body: &Value) -> Vec<String> {
    body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn the_trails_read_newest_first_by_page_and_cursor_filtered_and_only_by_their_company() {
    let app = app_with_mail(std::env::temp_dir().join("idp-audit-mail")).await;
    let company = fresh_company(&app).await;
    let mut profile = person(1);
    profile["origin"] = json!("test_idp");
    let (_, body) = create(&app, &company, &body_with(profile), None).await;
    let uuid = body["data"]["uuid"].as_str().unwrap().to_owned();
    for name in ["Bea", "Eva", "Ana"] {
        let (status, _) = call(
            &app,
            patch_profile::handle,
            "PATCH",
            &format!("/v1/companies/{company}/profiles/{uuid}"),
            &[("company_id", &company), ("uuid", &uuid)],
            &company,
            &json!({"operation": "update", "profile": {"name": name}}),
        )
        .await;
        assert_eq!(status, 200);
    }
    let nobody = json!({"email": "x@example.com", "origin": "test_idp", "password": "y"});
    assert_eq!(log_in(&app, &company, nobody).await.0, 422);

    // The profile's trail, two at a time, newest first, to its end.
    let mut seen = Vec::new();
    let mut query = vec![("limit".to_owned(), "2".to_owned())];
    for _ in 0..5 {
        let q: Vec<(&str, &str)> = query
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let (status, body, link) = list(&app, &company, &company, Some(&uuid), &q).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["resource"], "Profile Events");
        seen.extend(types(&body));
        let Some(link) = link else { break };
        query = vec![
            ("limit".into(), "2".into()),
            ("cursor".into(), cursor_of(&link)),
        ];
    }
    assert_eq!(
        seen,
        [
            "profile.updated",
            "profile.updated",
            "profile.updated",
            "profile.created"
        ]
    );
    // The company's trail has the unknown identifier's failure too, newest first.
    let (status, body, _) = list(&app, &company, &company, None, &[]).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["resource"], "Company Events");
    assert_eq!(
        types(&body),
        [
            "login.failed",
            "profile.updated",
            "profile.updated",
            "profile.updated",
            "profile.created"
        ]
    );
    let first = &body["data"][0];
    assert_eq!(first["profile"], Value::Null);
    assert_eq!(first["reason"], "unknown_identifier");
    assert_eq!(first["actor"]["client"], "handler-tests");
    assert!(first["at"].as_str().unwrap().ends_with('Z'));
    // Filters: a family, a type, a time range that excludes everything.
    let (_, body, _) = list(&app, &company, &company, None, &[("type", "login.")]).await;
    assert_eq!(types(&body), ["login.failed"]);
    let (_, body, _) = list(
        &app,
        &company,
        &company,
        None,
        &[("type", "profile.created")],
    )
    .await;
    assert_eq!(types(&body), ["profile.created"]);
    let (_, body, _) = list(&app, &company, &company, None, &[("until", "2000-01-01")]).await;
    assert_eq!(types(&body), Vec::<String>::new());
    // Bad parameters and a cursor of another listing are 400s naming the parameter.
    for (query, name) in [
        (("limit", "0"), "limit"),
        (("limit", "101"), "limit"),
        (("from", "yesterday"), "from"),
        (("type", "login"), "type"),
        (("cursor", "abc.def"), "cursor"),
    ] {
        let (status, body, _) = list(&app, &company, &company, None, &[query]).await;
        assert_eq!(status, 400, "{query:?}: {body}");
        assert!(
            body["errors"]
                .as_str()
                .unwrap()
                .contains(&format!("`{name}`")),
            "{body}"
        );
    }
    let (_, _, link) = list(&app, &company, &company, Some(&uuid), &[("limit", "1")]).await;
    let profile_cursor = cursor_of(&link.unwrap());
    let (status, _, _) = list(
        &app,
        &company,
        &company,
        None,
        &[("cursor", profile_cursor.as_str())],
    )
    .await;
    assert_eq!(status, 400, "a profile's cursor does not page the company");
    // Another company's token reads nothing.
    let other = fresh_company(&app).await;
    let (status, body, _) = list(&app, &company, &other, Some(&uuid), &[]).await;
    assert_eq!(
        (status, body),
        (403, json!({"code": 403, "message": "Forbidden"}))
    );
    let (status, _, _) = list(&app, &company, &other, None, &[]).await;
    assert_eq!(status, 403);
    // Another company's own trail holds none of these events.
    let (status, body, _) = list(&app, &other, &other, None, &[]).await;
    assert_eq!((status, types(&body).len()), (200, 0));
}
