//! Search at two company sizes (`make bench`, step "search at 1,000 and 100,000 profiles").
//!
//! Seeds one company per size through a bulk path: the items a create writes
//! (`idp_core::store::new_profile_items`: the profile item with its index attributes and its
//! identifier reservations, under the rules of `config/companies/demo.yaml`), sent with
//! concurrent `BatchWriteItem`s. Then measures `Store::search`, in process against DynamoDB
//! Local, for five shapes of page at both sizes, the sizes alternating sample by sample so
//! that drift in the emulator lands on both alike: an identifier filter (one e-mail), a name
//! filter matching 20, the unfiltered listing at page 1 and at page 50, and a cursor walk.
//! For each it records the items read (index entries and profiles, counted by the store from
//! each response's `Count` and items), the requests, the sequential rounds, and p50/p99
//! latency. Also records what the indexes add to a create, from a transaction's
//! `ConsumedCapacity` with `ReturnConsumedCapacity=INDEXES`.
//!
//! Everything that depends on the company's size is below the HTTP layer, so the HTTP layer
//! (authentication, JSON) is left out: its cost is the same at every size and is measured by
//! the handler-overhead bench.
//!
//! Usage: search-scale --config config/companies/demo.yaml --out .local/bench/search.json
//!        [--sizes 1000,100000] [--samples 60]
//! Environment: that of the local stack (`PROFILES_TABLE`, `COMPANIES_TABLE`, the endpoint).

use std::collections::HashMap;

use std::time::{Duration, Instant};

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{AttributeValue, Put, ReturnConsumedCapacity, TransactWriteItem};
use clap::Parser;
use idp_core::company::{CompanyConfig, Identifier};
use idp_core::domain::ProfileField;
use idp_core::domain::{CompanyId, ProfileAttributes, ProfileId};
use idp_core::store::index::Searchable;
use idp_core::store::{
    NewProfile, SearchCost, SearchQuery, Store, Tables, dynamodb_client, new_profile_items,
};
use serde_json::{Value, json};

#[derive(Debug, Parser)]
struct Args {
    /// The company configuration whose identifier sets the seeded profiles reserve.
    #[arg(long)]
    config: std::path::PathBuf,
    /// Where the JSON report goes.
    #[arg(long)]
    out: std::path::PathBuf,
    #[arg(long, value_delimiter = ',', default_value = "1000,100000")]
    sizes: Vec<usize>,
    /// Measured searches per shape and size (after 5 warm-up rounds).
    #[arg(long, default_value_t = 60)]
    samples: usize,
}

/// Profiles per name: a name filter matches this many.
const PER_NAME: usize = 20;
/// One profile in ten is deactivated (those with `i % 10 == DISABLED_DIGIT`).
const DISABLED_DIGIT: usize = 3;
/// Pages of the cursor walk.
const WALK_PAGES: usize = 20;

use idp_bench::Failure;

#[tokio::main]
async fn main() {
    if let Err(err) = run(Args::parse()).await {
        eprintln!("search-scale: {err}");
        std::process::exit(1);
    }
}

