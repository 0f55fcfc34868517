//! The audit trail's items (docs/design.md, "Audit trail"). Each event is one item in its
//! profile's event partition (outside the profile's item collection, so erasure keeps it),
//! carrying the attributes of the company events index: a write-sharded partition per company
//! and the time as sort key, projected whole, so a company page is one `Query` per shard.
//!
//! A change's event is one more item of the change's own transaction ([`Store::event_put`]);
//! an authentication attempt that writes nothing else records its event alone
//! ([`Store::record`]).

use aws_sdk_dynamodb::types::{Put, TransactWriteItem};

use super::attributes::{Item, n, s};
use super::{Store, StoreError, keys};
use crate::audit::Event;
use crate::domain::CompanyId;

/// The company events index: its name, partition and sort attributes (`template.yaml`).
pub const EVENTS_INDEX: (&str, &str, &str) = ("company-events", "events_key", "events_at");

/// Write shards of the company events index: as the listing index, 8 partitions share a
/// company's event writes (docs/design.md has the arithmetic).
pub const EVENT_SHARDS: u128 = 8;

impl Store {
    /// The item of `event` in `company`, dated now by the store's clock, with a new id.
    /// Public for bulk loading (`make bench` seeds companies with these same items).
    pub fn event_item(&self, company: &CompanyId, event: &Event) -> Item {
        let id = uuid::Uuid::new_v4();
        let shard = id.as_u128() % EVENT_SHARDS;
        let id = id.simple().to_string();
        let at_ms = self.clock.now_ms();
        let order = keys::event_order(at_ms, &id);
        let mut item = super::attributes::key(keys::events(company, event.profile, shard), &order);
        let (_, index_key, index_sort) = EVENTS_INDEX;
        item.insert(index_key.into(), s(keys::company_events(company, shard)));
        item.insert(index_sort.into(), s(order));
        item.insert("kind".into(), s("event"));
        item.insert("company_id".into(), s(company.as_str()));
        item.insert("event_id".into(), s(id));
        item.insert("at".into(), n(at_ms));
        item.insert("event_type".into(), s(event.kind.as_str()));
        if let Some(profile) = event.profile {
            item.insert("profile".into(), s(profile.to_string()));
        }
        item.insert("outcome".into(), s(event.outcome()));
        if let Some(reason) = event.reason() {
            item.insert("reason".into(), s(reason.as_str()));
        }
        if !event.changed_fields.is_empty() {
            item.insert(
                "changed_fields".into(),
                aws_sdk_dynamodb::types::AttributeValue::L(
                    event.changed_fields.iter().map(|f| s(f.as_str())).collect(),
                ),
            );
        }
        let actor = &event.actor;
        for (name, value) in [
            ("client", &actor.client),
            ("source_ip", &actor.source_ip),
            ("request_id", &actor.request_id),
        ] {
            if let Some(value) = value {
                item.insert(name.into(), s(value.as_str()));
            }
        }
        let expires = at_ms / 1000 + u64::from(event.retention_days) * 86_400;
        item.insert("expires_at".into(), n(expires));
        item
    }

    /// `event` as one more item of a transaction.
    pub(super) fn event_put(
        &self,
        company: &CompanyId,
        event: &Event,
    ) -> Result<TransactWriteItem, StoreError> {
        let put = Put::builder()
            .table_name(&self.tables.profiles)
            .set_item(Some(self.event_item(company, event)))
            .build()
            .map_err(|e| StoreError::Failed(e.to_string()))?;
        Ok(TransactWriteItem::builder().put(put).build())
    }

    /// Records `event` on its own: for an attempt that writes nothing else.
    pub async fn record(&self, company: &CompanyId, event: &Event) -> Result<(), StoreError> {
        self.client
            .put_item()
            .table_name(&self.tables.profiles)
            .set_item(Some(self.event_item(company, event)))
            .send()
            .await?;
        Ok(())
    }
}

/// What a page of events is limited to (all optional): a time range in epoch milliseconds,
/// both ends inclusive, and a type or a type family (`login.`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventFilter {
    pub from_ms: Option<u64>,
    pub until_ms: Option<u64>,
    pub type_prefix: Option<String>,
}

/// One event as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredEvent {
    pub id: String,
    pub at_ms: u64,
    pub kind: String,
    pub profile: Option<String>,
    pub outcome: String,
    pub reason: Option<String>,
    pub changed_fields: Vec<String>,
    pub client: Option<String>,
    pub source_ip: Option<String>,
    pub request_id: Option<String>,
    /// Where the event stands in its order (time, then id): what a cursor continues below.
    pub order: String,
}

/// A page of events, newest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventPage {
    pub events: Vec<StoredEvent>,
    /// The order key to continue below, when there may be more.
    pub next: Option<String>,
    /// Items DynamoDB evaluated for the page (the cost `make bench` records).
    pub items_read: usize,
}

/// One partition's query: its items (after the type filter) and, when it stopped at its
/// limit, the order key it stopped at (everything newer of that partition was read).
struct ShardRead {
    items: Vec<Item>,
    stopped_at: Option<String>,
    evaluated: usize,
}

impl Store {
    /// A page of one profile's events, newest first, below `before` (a previous page's
    /// `next`): one `Query` of its event partition, of at most `limit` + 2 items.
    pub async fn profile_events(
        &self,
        company: &CompanyId,
        profile: crate::domain::ProfileId,
        filter: &EventFilter,
        before: Option<&str>,
        limit: usize,
    ) -> Result<EventPage, StoreError> {
        let partition = keys::events(company, Some(profile), 0);
        let read = self
            .read_events(None, keys::PK, &partition, keys::SK, filter, before, limit)
            .await?;
        merge(vec![read], before, limit)
    }

