//! Search Multiple Profiles (§5.7) through HTTP against the real binaries.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use blackbox_tests::{Api, fresh_company, token};
use serde_json::{Value, json};

fn person(n: u32) -> Value {
    json!({"register_type": "nin_register", "information_provider": "test_idp",
           "profile": {"nin": format!("nin-{n}"), "name": "Ana", "lastname": format!("Soto{}", n % 2),
                       "email": format!("ana{n}@example.com"), "username": format!("ana{n}"),
                       "nationality": "CHL", "origin": "web", "phone_number": format!("+5691234560{n}")},
           "options": {"active": true}})
}

/// A company with `n` profiles, created in order; their uuids.
async fn company_with(n: u32) -> (String, Vec<String>) {
    let api = Api::new();
    let company = fresh_company().await;
    let mut uuids = Vec::new();
    for i in 0..n {
        let created = api
            .post(
                &format!("/v1/companies/{company}/profiles"),
                &token(&company),
                &person(i),
            )
            .await;
        assert_eq!(created.status, 201, "{}", created.body);
        uuids.push(created.body["data"]["uuid"].as_str().unwrap().to_owned());
    }
    (company, uuids)
}

async fn search(company: &str, query: &str, body: Option<Value>) -> (u16, Value) {
    let reply = Api::new()
        .send(
            "POST",
            &format!("/v1/companies/{company}/profiles/query{query}"),
            Some(&token(company)),
            body.map(|b| b.to_string().into_bytes()),
        )
        .await;
    (reply.status, reply.body)
}

