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
    pub(super) fn event_item(&self, company: &CompanyId, event: &Event) -> Item {
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
        if let Some(reason) = event.failure {
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
