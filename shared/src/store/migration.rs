//! The writes of `idp-admin import` and the reads of `idp-admin export` (docs/design.md,
//! "Import and export").
//!
//! An imported line is one `TransactWriteItems`: the profile, its reservations and its
//! credential, each put only if its key is free, exactly as a create. A line whose profile key
//! (its uuid) is already there was imported before and is skipped, so a re-run or a resumed
//! run never writes a line twice, and a kill leaves each line whole or absent.
//!
//! Export walks the listing index's shards (every profile of the company, active or not) a
//! page at a time and reads each page's profiles and credentials with `BatchGetItem`: the cost
//! and the memory grow with the page, never with the company. The line itself is written by
//! the rules ([`crate::rules::import_line::export_line`]), beside the line import reads.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::{AttributeValue, KeysAndAttributes};

use super::attributes::{Item, get_bool, get_s, key, s};
use super::credentials::credential_item;
use super::index::{LIST_KEY, SHARDS};
use super::{NewProfile, Store, StoreError, keys, new_profile_items};
use crate::audit::Event;
use crate::domain::{CompanyId, ProfileField, ProfileId};
use crate::two_factor::{EnrolledTotp, SealedTotp, SecondFactors, new_id};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportOutcome {
    Imported,
    /// A profile with this uuid is already in the company: an earlier run imported the line.
    AlreadyImported,
    /// An identifier is reserved by another profile (Create's `Profile already present`).
    IdentifierTaken,
}

/// Profiles per export page: 100 keys in the index query, two `BatchGetItem`s of 100 keys
/// (profile and credential of each).
pub const EXPORT_PAGE: i32 = 100;

/// One exported profile, as stored: what an export line is written from
/// ([`crate::rules::import_line::export_line`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportedProfile {
    pub id: String,
    pub register_type: String,
    pub information_provider: String,
    pub active: bool,
    /// The stored values, in the API's field order.
    pub values: Vec<(ProfileField, String)>,
    /// The stored hash (argon2id, an imported family, or a wrapped hash), when it has one.
    pub password_hash: Option<String>,
    /// Its enrolled TOTP, sealed as stored (the export opens it with the second-factor key).
    pub totp: Option<SealedTotp>,
}

impl ExportedProfile {
    /// The profile read from its profile item and, when it has a password, its credential.
    fn from_items(
        profile: &Item,
        credential: Option<&Item>,
        factors: Option<&Item>,
    ) -> Result<Self, StoreError> {
        let corrupt = |what: &str| StoreError::Corrupt(format!("profile item without {what}"));
        let text = |name: &str| get_s(profile, name).map(str::to_owned);
        Ok(Self {
            id: text("uuid").ok_or_else(|| corrupt("uuid"))?,
            register_type: text("register_type").ok_or_else(|| corrupt("register_type"))?,
            information_provider: text("identification_provider")
                .ok_or_else(|| corrupt("provider"))?,
            active: get_bool(profile, "active").ok_or_else(|| corrupt("active"))?,
            values: ProfileField::ALL
                .into_iter()
                .filter_map(|field| text(field.as_str()).map(|value| (field, value)))
                .collect(),
            password_hash: credential
                .and_then(|c| get_s(c, "password_hash"))
                .map(str::to_owned),
            totp: super::second_factor::factors_from(factors)?
                .totp
                .map(|enrolled| enrolled.totp),
        })
    }
}

/// Where an export is within one listing shard.
pub type ShardPosition = Option<HashMap<String, AttributeValue>>;

impl Store {
    /// Writes an imported profile, its reservations and (when given) its password hash in one
    /// transaction.
    pub async fn import_profile(
        &self,
        profile: &NewProfile,
        password_hash: Option<&str>,
        totp: Option<&SealedTotp>,
        event: &Event,
    ) -> Result<ImportOutcome, StoreError> {
        let mut items = import_items(profile, password_hash, totp, self.clock.now_ms())
            .into_iter()
            .map(|item| self.put_new(item))
            .collect::<Result<Vec<_>, _>>()?;
        items.push(self.event_put(&profile.company, event)?);
        // The profile item comes first: its key taken means this line is already in.
        Ok(match self.transact(&items).await? {
            Ok(()) => ImportOutcome::Imported,
            Err(refused) if refused.failed(0) => ImportOutcome::AlreadyImported,
            Err(_) => ImportOutcome::IdentifierTaken,
        })
    }

    /// The next page of one listing shard's profiles, with their credentials, and where the
    /// shard goes on (`None` once it is done).
    pub async fn export_page(
        &self,
        company: &CompanyId,
        shard: u128,
        start: ShardPosition,
    ) -> Result<(Vec<ExportedProfile>, ShardPosition), StoreError> {
        let (partitions, next) = self.listing_page(company, shard, start).await?;
        let mut profiles = HashMap::new();
        let mut credentials = HashMap::new();
        let mut second_factors = HashMap::new();
        // Profiles, passwords and second factors of one page: three requests of at most 100
        // keys, together.
        let (first, second, third) = tokio::join!(
            self.read_all(&partitions, keys::PROFILE),
            self.read_all(&partitions, keys::PASSWORD),
            self.read_all(&partitions, keys::SECOND_FACTOR),
        );
        for item in third? {
            if let Some(pk) = get_s(&item, keys::PK) {
                second_factors.insert(pk.to_owned(), item);
            }
        }
        for item in first? {
            if let Some(pk) = get_s(&item, keys::PK) {
                profiles.insert(pk.to_owned(), item);
            }
        }
        for item in second? {
            if let Some(pk) = get_s(&item, keys::PK) {
                credentials.insert(pk.to_owned(), item);
            }
        }
        // Index order; a profile erased between the index read and the batch read is gone.
        let page = partitions
            .iter()
            .filter_map(|pk| {
                let profile = profiles.remove(pk)?;
                Some(ExportedProfile::from_items(
                    &profile,
                    credentials.remove(pk).as_ref(),
                    second_factors.remove(pk).as_ref(),
                ))
            })
            .collect::<Result<_, _>>()?;
        Ok((page, next))
    }

