//! A profile's second factors (API.md §5.15): one item in its partition,
//! `SK = credential#second-factor`, between the password credential and the profile, so the
//! login's `Query` of the credentials and the profile reads it at no extra cost. It holds the
//! TOTP secret (enrolled and pending), the recovery codes' hashes, the second factor's own
//! lockout (`failures`, `locked_until`), the last TOTP step used and a `revision`: every write
//! of the item is conditioned on the revision it read, so two writes can never both think they
//! spent the same code. The profile item keeps the public summary
//! (`two_factor_authentication`), written in the same transactions.
//!
//! Login challenges are items of their own, `SK = token#challenge#{sha256}`, with a TTL:
//! written with the password's success, marked used by the second step that uses them.

use std::collections::BTreeSet;

use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::{
    AttributeValue, Delete, KeysAndAttributes, Put, ReturnValue,
    ReturnValuesOnConditionCheckFailure, TransactWriteItem, Update,
};
use serde_json::Value;

use super::attributes::{Item, get_bool, get_s, key, n, s};
use super::credentials::{condition_failed_item, is_transaction_conflict, number};
use super::profiles::profile_from_item;
use super::{Store, StoreError, keys};
use crate::audit::Event;
use crate::company::LockoutPolicy;
use crate::domain::{CompanyId, ProfileId};
use crate::profile::Profile;
use crate::two_factor::{
    Challenge, CodeUse, EnrolledPasskey, EnrolledTotp, PendingTotp, RecoveryCodes, SealedTotp,
    SecondFactors, TotpAlgorithm, TotpParams, challenge,
};

/// A code attempt's count is compared and set in one conditional write; a race with another
/// attempt retries with the item DynamoDB returned, this many times at most.
const ATTEMPT_RETRIES: u32 = 16;

/// A profile with its second factors, as read for a change.
#[derive(Debug, Clone)]
pub struct FactorsRecord {
    pub profile: Profile,
    /// The profile item's version: the change is conditioned on it.
    pub version: u64,
    pub factors: SecondFactors,
}

/// What writing a profile's second factors came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SaveOutcome {
    Saved,
    /// The profile or its factors were written since they were read: read them again.
    Stale,
    NotFound,
    Inactive,
}

/// What counting a code attempt came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CodeAttempt {
    /// Counted: the factors as they are now, with the count and the new revision. The code may
    /// be checked against them.
    Reserved(Box<SecondFactors>),
    /// Locked, or no second factor: check nothing.
    Refused,
}

/// A right code to spend: the factors as reserved, and as they are once it is spent.
#[derive(Debug, Clone)]
pub struct Spend {
    pub reserved: SecondFactors,
    pub next: SecondFactors,
    pub used: CodeUse,
}

/// What spending a code came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SpendOutcome {
    Spent,
    /// Another attempt wrote the factors first: how they are now (locked, the step spent, or
    /// only counted), for the caller to say why.
    Raced(Box<SecondFactors>),
    /// The challenge was used or expired meanwhile.
    ChallengeGone,
}

/// What a second step reads: whether its challenge is live, the profile and its factors.
#[derive(Debug, Clone)]
pub struct SecondStep {
    pub challenge_live: bool,
    /// The passkey ceremony's state kept with the challenge (when the profile had passkeys).
    pub passkey_state: Option<String>,
    pub profile: Option<Profile>,
    pub factors: SecondFactors,
}

impl Store {
    /// The profile with its second factors: one strongly consistent `Query` of the factors'
    /// item and the profile item.
    pub async fn second_factors(
        &self,
        company: &CompanyId,
        id: ProfileId,
    ) -> Result<Option<FactorsRecord>, StoreError> {
        let collection = self
            .collection(company, id, keys::SECOND_FACTOR, Some(keys::PROFILE))
            .await?;
        let Some(profile_item) = &collection.profile else {
            return Ok(None);
        };
        Ok(Some(FactorsRecord {
            profile: profile_from_item(profile_item)?,
            version: version_of(profile_item),
            factors: factors_from(collection.second_factor.as_ref())?,
        }))
    }

    /// Writes `next` in place of `record.factors`, with the profile's summary and `events`, in
    /// one transaction conditioned on the factors' revision and the profile's version, and on
    /// the profile being active.
    pub async fn save_second_factors(
        &self,
        company: &CompanyId,
        record: &FactorsRecord,
        next: &SecondFactors,
        events: &[Event],
    ) -> Result<SaveOutcome, StoreError> {
        self.save_second_factors_using(company, record, next, events, None)
            .await
    }

