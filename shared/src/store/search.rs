//! Search and listing over the sparse, keys-only indexes (docs/design.md, "Listing and
//! search"): one index is read, the one of the most selective filter (or the company's
//! listing without filters), over each of its shards and, with `include_disabled`, both of
//! its `ord` ranges; the streams are merged by creation time, and the profiles of the page
//! are read in one strongly consistent `BatchGetItem` and checked against every filter, so
//! index lag can drop an entry from a page but never show a wrong profile.

use std::borrow::Cow;
use std::collections::{HashMap, VecDeque};

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{AttributeValue, KeysAndAttributes};

use super::attributes::{Item, get_s, key, s};
use super::index::{DISABLED_OFFSET, LIST_KEY, ORD, SHARDS, Searchable};
use super::profiles::profile_from_item;
use super::{Store, StoreError, keys};
use crate::domain::{CompanyId, ProfileField, canonical};
use crate::profile::Profile;

/// Filters other than the index's are checked on the profiles read. A page examines at most
/// `EXAMINE_PER_ENTRY × (per_page + 1) + EXAMINE_EXTRA` index entries for them (and reads at
/// most that many profiles): 124 for the default 5 a page, 504 at the largest 100. While more
/// may match, a page that reaches the bound ends there, short or even empty, with a
/// continuation from the last entry it examined: its reads follow the page, never the
/// company's size or how rare the match is.
pub const EXAMINE_PER_ENTRY: usize = 4;
pub const EXAMINE_EXTRA: usize = 100;

/// The most index entries a page with residual filters examines.
pub fn examine_budget(limit: usize) -> usize {
    EXAMINE_PER_ENTRY
        .saturating_mul(limit.saturating_add(1))
        .saturating_add(EXAMINE_EXTRA)
}

/// The order filters are preferred in as the index to read: nearly unique values first.
const SELECTIVITY: [Searchable; 11] = [
    Searchable::Field(ProfileField::Email),
    Searchable::Field(ProfileField::Nin),
    Searchable::Field(ProfileField::Username),
    Searchable::Field(ProfileField::PhoneNumber),
    Searchable::Field(ProfileField::Birthday),
    Searchable::Field(ProfileField::Lastname),
    Searchable::Field(ProfileField::Name),
    Searchable::Field(ProfileField::Nationality),
    Searchable::Field(ProfileField::Timezone),
    Searchable::Field(ProfileField::Origin),
    Searchable::IdentificationProvider,
];

/// A search: normalised values ANDed, and a window of the result in creation order.
#[derive(Debug, Clone)]
pub struct SearchQuery {
    pub company: CompanyId,
    pub filters: Vec<(Searchable, String)>,
    pub include_disabled: bool,
    /// Only profiles created after this creation key (a cursor's position).
    pub after: Option<u128>,
    pub offset: usize,
    pub limit: usize,
}

/// The profiles of the window, whether more may follow, and where a continuation starts: after
/// the creation key `last_key` (the last profile returned, or the last entry examined when the
/// examination bound ended the page), skipping `skip` more matches (what is left of the
/// offset when the bound ended the page before the window).
#[derive(Debug, Clone)]
pub struct SearchPage {
    pub profiles: Vec<Profile>,
    pub more: bool,
    pub last_key: Option<u128>,
    pub skip: usize,
    pub cost: SearchCost,
}

/// What a search cost DynamoDB, counted as it runs (logged per request, asserted in tests,
/// reported by `make bench`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SearchCost {
    /// `Query` requests.
    pub queries: u32,
    /// Sequential waits on DynamoDB: requests sent together (every stream's first query)
    /// are one.
    pub rounds: u32,
    /// Index entries the queries returned (their `Count`).
    pub entries_read: u32,
    /// `BatchGetItem` requests.
    pub batch_reads: u32,
    /// Profile items those returned.
    pub profiles_read: u32,
}