async fn run(args: Args) -> Result<(), Failure> {
    let text = std::fs::read_to_string(&args.config)?;
    let yaml: Value = serde_yaml::from_str(&text)?;
    let config = CompanyConfig::from_value(yaml).map_err(|e| format!("{e:?}"))?;
    let client = dynamodb_client().await;
    let tables = Tables::from_env()?;
    let store = Store::new(client.clone(), tables.clone());
    let run_id = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_secs();

    let create = create_cost(&client, &tables.profiles, &config, run_id).await?;
    println!("create: {create}");

    let mut companies = Vec::new();
    for &size in &args.sizes {
        let company = CompanyId::parse(&format!("bench-search-{size}-{run_id}"))
            .ok_or("a bench company id")?;
        let started = Instant::now();
        seed(&client, &tables.profiles, &config, &company, size).await?;
        let seconds = started.elapsed().as_secs_f64();
        println!(
            "seeded {size} profiles in {seconds:.1} s ({:.0} profiles/s)",
            size as f64 / seconds
        );
        companies.push((size, company, seconds));
    }

    let shapes = [
        "identifier",
        "name",
        "two filters",
        "page 1",
        "page 50",
        "cursor walk",
    ];
    // measured[shape][size] = (latencies, costs)
    let mut measured: Vec<Vec<(Vec<Duration>, Vec<SearchCost>)>> =
        vec![vec![(Vec::new(), Vec::new()); companies.len()]; shapes.len()];
    for round in 0..args.samples + 5 {
        for (s, shape) in shapes.iter().enumerate() {
            for (c, (_, company, _)) in companies.iter().enumerate() {
                let (latencies, costs) = sample(&store, company, shape, round).await?;
                if round >= 5 {
                    measured[s][c].0.extend(latencies);
                    measured[s][c].1.extend(costs);
                }
            }
        }
    }

    let mut report_shapes = Vec::new();
    for (s, shape) in shapes.iter().enumerate() {
        let mut by_size = Vec::new();
        for (c, (size, _, _)) in companies.iter().enumerate() {
            let (latencies, costs) = &measured[s][c];
            let figures = figures(latencies, costs);
            println!("{shape:<12} {size:>7}: {figures}");
            by_size.push(json!({"size": size, "figures": figures}));
        }
        report_shapes.push(json!({"shape": shape, "what": describe(shape), "sizes": by_size}));
    }
    let report = json!({
        "method": format!(
            "`target/release/search-scale --samples {}` (scripts/bench.sh): `Store::search` in \
             process against DynamoDB Local (in memory, on the same cores); the sizes alternate \
             sample by sample, after 5 warm-up rounds",
            args.samples
        ),
        "samples": args.samples,
        "seeding": companies.iter().map(|(size, _, seconds)| json!({
            "size": size, "seconds": (seconds * 10.0).round() / 10.0
        })).collect::<Vec<_>>(),
        "create": create,
        "shapes": report_shapes,
    });
    if let Some(dir) = args.out.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(&args.out, serde_json::to_string_pretty(&report)?)?;
    Ok(())
}

fn describe(shape: &str) -> &'static str {
    match shape {
        "identifier" => "`{\"email\": …}`, one profile, per_page 5",
        "two filters" => {
            "`{\"lastname\": \"Soto\", \"timezone\": \"America/Santiago\"}`: the lastname's index \
             (every profile) read, the time zone (one profile in ten) checked on the profiles \
             read; per_page 5, page 1"
        }
        "name" => "`{\"name\": …}` matching 20 profiles, per_page 20",
        "page 1" => "`{}`, page 1, per_page 5",
        "page 50" => "`{}`, page 50, per_page 5",
        _ => "`{}`, per_page 5, 20 pages by cursor from the start (each page a sample)",
    }
}

