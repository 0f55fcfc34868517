//! Passkey ceremonies' challenges (API.md §5.16). The passkeys themselves live in the
//! profile's second-factor item (`second_factor.rs`), so every login path that reads the
//! factors reads them at no extra cost.
//!
//! A ceremony's state (`webauthn-rs-core`'s, with the WebAuthn challenge in it) is kept only
//! here, under the hash of the opaque challenge the client was given, with a TTL, and is used
//! up by the write that acts on it:
//! - an enrolment's: `SK = token#challenge#{sha256}` in the profile's partition, `kind
//!   passkey_enrolment`, used up by `confirm`'s transaction;
//! - a passwordless login's: its own partition `company#{c}#passkey-login#{sha256}`, as nobody
//!   is known when it is issued, used up by the transaction that logs the profile in.

use aws_sdk_dynamodb::types::AttributeValue;

use super::attributes::{Item, get_s, key, n, s};
use super::credentials::number;
use super::profiles::{Collection, profile_from_item};
use super::second_factor::factors_from;
use super::{FactorsRecord, SaveOutcome, Spend, SpendOutcome, Store, StoreError, keys};
use crate::audit::Event;
use crate::domain::{CompanyId, ProfileId};
use crate::profile::Profile;
use crate::two_factor::{Challenge, SecondFactors, challenge};

const ENROLMENT: &str = "passkey_enrolment";
const PASSWORDLESS: &str = "passkey_login";

/// What a passwordless login's answer reads: its challenge's kept state (when live) and the
/// profile the passkey named, with its factors.
#[derive(Debug, Clone)]
pub struct PasskeyLogin {
    pub state: Option<String>,
    pub profile: Option<Profile>,
    pub factors: SecondFactors,
}

impl Store {
    /// Keeps an enrolment's ceremony state for `challenge.profile`, for 5 minutes.
    pub async fn put_passkey_enrolment(
        &self,
        company: &CompanyId,
        challenge: &Challenge,
        state: &str,
    ) -> Result<(), StoreError> {
        let key = key(
            keys::profile(company, challenge.profile),
            &keys::challenge(&challenge.digest()),
        );
        self.put_ceremony(company, key, ENROLMENT, Some(challenge.profile), state)
            .await
    }

    /// The kept state of an enrolment of `id`, while it is live and unused.
    pub async fn passkey_enrolment(
        &self,
        company: &CompanyId,
        id: ProfileId,
        challenge: &Challenge,
    ) -> Result<Option<String>, StoreError> {
        let key = key(
            keys::profile(company, id),
            &keys::challenge(&challenge.digest()),
        );
        let output = self
            .client
            .get_item()
            .table_name(&self.tables.profiles)
            .set_key(Some(key))
            .consistent_read(true)
            .send()
            .await?;
        Ok(output
            .item
            .as_ref()
            .and_then(|item| self.live_state(item, ENROLMENT, Some(id))))
    }

    /// Writes an enrolment's passkey (`next`) as [`Store::save_second_factors`] does, using up
    /// its challenge in the same transaction.
    pub async fn save_enrolled_passkey(
        &self,
        company: &CompanyId,
        record: &FactorsRecord,
        next: &SecondFactors,
        events: &[Event],
        challenge: &Challenge,
    ) -> Result<SaveOutcome, StoreError> {
        let used = key(
            keys::profile(company, record.profile.id),
            &keys::challenge(&challenge.digest()),
        );
        self.save_second_factors_using(company, record, next, events, Some(used))
            .await
    }

    /// Keeps a passwordless login's ceremony state, for 5 minutes.
    pub async fn put_passkey_login(
        &self,
        company: &CompanyId,
        challenge: &Challenge,
        state: &str,
    ) -> Result<(), StoreError> {
        let key = key(
            keys::passkey_login(company, &challenge.digest()),
            keys::PASSKEY_LOGIN,
        );
        self.put_ceremony(company, key, PASSWORDLESS, None, state)
            .await
    }

