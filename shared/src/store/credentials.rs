//! The password credential, an item of its own in the profile's partition
//! (`SK = credential#password`): `password_hash` (PHC string), `password_set_at`,
//! `failed_logins` (consecutive failures), `last_failed_at` and `locked_until` (epoch
//! milliseconds). The profile item holds no secret, so neither an index nor a response built
//! from it can carry one.

use std::fmt;

use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::{
    AttributeValue, Put, ReturnValuesOnConditionCheckFailure, TransactWriteItem, Update,
};

use super::attributes::{Item, get_s, key, n, s};
use super::conflict::backoff;
use super::profiles::{Collection, profile_from_item};
use super::second_factor::Spend;
use super::{Store, StoreError, index, keys};
use crate::audit::Event;
use crate::company::{Identifier, LockoutPolicy};
use crate::domain::{CompanyId, Email, ProfileId};
use crate::profile::Profile;
use crate::two_factor::{Challenge, SecondFactors};

/// A profile with what a login needs to know about its credentials.
pub struct LoginRecord {
    pub profile: Profile,
    pub password_hash: Option<String>,
    pub failed_logins: u32,
    /// When the password was set (epoch seconds): a login challenge is bound to it.
    pub password_set_at: Option<u64>,
    /// Read by the same `Query`: its item sorts between the password and the profile.
    pub factors: SecondFactors,
}

impl fmt::Debug for LoginRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LoginRecord")
            .field("profile", &self.profile.id)
            .field("has_password", &self.password_hash.is_some())
            .field("failed_logins", &self.failed_logins)
            .field("second_factor", &self.factors.is_enrolled())
            .finish()
    }
}

impl LoginRecord {
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
            password_set_at: get_n("password_set_at"),
            factors: super::second_factor::factors_from(collection.second_factor.as_ref())?,
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

pub(super) fn number(item: &Item, name: &str) -> Option<u64> {
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

/// An attempt's count is compared and set in one conditional write; a race with another
/// attempt retries with the count DynamoDB returned, this many times at most.
const ATTEMPT_RETRIES: u32 = 16;

/// What counting a login attempt came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attempt {
    /// Counted as the `count`-th consecutive attempt: its password may be verified.
    Reserved { count: u32 },
    /// Locked, no password, unknown, or too contended: verify nothing real.
    Refused,
}

/// What a login whose password matched came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoginEnd {
    LoggedIn,
    /// A concurrent burst locked the profile (or it was erased) meanwhile.
    Refused,
    /// The second factor sent with the password lost a race for its factors: how they are now.
    FactorRaced(Box<SecondFactors>),
}

/// What else a login whose password matched writes with it.
#[derive(Debug, Clone, Copy)]
pub enum LoginAfter<'a> {
    /// Nothing: the password was all the login needed (or the rest failed).
    Nothing,
    /// A second factor is still to come: its challenge, bound to the password as it is now
    /// (`LoginRecord::password_set_at`), so that a password change ends it, with the passkey
    /// ceremony's state when the profile has passkeys.
    Challenge(&'a Challenge, Option<u64>, Option<&'a str>),
    /// The second factor came with the password: the code to spend.
    Spend(&'a Spend),
}

impl Store {
    /// The profile that holds `identifier` in `company`, if any. `None` (values that cannot
    /// name anyone) reads a reservation nobody holds, so that it costs what a real one does.
    pub async fn find_profile_id(
        &self,
        company: &CompanyId,
        identifier: Option<&Identifier>,
    ) -> Result<Option<ProfileId>, StoreError> {
        let identifier_key = keys::identifier_or_nobody(company, identifier);
        let item = self.read_reservation(&identifier_key, false).await?;
        Ok(item
            .as_ref()
            .and_then(|item| get_s(item, "uuid"))
            .and_then(ProfileId::parse))
    }

