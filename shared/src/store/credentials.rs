//! The password credential, an item of its own in the profile's partition
//! (`SK = credential#password`): `password_hash` (PHC string), `password_set_at`,
//! `failed_logins` (consecutive failures), `last_failed_at` and `locked_until` (epoch
//! milliseconds). The profile item holds no secret, so neither an index nor a response built
//! from it can carry one.

use std::fmt;

use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::{
    AttributeValue, Put, ReturnValuesOnConditionCheckFailure, TransactWriteItem,
};

use super::attributes::{Item, get_s, key, n, s};
use super::conflict::{Try, backoff, cancellation_reasons, reason_code, retry_conflicts};
use super::profiles::{Collection, profile_from_item, unix_now};
use super::{Store, StoreError, index, keys};
use crate::company::LockoutPolicy;
use crate::domain::{CompanyId, Email, ProfileId};
use crate::profile::Profile;

/// A profile with what a login needs to know about its credentials.
pub struct LoginRecord {
    pub profile: Profile,
    pub password_hash: Option<String>,
    pub failed_logins: u32,
    pub locked_until_ms: Option<u64>,
}

impl fmt::Debug for LoginRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LoginRecord")
            .field("profile", &self.profile.id)
            .field("has_password", &self.password_hash.is_some())
            .field("failed_logins", &self.failed_logins)
            .field("locked_until_ms", &self.locked_until_ms)
            .finish()
    }
}

impl LoginRecord {
    pub fn is_locked(&self, now_ms: u64) -> bool {
        self.locked_until_ms.is_some_and(|until| until > now_ms)
    }

    /// The profile and its password credential, when the collection has a profile.
    pub(crate) fn from_collection(collection: &Collection) -> Result<Option<Self>, StoreError> {
        let Some(profile) = &collection.profile else {
            return Ok(None);
        };
        let password = collection.password.as_ref();
        let get_n = |name: &str| password.and_then(|item| number(item, name));
        Ok(Some(Self {
            profile: profile_from_item(profile)?,
            password_hash: password
                .and_then(|item| get_s(item, "password_hash"))
                .map(str::to_owned),
            failed_logins: get_n("failed_logins").unwrap_or(0) as u32,
            locked_until_ms: get_n("locked_until"),
        }))
    }
}

/// The password credential item of a profile, its hash set at `now` (epoch seconds).
pub(super) fn credential_item(company: &CompanyId, id: ProfileId, phc: &str, now: u64) -> Item {
    let mut item = key(keys::profile(company, id), keys::PASSWORD);
    item.insert("kind".into(), s("credential"));
    item.insert("company_id".into(), s(company.as_str()));
    item.insert("uuid".into(), s(id.to_string()));
    item.insert("password_hash".into(), s(phc));
    item.insert("password_set_at".into(), n(now));
    item
}

fn number(item: &Item, name: &str) -> Option<u64> {
    item.get(name)?.as_n().ok()?.parse().ok()
}

/// Who holds an identifier reservation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentifierOwner {
    pub id: ProfileId,
    /// The owner's e-mail address, kept on the reservation (profile fields are immutable).
    pub email: Option<String>,
}

/// The outcome of adding a first password.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetPassword {
    Created,
    NotFound,
    Inactive,
    AlreadySet,
}

/// The outcome of activating or deactivating.
#[derive(Debug, Clone, PartialEq)]
pub enum StatusChange {
    Changed(Box<Profile>),
    NotFound,
    Unchanged,
}

/// A failed-login count is compared and set in one conditional write; a race with another
/// failure retries with the count DynamoDB returned, so no failure is ever lost.
const FAILURE_RETRIES: u32 = 16;

pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

impl Store {
    /// The profile that holds an identifier reservation, if any.
    pub async fn find_profile_id(
        &self,
        identifier_key: &str,
    ) -> Result<Option<ProfileId>, StoreError> {
        let item = self.read_reservation(identifier_key, false).await?;
        Ok(item
            .as_ref()
            .and_then(|item| get_s(item, "uuid"))
            .and_then(ProfileId::parse))
    }

    /// The profile that holds an identifier reservation, with the e-mail address the
    /// reservation keeps for it (`None` when the profile has none, or when the reservation was
    /// written before reservations kept it).
    pub async fn find_identifier_owner(
        &self,
        identifier_key: &str,
    ) -> Result<Option<IdentifierOwner>, StoreError> {
        let Some(item) = self.read_reservation(identifier_key, true).await? else {
            return Ok(None);
        };
        let Some(id) = get_s(&item, "uuid").and_then(ProfileId::parse) else {
            return Ok(None);
        };
        // Parsed again, as profile values are when read: a value that is not a valid address
        // is ignored, and the caller reads the profile instead.
        let email = get_s(&item, "email")
            .and_then(|value| Email::parse(value).ok())
            .map(Email::into_inner);
        Ok(Some(IdentifierOwner { id, email }))
    }