    /// [`Store::save_second_factors`], also using up the challenge item of `challenge_key`
    /// (a passkey enrolment's) in the same transaction: a challenge used or expired meanwhile
    /// is [`SaveOutcome::Stale`], and the caller reads again.
    pub(super) async fn save_second_factors_using(
        &self,
        company: &CompanyId,
        record: &FactorsRecord,
        next: &SecondFactors,
        events: &[Event],
        challenge_key: Option<Item>,
    ) -> Result<SaveOutcome, StoreError> {
        let id = record.profile.id;
        let profile = Update::builder()
            .table_name(&self.tables.profiles)
            .set_key(Some(key(keys::profile(company, id), keys::PROFILE)))
            .update_expression("SET two_factor_authentication = :list, version = version + :one")
            .condition_expression("version = :v AND active = :yes")
            .expression_attribute_values(":list", list_value(&next.summary()))
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":v", n(record.version))
            .expression_attribute_values(":yes", AttributeValue::Bool(true))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .build()
            .map_err(build_error)?;
        let mut writes = vec![
            TransactWriteItem::builder().update(profile).build(),
            self.factors_write(company, id, record.factors.revision, next)?,
        ];
        if let Some(challenge_key) = challenge_key {
            writes.push(self.mark_used(challenge_key)?);
        }
        for event in events {
            writes.push(self.event_put(company, event)?);
        }
        let Err(refused) = self.transact(&writes).await? else {
            return Ok(SaveOutcome::Saved);
        };
        if refused.failed(0) {
            return Ok(match refused.old_item(0) {
                None => SaveOutcome::NotFound,
                Some(item) if get_bool(item, "active") == Some(false) => SaveOutcome::Inactive,
                Some(_) => SaveOutcome::Stale,
            });
        }
        Ok(SaveOutcome::Stale)
    }

    /// Counts a code attempt before the code is checked, as [`Store::reserve_login_attempt`]
    /// does for passwords: one conditional write that sets the count one past what was read
    /// (and the lock, when the policy says so) and moves the revision on, only while the
    /// factor is not locked. So at most `max_failures` codes are checked before the lock
    /// whatever the concurrency, and a spend conditioned on the revision this returns fails if
    /// any other attempt came in between.
    pub async fn reserve_code_attempt(
        &self,
        company: &CompanyId,
        id: ProfileId,
        factors: &SecondFactors,
        policy: &LockoutPolicy,
    ) -> Result<CodeAttempt, StoreError> {
        let mut observed = factors.clone();
        for attempt in 0..ATTEMPT_RETRIES {
            let now = self.clock.now_ms();
            if !observed.is_enrolled() || observed.is_locked(now) {
                return Ok(CodeAttempt::Refused);
            }
            let count = observed.failures.saturating_add(1);
            let mut update = self
                .client
                .update_item()
                .table_name(&self.tables.profiles)
                .set_key(Some(key(keys::profile(company, id), keys::SECOND_FACTOR)))
                .condition_expression("revision = :r")
                .expression_attribute_values(":r", n(observed.revision))
                .expression_attribute_values(":n", n(count))
                .expression_attribute_values(":one", n(1))
                .return_values(ReturnValue::AllNew)
                .return_values_on_condition_check_failure(
                    ReturnValuesOnConditionCheckFailure::AllOld,
                );
            update = match policy.lock_for(count) {
                Some(wait) => update
                    .update_expression(
                        "SET failures = :n, revision = revision + :one, locked_until = :until",
                    )
                    .expression_attribute_values(":until", n(now + wait.as_millis() as u64)),
                None => update.update_expression("SET failures = :n, revision = revision + :one"),
            };
            let err = match update.send().await {
                Ok(output) => {
                    let reserved = factors_from(output.attributes.as_ref())?;
                    return Ok(CodeAttempt::Reserved(Box::new(reserved)));
                }
                Err(err) => err,
            };
            match condition_failed_item(&err) {
                Some(None) => return Ok(CodeAttempt::Refused),
                Some(Some(current)) => observed = factors_from(Some(current))?,
                None if is_transaction_conflict(&err) => {
                    tokio::time::sleep(super::conflict::backoff(attempt)).await;
                }
                None => return Err(err.into()),
            }
        }
        tracing::info!(company = %company, profile = %id, "code attempt lost every race for its count: refused");
        Ok(CodeAttempt::Refused)
    }

    /// What a second step reads, in one `BatchGetItem` (strongly consistent): the challenge
    /// of `digest`, the password credential (when it was set: a challenge issued for another
    /// password is not live), the factors and the profile of `id`.
    pub async fn second_step(
        &self,
        company: &CompanyId,
        id: ProfileId,
        digest: &str,
    ) -> Result<SecondStep, StoreError> {
        let partition = keys::profile(company, id);
        let challenge_sk = keys::challenge(digest);
        let items = self
            .read_items(vec![
                key(&partition, &challenge_sk),
                key(&partition, keys::PASSWORD),
                key(&partition, keys::SECOND_FACTOR),
                key(&partition, keys::PROFILE),
            ])
            .await?;
        let now = self.clock.now_ms();
        let sk_of = |sk: &str| items.iter().find(|item| get_s(item, keys::SK) == Some(sk));
        let password_set_at = sk_of(keys::PASSWORD)
            .and_then(|item| number(item, "password_set_at"))
            .unwrap_or(0);
        let challenge_item = sk_of(&challenge_sk);
        let passkey_state = challenge_item
            .and_then(|item| get_s(item, "passkey_state"))
            .map(str::to_owned);
        let challenge_live = challenge_item.is_some_and(|item| {
            get_s(item, "kind") == Some("challenge")
                && get_s(item, "uuid") == Some(id.to_string().as_str())
                && number(item, "expires_ms").is_some_and(|at| at > now)
                && !item.contains_key("used_at")
                && number(item, "password_set_at") == Some(password_set_at)
        });
        let collection = super::profiles::Collection::from_items(items);
        Ok(SecondStep {
            challenge_live,
            passkey_state,
            profile: collection
                .profile
                .as_ref()
                .map(profile_from_item)
                .transpose()?,
            factors: factors_from(collection.second_factor.as_ref())?,
        })
    }

    /// The items of `wanted` that exist, in one strongly consistent `BatchGetItem` (a few small
    /// items: one request unless DynamoDB hands keys back under load).
    pub(super) async fn read_items(&self, wanted: Vec<Item>) -> Result<Vec<Item>, StoreError> {
        let wanted = KeysAndAttributes::builder()
            .set_keys(Some(wanted))
            .consistent_read(true)
            .build()
            .map_err(build_error)?;
        let mut items = Vec::new();
        let mut pending = Some(
            [(self.tables.profiles.clone(), wanted)]
                .into_iter()
                .collect::<std::collections::HashMap<_, _>>(),
        );
        for attempt in 0..ATTEMPT_RETRIES {
            let Some(request) = pending.take().filter(|keys| !keys.is_empty()) else {
                break;
            };
            let output = self
                .client
                .batch_get_item()
                .set_request_items(Some(request))
                .send()
                .await?;
            if let Some(mut responses) = output.responses {
                items.extend(responses.remove(&self.tables.profiles).unwrap_or_default());
            }
            pending = output.unprocessed_keys.filter(|keys| !keys.is_empty());
            if pending.is_some() {
                tokio::time::sleep(super::conflict::backoff(attempt)).await;
            }
        }
        if pending.is_some() {
            return Err(StoreError::Unavailable("the items were not read".into()));
        }
        Ok(items)
    }

    /// Spends a right code of a second step: the code spent on the factors (conditioned on
    /// the revision its attempt reserved), the challenge marked used (conditioned on being
    /// there, live and unused) and `events`, in one transaction.
    pub async fn spend_with_challenge(
        &self,
        company: &CompanyId,
        id: ProfileId,
        challenge: &Challenge,
        spend: &Spend,
        events: &[Event],
    ) -> Result<SpendOutcome, StoreError> {
        let challenge_key = key(
            keys::profile(company, id),
            &keys::challenge(&challenge.digest()),
        );
        self.spend_marking_used(company, id, challenge_key, spend, events)
            .await
    }

    /// Spends `spend` and marks the challenge item of `challenge_key` used (conditioned on
    /// being there, live and unused), with `events`, in one transaction. Marked used rather
    /// than deleted (DynamoDB's TTL removes it): the login functions delete nothing.
    pub(super) async fn spend_marking_used(
        &self,
        company: &CompanyId,
        id: ProfileId,
        challenge_key: Item,
        spend: &Spend,
        events: &[Event],
    ) -> Result<SpendOutcome, StoreError> {
        let mut writes = self.spend_writes(company, id, spend)?;
        writes.insert(1, self.mark_used(challenge_key)?);
        for event in events {
            writes.push(self.event_put(company, event)?);
        }
        let Err(refused) = self.transact(&writes).await? else {
            return Ok(SpendOutcome::Spent);
        };
        if refused.failed(0) {
            return Ok(SpendOutcome::Raced(Box::new(factors_from(
                refused.old_item(0),
            )?)));
        }
        Ok(SpendOutcome::ChallengeGone)
    }

    /// The write that uses a challenge item up, only while it is there, live and unused.
    pub(super) fn mark_used(&self, challenge_key: Item) -> Result<TransactWriteItem, StoreError> {
        let used = Update::builder()
            .table_name(&self.tables.profiles)
            .set_key(Some(challenge_key))
            .update_expression("SET used_at = :now")
            .condition_expression(
                "attribute_exists(PK) AND expires_ms > :now AND attribute_not_exists(used_at)",
            )
            .expression_attribute_values(":now", n(self.clock.now_ms()))
            .build()
            .map_err(build_error)?;
        Ok(TransactWriteItem::builder().update(used).build())
    }

    /// The writes that spend a code (the factors' item, and the profile's summary when the
    /// count of recovery codes changed): the first is the factors' item. Updates only, so
    /// the login function needs no `PutItem` or `DeleteItem` on profiles' partitions.
    pub(super) fn spend_writes(
        &self,
        company: &CompanyId,
        id: ProfileId,
        spend: &Spend,
    ) -> Result<Vec<TransactWriteItem>, StoreError> {
        let update = Update::builder()
            .table_name(&self.tables.profiles)
            .set_key(Some(key(keys::profile(company, id), keys::SECOND_FACTOR)))
            .condition_expression("revision = :r")
            .expression_attribute_values(":r", n(spend.reserved.revision))
            .expression_attribute_values(":zero", n(0))
            .expression_attribute_values(":one", n(1))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld);
        let update = match &spend.used {
            CodeUse::TotpStep(step) => update
                .update_expression(
                    "SET last_step = :step, failures = :zero, revision = revision + :one \
                     REMOVE locked_until",
                )
                .expression_attribute_values(":step", n(*step)),
            CodeUse::RecoveryCode(hash) => update
                .update_expression(
                    "SET failures = :zero, revision = revision + :one REMOVE locked_until \
                     DELETE recovery_codes :code",
                )
                .expression_attribute_values(":code", AttributeValue::Ss(vec![hash.clone()])),
            // The list is rewritten whole: the revision condition says it is the one read.
            CodeUse::Passkey(_) => update
                .update_expression(
                    "SET passkeys = :passkeys, failures = :zero, revision = revision + :one \
                     REMOVE locked_until",
                )
                .expression_attribute_values(":passkeys", passkeys_value(&spend.next.passkeys)?),
        };
        let mut writes = vec![
            TransactWriteItem::builder()
                .update(update.build().map_err(build_error)?)
                .build(),
        ];
        if spend.next.summary() != spend.reserved.summary() {
            let profile = Update::builder()
                .table_name(&self.tables.profiles)
                .set_key(Some(key(keys::profile(company, id), keys::PROFILE)))
                .update_expression(
                    "SET two_factor_authentication = :list, version = version + :one",
                )
                .condition_expression("attribute_exists(PK)")
                .expression_attribute_values(":list", list_value(&spend.next.summary()))
                .expression_attribute_values(":one", n(1))
                .build()
                .map_err(build_error)?;
            writes.push(TransactWriteItem::builder().update(profile).build());
        }
        Ok(writes)
    }

    /// A new login challenge for `challenge.profile`, as one more write of the password's
    /// success (an update that creates it: the login function puts nothing in profiles'
    /// partitions).
    pub(super) fn challenge_write(
        &self,
        company: &CompanyId,
        challenge: &Challenge,
        password_set_at: Option<u64>,
        passkey_state: Option<&str>,
    ) -> Result<TransactWriteItem, StoreError> {
        let expires_ms = self.clock.now_ms() + challenge::TTL_SECONDS * 1000;
        let update = Update::builder()
            .table_name(&self.tables.profiles)
            .set_key(Some(key(
                keys::profile(company, challenge.profile),
                &keys::challenge(&challenge.digest()),
            )))
            .update_expression(
                "SET kind = :kind, company_id = :company, #u = :uuid, expires_ms = :ms, \
                 expires_at = :ttl, password_set_at = :set",
            )
            .condition_expression("attribute_not_exists(PK)")
            .expression_attribute_names("#u", "uuid")
            .expression_attribute_values(":kind", s("challenge"))
            .expression_attribute_values(":company", s(company.as_str()))
            .expression_attribute_values(":uuid", s(challenge.profile.to_string()))
            .expression_attribute_values(":ms", n(expires_ms))
            // DynamoDB's TTL removes what nobody used, some time after it expired.
            .expression_attribute_values(":ttl", n(expires_ms / 1000 + 1))
            // The password it was issued for: a password changed since ends it.
            .expression_attribute_values(":set", n(password_set_at.unwrap_or(0)));
        // The passkey ceremony's state, when the profile has passkeys: kept here, never sent.
        let update = match passkey_state {
            Some(state) => update
                .update_expression(
                    "SET kind = :kind, company_id = :company, #u = :uuid, expires_ms = :ms, \
                     expires_at = :ttl, password_set_at = :set, passkey_state = :state",
                )
                .expression_attribute_values(":state", s(state)),
            None => update,
        };
        Ok(TransactWriteItem::builder()
            .update(update.build().map_err(build_error)?)
            .build())
    }

    /// The factors' item written as `next` (deleted when nothing is left), conditioned on
    /// `revision` (0: no item yet).
    fn factors_write(
        &self,
        company: &CompanyId,
        id: ProfileId,
        revision: u64,
        next: &SecondFactors,
    ) -> Result<TransactWriteItem, StoreError> {
        let condition = if revision == 0 {
            "attribute_not_exists(PK)"
        } else {
            "revision = :r"
        };
        let values = (revision != 0).then(|| (":r".to_owned(), n(revision)));
        if next.is_empty() && next.failures == 0 && next.locked_until_ms.is_none() {
            let delete = Delete::builder()
                .table_name(&self.tables.profiles)
                .set_key(Some(key(keys::profile(company, id), keys::SECOND_FACTOR)))
                .condition_expression(condition)
                .set_expression_attribute_values(values.map(|v| [v].into_iter().collect()))
                .return_values_on_condition_check_failure(
                    ReturnValuesOnConditionCheckFailure::AllOld,
                )
                .build()
                .map_err(build_error)?;
            return Ok(TransactWriteItem::builder().delete(delete).build());
        }
        let put = Put::builder()
            .table_name(&self.tables.profiles)
            .set_item(Some(factors_item(company, id, revision + 1, next)))
            .condition_expression(condition)
            .set_expression_attribute_values(values.map(|v| [v].into_iter().collect()))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .build()
            .map_err(build_error)?;
        Ok(TransactWriteItem::builder().put(put).build())
    }
}

