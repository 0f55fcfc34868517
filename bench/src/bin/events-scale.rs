//! The audit trail at two company sizes (`make bench`, step "audit trail at 1,000 and 100,000
//! events"): a page of a company's events must cost what the page holds, never what the
//! company holds (API.md §5.14).
//!
//! Seeds one company per size with the store's own event items (`Store::event_item`, on a
//! manual clock one millisecond apart: a mix of logins, failures and changes over many
//! profiles, some failures naming none), sent with concurrent `BatchWriteItem`s. Then measures
//! `Store::company_events`, in process against DynamoDB Local, the sizes alternating sample by
//! sample: the first page (`limit` 20), the fifth page by cursor, and the first page of one
//! family (`type=login.`). Records the items DynamoDB evaluated per page and p50/p99 latency.
//!
//! Usage: events-scale --out .local/bench/events.json [--sizes 1000,100000] [--samples 60]
//! Environment: that of the local stack (`PROFILES_TABLE`, `COMPANIES_TABLE`, the endpoint).

use std::time::{Duration, Instant};

use clap::Parser;
use idp_bench::{Failure, percentile_ms};
use idp_core::audit::{Actor, Event, EventType, Reason, Trail};
use idp_core::clock::{Clock, ManualClock};
use idp_core::domain::{CompanyId, ProfileId};
use idp_core::store::{EventFilter, Store, Tables, dynamodb_client};
use serde_json::json;

#[derive(Debug, Parser)]
struct Args {
    /// Where the JSON report goes.
    #[arg(long)]
    out: std::path::PathBuf,
    #[arg(long, value_delimiter = ',', default_value = "1000,100000")]
    sizes: Vec<usize>,
    /// Measured pages per shape and size (after 5 warm-up rounds).
    #[arg(long, default_value_t = 60)]
    samples: usize,
}

/// The page asked for.
const LIMIT: usize = 20;
/// Events per profile in the seed.
const PER_PROFILE: usize = 10;

const SHAPES: [&str; 3] = ["first page", "fifth page by cursor", "first page of login."];

#[tokio::main]
async fn main() {
    if let Err(err) = run(Args::parse()).await {
        eprintln!("events-scale: {err}");
        std::process::exit(1);
    }
}

async fn run(args: Args) -> Result<(), Failure> {
    let client = dynamodb_client().await;
    let tables = Tables::from_env()?;
    let store = Store::new(client.clone(), tables.clone());
    let run_id = Clock::system().now_seconds();
    let mut companies = Vec::new();
    for &size in &args.sizes {
        let company = CompanyId::parse(&format!("bench-events-{size}-{run_id}"))
            .ok_or("a bench company id")?;
        let started = Instant::now();
        seed(&client, &tables, &company, size).await?;
        let seconds = started.elapsed().as_secs_f64();
        println!(
            "seeded {size} events in {seconds:.1} s ({:.0} events/s)",
            size as f64 / seconds
        );
        companies.push((size, company, seconds));
    }

    // measured[shape][size] = (latencies in ms, items read per page)
    let mut measured = vec![vec![(Vec::new(), Vec::new()); companies.len()]; SHAPES.len()];
    for round in 0..args.samples + 5 {
        for (s, shape) in SHAPES.iter().enumerate() {
            for (c, (_, company, _)) in companies.iter().enumerate() {
                let (latency, items) = sample(&store, company, shape).await?;
                if round >= 5 {
                    measured[s][c].0.push(latency.as_secs_f64() * 1e3);
                    measured[s][c].1.push(items);
                }
            }
        }
    }
    let mut shapes = Vec::new();
    for (s, shape) in SHAPES.iter().enumerate() {
        let mut by_size = Vec::new();
        for (c, (size, _, _)) in companies.iter().enumerate() {
            let (latencies, items) = &mut measured[s][c];
            let figures = json!({
                "pages": items.len(),
                "p50_ms": percentile_ms(latencies, 0.50),
                "p99_ms": percentile_ms(latencies, 0.99),
                "items_read_min": items.iter().min(),
                "items_read_max": items.iter().max(),
            });
            println!("{shape:<22} {size:>7}: {figures}");
            by_size.push(json!({"size": size, "figures": figures}));
        }
        shapes.push(json!({"shape": shape, "sizes": by_size}));
    }
    let report = json!({
        "method": format!(
            "`target/release/events-scale --samples {}` (scripts/bench.sh): \
             `Store::company_events` in process against DynamoDB Local (in memory, on the same \
             cores), limit {LIMIT}; the sizes alternate sample by sample, after 5 warm-up rounds",
            args.samples
        ),
        "limit": LIMIT,
        "seeding": companies.iter().map(|(size, _, seconds)| json!({
            "size": size, "seconds": (seconds * 10.0).round() / 10.0
        })).collect::<Vec<_>>(),
        "shapes": shapes,
    });
    if let Some(dir) = args.out.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(&args.out, serde_json::to_string_pretty(&report)?)?;
    Ok(())
}

/// One page of `shape`; its time and the items DynamoDB evaluated for it (the fifth page
/// counts the fifth page's only: the walk to it is set-up).
async fn sample(
    store: &Store,
    company: &CompanyId,
    shape: &str,
) -> Result<(Duration, usize), Failure> {
    let mut filter = EventFilter::default();
    let mut before = None;
    match shape {
        "fifth page by cursor" => {
            for _ in 0..4 {
                let page = store
                    .company_events(company, &filter, before.as_deref(), LIMIT)
                    .await?;
                before = page.next;
            }
        }
        "first page of login." => filter.type_prefix = Some("login.".into()),
        _ => {}
    }
    let started = Instant::now();
    let page = store
        .company_events(company, &filter, before.as_deref(), LIMIT)
        .await?;
    let elapsed = started.elapsed();
    if page.events.is_empty() {
        return Err(format!("{shape}: an empty page").into());
    }
    Ok((elapsed, page.items_read))
}

/// `size` events of one company, one millisecond apart, ending now.
async fn seed(
    client: &aws_sdk_dynamodb::Client,
    tables: &Tables,
    company: &CompanyId,
    size: usize,
) -> Result<(), Failure> {
    let clock = ManualClock::at_ms(Clock::system().now_ms() - size as u64);
    let store = Store::new(client.clone(), tables.clone()).with_clock(clock.clock());
    let trail = Trail {
        actor: Actor {
            client: Some("events-scale".into()),
            source_ip: Some("192.0.2.1".into()),
            request_id: None,
        },
        retention_days: 1,
    };
    let mut items = Vec::with_capacity(size);
    let mut profile = ProfileId::new_random();
    for n in 0..size {
        if n % PER_PROFILE == 0 {
            profile = ProfileId::new_random();
        }
        let event = match n % PER_PROFILE {
            0 => Event::success(EventType::ProfileCreated, profile, &trail),
            3 => Event::failure(
                EventType::LoginFailed,
                Some(profile),
                Reason::WrongPassword,
                &trail,
            ),
            7 => Event::failure(
                EventType::LoginFailed,
                None,
                Reason::UnknownIdentifier,
                &trail,
            ),
            9 => Event::success(EventType::ProfileUpdated, profile, &trail),
            _ => Event::success(EventType::LoginSucceeded, profile, &trail),
        };
        items.push(store.event_item(company, &event));
        clock.advance(Duration::from_millis(1));
    }
    idp_bench::put_all(client, &tables.profiles, items).await
}
