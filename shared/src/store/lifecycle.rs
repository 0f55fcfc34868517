//! Update and erasure of a profile (§5.11, §5.12): each a read of what is there, then one
//! transaction conditioned on the profile's `version`, so a write made in between (another
//! update, a status change, an erasure) cancels it instead of being overwritten with stale
//! data. docs/design.md ("Update and erasure") lists the items of each transaction.

use std::collections::BTreeSet;

use aws_sdk_dynamodb::types::{
    AttributeValue, Delete, Put, ReturnValuesOnConditionCheckFailure, TransactWriteItem, Update,
};

use super::attributes::{Item, get_s, key, n, s};
use super::index::Searchable;
use super::profiles::{profile_from_item, reservation_item};
use super::{Store, StoreError, keys};
use crate::audit::Event;
use crate::company::Identifier;
use crate::domain::{CompanyId, ProfileAttributes, ProfileField, ProfileId};
use crate::profile::Profile;

/// A profile as read for a change: what the change is computed from and conditioned on.
#[derive(Debug, Clone)]
pub struct Versioned {
    pub profile: Profile,
    pub register_type: String,
    pub version: u64,
    identifier_keys: Vec<String>,
    item: Item,
}

/// What an update came to.
#[derive(Debug, Clone, PartialEq)]
pub enum UpdateOutcome {
    Updated(Box<Profile>),
    /// A new identifier value is another profile's: nothing was written.
    IdentifierTaken,
    /// The profile was written (or erased) since it was read: read it again.
    Stale,
}

/// What an erasure came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EraseOutcome {
    Erased,
    NotFound,
}

impl Versioned {
    /// Whether this profile's reservations are `identifiers`' and its index attributes the
    /// ones its values give now (`idp-admin rekey`: keys written before identifiers had a
    /// canonical form are not).
    pub fn keys_are(&self, company: &CompanyId, identifiers: &[Identifier]) -> bool {
        let identifier_keys = keys::identifier_keys(company, identifiers);
        let wanted: BTreeSet<&String> = identifier_keys.iter().collect();
        let held: BTreeSet<&String> = self.identifier_keys.iter().collect();
        let id = self.profile.id;
        wanted == held
            && self.profile.attributes.iter().all(|(field, value)| {
                let searchable = Searchable::Field(field);
                get_s(&self.item, &searchable.attribute())
                    == Some(searchable.key(company, id, value).as_str())
            })
    }
}

impl Store {
    /// The profile item, strongly consistent, with its version and reservations.
    pub async fn profile_for_change(
        &self,
        company: &CompanyId,
        id: ProfileId,
    ) -> Result<Option<Versioned>, StoreError> {
        let Some(item) = self.profile_item(company, id).await? else {
            return Ok(None);
        };
        Ok(Some(versioned(item)?))
    }