/// The factors' item of `next` at `revision`.
pub(super) fn factors_item(
    company: &CompanyId,
    id: ProfileId,
    revision: u64,
    next: &SecondFactors,
) -> Item {
    let mut item = key(keys::profile(company, id), keys::SECOND_FACTOR);
    item.insert("kind".into(), s("second_factor"));
    item.insert("company_id".into(), s(company.as_str()));
    item.insert("uuid".into(), s(id.to_string()));
    item.insert("revision".into(), n(revision));
    item.insert("failures".into(), n(next.failures));
    if let Some(until) = next.locked_until_ms {
        item.insert("locked_until".into(), n(until));
    }
    if let Some(step) = next.last_step {
        item.insert("last_step".into(), n(step));
    }
    if let Some(enrolled) = &next.totp {
        item.insert("totp_id".into(), s(&enrolled.id));
        item.insert("totp_created".into(), n(enrolled.created_ms));
        insert_totp(&mut item, "totp", &enrolled.totp);
    }
    if let Some(pending) = &next.pending {
        item.insert("pending_created".into(), n(pending.created_ms));
        insert_totp(&mut item, "pending", &pending.totp);
    }
    if !next.passkeys.is_empty()
        && let Ok(passkeys) = passkeys_value(&next.passkeys)
    {
        item.insert("passkeys".into(), passkeys);
    }
    if let Some(recovery) = &next.recovery {
        item.insert("recovery_id".into(), s(&recovery.id));
        item.insert("recovery_created".into(), n(recovery.created_ms));
        // A string set cannot be empty: no attribute is no code left.
        if !recovery.hashes.is_empty() {
            item.insert(
                "recovery_codes".into(),
                AttributeValue::Ss(recovery.hashes.iter().cloned().collect()),
            );
        }
    }
    item
}

