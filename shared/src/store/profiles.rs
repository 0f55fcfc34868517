use aws_sdk_dynamodb::types::{
    AttributeValue, ConditionCheck, Put, ReturnValuesOnConditionCheckFailure, TransactWriteItem,
};
use serde_json::{Map, Value};

use super::attributes::{Item, get_bool, get_s, key, n, s, to_json};
use super::{Store, StoreError, index, keys};
use crate::audit::Event;
use crate::company::Identifier;
use crate::domain::{CompanyId, ProfileAttributes, ProfileField, ProfileId};
use crate::profile::Profile;

/// A profile about to be registered, with the identifiers it reserves.
#[derive(Debug, Clone)]
pub struct NewProfile {
    pub company: CompanyId,
    pub id: ProfileId,
    pub attributes: ProfileAttributes,
    pub active: bool,
    pub identification_provider: String,
    pub register_type: String,
    pub identifiers: Vec<Identifier>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CreateOutcome {
    Created,
    /// One of the identifiers belongs to another profile.
    IdentifierTaken,
}

impl Store {
    /// Writes the profile, its identifier items and `event` in one transaction: all or
    /// nothing.
    pub async fn create_profile(
        &self,
        profile: &NewProfile,
        event: &Event,
    ) -> Result<CreateOutcome, StoreError> {
        let mut items = self.create_items(profile)?;
        items.push(self.event_put(&profile.company, event)?);
        Ok(match self.transact(&items).await? {
            Ok(()) => CreateOutcome::Created,
            Err(_) => CreateOutcome::IdentifierTaken,
        })
    }

    fn create_items(&self, profile: &NewProfile) -> Result<Vec<TransactWriteItem>, StoreError> {
        new_profile_items(profile, self.clock.now_ms())
            .into_iter()
            .map(|item| self.put_new(item))
            .collect()
    }

    /// `item` put in a transaction only if no item has its key.
    pub(super) fn put_new(&self, item: Item) -> Result<TransactWriteItem, StoreError> {
        let put = Put::builder()
            .table_name(&self.tables.profiles)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(PK)")
            .build()
            .map_err(|e| StoreError::Failed(e.to_string()))?;
        Ok(TransactWriteItem::builder().put(put).build())
    }

    /// Reads a profile with a strongly consistent read, so a create is visible at once.
    pub async fn get_profile(
        &self,
        company: &CompanyId,
        id: ProfileId,
    ) -> Result<Option<Profile>, StoreError> {
        let item = self.profile_item(company, id).await?;
        item.as_ref().map(profile_from_item).transpose()
    }

    /// A transaction's check that the profile of `partition` exists and is active. When it
    /// fails DynamoDB returns the profile (nothing for an unknown one), which tells inactive
    /// from unknown without another read.
    pub(crate) fn active_profile_check(
        &self,
        partition: &str,
    ) -> Result<ConditionCheck, StoreError> {
        ConditionCheck::builder()
            .table_name(&self.tables.profiles)
            .set_key(Some(key(partition, keys::PROFILE)))
            .condition_expression("attribute_exists(PK) AND active = :yes")
            .expression_attribute_values(":yes", AttributeValue::Bool(true))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .build()
            .map_err(|e| StoreError::Failed(e.to_string()))
    }

    /// The profile item, read strongly consistent.
    pub(crate) async fn profile_item(
        &self,
        company: &CompanyId,
        id: ProfileId,
    ) -> Result<Option<Item>, StoreError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.tables.profiles)
            .set_key(Some(key(keys::profile(company, id), keys::PROFILE)))
            .consistent_read(true)
            .send()
            .await?;
        Ok(output.item)
    }

    /// The items of one profile's partition whose `SK` is at least `from` (and at most `to`),
    /// in one strongly consistent `Query`.
    pub(crate) async fn collection(
        &self,
        company: &CompanyId,
        id: ProfileId,
        from: &str,
        to: Option<&str>,
    ) -> Result<Collection, StoreError> {
        let mut items = Vec::new();
        let mut start = None;
        loop {
            let request = self
                .client
                .query()
                .table_name(&self.tables.profiles)
                .expression_attribute_names("#pk", keys::PK)
                .expression_attribute_names("#sk", keys::SK)
                .expression_attribute_values(":pk", s(keys::profile(company, id)))
                .expression_attribute_values(":from", s(from))
                .consistent_read(true)
                .set_exclusive_start_key(start);
            let request = match to {
                Some(to) => request
                    .key_condition_expression("#pk = :pk AND #sk BETWEEN :from AND :to")
                    .expression_attribute_values(":to", s(to)),
                None => request.key_condition_expression("#pk = :pk AND #sk >= :from"),
            };
            let page = request.send().await?;
            items.extend(page.items.unwrap_or_default());
            // A profile's credentials, profile and token are a few KB, far below a page's
            // 1 MB: a second page only comes if that ever stops being true.
            start = page.last_evaluated_key;
            if start.is_none() {
                return Ok(Collection::from_items(items));
            }
        }
    }
}

