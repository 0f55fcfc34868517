//! The raw rate `idp-admin import` is measured against (`make bench`, step "import").
//!
//! Reads the same JSON Lines file, prepares every line's items untimed (Create's checks and
//! `idp_core::store::import_items`: profile, reservations, credential), then times issuing
//! them as one `TransactWriteItems` per line, each item put only if its key is free, at the
//! same concurrency as the import: the same writes with nothing of the import's own work
//! (reading, parsing, checking, hash bounds, results in order, rejects file) around them.
//!
//! Usage: import-raw --company ID --file lines.jsonl --concurrency 16
//! Prints one JSON object: lines, seconds, lines_per_second.

use std::io::BufRead;
use std::time::Instant;

use aws_sdk_dynamodb::types::{Put, TransactWriteItem};
use clap::Parser;
use futures::StreamExt;
use idp_core::domain::CompanyId;
use idp_core::rules::import_line::parse_line;
use idp_core::store::{Store, Tables, bulk_dynamodb_client, import_items};
use serde_json::json;

#[derive(Debug, Parser)]
struct Args {
    #[arg(long, allow_hyphen_values = true)]
    company: String,
    #[arg(long)]
    file: std::path::PathBuf,
    #[arg(long, default_value_t = 16)]
    concurrency: usize,
}

#[tokio::main]
async fn main() -> Result<(), String> {
    let args = Args::parse();
    let company = CompanyId::parse(&args.company).ok_or("bad company id")?;
    let tables = Tables::from_env()?;
    let client = bulk_dynamodb_client().await;
    let store = Store::new(client.clone(), tables.clone());
    let config = store
        .company_config(company.as_str())
        .await
        .map_err(|e| e.to_string())?
        .ok_or("no such company")?;
    let file = std::fs::File::open(&args.file).map_err(|e| e.to_string())?;
    let mut transactions = Vec::new();
    for line in std::io::BufReader::new(file).lines() {
        let line = line.map_err(|e| e.to_string())?;
        let parsed = parse_line(&company, &config, line.as_bytes()).map_err(|e| e.to_string())?;
        let items = import_items(
            &parsed.profile,
            parsed.password_hash.as_deref(),
            // The benchmark's lines carry no TOTP.
            None,
            store.clock().now_ms(),
        );
        let writes: Vec<TransactWriteItem> = items
            .into_iter()
            .map(|item| {
                Put::builder()
                    .table_name(&tables.profiles)
                    .set_item(Some(item))
                    .condition_expression("attribute_not_exists(PK)")
                    .build()
                    .map(|put| TransactWriteItem::builder().put(put).build())
                    .map_err(|e| e.to_string())
            })
            .collect::<Result<_, _>>()?;
        transactions.push(writes);
    }
    let lines = transactions.len();
    let started = Instant::now();
    let failures = futures::stream::iter(transactions)
        .map(|writes| {
            let client = client.clone();
            async move {
                client
                    .transact_write_items()
                    .set_transact_items(Some(writes))
                    .send()
                    .await
                    .is_err()
            }
        })
        .buffer_unordered(args.concurrency.max(1))
        .filter(|failed| std::future::ready(*failed))
        .count()
        .await;
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "{}",
        json!({"lines": lines, "failed": failures, "seconds": seconds,
               "lines_per_second": lines as f64 / seconds})
    );
    Ok(())
}