    /// What a passwordless login's answer reads, in one `BatchGetItem`: the challenge of
    /// `digest` and the factors and profile of `id`, the profile the passkey's user handle
    /// names.
    pub async fn passkey_login(
        &self,
        company: &CompanyId,
        digest: &str,
        id: ProfileId,
    ) -> Result<PasskeyLogin, StoreError> {
        let challenge_pk = keys::passkey_login(company, digest);
        let partition = keys::profile(company, id);
        let items = self
            .read_items(vec![
                key(&challenge_pk, keys::PASSKEY_LOGIN),
                key(&partition, keys::SECOND_FACTOR),
                key(&partition, keys::PROFILE),
            ])
            .await?;
        let state = items
            .iter()
            .find(|item| get_s(item, keys::PK) == Some(challenge_pk.as_str()))
            .and_then(|item| self.live_state(item, PASSWORDLESS, None));
        let collection = Collection::from_items(
            items
                .into_iter()
                .filter(|item| get_s(item, keys::PK) == Some(partition.as_str()))
                .collect(),
        );
        Ok(PasskeyLogin {
            state,
            profile: collection
                .profile
                .as_ref()
                .map(profile_from_item)
                .transpose()?,
            factors: factors_from(collection.second_factor.as_ref())?,
        })
    }

    /// Spends a passwordless login's passkey on the factors of `id` and uses its challenge up,
    /// with `events`, in one transaction.
    pub async fn spend_passkey_login(
        &self,
        company: &CompanyId,
        id: ProfileId,
        challenge: &Challenge,
        spend: &Spend,
        events: &[Event],
    ) -> Result<SpendOutcome, StoreError> {
        let challenge_key = key(
            keys::passkey_login(company, &challenge.digest()),
            keys::PASSKEY_LOGIN,
        );
        self.spend_marking_used(company, id, challenge_key, spend, events)
            .await
    }

    /// A ceremony's challenge item: an update that creates it (and nothing it would replace).
    async fn put_ceremony(
        &self,
        company: &CompanyId,
        key: Item,
        kind: &str,
        profile: Option<ProfileId>,
        state: &str,
    ) -> Result<(), StoreError> {
        let expires_ms = self.clock.now_ms() + challenge::TTL_SECONDS * 1000;
        let uuid = profile.map_or_else(|| "-".to_owned(), |id| id.to_string());
        self.client
            .update_item()
            .table_name(&self.tables.profiles)
            .set_key(Some(key))
            .update_expression(
                "SET kind = :kind, company_id = :company, #u = :uuid, expires_ms = :ms, \
                 expires_at = :ttl, passkey_state = :state",
            )
            .condition_expression("attribute_not_exists(PK)")
            .expression_attribute_names("#u", "uuid")
            .expression_attribute_values(":kind", s(kind))
            .expression_attribute_values(":company", s(company.as_str()))
            .expression_attribute_values(":uuid", s(uuid))
            .expression_attribute_values(":ms", n(expires_ms))
            // DynamoDB's TTL removes what nobody used, some time after it expired.
            .expression_attribute_values(":ttl", n(expires_ms / 1000 + 1))
            .expression_attribute_values(":state", AttributeValue::S(state.to_owned()))
            .send()
            .await?;
        Ok(())
    }

    /// The state of a ceremony item of `kind` (for `profile`, when it names one), while it is
    /// live and unused.
    fn live_state(&self, item: &Item, kind: &str, profile: Option<ProfileId>) -> Option<String> {
        let now = self.clock.now_ms();
        let uuid = profile.map_or_else(|| "-".to_owned(), |id| id.to_string());
        let live = get_s(item, "kind") == Some(kind)
            && get_s(item, "uuid") == Some(uuid.as_str())
            && number(item, "expires_ms").is_some_and(|at| at > now)
            && !item.contains_key("used_at");
        live.then(|| get_s(item, "passkey_state").map(str::to_owned))
            .flatten()
    }
}
