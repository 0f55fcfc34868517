//! Run by `make test` after the whole suite: no password or token that any test sent, and no
//! token that any e-mail carried, appears in any DynamoDB item, in the functions' logs, or in
//! any company's audit trail as the API answers it (every page of every company with events).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeSet;
use std::process::ExitCode;

use blackbox_tests::{Api, remember_secrets, store, token, token_in};

/// Shorter strings (the published examples' `*******` masks, say) are not secrets and would
/// match by chance.
const MIN_SECRET_LEN: usize = 8;

#[tokio::main]
async fn main() -> ExitCode {
    // Tokens travel by e-mail, never in a request body of the suite's own making.
    let mail_dir = std::env::var("IDP_MAIL_DIR").unwrap();
    for entry in std::fs::read_dir(&mail_dir).into_iter().flatten().flatten() {
        let text = std::fs::read_to_string(entry.path()).unwrap_or_default();
        if text.contains("\n\n") {
            let token = token_in(&text);
            remember_secrets(serde_json::json!({ "token": token }).to_string().as_bytes());
        }
    }
    let secrets: BTreeSet<String> =
        std::fs::read_to_string(std::env::var("IDP_SECRETS_FILE").unwrap())
            .unwrap_or_default()
            .lines()
            .filter(|s| s.chars().count() >= MIN_SECRET_LEN)
            .map(str::to_owned)
            .collect();

    let store = store().await;
    let client = idp_core::store::dynamodb_client().await;
    let tables = store.tables();
    let mut haystacks = Vec::new();
    let mut with_events = BTreeSet::new();
    for table in [&tables.profiles, &tables.companies] {
        let mut start = None;
        loop {
            let page = client
                .scan()
                .table_name(table)
                .set_exclusive_start_key(start)
                .send()
                .await
                .unwrap();
            for item in page.items.unwrap_or_default() {
                let text = |name: &str| item.get(name).and_then(|v| v.as_s().ok()).cloned();
                if text("kind").as_deref() == Some("event")
                    && let Some(company) = text("company_id")
                {
                    with_events.insert(company);
                }
                haystacks.push((format!("item of {table}"), format!("{item:?}")));
            }
            start = page.last_evaluated_key;
            if start.is_none() {
                break;
            }
        }
    }
    let items = haystacks.len();
    // The audit trail as the API gives it, every company's, page by page (the served functions
    // are still up: `make test` stops them after this scan).
    let api = Api::new();
    let mut event_pages = 0;
    for company in &with_events {
        let mut path = format!("/v1/companies/{company}/events?limit=100");
        for _ in 0..50 {
            let reply = api.get(&path, &token(company)).await;
            assert_eq!(reply.status, 200, "{path}: {}", reply.body);
            haystacks.push((format!("{company}'s audit trail"), reply.body.to_string()));
            event_pages += 1;
            let Some(link) = reply.link else { break };
            path = link
                .trim_start_matches('<')
                .split('>')
                .next()
                .unwrap()
                .to_owned();
        }
    }
    // The functions served with the local key, and those verifying a real issuer's JWKS.
    let mut log_lines = 0;
    for name in ["IDP_FUNCTIONS_LOG", "IDP_JWKS_FUNCTIONS_LOG"] {
        let path =
            std::env::var(name).unwrap_or_else(|_| panic!("{name} is unset: run `make test`"));
        let logs = std::fs::read_to_string(&path).unwrap();
        log_lines += logs.lines().count();
        haystacks.push((format!("the functions' log {path}"), logs));
    }

    let mut leaks = 0;
    for secret in &secrets {
        for (place, text) in &haystacks {
            if text.contains(secret.as_str()) {
                let shown: String = secret.chars().take(3).collect();
                eprintln!("secret-scan: a secret ({shown}…) appears in {place}");
                leaks += 1;
            }
        }
    }
    println!(
        "secret-scan: {} secrets sought in {items} items, {log_lines} log lines and {event_pages} \
         audit-trail pages of {} companies: {leaks} found",
        secrets.len(),
        with_events.len()
    );
    if leaks == 0 && !secrets.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
