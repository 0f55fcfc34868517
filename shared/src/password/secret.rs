use std::fmt;

use unicode_normalization::UnicodeNormalization;
use zeroize::Zeroize;

/// A plaintext password. It never prints, and it is NFKC-normalised (as NIST SP 800-63B
/// recommends) so that the same password typed on different keyboards hashes the same.
#[derive(Clone)]
pub struct Password(String);

impl Password {
    pub fn new(raw: &str) -> Self {
        Self(raw.nfkc().collect())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Length in Unicode code points, the unit NIST counts in.
    pub fn chars(&self) -> usize {
        self.0.chars().count()
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

impl Drop for Password {
    fn drop(&mut self) {
        // Wipe the plaintext before its memory is released.
        self.0.zeroize();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_prints_and_counts_code_points() {
        let p = Password::new("contraseña");
        assert_eq!(format!("{p:?}"), "Password(<redacted>)");
        assert_eq!(p.chars(), 10);
    }

    #[test]
    fn normalises_compatible_forms() {
        // "ﬁ" (one ligature code point) and "fi" are the same password after NFKC.
        assert_eq!(
            Password::new("ﬁle").expose(),
            Password::new("file").expose()
        );
    }
}
