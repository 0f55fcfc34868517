//! `idp-admin rekey --company ID`: moves a company's identifier reservations and search index
//! keys to the canonical form identifiers are compared in (issue 23: NFKC, e-mail and username
//! case-folded, `nin` without spaces, dots and hyphens). Profiles written before that change
//! hold keys made from their values as sent (`Admin`, `12.345.678-5`), which a lookup by the
//! canonical form would no longer find.
//!
//! The listing index gives the ids; each profile is read once (with its version) and, when its keys are not the canonical ones,
//! rewritten through the update's own transaction with its values unchanged: the canonical
//! reservations put only if free, the old ones released, the index attributes recomputed, all
//! conditioned on the version read. Two profiles whose identifiers were different before and
//! look the same now cannot both keep them: the second is left as it was and reported, for an
//! operator to change one of the two (Update Profile). Re-running is safe: a profile already
//! canonical is only read.

use idp_core::audit::EventType;
use idp_core::company::Identifier;
use idp_core::domain::{CompanyId, ProfileId};
use idp_core::store::{Store, Tables, UpdateOutcome, export_shards};

#[derive(Debug)]
pub struct Options {
    pub company: String,
    pub tables: Tables,
}

#[derive(Debug, Default)]
pub struct Summary {
    pub profiles: u64,
    pub rekeyed: u64,
    /// Profiles whose canonical identifier another profile holds.
    pub look_alikes: Vec<ProfileId>,
}

/// Attempts per profile when another write moves its version meanwhile.
const STALE_RETRIES: usize = 5;

pub async fn run(options: Options) -> Result<Summary, String> {
    let company = crate::company_id(&options.company)?;
    let (store, config) = crate::store_with_config(&company, options.tables).await?;
    let mut summary = Summary::default();
    for shard in export_shards() {
        let mut position = None;
        loop {
            let (ids, next) = store
                .profile_ids_page(&company, shard, position)
                .await
                .map_err(|e| format!("reading shard {shard}: {e}"))?;
            for id in ids {
                summary.profiles += 1;
                match rekey_one(&store, &company, &config, id).await? {
                    Rekeyed::Yes => summary.rekeyed += 1,
                    Rekeyed::AlreadyCanonical => {}
                    Rekeyed::LookAlike => summary.look_alikes.push(id),
                }
            }
            position = next;
            if position.is_none() {
                break;
            }
        }
    }
    Ok(summary)
}

enum Rekeyed {
    Yes,
    AlreadyCanonical,
    LookAlike,
}

async fn rekey_one(
    store: &Store,
    company: &CompanyId,
    config: &idp_core::company::CompanyConfig,
    id: ProfileId,
) -> Result<Rekeyed, String> {
    let failed = |e: idp_core::store::StoreError| format!("profile {id}: {e}");
    for _ in 0..STALE_RETRIES {
        let Some(current) = store
            .profile_for_change(company, id)
            .await
            .map_err(failed)?
        else {
            // Erased since the listing was read.
            return Ok(Rekeyed::AlreadyCanonical);
        };
        let attributes = &current.profile.attributes;
        let wanted = Identifier::all(&config.identifier_sets, attributes);
        if current.keys_are(company, &wanted) {
            return Ok(Rekeyed::AlreadyCanonical);
        }
        match store
            .update_profile(
                &current,
                attributes,
                &wanted,
                // No value changes: the event says an operator rewrote the keys.
                &crate::import::operator_event(EventType::ProfileUpdated, id, config, "rekey"),
            )
            .await
            .map_err(failed)?
        {
            UpdateOutcome::Updated(_) => return Ok(Rekeyed::Yes),
            UpdateOutcome::IdentifierTaken => return Ok(Rekeyed::LookAlike),
            UpdateOutcome::Stale => continue,
        }
    }
    Err(format!(
        "profile {id} kept changing during {STALE_RETRIES} attempts: run rekey again"
    ))
}
