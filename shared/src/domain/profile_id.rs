use std::fmt;

use uuid::Uuid;

/// A profile's identifier: a random (v4) UUID, always written lower-case and hyphenated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ProfileId(Uuid);

impl ProfileId {
    pub fn new_random() -> Self {
        Self(Uuid::new_v4())
    }

    /// A name-based (v5) UUID: the same `name` always gives the same id, which is what lets
    /// an import line without a `uuid` be recognised when the file is run again.
    pub fn derived(name: &[u8]) -> Self {
        // This service's own namespace (a v4 UUID drawn once), so no other v5 name collides.
        const NAMESPACE: Uuid = Uuid::from_u128(0x6f1d_4a2e_9c3b_4e57_8a60_2d1f_7b9e_c4a8);
        Self(Uuid::new_v5(&NAMESPACE, name))
    }

    /// Only the hyphenated form is accepted, so one profile has exactly one spelling.
    pub fn parse(raw: &str) -> Option<Self> {
        if raw.len() != 36 {
            return None;
        }
        Uuid::try_parse(raw).ok().map(Self)
    }

    /// The 128 bits, for the index keys derived from them (shard, order among equal times).
    pub fn as_u128(self) -> u128 {
        self.0.as_u128()
    }

    /// The id of those 128 bits (a login challenge carries its profile so).
    pub fn from_u128(bits: u128) -> Self {
        Self(Uuid::from_u128(bits))
    }
}

impl fmt::Display for ProfileId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.hyphenated().fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_hyphenated_uuids_only() {
        let id = ProfileId::new_random();
        assert_eq!(ProfileId::parse(&id.to_string()), Some(id));
        assert!(ProfileId::parse("ffffffff-ffff-ffff-ffff-ffffffffffff").is_some());
        assert!(ProfileId::parse("ffffffffffffffffffffffffffffffff").is_none());
        assert!(ProfileId::parse("gggggggg-gggg-gggg-gggg-gggggggggggg").is_none());
    }
}