    /// The profile that holds `identifier` in `company`, with the e-mail address the
    /// reservation keeps for it (`None` when the profile has none, or when the reservation was
    /// written before reservations kept it). `None` costs what a real identifier does, as in
    /// [`Store::find_profile_id`].
    pub async fn find_identifier_owner(
        &self,
        company: &CompanyId,
        identifier: Option<&Identifier>,
    ) -> Result<Option<IdentifierOwner>, StoreError> {
        let identifier_key = keys::identifier_or_nobody(company, identifier);
        let Some(item) = self.read_reservation(&identifier_key, true).await? else {
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
        event: &Event,
    ) -> Result<SetPassword, StoreError> {
        let build = |e: aws_sdk_dynamodb::error::BuildError| StoreError::Failed(e.to_string());
        let now = self.clock.now_seconds();
        let partition = keys::profile(company, id);
        let profile = self.active_profile_check(&partition)?;
        let item = credential_item(company, id, phc, now);
        let credential = Put::builder()
            .table_name(&self.tables.profiles)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(PK)")
            .build()
            .map_err(build)?;
        let writes = [
            TransactWriteItem::builder()
                .condition_check(profile)
                .build(),
            TransactWriteItem::builder().put(credential).build(),
            self.event_put(company, event)?,
        ];
        // The items are the profile, the credential, then the event.
        let Err(refused) = self.transact(&writes).await? else {
            return Ok(SetPassword::Created);
        };
        Ok(if !refused.failed(0) {
            SetPassword::AlreadySet
        } else if refused.old_item(0).is_some() {
            SetPassword::Inactive
        } else {
            SetPassword::NotFound
        })
    }

    /// Counts a login attempt before its password is verified: one conditional write that
    /// sets the count one past `observed` (what the login's read saw) and, when the policy
    /// says so, the lock, only while the profile is not locked. So whatever the concurrency,
    /// at most `lock_after_failures` passwords are verified before the lock, and one per
    /// lock window after it. A count moved by a concurrent attempt is read back from the
    /// refused write and tried again; a profile that keeps losing races, like a locked one or
    /// one without a password, is `Refused`: its password is not verified, and the caller
    /// answers as for a wrong one (never a 5xx).
    ///
    /// For an unknown identifier the caller passes a random `id`: the same write, refused by
    /// its condition, so that known and unknown identifiers cost the same requests.
    pub async fn reserve_login_attempt(
        &self,
        company: &CompanyId,
        id: ProfileId,
        observed: u32,
        policy: &LockoutPolicy,
    ) -> Result<Attempt, StoreError> {
        let mut observed = observed;
        for attempt in 0..ATTEMPT_RETRIES {
            let count = observed.saturating_add(1);
            let now = self.clock.now_ms();
            let mut update = self
                .client
                .update_item()
                .table_name(&self.tables.profiles)
                .set_key(Some(key(keys::profile(company, id), keys::PASSWORD)))
                .expression_attribute_values(":n", n(count))
                .expression_attribute_values(":now", n(now))
                .return_values_on_condition_check_failure(
                    ReturnValuesOnConditionCheckFailure::AllOld,
                );
            update = match policy.lock_for(count) {
                Some(wait) => update
                    .update_expression(
                        "SET failed_logins = :n, last_attempt_at = :now, locked_until = :until",
                    )
                    .expression_attribute_values(":until", n(now + wait.as_millis() as u64)),
                None => update.update_expression("SET failed_logins = :n, last_attempt_at = :now"),
            };
            let unlocked = "(attribute_not_exists(locked_until) OR locked_until <= :now)";
            update = if observed == 0 {
                update
                    .condition_expression(format!(
                        "attribute_exists(password_hash) AND {unlocked} AND \
                         (attribute_not_exists(failed_logins) OR failed_logins = :zero)"
                    ))
                    .expression_attribute_values(":zero", n(0))
            } else {
                update
                    .condition_expression(format!(
                        "attribute_exists(password_hash) AND {unlocked} AND failed_logins = :old"
                    ))
                    .expression_attribute_values(":old", n(observed))
            };
            let err = match update.send().await {
                Ok(_) => return Ok(Attempt::Reserved { count }),
                Err(err) => err,
            };
            match condition_failed_item(&err) {
                // No password (or no profile, or an unknown identifier's random id).
                Some(None) => return Ok(Attempt::Refused),
                Some(Some(current)) => {
                    if get_s(current, "password_hash").is_none()
                        || number(current, "locked_until").is_some_and(|until| until > now)
                    {
                        return Ok(Attempt::Refused);
                    }
                    observed = number(current, "failed_logins").unwrap_or(0) as u32;
                }
                // The credential is held by a transaction (a password change) at this moment.
                None if is_transaction_conflict(&err) => {
                    tokio::time::sleep(backoff(attempt)).await;
                }
                None => return Err(err.into()),
            }
        }
        tracing::info!(company = %company, profile = %id, "login attempt lost every race for its count: refused");
        Ok(Attempt::Refused)
    }

    /// After the password of a `Reserved { count }` attempt matched: clears the count and the
    /// lock, and stores `rehash` in place of `old_hash` when the hash parameters changed, in
    /// one write conditioned on the count it observed. When attempts came in since and one of
    /// them locked the profile, the login is refused: a right password inside a burst that
    /// locked the profile does not log in, and the lock stands. When they did not lock it, the
    /// success resets the count all the same (as a success always has), with the write
    /// conditioned on the count read back from the refused one; so concurrent logins of one
    /// profile with its right password keep its count below their own number in flight.
    ///
    /// `after` adds the second factor's writes to the same transaction: a challenge, or the
    /// spending of a code (conditioned on its factors' revision: when that condition fails,
    /// the login ends `FactorRaced`, nothing written).
    pub async fn finish_login(
        &self,
        company: &CompanyId,
        id: ProfileId,
        count: u32,
        rehash: Option<(&str, &str)>,
        after: LoginAfter<'_>,
        events: &[Event],
    ) -> Result<LoginEnd, StoreError> {
        let mut observed = Some(count);
        let mut rehash = rehash;
        let build = |e: aws_sdk_dynamodb::error::BuildError| StoreError::Failed(e.to_string());
        for _ in 0..ATTEMPT_RETRIES {
            if observed.is_none() && rehash.is_none() {
                // Cleared by another success meanwhile, and nothing to upgrade.
                break;
            }
            let mut update = Update::builder()
                .table_name(&self.tables.profiles)
                .set_key(Some(key(keys::profile(company, id), keys::PASSWORD)))
                .return_values_on_condition_check_failure(
                    ReturnValuesOnConditionCheckFailure::AllOld,
                );
            let mut condition = match observed {
                Some(count) => {
                    update = update.expression_attribute_values(":n", n(count));
                    "failed_logins = :n".to_owned()
                }
                None => "attribute_exists(password_hash) AND attribute_not_exists(failed_logins)"
                    .to_owned(),
            };
            update = match rehash {
                Some((old, new)) => {
                    condition.push_str(" AND password_hash = :old");
                    update
                        .update_expression(
                            "SET password_hash = :new REMOVE failed_logins, locked_until",
                        )
                        .expression_attribute_values(":old", s(old))
                        .expression_attribute_values(":new", s(new))
                }
                None => update.update_expression("REMOVE failed_logins, locked_until"),
            };
            let update = update
                .condition_expression(condition)
                .build()
                .map_err(build)?;
            // The credential, what comes after it, then the events: the login and its record,
            // together.
            let mut writes = vec![TransactWriteItem::builder().update(update).build()];
            writes.extend(self.after_login_writes(company, id, after)?);
            for event in events {
                writes.push(self.event_put(company, event)?);
            }
            let Err(refused) = self.transact(&writes).await? else {
                return Ok(LoginEnd::LoggedIn);
            };
            if let LoginAfter::Spend(_) = after
                && refused.failed(1)
            {
                let now = super::second_factor::factors_from(refused.old_item(1))?;
                return Ok(LoginEnd::FactorRaced(Box::new(now)));
            }
            // The profile was erased meanwhile.
            let Some(current) = refused.old_item(0) else {
                return Ok(LoginEnd::Refused);
            };
            let locked = number(current, "locked_until").is_some_and(|t| t > self.clock.now_ms());
            if locked {
                return Ok(LoginEnd::Refused);
            }
            if rehash.is_some_and(|(old, _)| get_s(current, "password_hash") != Some(old)) {
                // The password changed meanwhile: nothing of this login to store.
                rehash = None;
            }
            observed = number(current, "failed_logins").map(|c| c as u32);
        }
        // Nothing left to write, or still racing after every try and never seen locked: the
        // login stands, and its events are recorded alone with what comes after it.
        let mut writes = self.after_login_writes(company, id, after)?;
        if writes.is_empty() {
            for event in events {
                self.record(company, event).await?;
            }
            return Ok(LoginEnd::LoggedIn);
        }
        for event in events {
            writes.push(self.event_put(company, event)?);
        }
        match self.transact(&writes).await? {
            Ok(()) => Ok(LoginEnd::LoggedIn),
            Err(refused) => Ok(match after {
                LoginAfter::Spend(_) => LoginEnd::FactorRaced(Box::new(
                    super::second_factor::factors_from(refused.old_item(0))?,
                )),
                _ => LoginEnd::Refused,
            }),
        }
    }

    /// The writes of what comes after a password's success (`LoginAfter`).
    fn after_login_writes(
        &self,
        company: &CompanyId,
        id: ProfileId,
        after: LoginAfter<'_>,
    ) -> Result<Vec<TransactWriteItem>, StoreError> {
        Ok(match after {
            LoginAfter::Nothing => Vec::new(),
            LoginAfter::Challenge(challenge, password_set_at, passkey_state) => {
                vec![self.challenge_write(company, challenge, password_set_at, passkey_state)?]
            }
            LoginAfter::Spend(spend) => self.spend_writes(company, id, spend)?,
        })
    }

    /// Activates or deactivates the profile with its event, in one transaction: the profile
    /// is read (strongly consistent), then written conditioned on the version read, which also
    /// moves it between the indexes' active and disabled ranges. A write in between makes it
    /// read again. The answer is the profile as written.
    pub async fn set_active(
        &self,
        company: &CompanyId,
        id: ProfileId,
        active: bool,
        event: &Event,
    ) -> Result<StatusChange, StoreError> {
        let build = |e: aws_sdk_dynamodb::error::BuildError| StoreError::Failed(e.to_string());
        for _ in 0..ATTEMPT_RETRIES {
            let Some(current) = self.profile_for_change(company, id).await? else {
                return Ok(StatusChange::NotFound);
            };
            if current.profile.active == active {
                return Ok(StatusChange::Unchanged);
            }
            let update = Update::builder()
                .table_name(&self.tables.profiles)
                .set_key(Some(key(keys::profile(company, id), keys::PROFILE)))
                .update_expression(
                    "SET active = :a, updated_at = :now, version = version + :one, #ord = #ord + :flip",
                )
                .condition_expression("version = :v")
                .expression_attribute_names("#ord", index::ORD)
                .expression_attribute_values(":a", AttributeValue::Bool(active))
                .expression_attribute_values(":one", n(1))
                .expression_attribute_values(":v", n(current.version))
                .expression_attribute_values(":flip", index::flip(active))
                .expression_attribute_values(":now", n(self.clock.now_seconds()))
                .build()
                .map_err(build)?;
            let writes = [
                TransactWriteItem::builder().update(update).build(),
                self.event_put(company, event)?,
            ];
            if self.transact(&writes).await?.is_ok() {
                let mut profile = current.profile;
                profile.active = active;
                return Ok(StatusChange::Changed(Box::new(profile)));
            }
        }
        Err(StoreError::Unavailable(
            "the profile kept changing during its status change".into(),
        ))
    }
}

pub(super) fn is_transaction_conflict<R>(err: &SdkError<UpdateItemError, R>) -> bool {
    matches!(
        err.as_service_error(),
        Some(UpdateItemError::TransactionConflictException(_))
    )
}

/// For a failed condition: `Some(old item)` (`Some(None)` when there was no item);
/// `None` for any other error.
pub(super) fn condition_failed_item<R>(
    err: &SdkError<UpdateItemError, R>,
) -> Option<Option<&Item>> {
    match err.as_service_error() {
        Some(UpdateItemError::ConditionalCheckFailedException(e)) => Some(e.item()),
        _ => None,
    }
}
