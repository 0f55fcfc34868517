//! Password-change tokens, an item in the profile's partition (`SK = token#password-change`,
//! so at most one per profile, and an erasure of the partition takes it). Only a SHA-256
//! digest of each token is stored (tokens carry ~119 bits of entropy, so a fast hash is
//! enough), bound to the company and profile, with an expiry (`expires_at`, also the table's
//! TTL attribute), a count of wrong tries left, and the time of the request that issued it
//! (for rate limiting).

use aws_sdk_dynamodb::types::{
    Delete, Put, ReturnValuesOnConditionCheckFailure, TransactWriteItem, Update,
};

use super::attributes::{Item, key, n, s};
use super::credentials::LoginRecord;
use super::{Store, StoreError, keys};
use crate::audit::Event;
use crate::domain::{CompanyId, ProfileId};

/// A stored token, as read back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenCheck {
    pub digest: String,
    pub expires_at: u64,
    pub attempts_left: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IssueOutcome {
    Issued,
    /// A token was issued for this profile less than the minimum interval ago.
    TooSoon,
    /// The profile does not exist (nothing was written).
    ProfileMissing,
    /// The profile is not active (nothing was written).
    ProfileInactive,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeOutcome {
    Changed,
    /// The token was used, replaced, expired or exhausted meanwhile.
    TokenGone,
    /// The profile was deactivated (or deleted) meanwhile.
    ProfileInactive,
}

fn number(item: &Item, name: &str) -> Option<u64> {
    item.get(name)?.as_n().ok()?.parse().ok()
}

impl Store {
    /// Stores a new token for the profile, replacing any earlier one, in one transaction that
    /// also checks that the profile exists and is active, and that no token was issued less
    /// than `min_interval_seconds` ago (the rate limit is that write's condition, so two racing
    /// requests cannot both pass).
    pub async fn issue_password_token(
        &self,
        company: &CompanyId,
        id: ProfileId,
        digest: &str,
        ttl_seconds: u32,
        attempts: u32,
        min_interval_seconds: u32,
    ) -> Result<IssueOutcome, StoreError> {
        let now = self.clock.now_seconds();
        let build = |e: aws_sdk_dynamodb::error::BuildError| StoreError::Failed(e.to_string());
        // First, so that its reason comes first: an unknown or inactive profile answers as
        // such, whatever the token's state.
        let partition = keys::profile(company, id);
        let profile = self.active_profile_check(&partition)?;
        let mut item = key(&partition, keys::PASSWORD_TOKEN);
        item.insert("kind".into(), s("token"));
        let token = Put::builder()
            .table_name(&self.tables.profiles)
            .set_item(Some(item))
            .item("company_id", s(company.as_str()))
            .item("uuid", s(id.to_string()))
            .item("token_digest", s(digest))
            .item("issued_at", n(now))
            .item("expires_at", n(now + u64::from(ttl_seconds)))
            .item("attempts_left", n(attempts))
            .condition_expression("attribute_not_exists(PK) OR issued_at <= :cutoff")
            .expression_attribute_values(
                ":cutoff",
                n(now.saturating_sub(u64::from(min_interval_seconds))),
            )
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::None)
            .build()
            .map_err(build)?;
        // Racing requests for one profile may be cancelled with `TransactionConflict`: retried
        // (in `transact`), the loser then meets the winner's token (and is rate-limited, or
        // supersedes it). The items are the profile, then the token.
        let writes = [
            TransactWriteItem::builder()
                .condition_check(profile)
                .build(),
            TransactWriteItem::builder().put(token).build(),
        ];
        let Err(refused) = self.transact(&writes).await? else {
            return Ok(IssueOutcome::Issued);
        };
        if refused.failed(0) {
            // DynamoDB returns the profile that failed the check (`AllOld`), and nothing when
            // there is none.
            return Ok(if refused.old_item(0).is_some() {
                IssueOutcome::ProfileInactive
            } else {
                IssueOutcome::ProfileMissing
            });
        }
        Ok(IssueOutcome::TooSoon)
    }

    /// Withdraws a token whose e-mail could not be sent, so a retry is not rate-limited.
    pub async fn withdraw_password_token(
        &self,
        company: &CompanyId,
        id: ProfileId,
        digest: &str,
    ) -> Result<(), StoreError> {
        let result = self
            .client
            .delete_item()
            .table_name(&self.tables.profiles)
            .set_key(Some(token_key(company, id)))
            .condition_expression("token_digest = :d")
            .expression_attribute_values(":d", s(digest))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(err)
                if err
                    .as_service_error()
                    .is_some_and(|e| e.is_conditional_check_failed_exception()) =>
            {
                Ok(())
            }
            Err(err) => Err(err.into()),
        }
    }

    /// The profile (with its credentials) and its current token if it can still be tried
    /// (unexpired, with attempts left, by the store's clock): one `Query` of the partition
    /// from the first credential on.
    pub async fn get_profile_and_token(
        &self,
        company: &CompanyId,
        id: ProfileId,
    ) -> Result<(Option<LoginRecord>, Option<TokenCheck>), StoreError> {
        let collection = self
            .collection(company, id, keys::CREDENTIALS_FROM, None)
            .await?;
        let token = collection.token.as_ref().map(|item| TokenCheck {
            digest: super::attributes::get_s(item, "token_digest")
                .unwrap_or_default()
                .to_owned(),
            expires_at: number(item, "expires_at").unwrap_or(0),
            attempts_left: number(item, "attempts_left").unwrap_or(0) as u32,
        });
        let now = self.clock.now_seconds();
        let token = token.filter(|t| t.expires_at > now && t.attempts_left > 0);
        Ok((LoginRecord::from_collection(&collection)?, token))
    }

    /// Counts a wrong try against the current token (the last allowed one deletes it), with
    /// the failure's `event`, in one transaction. When the token changed meanwhile there is
    /// nothing left to count against, and the event is recorded alone.
    pub async fn spend_token_attempt(
        &self,
        company: &CompanyId,
        id: ProfileId,
        token: &TokenCheck,
        event: &Event,
    ) -> Result<(), StoreError> {
        let build = |e: aws_sdk_dynamodb::error::BuildError| StoreError::Failed(e.to_string());
        let spend = if token.attempts_left <= 1 {
            let delete = Delete::builder()
                .table_name(&self.tables.profiles)
                .set_key(Some(token_key(company, id)))
                .condition_expression("token_digest = :d")
                .expression_attribute_values(":d", s(&token.digest))
                .build()
                .map_err(build)?;
            TransactWriteItem::builder().delete(delete).build()
        } else {
            let update = Update::builder()
                .table_name(&self.tables.profiles)
                .set_key(Some(token_key(company, id)))
                .update_expression("SET attempts_left = attempts_left - :one")
                .condition_expression("token_digest = :d AND attempts_left > :zero")
                .expression_attribute_values(":d", s(&token.digest))
                .expression_attribute_values(":one", n(1))
                .expression_attribute_values(":zero", n(0))
                .build()
                .map_err(build)?;
            TransactWriteItem::builder().update(update).build()
        };
        let writes = [spend, self.event_put(company, event)?];
        if self.transact(&writes).await?.is_err() {
            self.record(company, event).await?;
        }
        Ok(())
    }

    /// Replaces the password and consumes the token in one transaction: exactly one of several
    /// concurrent confirmations with the same token succeeds. Also clears any lockout.
    pub async fn change_password_with_token(
        &self,
        company: &CompanyId,
        id: ProfileId,
        digest: &str,
        new_hash: &str,
        event: &Event,
    ) -> Result<ChangeOutcome, StoreError> {
        let now = self.clock.now_seconds();
        let build = |e: aws_sdk_dynamodb::error::BuildError| StoreError::Failed(e.to_string());
        let partition = keys::profile(company, id);
        let consume = Delete::builder()
            .table_name(&self.tables.profiles)
            .set_key(Some(key(&partition, keys::PASSWORD_TOKEN)))
            .condition_expression(
                "token_digest = :d AND expires_at > :now AND attempts_left > :zero",
            )
            .expression_attribute_values(":d", s(digest))
            .expression_attribute_values(":now", n(now))
            .expression_attribute_values(":zero", n(0))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::None)
            .build()
            .map_err(build)?;
        let profile = self.active_profile_check(&partition)?;
        // Creates the credential when the profile had no password yet.
        let credential = Update::builder()
            .table_name(&self.tables.profiles)
            .set_key(Some(key(&partition, keys::PASSWORD)))
            .update_expression(
                "SET password_hash = :h, password_set_at = :now, kind = :kind, \
                 company_id = :c, #uuid = :u REMOVE failed_logins, locked_until",
            )
            .expression_attribute_names("#uuid", "uuid")
            .expression_attribute_values(":h", s(new_hash))
            .expression_attribute_values(":now", n(now))
            .expression_attribute_values(":kind", s("credential"))
            .expression_attribute_values(":c", s(company.as_str()))
            .expression_attribute_values(":u", s(id.to_string()))
            .build()
            .map_err(build)?;
        // Racing confirms may be cancelled with `TransactionConflict` while another holds the
        // token: retried (in `transact`), so that exactly one wins and the rest then find the
        // token gone. The items are the token, the profile, the credential, the event.
        let writes = [
            TransactWriteItem::builder().delete(consume).build(),
            TransactWriteItem::builder()
                .condition_check(profile)
                .build(),
            TransactWriteItem::builder().update(credential).build(),
            self.event_put(company, event)?,
        ];
        let Err(refused) = self.transact(&writes).await? else {
            return Ok(ChangeOutcome::Changed);
        };
        Ok(if refused.failed(0) {
            ChangeOutcome::TokenGone
        } else {
            ChangeOutcome::ProfileInactive
        })
    }
}

fn token_key(company: &CompanyId, id: ProfileId) -> Item {
    key(keys::profile(company, id), keys::PASSWORD_TOKEN)
}