    /// A page of a company's events, newest first, below `before`: one `Query` of each of
    /// the company-events index's shards, sent together, each of at most `limit` + 2 items,
    /// merged by time. The cost is the page's, whatever the company's size.
    pub async fn company_events(
        &self,
        company: &CompanyId,
        filter: &EventFilter,
        before: Option<&str>,
        limit: usize,
    ) -> Result<EventPage, StoreError> {
        let (index, partition, sort) = EVENTS_INDEX;
        let shards: Vec<String> = (0..EVENT_SHARDS)
            .map(|shard| keys::company_events(company, shard))
            .collect();
        let reads =
            futures::future::try_join_all(shards.iter().map(|key| {
                self.read_events(Some(index), partition, key, sort, filter, before, limit)
            }))
            .await?;
        merge(reads, before, limit)
    }

    /// One partition's events in the filter's range and below `before`, newest first.
    #[allow(clippy::too_many_arguments)]
    async fn read_events(
        &self,
        index: Option<&str>,
        partition_attribute: &str,
        partition: &str,
        sort_attribute: &str,
        filter: &EventFilter,
        before: Option<&str>,
        limit: usize,
    ) -> Result<ShardRead, StoreError> {
        let low = filter
            .from_ms
            .map_or_else(|| "0".to_owned(), |ms| format!("{ms:013}#"));
        // `~` sorts after every id character: the whole last millisecond is in range.
        let mut high = filter
            .until_ms
            .map_or_else(|| "~".to_owned(), |ms| format!("{ms:013}#~"));
        if let Some(before) = before
            && before < high.as_str()
        {
            high = before.to_owned();
        }
        if low > high {
            return Ok(ShardRead {
                items: Vec::new(),
                stopped_at: None,
                evaluated: 0,
            });
        }
        // The page, one more to know whether there is a next, one more for `before` itself.
        let evaluate = i32::try_from(limit + 2).unwrap_or(i32::MAX);
        let mut query = self
            .client
            .query()
            .table_name(&self.tables.profiles)
            .set_index_name(index.map(str::to_owned))
            .key_condition_expression("#p = :p AND #s BETWEEN :low AND :high")
            .expression_attribute_names("#p", partition_attribute)
            .expression_attribute_names("#s", sort_attribute)
            .expression_attribute_values(":p", s(partition))
            .expression_attribute_values(":low", s(low))
            .expression_attribute_values(":high", s(high))
            .scan_index_forward(false)
            .limit(evaluate);
        if let Some(prefix) = &filter.type_prefix {
            query = query
                .filter_expression("begins_with(event_type, :t)")
                .expression_attribute_values(":t", s(prefix.as_str()));
        }
        let output = query.send().await?;
        let evaluated = usize::try_from(output.scanned_count()).unwrap_or(0);
        let stopped_at = output
            .last_evaluated_key()
            .and_then(|key| super::attributes::get_s(key, sort_attribute))
            .map(str::to_owned);
        Ok(ShardRead {
            items: output.items.unwrap_or_default(),
            stopped_at,
            evaluated,
        })
    }
}

/// Merges partitions read newest first into one page. A partition that stopped at its limit
/// was read down to where it stopped, and no further: the page keeps only events at or above
/// the highest such point, so none is skipped, and the next page continues below its last.
fn merge(
    reads: Vec<ShardRead>,
    before: Option<&str>,
    limit: usize,
) -> Result<EventPage, StoreError> {
    let frontier = reads.iter().filter_map(|r| r.stopped_at.clone()).max();
    let items_read = reads.iter().map(|r| r.evaluated).sum();
    let mut events: Vec<StoredEvent> = reads
        .into_iter()
        .flat_map(|r| r.items)
        .map(|item| stored_event(&item))
        .collect::<Result<_, _>>()?;
    events.retain(|e| Some(e.order.as_str()) != before);
    if let Some(frontier) = &frontier {
        events.retain(|e| &e.order >= frontier);
    }
    events.sort_by(|a, b| b.order.cmp(&a.order));
    let more = events.len() > limit || frontier.is_some();
    events.truncate(limit);
    let next = if more {
        events.last().map(|e| e.order.clone()).or(frontier)
    } else {
        None
    };
    Ok(EventPage {
        events,
        next,
        items_read,
    })
}

fn stored_event(item: &Item) -> Result<StoredEvent, StoreError> {
    use super::attributes::get_s;
    let text = |name: &str| get_s(item, name).map(str::to_owned);
    let corrupt = |what: &str| StoreError::Corrupt(format!("event item without {what}"));
    Ok(StoredEvent {
        id: text("event_id").ok_or_else(|| corrupt("event_id"))?,
        at_ms: item
            .get("at")
            .and_then(|v| v.as_n().ok())
            .and_then(|n| n.parse().ok())
            .ok_or_else(|| corrupt("at"))?,
        kind: text("event_type").ok_or_else(|| corrupt("event_type"))?,
        profile: text("profile"),
        outcome: text("outcome").ok_or_else(|| corrupt("outcome"))?,
        reason: text("reason"),
        changed_fields: match item.get("changed_fields") {
            Some(aws_sdk_dynamodb::types::AttributeValue::L(list)) => {
                list.iter().filter_map(|v| v.as_s().ok().cloned()).collect()
            }
            _ => Vec::new(),
        },
        client: text("client"),
        source_ip: text("source_ip"),
        request_id: text("request_id"),
        order: text(EVENTS_INDEX.2).ok_or_else(|| corrupt("events_at"))?,
    })
}
