//! The search indexes' attributes on a profile item (docs/design.md, "Listing and search").
//!
//! Every index is a sparse GSI that projects keys only, partitioned by company (and by shard
//! where one value may be shared by a large part of a company's profiles) and sorted by `ord`:
//! the creation time in milliseconds, then the uuid's high 64 bits, as one decimal number,
//! plus [`DISABLED_OFFSET`] while the profile is disabled. Active profiles are therefore one
//! key range (`ord < DISABLED_OFFSET`) in creation order, and activating or deactivating moves
//! a profile between the ranges with `SET ord = ord ± offset` in the same `UpdateItem` that
//! flips `active`, without reading the profile first.

use aws_sdk_dynamodb::types::AttributeValue;

use super::attributes::{Item, n, s};
use crate::domain::{CompanyId, ProfileAttributes, ProfileField, ProfileId};

/// The listing index's partition attribute: `company#{c}#list#{shard}`.
pub const LIST_KEY: &str = "list_key";
/// Every index's sort attribute.
pub const ORD: &str = "ord";

/// Write shards of the indexes whose values many profiles share. 1,000 creates a second all
/// landing on one key would use a whole partition's 1,000 writes a second; over 8 shards each
/// takes 125, an eighth (docs/design.md has the arithmetic).
pub const SHARDS: u128 = 8;

/// 10^34: above any `ord` of an active profile (13 digits of milliseconds × 10^20 plus a
/// 64-bit number stays below 10^33), and `ord` stays within DynamoDB's 38 digits.
pub const DISABLED_OFFSET: u128 = 10u128.pow(34);

/// (index name, partition attribute) of every index, as `template.yaml` declares them.
pub const INDEXES: [(&str, &str); 12] = [
    ("by-creation", LIST_KEY),
    ("by-email", "by_email"),
    ("by-nin", "by_nin"),
    ("by-username", "by_username"),
    ("by-phone-number", "by_phone_number"),
    ("by-name", "by_name"),
    ("by-lastname", "by_lastname"),
    ("by-birthday", "by_birthday"),
    ("by-nationality", "by_nationality"),
    ("by-timezone", "by_timezone"),
    ("by-origin", "by_origin"),
    ("by-identification-provider", "by_identification_provider"),
];

/// A searchable value: one of the ten fields, or the provider that registered the profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Searchable {
    Field(ProfileField),
    IdentificationProvider,
}

impl Searchable {
    /// The body's key.
    pub fn name(self) -> &'static str {
        match self {
            Self::Field(field) => field.as_str(),
            Self::IdentificationProvider => "identification_provider",
        }
    }

    /// The profile item's attribute that the value's index is partitioned by.
    pub fn attribute(self) -> String {
        format!("by_{}", self.name())
    }

    /// The index's name.
    pub fn index(self) -> String {
        format!("by-{}", self.name().replace('_', "-"))
    }

    /// Values that a large share of a company's profiles may have (one nationality, one
    /// origin, one provider for most of them) are spread over [`SHARDS`] keys; values that are
    /// nearly unique (e-mail, nin, phone, names, birthdays) are not, so a lookup is one query.
    pub fn sharded(self) -> bool {
        matches!(
            self,
            Self::IdentificationProvider
                | Self::Field(ProfileField::Nationality)
                | Self::Field(ProfileField::Timezone)
                | Self::Field(ProfileField::Origin)
        )
    }

    /// The index partition that holds `value` for the profile `id`.
    pub fn key(self, company: &CompanyId, id: ProfileId, value: &str) -> String {
        self.key_in_shard(company, shard(id), value)
    }

    /// The index partition of `value` in `shard` (ignored when the value is not sharded), by
    /// the value's canonical form, so a search finds look-alike spellings of an identifier.
    pub fn key_in_shard(self, company: &CompanyId, shard: u128, value: &str) -> String {
        let value = match self {
            Self::Field(field) => crate::domain::canonical(field, value),
            Self::IdentificationProvider => std::borrow::Cow::Borrowed(value),
        };
        if self.sharded() {
            format!("company#{company}#{shard}#{value}")
        } else {
            format!("company#{company}#{value}")
        }
    }
}