    /// Writes `attributes` as the profile's values and `identifiers` as its reservations,
    /// in one transaction: the profile (conditioned on the version read), each new
    /// reservation (conditioned on being free), each dropped one deleted, each kept one
    /// given the new e-mail, and, when the e-mail changed, the pending password-change token
    /// deleted (a link mailed to the old address must not reset the password).
    pub async fn update_profile(
        &self,
        current: &Versioned,
        attributes: &ProfileAttributes,
        identifiers: &[Identifier],
        event: &Event,
    ) -> Result<UpdateOutcome, StoreError> {
        let company = CompanyId::parse(get_s(&current.item, "company_id").unwrap_or_default())
            .ok_or_else(|| StoreError::Corrupt("profile item without company_id".into()))?;
        let id = current.profile.id;
        let partition = keys::profile(&company, id);
        let me = s(id.to_string());
        let build = |e: aws_sdk_dynamodb::error::BuildError| StoreError::Failed(e.to_string());

        let now = self.clock.now_seconds();
        let identifier_keys = keys::identifier_keys(&company, identifiers);
        let item = updated_item(current, &company, attributes, &identifier_keys, now);
        let new_profile = profile_from_item(&item)?;
        let mut writes = vec![
            TransactWriteItem::builder()
                .put(
                    Put::builder()
                        .table_name(&self.tables.profiles)
                        .set_item(Some(item))
                        .condition_expression("version = :v")
                        .expression_attribute_values(":v", n(current.version))
                        .return_values_on_condition_check_failure(
                            ReturnValuesOnConditionCheckFailure::None,
                        )
                        .build()
                        .map_err(build)?,
                )
                .build(),
        ];

        let old: BTreeSet<&String> = current.identifier_keys.iter().collect();
        let new: BTreeSet<&String> = identifier_keys.iter().collect();
        let email = attributes.get(ProfileField::Email);
        let email_changed = current.profile.attributes.get(ProfileField::Email) != email;
        let added: Vec<&String> = new.difference(&old).copied().collect();
        for reservation_key in &added {
            let reservation = reservation_item(reservation_key, &company, id, email, now);
            writes.push(self.put_new(reservation)?);
        }
        for reservation_key in old.difference(&new) {
            writes.push(self.release(reservation_key, id)?);
        }
        if email_changed {
            for reservation_key in old.intersection(&new) {
                let update = Update::builder()
                    .table_name(&self.tables.profiles)
                    .set_key(Some(key(reservation_key.as_str(), keys::RESERVATION)))
                    .condition_expression("#u = :me")
                    .expression_attribute_names("#u", "uuid")
                    .expression_attribute_values(":me", me.clone());
                let update = match email {
                    Some(email) => update
                        .update_expression("SET email = :e")
                        .expression_attribute_values(":e", s(email)),
                    None => update.update_expression("REMOVE email"),
                };
                writes.push(
                    TransactWriteItem::builder()
                        .update(update.build().map_err(build)?)
                        .build(),
                );
            }
            writes.push(self.delete_any(key(&partition, keys::PASSWORD_TOKEN))?);
        }
        writes.push(self.event_put(&company, event)?);

        let Err(refused) = self.transact(&writes).await? else {
            return Ok(UpdateOutcome::Updated(Box::new(new_profile)));
        };
        let profile_failed = refused.failed(0);
        let taken = (1..=added.len()).any(|i| refused.failed(i));
        if taken && !profile_failed {
            return Ok(UpdateOutcome::IdentifierTaken);
        }
        // The profile's version moved on, or (never written so, but a re-read decides rather
        // than a guess) one of this profile's reservations is held by another.
        Ok(UpdateOutcome::Stale)
    }

    /// Erases the profile: one `Query` of its partition (every item, the profile's version and
    /// reservations with them), then one transaction that deletes the profile (conditioned
    /// on that version), every other item found plus, found or not, its password credential
    /// and token (a credential or token written after the read is conditioned on the
    /// profile, which this transaction deletes, so none can outlive it), and each reservation
    /// it holds. Search entries go with the profile item. A write in between makes the
    /// transaction fail, and the erasure starts again from the read.
    pub async fn erase_profile(
        &self,
        company: &CompanyId,
        id: ProfileId,
        event: &Event,
    ) -> Result<EraseOutcome, StoreError> {
        for _ in 0..STALE_RETRIES {
            let partition = keys::profile(company, id);
            let items = self.partition_items(&partition).await?;
            let Some(profile) = items
                .iter()
                .find(|item| get_s(item, keys::SK) == Some(keys::PROFILE))
            else {
                return Ok(EraseOutcome::NotFound);
            };
            let current = versioned(profile.clone())?;
            let mut sort_keys: BTreeSet<String> = items
                .iter()
                .filter_map(|item| get_s(item, keys::SK))
                .filter(|sk| *sk != keys::PROFILE)
                .map(str::to_owned)
                .collect();
            sort_keys.insert(keys::PASSWORD.to_owned());
            sort_keys.insert(keys::SECOND_FACTOR.to_owned());
            sort_keys.insert(keys::PASSWORD_TOKEN.to_owned());
            let mut writes = self.erase_writes(&partition, &current, &sort_keys)?;
            // The event lives in its own partition: the erasure keeps it.
            writes.push(self.event_put(company, event)?);
            if self.transact(&writes).await?.is_ok() {
                return Ok(EraseOutcome::Erased);
            }
        }
        Err(StoreError::Unavailable(format!(
            "the profile changed during {STALE_RETRIES} erasure attempts"
        )))
    }

