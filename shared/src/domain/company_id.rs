use std::fmt;

/// A company identifier as it appears in the path (`-1` is valid).
///
/// Restricted to characters that cannot collide with the store's key separators.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CompanyId(String);

impl CompanyId {
    pub const MAX_LEN: usize = 64;

    pub fn parse(raw: &str) -> Option<Self> {
        let ok = !raw.is_empty()
            && raw.len() <= Self::MAX_LEN
            && raw
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.');
        ok.then(|| Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for CompanyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_path_safe_ids() {
        for ok in ["-1", "42", "acme_corp", "a.b-c"] {
            assert!(CompanyId::parse(ok).is_some(), "{ok}");
        }
        for bad in ["", "a#b", "a/b", "a b", &"x".repeat(65)] {
            assert!(CompanyId::parse(bad).is_none(), "{bad}");
        }
    }
}