pub fn shard(id: ProfileId) -> u128 {
    id.as_u128() % SHARDS
}

/// The listing partition of a profile.
pub fn list_key(company: &CompanyId, id: ProfileId) -> String {
    format!("company#{company}#list#{}", shard(id))
}

/// `ord` of a profile created at `created_ms`, active or not.
pub fn ord(created_ms: u64, id: ProfileId, active: bool) -> String {
    let base = u128::from(created_ms) * 10u128.pow(20) + (id.as_u128() >> 64);
    let offset = if active { 0 } else { DISABLED_OFFSET };
    (base + offset).to_string()
}

/// The index attributes of a new profile.
pub fn attributes(
    company: &CompanyId,
    id: ProfileId,
    attributes: &ProfileAttributes,
    identification_provider: &str,
    created_ms: u64,
    active: bool,
) -> Item {
    let mut item = Item::new();
    item.insert(LIST_KEY.into(), s(list_key(company, id)));
    item.insert(ORD.into(), AttributeValue::N(ord(created_ms, id, active)));
    for (field, value) in attributes.iter() {
        let searchable = Searchable::Field(field);
        item.insert(
            searchable.attribute(),
            s(searchable.key(company, id, value)),
        );
    }
    let provider = Searchable::IdentificationProvider;
    item.insert(
        provider.attribute(),
        s(provider.key(company, id, identification_provider)),
    );
    item
}

/// `+offset` to disable, `-offset` to enable, for `SET ord = ord + :flip`.
pub fn flip(active: bool) -> AttributeValue {
    if active {
        n(format!("-{DISABLED_OFFSET}"))
    } else {
        n(DISABLED_OFFSET)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(raw: &str) -> ProfileId {
        ProfileId::parse(raw).unwrap()
    }

    #[test]
    fn every_searchable_value_has_its_declared_index() {
        let mut all: Vec<Searchable> = ProfileField::ALL.map(Searchable::Field).to_vec();
        all.push(Searchable::IdentificationProvider);
        for searchable in all {
            assert!(
                INDEXES.contains(&(searchable.index().as_str(), searchable.attribute().as_str())),
                "{searchable:?}"
            );
        }
    }

    #[test]
    fn ord_sorts_by_time_then_uuid_and_disabled_after_every_active() {
        let a = id("00000000-0000-4000-8000-000000000000");
        let b = id("ffffffff-ffff-4fff-bfff-ffffffffffff");
        let num = |s: String| s.parse::<u128>().unwrap();
        assert!(num(ord(1, b, true)) < num(ord(2, a, true)));
        assert!(num(ord(2, a, true)) < num(ord(2, b, true)));
        // The latest possible active profile (year 2500) still sorts before any disabled one.
        let year_2500_ms = 16_725_225_600_000;
        assert!(num(ord(year_2500_ms, b, true)) < num(ord(0, a, false)));
        assert!(ord(year_2500_ms, b, false).len() <= 38);
        assert_eq!(
            num(ord(7, b, false)) - num(ord(7, b, true)),
            DISABLED_OFFSET
        );
    }

    #[test]
    fn shared_values_are_spread_and_unique_ones_are_not() {
        let company = CompanyId::parse("-1").unwrap();
        let shards: std::collections::HashSet<String> = (0..64)
            .map(|_| {
                Searchable::Field(ProfileField::Nationality).key(
                    &company,
                    ProfileId::new_random(),
                    "CHL",
                )
            })
            .collect();
        assert!(shards.len() > 1 && shards.len() <= SHARDS as usize);
        let email = Searchable::Field(ProfileField::Email);
        assert_eq!(
            email.key(&company, ProfileId::new_random(), "a@x.com"),
            "company#-1#a@x.com"
        );
    }
}