    /// The ids of the next page of one listing shard's profiles (the keys-only index alone,
    /// no profile read), and where the shard goes on.
    pub async fn profile_ids_page(
        &self,
        company: &CompanyId,
        shard: u128,
        start: ShardPosition,
    ) -> Result<(Vec<ProfileId>, ShardPosition), StoreError> {
        let (partitions, next) = self.listing_page(company, shard, start).await?;
        let ids = partitions
            .iter()
            .map(|pk| {
                pk.rsplit('#')
                    .next()
                    .and_then(ProfileId::parse)
                    .ok_or_else(|| StoreError::Corrupt(format!("listing entry {pk}")))
            })
            .collect::<Result<_, _>>()?;
        Ok((ids, next))
    }

    /// The profile partitions of one page of a listing shard, in creation order.
    async fn listing_page(
        &self,
        company: &CompanyId,
        shard: u128,
        start: ShardPosition,
    ) -> Result<(Vec<String>, ShardPosition), StoreError> {
        let output = self
            .client
            .query()
            .table_name(&self.tables.profiles)
            .index_name("by-creation")
            .key_condition_expression("#list = :list")
            .expression_attribute_names("#list", LIST_KEY)
            .expression_attribute_values(":list", s(format!("company#{company}#list#{shard}")))
            .limit(EXPORT_PAGE)
            .set_exclusive_start_key(start)
            .send()
            .await?;
        let partitions = output
            .items
            .unwrap_or_default()
            .iter()
            .filter_map(|entry| get_s(entry, keys::PK).map(str::to_owned))
            .collect();
        Ok((partitions, output.last_evaluated_key))
    }

    /// Every item `(partition, sk)` of `partitions` that exists, by `BatchGetItem`, retrying
    /// unprocessed keys with backoff.
    async fn read_all(&self, partitions: &[String], sk: &str) -> Result<Vec<Item>, StoreError> {
        if partitions.is_empty() {
            return Ok(Vec::new());
        }
        let keys: Vec<Item> = partitions.iter().map(|pk| key(pk, sk)).collect();
        let mut request = Some(HashMap::from([(
            self.tables.profiles.clone(),
            KeysAndAttributes::builder()
                .set_keys(Some(keys))
                .consistent_read(true)
                .build()
                .map_err(|e| StoreError::Failed(e.to_string()))?,
        )]));
        let mut items = Vec::new();
        for attempt in 0..10 {
            let Some(pending) = request.take().filter(|r| !r.is_empty()) else {
                return Ok(items);
            };
            if attempt > 0 {
                tokio::time::sleep(super::conflict::backoff(attempt)).await;
            }
            let output = self
                .client
                .batch_get_item()
                .set_request_items(Some(pending))
                .send()
                .await?;
            items.extend(output.responses.unwrap_or_default().into_values().flatten());
            request = output.unprocessed_keys;
        }
        match request {
            Some(pending) if !pending.is_empty() => Err(StoreError::Unavailable(
                "batch read left keys unprocessed after 10 tries".into(),
            )),
            _ => Ok(items),
        }
    }
}

/// The items an imported line writes as of `now_ms`: a create's (profile with its index
/// attributes, reservations) and the password credential. Public for `make bench`, which
/// writes these same items directly to measure the import's overhead.
pub fn import_items(
    profile: &NewProfile,
    password_hash: Option<&str>,
    totp: Option<&SealedTotp>,
    now_ms: u64,
) -> Vec<Item> {
    let mut items = new_profile_items(profile, now_ms);
    if let Some(hash) = password_hash {
        items.push(credential_item(
            &profile.company,
            profile.id,
            hash,
            now_ms / 1000,
        ));
    }
    if let Some(totp) = totp {
        // Enrolled as the other service had it; recovery codes are this service's own, so the
        // user makes a set with `regenerate`.
        let factors = SecondFactors {
            totp: Some(EnrolledTotp {
                id: new_id(),
                created_ms: now_ms,
                totp: totp.clone(),
            }),
            ..SecondFactors::default()
        };
        if let Some(item) = items.first_mut() {
            item.insert(
                "two_factor_authentication".into(),
                super::second_factor::list_value(&factors.summary()),
            );
        }
        items.push(super::second_factor::factors_item(
            &profile.company,
            profile.id,
            1,
            &factors,
        ));
    }
    items
}

/// The listing shards an export walks.
pub fn export_shards() -> impl Iterator<Item = u128> {
    0..SHARDS
}