pub(crate) fn profile_from_item(item: &Item) -> Result<Profile, StoreError> {
    let corrupt = |what: &str| StoreError::Corrupt(format!("profile item without valid {what}"));
    let id = get_s(item, "uuid")
        .and_then(ProfileId::parse)
        .ok_or_else(|| corrupt("uuid"))?;
    let mut raw = Map::new();
    for field in ProfileField::ALL {
        if let Some(value) = get_s(item, field.as_str()) {
            raw.insert(field.as_str().into(), Value::String(value.to_owned()));
        }
    }
    // Stored values were normalised when written; parsing again keeps the type's guarantee.
    let attributes = ProfileAttributes::parse(&raw).map_err(|e| corrupt(&e.to_string()))?;
    let object = |name: &str| match item.get(name).map(to_json) {
        Some(Value::Object(map)) => map,
        _ => Map::new(),
    };
    let two_factor_authentication = match item.get("two_factor_authentication").map(to_json) {
        Some(Value::Array(list)) => list,
        _ => Vec::new(),
    };
    Ok(Profile {
        id,
        attributes,
        active: get_bool(item, "active").ok_or_else(|| corrupt("active"))?,
        identification_provider: get_s(item, "identification_provider").map(str::to_owned),
        trusted_fields: object("trusted_fields"),
        field_expiration_time: object("field_expiration_time"),
        two_factor_authentication,
    })
}

/// The `SK`s of a profile's items in `items` (as a `Query` of its partition returns them),
/// split into the profile, its password credential, its second factors and its password-change
/// token.
pub(crate) struct Collection {
    pub profile: Option<Item>,
    pub password: Option<Item>,
    pub second_factor: Option<Item>,
    pub token: Option<Item>,
}

impl Collection {
    pub(crate) fn from_items(items: Vec<Item>) -> Self {
        let mut collection = Self {
            profile: None,
            password: None,
            second_factor: None,
            token: None,
        };
        for item in items {
            match get_s(&item, keys::SK) {
                Some(keys::PROFILE) => collection.profile = Some(item),
                Some(keys::PASSWORD) => collection.password = Some(item),
                Some(keys::SECOND_FACTOR) => collection.second_factor = Some(item),
                Some(keys::PASSWORD_TOKEN) => collection.token = Some(item),
                _ => {}
            }
        }
        collection
    }
}

/// The items a create writes, as of `created_ms`: the profile item (with its index
/// attributes) and one reservation per identifier. Public for bulk loading (`make bench`
/// seeds companies with these same items through `BatchWriteItem`).
pub fn new_profile_items(profile: &NewProfile, created_ms: u64) -> Vec<Item> {
    let now_ms = created_ms;
    let now = now_ms / 1000;
    let identifier_keys = keys::identifier_keys(&profile.company, &profile.identifiers);
    let mut item = key(keys::profile(&profile.company, profile.id), keys::PROFILE);
    item.insert("kind".into(), s("profile"));
    item.insert("company_id".into(), s(profile.company.as_str()));
    item.insert("uuid".into(), s(profile.id.to_string()));
    for (field, value) in profile.attributes.iter() {
        item.insert(field.as_str().into(), s(value));
    }
    item.insert("active".into(), AttributeValue::Bool(profile.active));
    item.insert(
        "identification_provider".into(),
        s(&profile.identification_provider),
    );
    item.insert("register_type".into(), s(&profile.register_type));
    item.insert(
        "trusted_fields".into(),
        AttributeValue::M(Default::default()),
    );
    item.insert(
        "field_expiration_time".into(),
        AttributeValue::M(Default::default()),
    );
    item.insert(
        "two_factor_authentication".into(),
        AttributeValue::L(Vec::new()),
    );
    item.insert(
        "identifier_keys".into(),
        AttributeValue::L(identifier_keys.iter().map(s).collect()),
    );
    // Every write of the profile item adds one, and a read-modify-write (update, erasure)
    // is conditioned on the version it read.
    item.insert("version".into(), n(1));
    item.insert("created_at".into(), n(now));
    item.insert("updated_at".into(), n(now));
    item.extend(index::attributes(
        &profile.company,
        profile.id,
        &profile.attributes,
        &profile.identification_provider,
        now_ms,
        profile.active,
    ));

    let mut items = vec![item];
    let email = profile.attributes.get(ProfileField::Email);
    for reservation_key in &identifier_keys {
        items.push(reservation_item(
            reservation_key,
            &profile.company,
            profile.id,
            email,
            now,
        ));
    }
    items
}

/// The reservation of `reservation_key` by one profile, made at `now` (epoch seconds).
pub(super) fn reservation_item(
    reservation_key: &str,
    company: &CompanyId,
    id: ProfileId,
    email: Option<&str>,
    now: u64,
) -> Item {
    let mut reservation = key(reservation_key, keys::RESERVATION);
    reservation.insert("kind".into(), s("identifier"));
    reservation.insert("company_id".into(), s(company.as_str()));
    reservation.insert("uuid".into(), s(id.to_string()));
    // Kept here so that a password-change request needs the profile item only for a
    // condition, not for a read; an update of the e-mail rewrites it in the same transaction.
    if let Some(email) = email {
        reservation.insert("email".into(), s(email));
    }
    reservation.insert("created_at".into(), n(now));
    reservation
}