    /// An identifier reservation: its owner's uuid and, when asked, the e-mail it keeps.
    async fn read_reservation(
        &self,
        identifier_key: &str,
        with_email: bool,
    ) -> Result<Option<Item>, StoreError> {
        let request = self
            .client
            .get_item()
            .table_name(&self.tables.profiles)
            .set_key(Some(key(identifier_key, keys::RESERVATION)))
            .consistent_read(true)
            .expression_attribute_names("#u", "uuid");
        let request = if with_email {
            request
                .projection_expression("#u, #e")
                .expression_attribute_names("#e", "email")
        } else {
            request.projection_expression("#u")
        };
        Ok(request.send().await?.item)
    }

    /// The profile with its password credential: one `Query` of the partition, from the first
    /// credential to the profile.
    pub async fn get_login_record(
        &self,
        company: &CompanyId,
        id: ProfileId,
    ) -> Result<Option<LoginRecord>, StoreError> {
        let collection = self
            .collection(company, id, keys::CREDENTIALS_FROM, Some(keys::PROFILE))
            .await?;
        LoginRecord::from_collection(&collection)
    }

    /// Sets the first password of an active profile, in one transaction: the profile is
    /// checked (exists, active) and the credential put only if the profile has none, so a
    /// profile that already has one keeps it, whatever races with this call.
    pub async fn set_first_password(
        &self,
        company: &CompanyId,
        id: ProfileId,
        phc: &str,
    ) -> Result<SetPassword, StoreError> {
        let build = |e: aws_sdk_dynamodb::error::BuildError| StoreError::Failed(e.to_string());
        let now = unix_now();
        let partition = keys::profile(company, id);
        let profile = self.active_profile_check(&partition)?;
        let item = credential_item(company, id, phc, now);
        let credential = Put::builder()
            .table_name(&self.tables.profiles)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(PK)")
            .build()
            .map_err(build)?;
        let (profile, credential) = (&profile, &credential);
        retry_conflicts(|| async move {
            let result = self
                .client
                .transact_write_items()
                .transact_items(
                    TransactWriteItem::builder()
                        .condition_check(profile.clone())
                        .build(),
                )
                .transact_items(TransactWriteItem::builder().put(credential.clone()).build())
                .send()
                .await;
            let err = match result {
                Ok(_) => return Ok(Try::Done(SetPassword::Created)),
                Err(err) => err,
            };
            let Some(reasons) = cancellation_reasons(&err) else {
                return Err(err.into());
            };
            // Reasons come in the order of the items: profile, then credential.
            let code = |i: usize| reason_code(reasons, i);
            if code(0) == "ConditionalCheckFailed" {
                let old = reasons
                    .first()
                    .and_then(|r| r.item())
                    .filter(|i| !i.is_empty());
                return Ok(Try::Done(match old {
                    None => SetPassword::NotFound,
                    Some(_) => SetPassword::Inactive,
                }));
            }
            if code(1) == "ConditionalCheckFailed" {
                return Ok(Try::Done(SetPassword::AlreadySet));
            }
            if code(0) == "TransactionConflict" || code(1) == "TransactionConflict" {
                return Ok(Try::Conflict);
            }
            Err(err.into())
        })
        .await
    }