/// One sample of `shape`: one search, or a whole cursor walk (one entry per page).
async fn sample(
    store: &Store,
    company: &CompanyId,
    shape: &str,
    round: usize,
) -> Result<(Vec<Duration>, Vec<SearchCost>), Failure> {
    // Profiles and names that exist, and are active, at every size.
    let active = |n: usize| if n % 10 == DISABLED_DIGIT { n + 1 } else { n };
    let query = |filters: Vec<(Searchable, String)>, offset: usize, limit: usize| SearchQuery {
        company: company.clone(),
        filters,
        include_disabled: false,
        after: None,
        offset,
        limit,
    };
    let mut latencies = Vec::new();
    let mut costs = Vec::new();
    let mut timed = |latency: Duration, cost: SearchCost| {
        latencies.push(latency);
        costs.push(cost);
    };
    match shape {
        "identifier" => {
            let n = active((round * 37) % 1000);
            let q = query(
                vec![(Searchable::Field(ProfileField::Email), email(n))],
                0,
                5,
            );
            let (latency, page) = timed_search(store, &q).await?;
            expect(page.profiles.len() == 1, "identifier: one profile")?;
            timed(latency, page.cost);
        }
        "name" => {
            // Names 0..49 exist at every size (1,000 / 20); skip the all-disabled ones.
            let k = active(round % (1000 / PER_NAME));
            let q = query(
                vec![(Searchable::Field(ProfileField::Name), name(k))],
                0,
                20,
            );
            let (latency, page) = timed_search(store, &q).await?;
            expect(page.profiles.len() == PER_NAME, "name: 20 profiles")?;
            timed(latency, page.cost);
        }
        "two filters" => {
            let q = query(
                vec![
                    (Searchable::Field(ProfileField::Lastname), "Soto".to_owned()),
                    (
                        Searchable::Field(ProfileField::Timezone),
                        "America/Santiago".to_owned(),
                    ),
                ],
                0,
                5,
            );
            let (latency, page) = timed_search(store, &q).await?;
            expect(
                page.profiles.len() == 5 && page.more,
                "two filters: a full page",
            )?;
            timed(latency, page.cost);
        }
        "page 1" | "page 50" => {
            let offset = if shape == "page 1" { 0 } else { 49 * 5 };
            let (latency, page) = timed_search(store, &query(Vec::new(), offset, 5)).await?;
            expect(
                page.profiles.len() == 5 && page.more,
                "listing: a full page",
            )?;
            timed(latency, page.cost);
        }
        _ => {
            let mut q = query(Vec::new(), 0, 5);
            let mut seen = std::collections::HashSet::new();
            for _ in 0..WALK_PAGES {
                let (latency, page) = timed_search(store, &q).await?;
                expect(page.profiles.len() == 5, "walk: a full page")?;
                for profile in &page.profiles {
                    expect(seen.insert(profile.id), "walk: no profile twice")?;
                }
                timed(latency, page.cost);
                q.after = page.last_key;
            }
        }
    }
    Ok((latencies, costs))
}

fn expect(ok: bool, what: &str) -> Result<(), Failure> {
    if ok {
        Ok(())
    } else {
        Err(format!("unexpected page: {what}").into())
    }
}

async fn timed_search(
    store: &Store,
    query: &SearchQuery,
) -> Result<(Duration, idp_core::store::SearchPage), Failure> {
    let started = Instant::now();
    let page = store.search(query).await?;
    Ok((started.elapsed(), page))
}

fn figures(latencies: &[Duration], costs: &[SearchCost]) -> Value {
    let mut ms: Vec<f64> = latencies.iter().map(|d| d.as_secs_f64() * 1e3).collect();
    ms.sort_by(f64::total_cmp);
    let at = |p: f64| {
        let i = ((p * ms.len() as f64).ceil() as usize).clamp(1, ms.len()) - 1;
        (ms[i] * 100.0).round() / 100.0
    };
    let items: Vec<u32> = costs
        .iter()
        .map(|c| c.entries_read + c.profiles_read)
        .collect();
    let max_of = |f: fn(&SearchCost) -> u32| costs.iter().map(f).max().unwrap_or(0);
    let min_items = items.iter().min().copied().unwrap_or(0);
    let max_items = items.iter().max().copied().unwrap_or(0);
    json!({
        "pages": costs.len(),
        "p50_ms": at(0.50),
        "p99_ms": at(0.99),
        "items_read_min": min_items,
        "items_read_max": max_items,
        "entries_read_max": max_of(|c| c.entries_read),
        "profiles_read_max": max_of(|c| c.profiles_read),
        "requests_max": max_of(|c| c.queries + c.batch_reads),
        "rounds_max": max_of(|c| c.rounds),
    })
}

fn email(n: usize) -> String {
    format!("user{n}@bench.example")
}

fn name(k: usize) -> String {
    format!("Name{k}")
}

/// The `n`-th profile of a company of `size`: every field of the demo form filled.
fn new_profile(
    company: &CompanyId,
    config: &CompanyConfig,
    n: usize,
    size: usize,
) -> Result<NewProfile, Failure> {
    let names = (size / PER_NAME).max(1);
    let fields = json!({
        "nin": format!("nin-{n}"),
        "username": format!("user{n}"),
        "email": email(n),
        "phone_number": format!("+5691{n:07}"),
        "origin": "test_idp",
        "name": name(n % names),
        "lastname": "Soto",
        "birthday": "17-05-1990",
        "nationality": "CHL",
        // One profile in ten (all of them active) for the two-filter shape.
        "timezone": if n % 10 == 7 { "America/Santiago" } else { "UTC" },
    });
    let map = fields.as_object().ok_or("profile fields")?;
    let attributes = ProfileAttributes::parse(map).map_err(|e| e.to_string())?;
    let identifiers = Identifier::all(&config.identifier_sets, &attributes);
    Ok(NewProfile {
        company: company.clone(),
        id: ProfileId::new_random(),
        attributes,
        active: n % 10 != DISABLED_DIGIT,
        identification_provider: "test_idp".to_owned(),
        register_type: "nin_register".to_owned(),
        identifiers,
    })
}

