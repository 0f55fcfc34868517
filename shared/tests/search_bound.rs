//! §6 "A search page's reads grow with the page, whatever the filters": with two filters, the
//! index of one is read and the other checked on the profiles read; a page examines at most
//! `examine_budget(per_page)` entries, and while more may match it ends there with a
//! continuation (after the last entry examined, with what is left of a page's offset). A short
//! page is fine; a lost or repeated match is not.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::HashSet;
use std::sync::Arc;

use common::*;
use idp_core::App;
use idp_core::domain::{CompanyId, ProfileField};
use idp_core::store::index::Searchable;
use idp_core::store::{SearchQuery, examine_budget};
use serde_json::json;

const PROFILES: u32 = 250;
/// One profile in 50 is named Ana: 5 of 250, rarer than a page's bound can find at once.
const EVERY: u32 = 50;

async fn company_with_rare_matches(app: &Arc<App>) -> String {
    let company = fresh_company(app).await;
    let mut tasks = Vec::new();
    for n in 0..PROFILES {
        let (app, company) = (Arc::clone(app), company.clone());
        tasks.push(tokio::spawn(async move {
            // Values of this test's own: the black-box suite scans the whole table for the
            // `person(n)` values it erases.
            let profile = json!({"nin": format!("bound-{n}"), "username": format!("bound{n}"),
                "email": format!("bound{n}@example.com"), "lastname": "Soto",
                "name": if n % EVERY == 0 { "Ana" } else { "Bea" }});
            let (status, body) = create(&app, &company, &body_with(profile), None).await;
            assert_eq!(status, 201, "{body}");
        }));
        if tasks.len() == 10 {
            for task in tasks.drain(..) {
                task.await.unwrap();
            }
        }
    }
    for task in tasks {
        task.await.unwrap();
    }
    company
}

fn query(
    company: &CompanyId,
    filters: &[(ProfileField, &str)],
    offset: usize,
    limit: usize,
) -> SearchQuery {
    SearchQuery {
        company: company.clone(),
        filters: filters
            .iter()
            .map(|(field, value)| (Searchable::Field(*field), (*value).to_owned()))
            .collect(),
        include_disabled: false,
        after: None,
        offset,
        limit,
    }
}

/// Every page from `first` on, following each continuation: the uuids in order, and the
/// profiles each page read.
async fn walk(app: &App, first: SearchQuery) -> (Vec<String>, Vec<u32>) {
    let (mut found, mut reads) = (Vec::new(), Vec::new());
    let mut q = first;
    for _ in 0..100 {
        let page = app.store.search(&q).await.unwrap();
        found.extend(page.profiles.iter().map(|p| p.id.to_string()));
        reads.push(page.cost.profiles_read);
        if !page.more {
            return (found, reads);
        }
        q.after = page.last_key;
        q.offset = page.skip;
    }
    panic!("the walk did not end");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_filter_pages_read_a_bounded_number_of_profiles_and_lose_no_match() {
    let app = app().await;
    let company = CompanyId::parse(&company_with_rare_matches(&app).await).unwrap();
    let both = [
        (ProfileField::Name, "Ana"),
        (ProfileField::Lastname, "Soto"),
    ];

    // The matches, in creation order, by the name's own index (the index decides alone).
    let (expected, _) = walk(&app, query(&company, &both[..1], 0, 100)).await;
    assert_eq!(expected.len(), (PROFILES / EVERY) as usize);

    // Two filters: the lastname's index (its field comes first in the selectivity order, and
    // every profile has it) is read, the name checked on each profile read.
    let (found, reads) = walk(&app, query(&company, &both, 0, 5)).await;
    assert_eq!(found, expected, "every match once, in creation order");
    let bound = examine_budget(5) as u32;
    assert!(
        reads.iter().all(|r| *r <= bound),
        "profiles read per page {reads:?}, bound {bound}"
    );
    assert!(reads.len() >= 2, "the bound ended a page: {reads:?}");
    let unique: HashSet<&String> = found.iter().collect();
    assert_eq!(unique.len(), found.len());

    // `page=2&per_page=2`: the offset's skip is carried over the continuations, so the walk
    // from page 2 gives exactly the matches from the third on.
    let (from_page_two, reads) = walk(&app, query(&company, &both, 2, 2)).await;
    assert_eq!(from_page_two, expected[2..].to_vec());
    let bound = examine_budget(2) as u32;
    assert!(reads.iter().all(|r| *r <= bound), "{reads:?} over {bound}");
}