    fn erase_writes(
        &self,
        partition: &str,
        current: &Versioned,
        sort_keys: &BTreeSet<String>,
    ) -> Result<Vec<TransactWriteItem>, StoreError> {
        let build = |e: aws_sdk_dynamodb::error::BuildError| StoreError::Failed(e.to_string());
        let mut writes = vec![
            TransactWriteItem::builder()
                .delete(
                    Delete::builder()
                        .table_name(&self.tables.profiles)
                        .set_key(Some(key(partition, keys::PROFILE)))
                        .condition_expression("version = :v")
                        .expression_attribute_values(":v", n(current.version))
                        .build()
                        .map_err(build)?,
                )
                .build(),
        ];
        for sk in sort_keys {
            writes.push(self.delete_any(key(partition, sk))?);
        }
        for reservation_key in &current.identifier_keys {
            writes.push(self.release(reservation_key, current.profile.id)?);
        }
        Ok(writes)
    }

    /// The delete of a reservation this profile holds (or that is already gone): never one
    /// that another profile holds.
    fn release(
        &self,
        reservation_key: &str,
        id: ProfileId,
    ) -> Result<TransactWriteItem, StoreError> {
        let delete = Delete::builder()
            .table_name(&self.tables.profiles)
            .set_key(Some(key(reservation_key, keys::RESERVATION)))
            .condition_expression("attribute_not_exists(PK) OR #u = :me")
            .expression_attribute_names("#u", "uuid")
            .expression_attribute_values(":me", s(id.to_string()))
            .build()
            .map_err(|e| StoreError::Failed(e.to_string()))?;
        Ok(TransactWriteItem::builder().delete(delete).build())
    }

    /// The delete of `key`, whether or not an item has it.
    fn delete_any(&self, key: Item) -> Result<TransactWriteItem, StoreError> {
        let delete = Delete::builder()
            .table_name(&self.tables.profiles)
            .set_key(Some(key))
            .build()
            .map_err(|e| StoreError::Failed(e.to_string()))?;
        Ok(TransactWriteItem::builder().delete(delete).build())
    }

    /// Every item of a profile's partition, strongly consistent.
    async fn partition_items(&self, partition: &str) -> Result<Vec<Item>, StoreError> {
        let mut found = Vec::new();
        let mut start = None;
        loop {
            let page = self
                .client
                .query()
                .table_name(&self.tables.profiles)
                .key_condition_expression("#pk = :pk")
                .expression_attribute_names("#pk", keys::PK)
                .expression_attribute_values(":pk", s(partition))
                .consistent_read(true)
                .set_exclusive_start_key(start)
                .send()
                .await?;
            found.extend(page.items.unwrap_or_default());
            start = page.last_evaluated_key;
            if start.is_none() {
                return Ok(found);
            }
        }
    }
}

/// How many times an erasure starts again when the profile changed under it.
const STALE_RETRIES: u32 = 4;

fn versioned(item: Item) -> Result<Versioned, StoreError> {
    let corrupt = |what: &str| StoreError::Corrupt(format!("profile item without valid {what}"));
    let version = item
        .get("version")
        .and_then(|v| v.as_n().ok())
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| corrupt("version"))?;
    let identifier_keys = match item.get("identifier_keys") {
        Some(AttributeValue::L(list)) => {
            list.iter().filter_map(|v| v.as_s().ok().cloned()).collect()
        }
        _ => Vec::new(),
    };
    Ok(Versioned {
        profile: profile_from_item(&item)?,
        register_type: get_s(&item, "register_type")
            .ok_or_else(|| corrupt("register_type"))?
            .to_owned(),
        version,
        identifier_keys,
        item,
    })
}

/// The profile item with `attributes` in place of its values (and of their index keys),
/// `identifier_keys`, the next version and the time of the change; everything else (creation
/// time, `ord`, status, provider) as it was.
fn updated_item(
    current: &Versioned,
    company: &CompanyId,
    attributes: &ProfileAttributes,
    identifier_keys: &[String],
    now_seconds: u64,
) -> Item {
    let id = current.profile.id;
    let mut item = current.item.clone();
    for field in ProfileField::ALL {
        item.remove(field.as_str());
        item.remove(&Searchable::Field(field).attribute());
    }
    for (field, value) in attributes.iter() {
        let searchable = Searchable::Field(field);
        item.insert(field.as_str().into(), s(value));
        item.insert(
            searchable.attribute(),
            s(searchable.key(company, id, value)),
        );
    }
    item.insert(
        "identifier_keys".into(),
        AttributeValue::L(identifier_keys.iter().map(s).collect()),
    );
    item.insert("version".into(), n(current.version + 1));
    item.insert("updated_at".into(), n(now_seconds));
    item
}