    /// Counts one more consecutive failure and starts the wait the policy sets for it.
    /// `observed` is the count the login read; concurrent failures are all counted.
    pub async fn record_login_failure(
        &self,
        company: &CompanyId,
        id: ProfileId,
        observed: u32,
        policy: &LockoutPolicy,
    ) -> Result<(), StoreError> {
        let mut observed = observed;
        for attempt in 0..FAILURE_RETRIES {
            let failures = observed.saturating_add(1);
            let now = now_ms();
            let mut update = self
                .client
                .update_item()
                .table_name(&self.tables.profiles)
                .set_key(Some(key(keys::profile(company, id), keys::PASSWORD)))
                .expression_attribute_values(":n", n(failures))
                .expression_attribute_values(":now", n(now))
                .return_values_on_condition_check_failure(
                    ReturnValuesOnConditionCheckFailure::AllOld,
                );
            update = match policy.lock_for(failures) {
                Some(wait) => update
                    .update_expression(
                        "SET failed_logins = :n, last_failed_at = :now, locked_until = :until",
                    )
                    .expression_attribute_values(":until", n(now + wait.as_millis() as u64)),
                None => update.update_expression("SET failed_logins = :n, last_failed_at = :now"),
            };
            update = if observed == 0 {
                update.condition_expression(
                    "attribute_exists(PK) AND (attribute_not_exists(failed_logins) OR failed_logins = :zero)",
                )
                .expression_attribute_values(":zero", n(0))
            } else {
                update
                    .condition_expression("attribute_exists(PK) AND failed_logins = :old")
                    .expression_attribute_values(":old", n(observed))
            };
            match update.send().await {
                Ok(_) => return Ok(()),
                Err(err) => match condition_failed_item(&err) {
                    // No password (or no profile): nothing to count.
                    Some(None) => return Ok(()),
                    Some(Some(current)) => {
                        observed = number(current, "failed_logins").unwrap_or(0) as u32;
                    }
                    // The profile is held by a transaction (a password change) at this moment:
                    // try again shortly, so that the failure is still counted.
                    None if is_transaction_conflict(&err) => {
                        tokio::time::sleep(backoff(attempt)).await;
                    }
                    None => return Err(err.into()),
                },
            }
        }
        Err(StoreError::Unavailable(
            "too many concurrent updates of a failed-login count".into(),
        ))
    }

    /// After a successful login: clears the failure count, and stores `rehash` in place of
    /// `old_hash` when the hash parameters changed (only if the password did not change since).
    pub async fn record_login_success(
        &self,
        company: &CompanyId,
        id: ProfileId,
        had_failures: bool,
        rehash: Option<(&str, &str)>,
    ) -> Result<(), StoreError> {
        if !had_failures && rehash.is_none() {
            return Ok(());
        }
        let mut update = self
            .client
            .update_item()
            .table_name(&self.tables.profiles)
            .set_key(Some(key(keys::profile(company, id), keys::PASSWORD)));
        update = match rehash {
            Some((old, new)) => update
                .update_expression("SET password_hash = :new REMOVE failed_logins, locked_until")
                .condition_expression("password_hash = :old")
                .expression_attribute_values(":old", s(old))
                .expression_attribute_values(":new", s(new)),
            None => update
                .update_expression("REMOVE failed_logins, locked_until")
                .condition_expression("attribute_exists(PK)"),
        };
        match update.send().await {
            Ok(_) => Ok(()),
            // The password changed (or the profile went) meanwhile: nothing to upgrade.
            Err(err) if condition_failed_item(&err).is_some() => Ok(()),
            Err(err) => Err(err.into()),
        }
    }

    /// Activates or deactivates in one conditional write that returns the new profile; the
    /// same write moves the profile between the indexes' active and disabled ranges.
    pub async fn set_active(
        &self,
        company: &CompanyId,
        id: ProfileId,
        active: bool,
    ) -> Result<StatusChange, StoreError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.tables.profiles)
            .set_key(Some(key(keys::profile(company, id), keys::PROFILE)))
            .update_expression(
                "SET active = :a, updated_at = :now, version = version + :one, #ord = #ord + :flip",
            )
            .condition_expression("attribute_exists(PK) AND active <> :a")
            .expression_attribute_names("#ord", index::ORD)
            .expression_attribute_values(":a", AttributeValue::Bool(active))
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":flip", index::flip(active))
            .expression_attribute_values(":now", n(unix_now()))
            .return_values(aws_sdk_dynamodb::types::ReturnValue::AllNew)
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        match result {
            Ok(output) => {
                let item = output
                    .attributes
                    .ok_or_else(|| StoreError::Corrupt("update returned no item".into()))?;
                Ok(StatusChange::Changed(Box::new(profile_from_item(&item)?)))
            }
            Err(err) => match condition_failed_item(&err) {
                Some(None) => Ok(StatusChange::NotFound),
                Some(Some(_)) => Ok(StatusChange::Unchanged),
                None => Err(err.into()),
            },
        }
    }
}

fn is_transaction_conflict<R>(err: &SdkError<UpdateItemError, R>) -> bool {
    matches!(
        err.as_service_error(),
        Some(UpdateItemError::TransactionConflictException(_))
    )
}

/// For a failed condition: `Some(old item)` (`Some(None)` when there was no item);
/// `None` for any other error.
fn condition_failed_item<R>(err: &SdkError<UpdateItemError, R>) -> Option<Option<&Item>> {
    match err.as_service_error() {
        Some(UpdateItemError::ConditionalCheckFailedException(e)) => Some(e.item()),
        _ => None,
    }
}
