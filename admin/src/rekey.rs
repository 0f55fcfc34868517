//! `idp-admin rekey --company ID`: moves a company's identifier reservations and search index
//! keys to the canonical form identifiers are compared in (issue 23: NFKC, e-mail and username
//! case-folded, `nin` without spaces, dots and hyphens). Profiles written before that change
//! hold keys made from their values as sent (`Admin`, `12.345.678-5`), which a lookup by the
//! canonical form would no longer find.
//!
//! Each profile is read (with its version) and, when its keys are not the canonical ones,
//! rewritten through the update's own transaction with its values unchanged: the canonical
//! reservations put only if free, the old ones released, the index attributes recomputed, all
//! conditioned on the version read. Two profiles whose identifiers were different before and
//! look the same now cannot both keep them: the second is left as it was and reported, for an
//! operator to change one of the two (Update Profile). Re-running is safe: a profile already
//! canonical is only read.

use idp_core::domain::{CompanyId, ProfileId};
use idp_core::store::{Store, Tables, UpdateOutcome, export_shards, keys};

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
    let company = CompanyId::parse(&options.company)
        .ok_or_else(|| format!("`{}` is not a valid company id", options.company))?;
    let store = Store::new(
        idp_core::store::bulk_dynamodb_client().await,
        options.tables,
    );
    let config = store
        .company_config(company.as_str())
        .await
        .map_err(|e| format!("reading the company's configuration: {e}"))?
        .ok_or_else(|| format!("company `{company}` has no configuration"))?;
    let mut summary = Summary::default();
    for shard in export_shards() {
        let mut position = None;
        loop {
            let (page, next) = store
                .export_page(&company, shard, position)
                .await
                .map_err(|e| format!("reading shard {shard}: {e}"))?;
            for items in &page {
                let line = items.to_line().map_err(|e| format!("shard {shard}: {e}"))?;
                let id = line["uuid"]
                    .as_str()
                    .and_then(ProfileId::parse)
                    .ok_or_else(|| format!("shard {shard}: a profile without its uuid"))?;
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
        let wanted: Vec<String> = config
            .identifier_sets
            .iter()
            .filter_map(|set| keys::identifier(company, set, attributes))
            .collect();
        if current.keys_are(company, &wanted) {
            return Ok(Rekeyed::AlreadyCanonical);
        }
        match store
            .update_profile(&current, attributes, &wanted)
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