/// Writes `size` profiles' items, created one millisecond apart (oldest first), in bulk.
async fn seed(
    client: &Client,
    table: &str,
    config: &CompanyConfig,
    company: &CompanyId,
    size: usize,
) -> Result<(), Failure> {
    let base_ms = idp_core::clock::Clock::system().now_ms() - size as u64;
    let mut items = Vec::new();
    for n in 0..size {
        let profile = new_profile(company, config, n, size)?;
        items.extend(new_profile_items(&profile, base_ms + n as u64));
    }
    idp_bench::put_all(client, table, items).await
}

/// A create's transaction with `ReturnConsumedCapacity=INDEXES`: the items it writes, the
/// index entries its profile item adds, and the write units of the table and of the indexes.
async fn create_cost(
    client: &Client,
    table: &str,
    config: &CompanyConfig,
    run_id: u64,
) -> Result<Value, Failure> {
    let company =
        CompanyId::parse(&format!("bench-create-{run_id}")).ok_or("a bench company id")?;
    let profile = new_profile(&company, config, 1, 1)?;
    let items = new_profile_items(&profile, idp_core::clock::Clock::system().now_ms());
    let index_entries = items
        .first()
        .map(|item| {
            idp_core::store::INDEXES
                .iter()
                .filter(|(_, attribute)| item.contains_key(*attribute))
                .count()
        })
        .unwrap_or(0);
    let profile_bytes = items.first().map(item_bytes).unwrap_or(0);
    let writes: Vec<TransactWriteItem> = items
        .iter()
        .map(|item| {
            Put::builder()
                .table_name(table)
                .set_item(Some(item.clone()))
                .condition_expression("attribute_not_exists(PK)")
                .build()
                .map(|put| TransactWriteItem::builder().put(put).build())
        })
        .collect::<Result<_, _>>()?;
    let output = client
        .transact_write_items()
        .set_transact_items(Some(writes))
        .return_consumed_capacity(ReturnConsumedCapacity::Indexes)
        .send()
        .await?;
    let consumed = output.consumed_capacity.unwrap_or_default();
    let table_units: f64 = consumed
        .iter()
        .filter_map(|c| c.table.as_ref().and_then(|t| t.capacity_units))
        .sum();
    let index_units: f64 = consumed
        .iter()
        .filter_map(|c| c.global_secondary_indexes.as_ref())
        .flat_map(|indexes| indexes.values())
        .filter_map(|c| c.capacity_units)
        .sum();
    let total: f64 = consumed.iter().filter_map(|c| c.capacity_units).sum();
    Ok(json!({
        "items_written": items.len(),
        "index_entries": index_entries,
        "profile_item_bytes": profile_bytes,
        "reported": !consumed.is_empty(),
        "table_write_units": table_units,
        "index_write_units": index_units,
        "total_write_units": total,
        "round_trips": 1,
    }))
}

/// An item's size as DynamoDB counts it: attribute names and values, in bytes.
fn item_bytes(item: &HashMap<String, AttributeValue>) -> usize {
    fn value_bytes(value: &AttributeValue) -> usize {
        match value {
            AttributeValue::S(s) | AttributeValue::N(s) => s.len(),
            AttributeValue::Bool(_) | AttributeValue::Null(_) => 1,
            AttributeValue::L(list) => 3 + list.iter().map(|v| 1 + value_bytes(v)).sum::<usize>(),
            AttributeValue::M(map) => {
                3 + map
                    .iter()
                    .map(|(k, v)| 1 + k.len() + value_bytes(v))
                    .sum::<usize>()
            }
            _ => 0,
        }
    }
    item.iter().map(|(k, v)| k.len() + value_bytes(v)).sum()
}