/// One index partition's key range, read page by page in `ord` order.
#[derive(Debug)]
struct Stream {
    partition: String,
    /// The inclusive `ord` range read.
    low: u128,
    high: u128,
    buffer: VecDeque<(u128, String)>,
    start: Option<Item>,
    done: bool,
}

impl Store {
    pub async fn search(&self, query: &SearchQuery) -> Result<SearchPage, StoreError> {
        let lead = SELECTIVITY
            .iter()
            .find_map(|s| query.filters.iter().find(|(f, _)| f == s))
            .cloned();
        let (index, attribute, partitions) = match &lead {
            Some((searchable, value)) => (
                searchable.index(),
                searchable.attribute(),
                if searchable.sharded() {
                    (0..SHARDS)
                        .map(|shard| searchable.key_in_shard(&query.company, shard, value))
                        .collect()
                } else {
                    vec![searchable.key_in_shard(&query.company, 0, value)]
                },
            ),
            None => (
                "by-creation".to_owned(),
                LIST_KEY.to_owned(),
                (0..SHARDS)
                    .map(|shard| format!("company#{}#list#{shard}", query.company))
                    .collect(),
            ),
        };
        let mut streams: Vec<Stream> = partitions
            .iter()
            .flat_map(|partition| {
                let ranges: &[bool] = if query.include_disabled {
                    &[false, true]
                } else {
                    &[false]
                };
                ranges.iter().map(|disabled| {
                    let offset = if *disabled { DISABLED_OFFSET } else { 0 };
                    let from = query.after.map_or(0, |after| after + 1);
                    Stream {
                        partition: partition.clone(),
                        low: offset + from,
                        high: if *disabled {
                            MAX_ORD
                        } else {
                            DISABLED_OFFSET - 1
                        },
                        buffer: VecDeque::new(),
                        start: None,
                        done: false,
                    }
                })
            })
            .collect();
        let exact = query.filters.len() <= usize::from(lead.is_some());
        let wanted = query.offset + query.limit + 1;
        let budget = examine_budget(query.limit);
        let chunk = if exact {
            first_chunk(wanted, streams.len())
        } else {
            // Every stream's share of the bound, as for the exact window.
            first_chunk(budget, streams.len()).min(100)
        };
        let mut cost = SearchCost::default();
        self.fill_all(&index, &attribute, &mut streams, chunk, &mut cost)
            .await?;

        // The filters' canonical forms, once per request rather than once per profile read.
        let wanted: Vec<(Searchable, Cow<'_, str>)> = query
            .filters
            .iter()
            .map(|(searchable, value)| match searchable {
                Searchable::Field(field) => (*searchable, canonical(*field, value)),
                Searchable::IdentificationProvider => (*searchable, value.as_str().into()),
            })
            .collect();
        let mut matched: Vec<(u128, Profile)> = Vec::new();
        let mut examined = 0usize;
        let mut last_examined = None;
        let mut candidates: Vec<(u128, String)> = Vec::new();
        let mut bounded = false;
        loop {
            let next = self
                .next_entry(&index, &attribute, &mut streams, chunk, &mut cost)
                .await?;
            let finished = next.is_none();
            if let Some(entry) = next {
                examined += 1;
                last_examined = Some(entry.0);
                if exact {
                    // The index decides membership: only the window's profiles are read.
                    if examined > query.offset {
                        candidates.push(entry);
                    }
                } else {
                    candidates.push(entry);
                }
            }
            let batch_full = candidates.len() >= if exact { query.limit + 1 } else { 100 };
            // Only the residual filters' scan needs the bound: the exact window is bounded by
            // `Page` already.
            let exhausted = !exact && examined >= budget;
            if batch_full || finished || exhausted {
                let profiles = self.profiles_by_key(&candidates, &mut cost).await?;
                candidates.clear();
                matched.extend(
                    profiles
                        .into_iter()
                        .filter(|(_, p)| matches(p, query.include_disabled, &wanted)),
                );
            }
            let have = if exact {
                matched.len()
            } else {
                matched.len().saturating_sub(query.offset)
            };
            if have > query.limit || finished {
                break;
            }
            if exhausted {
                bounded = streams.iter().any(|s| !s.buffer.is_empty() || !s.done);
                break;
            }
        }
        let skipped = if exact {
            query.offset
        } else {
            matched.len().min(query.offset)
        };
        let mut window: Vec<(u128, Profile)> = if exact {
            matched
        } else {
            matched.into_iter().skip(query.offset).collect()
        };
        let full = window.len() > query.limit;
        window.truncate(query.limit);
        let (more, last_key, skip) = if full || !bounded {
            (full, window.last().map(|(key, _)| *key), 0)
        } else {
            // The bound ended the page with entries left: continue after the last one
            // examined (every entry up to it was checked), with what is left of the offset.
            (true, last_examined, query.offset - skipped)
        };
        Ok(SearchPage {
            last_key,
            profiles: window.into_iter().map(|(_, p)| p).collect(),
            more,
            skip,
            cost,
        })
    }

    async fn fill_all(
        &self,
        index: &str,
        attribute: &str,
        streams: &mut [Stream],
        chunk: usize,
        cost: &mut SearchCost,
    ) -> Result<(), StoreError> {
        cost.rounds += 1;
        let mut tasks = tokio::task::JoinSet::new();
        for (i, stream) in streams.iter().enumerate() {
            let request = self.stream_query(index, attribute, stream, chunk);
            tasks.spawn(async move { (i, request.send().await) });
        }
        while let Some(joined) = tasks.join_next().await {
            let (i, result) = joined.map_err(|e| StoreError::Failed(e.to_string()))?;
            absorb(&mut streams[i], result?, cost);
        }
        Ok(())
    }

    /// The next entry in creation order over every stream (`None` when all are done).
    async fn next_entry(
        &self,
        index: &str,
        attribute: &str,
        streams: &mut [Stream],
        chunk: usize,
        cost: &mut SearchCost,
    ) -> Result<Option<(u128, String)>, StoreError> {
        for stream in streams.iter_mut() {
            if stream.buffer.is_empty() && !stream.done {
                let output = self
                    .stream_query(index, attribute, stream, chunk)
                    .send()
                    .await?;
                cost.rounds += 1;
                absorb(stream, output, cost);
            }
        }
        let offset = DISABLED_OFFSET;
        let best = streams
            .iter()
            .enumerate()
            .filter_map(|(i, s)| s.buffer.front().map(|(ord, _)| (ord % offset, i)))
            .min();
        Ok(best.and_then(|(key, i)| streams[i].buffer.pop_front().map(|(_, pk)| (key, pk))))
    }

    fn stream_query(
        &self,
        index: &str,
        attribute: &str,
        stream: &Stream,
        chunk: usize,
    ) -> aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder {
        self.client
            .query()
            .table_name(&self.tables.profiles)
            .index_name(index)
            .key_condition_expression("#k = :k AND #o BETWEEN :low AND :high")
            .expression_attribute_names("#k", attribute)
            .expression_attribute_names("#o", ORD)
            .expression_attribute_values(":k", s(&stream.partition))
            .expression_attribute_values(":low", AttributeValue::N(stream.low.to_string()))
            .expression_attribute_values(":high", AttributeValue::N(stream.high.to_string()))
            .limit(i32::try_from(chunk).unwrap_or(i32::MAX))
            .set_exclusive_start_key(stream.start.clone())
    }

    /// The profiles under `partitions` (profile items), strongly consistent, in that order,
    /// each with its creation key.
    async fn profiles_by_key(
        &self,
        partitions: &[(u128, String)],
        cost: &mut SearchCost,
    ) -> Result<Vec<(u128, Profile)>, StoreError> {
        let mut found: HashMap<String, Item> = HashMap::new();
        for batch in partitions.chunks(100) {
            let keys: Vec<Item> = batch.iter().map(|(_, pk)| key(pk, keys::PROFILE)).collect();
            let mut pending = Some(
                [(
                    self.tables.profiles.clone(),
                    KeysAndAttributes::builder()
                        .set_keys(Some(keys))
                        .consistent_read(true)
                        .build()
                        .map_err(|e| StoreError::Failed(e.to_string()))?,
                )]
                .into_iter()
                .collect::<HashMap<_, _>>(),
            );
            for _ in 0..5 {
                let Some(request) = pending.take().filter(|r| !r.is_empty()) else {
                    break;
                };
                let output = batch_get(&self.client, request).await?;
                cost.rounds += 1;
                cost.batch_reads += 1;
                cost.profiles_read += u32::try_from(output.0.len()).unwrap_or(u32::MAX);
                for item in output.0 {
                    if let Some(pk) = get_s(&item, keys::PK) {
                        found.insert(pk.to_owned(), item);
                    }
                }
                pending = output.1;
            }
            if pending.is_some_and(|p| !p.is_empty()) {
                return Err(StoreError::Unavailable(
                    "batch read left keys unprocessed".into(),
                ));
            }
        }
        partitions
            .iter()
            .filter_map(|(key, pk)| found.get(pk).map(|item| (*key, item)))
            .map(|(key, item)| profile_from_item(item).map(|p| (key, p)))
            .collect()
    }
}

/// Entries each stream's first query asks for when the index alone decides: the window
/// (`wanted` entries, the one after the page included) is spread over the streams at random
/// (by uuid), so each holds about `wanted / streams` of it; a quarter more and 8 keep a
/// stream from running out before the merge ends (which would cost one more round trip)
/// except rarely, without reading every stream to the window's depth. One stream is read to
/// the window's depth, bounded by what one request should return.
fn first_chunk(wanted: usize, streams: usize) -> usize {
    let share = if streams <= 1 {
        wanted
    } else {
        wanted.div_ceil(streams) + wanted.div_ceil(streams * 4) + 8
    };
    share.min(wanted).min(2_000)
}

/// The largest `ord` (38 digits).
const MAX_ORD: u128 = 99_999_999_999_999_999_999_999_999_999_999_999_999;

type Unprocessed = Option<HashMap<String, KeysAndAttributes>>;

async fn batch_get(
    client: &Client,
    request: HashMap<String, KeysAndAttributes>,
) -> Result<(Vec<Item>, Unprocessed), StoreError> {
    let output = client
        .batch_get_item()
        .set_request_items(Some(request))
        .send()
        .await?;
    let items = output
        .responses
        .unwrap_or_default()
        .into_values()
        .flatten()
        .collect();
    Ok((items, output.unprocessed_keys))
}

fn absorb(
    stream: &mut Stream,
    output: aws_sdk_dynamodb::operation::query::QueryOutput,
    cost: &mut SearchCost,
) {
    cost.queries += 1;
    cost.entries_read += u32::try_from(output.count).unwrap_or(0);
    for item in output.items.unwrap_or_default() {
        let ord = item
            .get(ORD)
            .and_then(|v| v.as_n().ok())
            .and_then(|n| n.parse::<u128>().ok());
        if let (Some(ord), Some(pk)) = (ord, get_s(&item, keys::PK)) {
            stream.buffer.push_back((ord, pk.to_owned()));
        }
    }
    stream.start = output.last_evaluated_key;
    stream.done = stream.start.is_none();
}

/// Whether a profile read back is still what the query asks for (the index may lag).
fn matches(
    profile: &Profile,
    include_disabled: bool,
    wanted: &[(Searchable, Cow<'_, str>)],
) -> bool {
    (include_disabled || profile.active)
        && wanted.iter().all(|(searchable, value)| match searchable {
            Searchable::Field(field) => profile
                .attributes
                .get(*field)
                .is_some_and(|own| canonical(*field, own) == *value),
            Searchable::IdentificationProvider => {
                profile.identification_provider.as_deref() == Some(value.as_ref())
            }
        })
}