/// A TOTP's attributes: its secret as sealed (the store never sees it in the clear) and its
/// parameters.
fn insert_totp(item: &mut Item, prefix: &str, totp: &SealedTotp) {
    item.insert(
        format!("{prefix}_sealed"),
        AttributeValue::B(Blob::new(totp.sealed.clone())),
    );
    item.insert(
        format!("{prefix}_algorithm"),
        s(totp.params.algorithm.as_str()),
    );
    item.insert(format!("{prefix}_digits"), n(totp.params.digits));
    item.insert(format!("{prefix}_period"), n(totp.params.period));
}

/// The factors of the item (none when there is no item).
pub(super) fn factors_from(item: Option<&Item>) -> Result<SecondFactors, StoreError> {
    let Some(item) = item else {
        return Ok(SecondFactors::default());
    };
    let corrupt = |what: &str| StoreError::Corrupt(format!("second factor item: {what}"));
    let totp = match get_s(item, "totp_id") {
        Some(id) => Some(EnrolledTotp {
            id: id.to_owned(),
            created_ms: number(item, "totp_created").unwrap_or(0),
            totp: totp_from(item, "totp").ok_or_else(|| corrupt("totp"))?,
        }),
        None => None,
    };
    let pending = match number(item, "pending_created") {
        Some(created_ms) => Some(PendingTotp {
            created_ms,
            totp: totp_from(item, "pending").ok_or_else(|| corrupt("pending"))?,
        }),
        None => None,
    };
    let recovery = get_s(item, "recovery_id").map(|id| RecoveryCodes {
        id: id.to_owned(),
        created_ms: number(item, "recovery_created").unwrap_or(0),
        hashes: item
            .get("recovery_codes")
            .and_then(|v| v.as_ss().ok())
            .map(|set| set.iter().cloned().collect())
            .unwrap_or_else(BTreeSet::new),
    });
    let passkeys = match get_s(item, "passkeys") {
        Some(text) => serde_json::from_str(text).map_err(|_| corrupt("passkeys"))?,
        None => Vec::new(),
    };
    Ok(SecondFactors {
        totp,
        pending,
        recovery,
        passkeys,
        failures: number(item, "failures").unwrap_or(0) as u32,
        locked_until_ms: number(item, "locked_until"),
        last_step: number(item, "last_step"),
        revision: number(item, "revision").ok_or_else(|| corrupt("revision"))?,
    })
}

