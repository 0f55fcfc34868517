//! Passwords and login state on the profile item: `password_hash` (PHC string),
//! `failed_logins` (consecutive failures) and `locked_until` (epoch milliseconds).
//! These attributes never reach [`Profile`], so no response can carry them.

use std::fmt;

use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValuesOnConditionCheckFailure};

use super::attributes::{Item, get_bool, get_s, n, s};
use super::conflict::backoff;
use super::profiles::{profile_from_item, unix_now};
use super::{Store, StoreError, keys};
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

    pub(crate) fn from_item(item: &Item) -> Result<Self, StoreError> {
        Ok(Self {
            profile: profile_from_item(item)?,
            password_hash: get_s(item, "password_hash").map(str::to_owned),
            failed_logins: number(item, "failed_logins").unwrap_or(0) as u32,
            locked_until_ms: number(item, "locked_until"),
        })
    }
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
            .key("pk", s(identifier_key))
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

    pub async fn get_login_record(
        &self,
        company: &CompanyId,
        id: ProfileId,
    ) -> Result<Option<LoginRecord>, StoreError> {
        let item = self.profile_item(company, id).await?;
        item.as_ref().map(LoginRecord::from_item).transpose()
    }

    /// Sets the first password of an active profile, in one conditional write: a profile that
    /// already has one keeps it, whatever races with this call.
    pub async fn set_first_password(
        &self,
        company: &CompanyId,
        id: ProfileId,
        phc: &str,
    ) -> Result<SetPassword, StoreError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.tables.profiles)
            .key("pk", s(keys::profile(company, id)))
            .update_expression(
                "SET password_hash = :h, password_set_at = :now, updated_at = :now \
                 REMOVE failed_logins, locked_until",
            )
            .condition_expression(
                "attribute_exists(pk) AND active = :yes AND attribute_not_exists(password_hash)",
            )
            .expression_attribute_values(":h", s(phc))
            .expression_attribute_values(":now", n(unix_now()))
            .expression_attribute_values(":yes", AttributeValue::Bool(true))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        match result {
            Ok(_) => Ok(SetPassword::Created),
            Err(err) => match condition_failed_item(&err) {
                Some(None) => Ok(SetPassword::NotFound),
                Some(Some(old)) if get_bool(old, "active") != Some(true) => {
                    Ok(SetPassword::Inactive)
                }
                Some(Some(_)) => Ok(SetPassword::AlreadySet),
                None => Err(err.into()),
            },
        }
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
                .key("pk", s(keys::profile(company, id)))
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
                    "attribute_exists(pk) AND (attribute_not_exists(failed_logins) OR failed_logins = :zero)",
                )
                .expression_attribute_values(":zero", n(0))
            } else {
                update
                    .condition_expression("attribute_exists(pk) AND failed_logins = :old")
                    .expression_attribute_values(":old", n(observed))
            };
            match update.send().await {
                Ok(_) => return Ok(()),
                Err(err) => match condition_failed_item(&err) {
                    // The profile is gone: nothing to count.
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
            .key("pk", s(keys::profile(company, id)));
        update = match rehash {
            Some((old, new)) => update
                .update_expression("SET password_hash = :new REMOVE failed_logins, locked_until")
                .condition_expression("password_hash = :old")
                .expression_attribute_values(":old", s(old))
                .expression_attribute_values(":new", s(new)),
            None => update
                .update_expression("REMOVE failed_logins, locked_until")
                .condition_expression("attribute_exists(pk)"),
        };
        match update.send().await {
            Ok(_) => Ok(()),
            // The password changed (or the profile went) meanwhile: nothing to upgrade.
            Err(err) if condition_failed_item(&err).is_some() => Ok(()),
            Err(err) => Err(err.into()),
        }
    }

    /// Activates or deactivates in one conditional write that returns the new profile.
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
            .key("pk", s(keys::profile(company, id)))
            .update_expression("SET active = :a, updated_at = :now")
            .condition_expression("attribute_exists(pk) AND active <> :a")
            .expression_attribute_values(":a", AttributeValue::Bool(active))
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