fn uuids_of(body: &Value) -> Vec<String> {
    body["data"]
        .as_array()
        .unwrap_or_else(|| panic!("no data array: {body}"))
        .iter()
        .map(|p| p["uuid"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn pages_list_the_company_oldest_first_and_past_the_end_is_empty() {
    let (company, uuids) = company_with(7).await;
    let mut seen = Vec::new();
    for (page, expected) in [(1, 3), (2, 3), (3, 1), (4, 0)] {
        let (status, body) = search(
            &company,
            &format!("?page={page}&per_page=3"),
            Some(json!({})),
        )
        .await;
        assert_eq!(
            (status, &body["message"], &body["resource"]),
            (200, &json!("Found"), &json!("Profile"))
        );
        let found = uuids_of(&body);
        assert_eq!(found.len(), expected, "page {page}");
        seen.extend(found);
    }
    assert_eq!(seen, uuids, "creation order across pages, no repeats");
    // No body at all is the same as `{}`; the defaults are page 1 of 5.
    let (status, body) = search(&company, "", None).await;
    assert_eq!((status, uuids_of(&body)), (200, uuids[..5].to_vec()));
    // Each profile in full, as Show returns it.
    assert_eq!(body["data"][0]["email"], "ana0@example.com");
    assert_eq!(body["data"][0]["trusted_fields"], json!({}));
    // A shared value, spread over shards, keeps the order too.
    let (_, body) = search(
        &company,
        "?per_page=100",
        Some(json!({"nationality": "chl"})),
    )
    .await;
    assert_eq!(uuids_of(&body), uuids);
    let (_, body) = search(
        &company,
        "?per_page=100",
        Some(json!({"identification_provider": "test_idp"})),
    )
    .await;
    assert_eq!(uuids_of(&body), uuids);
}

#[tokio::test]
async fn values_match_normalised_and_filters_are_anded() {
    let (company, uuids) = company_with(5).await;
    let (status, body) = search(&company, "", Some(json!({"email": "  ANA3@Example.COM "}))).await;
    assert_eq!((status, uuids_of(&body)), (200, vec![uuids[3].clone()]));
    let (_, body) = search(
        &company,
        "",
        Some(json!({"phone_number": "+56 9 1234-5602"})),
    )
    .await;
    assert_eq!(uuids_of(&body), vec![uuids[2].clone()]);
    // name AND lastname: the odd ones.
    let (_, body) = search(
        &company,
        "",
        Some(json!({"name": "Ana", "lastname": "Soto1"})),
    )
    .await;
    assert_eq!(uuids_of(&body), vec![uuids[1].clone(), uuids[3].clone()]);
    let (_, body) = search(
        &company,
        "",
        Some(json!({"nationality": "CHL", "username": "ana4", "origin": "web"})),
    )
    .await;
    assert_eq!(uuids_of(&body), vec![uuids[4].clone()]);
    let (_, body) = search(
        &company,
        "",
        Some(json!({"username": "ana4", "lastname": "Soto1"})),
    )
    .await;
    assert_eq!(uuids_of(&body), Vec::<String>::new());
    let (_, body) = search(&company, "", Some(json!({"email": "nobody@example.com"}))).await;
    assert_eq!(body["data"], json!([]));
    // Another company's profiles are never found, whatever the filter.
    let (other, _) = company_with(1).await;
    let (_, body) = search(&other, "?per_page=100", Some(json!({"name": "Ana"}))).await;
    assert_eq!(uuids_of(&body).len(), 1);
}

#[tokio::test]
async fn fields_project_and_disabled_profiles_appear_only_when_asked() {
    let api = Api::new();
    let (company, uuids) = company_with(3).await;
    let (status, body) = search(
        &company,
        "?fields=email,name",
        Some(json!({"username": "ana1"})),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        body["data"],
        json!([{"uuid": uuids[1], "email": "ana1@example.com", "name": "Ana", "active": true,
                "identification_provider": "test_idp"}])
    );
    let deactivated = api
        .patch(
            &format!("/v1/companies/{company}/profiles/{}/status", uuids[1]),
            &token(&company),
            &json!({"operation": "deactivate"}),
        )
        .await;
    assert_eq!(deactivated.status, 200);
    // Right after the write: gone from the default search, back with disabled_profile=true,
    // in its place by creation time.
    for query in ["", "?disabled_profile=false"] {
        let (_, body) = search(&company, query, Some(json!({}))).await;
        assert_eq!(
            uuids_of(&body),
            vec![uuids[0].clone(), uuids[2].clone()],
            "{query}"
        );
    }
    let (_, body) = search(&company, "?disabled_profile=true", Some(json!({}))).await;
    assert_eq!(uuids_of(&body), uuids);
    assert_eq!(body["data"][1]["active"], false);
    let (_, body) = search(
        &company,
        "?disabled_profile=true",
        Some(json!({"username": "ana1"})),
    )
    .await;
    assert_eq!(uuids_of(&body), vec![uuids[1].clone()]);
    let activated = api
        .patch(
            &format!("/v1/companies/{company}/profiles/{}/status", uuids[1]),
            &token(&company),
            &json!({"operation": "activate"}),
        )
        .await;
    assert_eq!(activated.status, 200);
    let (_, body) = search(&company, "", Some(json!({}))).await;
    assert_eq!(uuids_of(&body), uuids);
}

#[tokio::test]
async fn every_bad_input_is_a_400_naming_the_key_and_an_unknown_company_404() {
    let (company, _) = company_with(1).await;
    for (query, body, named) in [
        ("", json!({"mail": "secret-1"}), "`mail`"),
        ("", json!({"email": 12}), "`email`"),
        ("", json!({"email": null}), "`email`"),
        ("", json!({"email": "secret-2"}), "`email`"),
        ("", json!({"birthday": "secret-3"}), "`birthday`"),
        ("", json!({"nationality": "secret-4"}), "`nationality`"),
        ("", json!({"uuid": "secret-5"}), "`uuid`"),
        ("?page=0", json!({}), "`page`"),
        ("?page=01", json!({}), "`page`"),
        ("?per_page=101", json!({}), "`per_page`"),
        ("?page=101&per_page=100", json!({}), "10000"),
        ("?fields=email,secret", json!({}), "`fields`"),
        ("?disabled_profile=yes", json!({}), "`disabled_profile`"),
        ("?cursor=abc", json!({}), "`cursor`"),
    ] {
        let (status, reply) = search(&company, query, Some(body.clone())).await;
        assert_eq!(status, 400, "{query} {body}: {reply}");
        let sentence = reply["errors"].as_str().unwrap();
        assert!(sentence.contains(named), "{query} {body}: {sentence}");
        assert!(!sentence.contains("secret-"), "{query} {body}: {sentence}");
    }
    for raw in ["[]", "\"email\"", "{\"email\":"] {
        let reply = Api::new()
            .send(
                "POST",
                &format!("/v1/companies/{company}/profiles/query"),
                Some(&token(&company)),
                Some(raw.as_bytes().to_vec()),
            )
            .await;
        assert_eq!(reply.status, 400, "{raw}");
    }
    let (status, body) = search("nobody-here", "", Some(json!({}))).await;
    assert_eq!(
        (status, body),
        (
            404,
            json!({"code": 404, "resource": "Company Config", "message": "Not found"})
        )
    );
}

/// The `cursor` of a `Link: <…>; rel="next"` header, and the link's whole target.
fn next_of(link: &str) -> (String, String) {
    let target = link
        .strip_prefix('<')
        .and_then(|rest| rest.split_once(">; rel=\"next\""))
        .map(|(target, _)| target.to_owned())
        .unwrap_or_else(|| panic!("not a next link: {link}"));
    let cursor = target
        .split(['?', '&'])
        .find_map(|pair| pair.strip_prefix("cursor="))
        .unwrap()
        .to_owned();
    (target, cursor)
}

async fn post(company: &str, path_and_query: &str, body: &Value) -> blackbox_tests::Reply {
    Api::new()
        .send(
            "POST",
            path_and_query,
            Some(&token(company)),
            Some(body.to_string().into_bytes()),
        )
        .await
}

#[tokio::test]
async fn a_cursor_walks_every_page_once_and_binds_company_filters_and_disabled() {
    let (company, uuids) = company_with(7).await;
    let body = json!({"name": "Ana"});
    let first = post(
        &company,
        &format!("/v1/companies/{company}/profiles/query?per_page=3&fields=email"),
        &body,
    )
    .await;
    assert_eq!(first.status, 200);
    let mut seen = uuids_of(&first.body);
    let mut link = first
        .link
        .clone()
        .expect("a first page with successors links to the next");
    let mut pages = 1;
    loop {
        let (target, _) = next_of(&link);
        assert!(
            target.contains("fields=email") && target.contains("per_page=3"),
            "{target}"
        );
        let reply = post(&company, &target, &body).await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        assert_eq!(
            reply.body["data"][0].as_object().unwrap().len(),
            4,
            "the projection holds"
        );
        seen.extend(uuids_of(&reply.body));
        pages += 1;
        match reply.link {
            Some(next) => link = next,
            None => break,
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(seen, uuids, "every profile once, in order");

    let (_, cursor) = next_of(first.link.as_deref().unwrap());
    let path = |c: &str, cursor: &str, extra: &str| {
        format!("/v1/companies/{c}/profiles/query?cursor={cursor}{extra}")
    };
    let refused = |reply: blackbox_tests::Reply| {
        assert_eq!(reply.status, 400, "{}", reply.body);
        assert!(
            reply.body["errors"].as_str().unwrap().contains("`cursor`"),
            "{}",
            reply.body
        );
    };
    // The same cursor with other filters, with disabled_profile, with page, or tampered.
    refused(
        post(
            &company,
            &path(&company, &cursor, ""),
            &json!({"name": "Bob"}),
        )
        .await,
    );
    refused(post(&company, &path(&company, &cursor, ""), &json!({})).await);
    refused(
        post(
            &company,
            &path(&company, &cursor, "&disabled_profile=true"),
            &body,
        )
        .await,
    );
    refused(post(&company, &path(&company, &cursor, "&page=2"), &body).await);
    let mut tampered = cursor.clone().into_bytes();
    tampered[2] = if tampered[2] == b'A' { b'B' } else { b'A' };
    refused(
        post(
            &company,
            &path(&company, &String::from_utf8(tampered).unwrap(), ""),
            &body,
        )
        .await,
    );
    refused(post(&company, &path(&company, "garbage", ""), &body).await);
    // Another company's token and path: its own filters, the first company's cursor.
    let (other, _) = company_with(1).await;
    refused(post(&other, &path(&other, &cursor, ""), &body).await);
    // Still good where it belongs.
    let again = post(&company, &path(&company, &cursor, "&per_page=3"), &body).await;
    assert_eq!(uuids_of(&again.body), uuids[3..6].to_vec());
}

/// Searches while profiles are created and deactivated: every page is a well-formed answer
/// (`Api::send` checks it against `openapi.yaml`), holds only profiles that match, and a
/// cursor walk never shows a profile twice and keeps creation order. Profiles that existed
/// before the walk began and stayed active are all found.
#[tokio::test]
async fn searches_during_creates_and_deactivations_stay_well_formed() {
    let (company, before) = company_with(12).await;
    let writer = {
        let company = company.clone();
        let before = before.clone();
        tokio::spawn(async move {
            let api = Api::new();
            let mut created = Vec::new();
            for i in 0..16u32 {
                let reply = api
                    .post(
                        &format!("/v1/companies/{company}/profiles"),
                        &token(&company),
                        &person(100 + i),
                    )
                    .await;
                assert_eq!(reply.status, 201, "{}", reply.body);
                created.push(reply.body["data"]["uuid"].as_str().unwrap().to_owned());
                // Deactivate every fourth of the profiles that existed before (0, 4, 8).
                if i % 4 == 0 && (i as usize / 4) < 3 {
                    let uuid = &before[i as usize];
                    let reply = api
                        .patch(
                            &format!("/v1/companies/{company}/profiles/{uuid}/status"),
                            &token(&company),
                            &json!({"operation": "deactivate"}),
                        )
                        .await;
                    assert_eq!(reply.status, 200, "{}", reply.body);
                }
            }
            created
        })
    };

    let body = json!({"nationality": "chl"});
    let mut walks = 0;
    while !writer.is_finished() || walks == 0 {
        walks += 1;
        let mut seen: Vec<String> = Vec::new();
        let mut target = format!("/v1/companies/{company}/profiles/query?per_page=4");
        loop {
            let reply = post(&company, &target, &body).await;
            assert_eq!(reply.status, 200, "{}", reply.body);
            for profile in reply.body["data"].as_array().unwrap() {
                assert_eq!(profile["active"], true, "{profile}");
                assert_eq!(profile["nationality"], "CHL", "{profile}");
            }
            let found = uuids_of(&reply.body);
            assert!(found.len() <= 4);
            for uuid in found {
                assert!(!seen.contains(&uuid), "walk {walks}: {uuid} twice");
                seen.push(uuid);
            }
            match reply.link {
                Some(link) => target = next_of(&link).0,
                None => break,
            }
        }
        // Every profile of before that was never deactivated is in every walk, in order.
        let kept: Vec<&String> = before
            .iter()
            .enumerate()
            .filter(|(i, _)| !(i % 4 == 0 && *i < 12))
            .map(|(_, u)| u)
            .collect();
        let positions: Vec<usize> = kept
            .iter()
            .map(|u| {
                seen.iter()
                    .position(|s| s == *u)
                    .unwrap_or_else(|| panic!("walk {walks}: {u} missing"))
            })
            .collect();
        assert!(
            positions.windows(2).all(|w| w[0] < w[1]),
            "walk {walks}: order"
        );
    }
    let created = writer.await.unwrap();
    // Once the writes are done, one search shows their outcome at once.
    let (status, body) = search(
        &company,
        "?per_page=100",
        Some(json!({"nationality": "chl"})),
    )
    .await;
    assert_eq!(status, 200);
    let found = uuids_of(&body);
    let mut expected: Vec<String> = before
        .iter()
        .enumerate()
        .filter(|(i, _)| !(i % 4 == 0 && *i < 12))
        .map(|(_, u)| u.clone())
        .collect();
    expected.extend(created);
    assert_eq!(found, expected, "after {walks} concurrent walks");
}