fn totp_from(item: &Item, prefix: &str) -> Option<SealedTotp> {
    let sealed = item.get(&format!("{prefix}_sealed"))?.as_b().ok()?;
    let algorithm = TotpAlgorithm::parse(get_s(item, &format!("{prefix}_algorithm"))?)?;
    let digits = u8::try_from(number(item, &format!("{prefix}_digits"))?).ok()?;
    let period = u32::try_from(number(item, &format!("{prefix}_period"))?).ok()?;
    Some(SealedTotp {
        sealed: sealed.as_ref().to_vec(),
        params: TotpParams::checked(algorithm, digits, period).ok()?,
    })
}

/// The passkeys as stored: one JSON string (public keys and counters, nothing secret).
fn passkeys_value(passkeys: &[EnrolledPasskey]) -> Result<AttributeValue, StoreError> {
    serde_json::to_string(passkeys)
        .map(s)
        .map_err(|e| StoreError::Failed(format!("passkeys: {e}")))
}

/// The profile's summary as a DynamoDB list of maps.
pub(super) fn list_value(list: &[Value]) -> AttributeValue {
    AttributeValue::L(list.iter().map(super::attributes::from_json).collect())
}

fn version_of(item: &Item) -> u64 {
    number(item, "version").unwrap_or(0)
}

fn build_error(e: aws_sdk_dynamodb::error::BuildError) -> StoreError {
    StoreError::Failed(e.to_string())
}
