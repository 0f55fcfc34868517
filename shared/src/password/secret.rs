use std::fmt;

use unicode_normalization::UnicodeNormalization;
use zeroize::Zeroize;

/// The most bytes of UTF-8 a password may have after normalisation, whatever a company's
/// policy allows: one hash of it stays a small multiple of a normal one for every family this
/// service verifies (docs/passwords.md, "Bounded work").
pub const MAX_PASSWORD_BYTES: usize = 4096;

/// A plaintext password. It never prints, and it is NFKC-normalised (as NIST SP 800-63B
/// recommends) so that the same password typed on different keyboards hashes the same.
#[derive(Clone)]
pub struct Password(String);

/// A password over a bound, refused before it is normalised to the end or hashed. Its
/// sentence names the bound.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TooLong {
    #[error("Password must be at most {0} characters long")]
    Characters(u32),
    #[error("Password must be at most {MAX_PASSWORD_BYTES} bytes long in UTF-8")]
    Bytes,
}

impl Password {
    /// Normalises a password that a hash will never see: tests, and the dummy's random one.
    pub fn new(raw: &str) -> Self {
        Self(raw.nfkc().collect())
    }

    /// NFKC-normalises `raw`, stopping as soon as it passes `max_chars` code points or
    /// [`MAX_PASSWORD_BYTES`] bytes: the rest of an over-long input is never normalised (NFKC
    /// expands some characters about 18 times), kept or hashed.
    pub fn parse(raw: &str, max_chars: u32) -> Result<Self, TooLong> {
        let mut normalised = String::new();
        for (count, c) in raw.nfkc().enumerate() {
            if count >= max_chars as usize {
                normalised.zeroize();
                return Err(TooLong::Characters(max_chars));
            }
            if normalised.len() + c.len_utf8() > MAX_PASSWORD_BYTES {
                normalised.zeroize();
                return Err(TooLong::Bytes);
            }
            normalised.push(c);
        }
        Ok(Self(normalised))
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
    fn parse_refuses_past_the_policy_or_the_byte_bound_after_normalising() {
        assert_eq!(Password::parse(&"a".repeat(64), 64).unwrap().chars(), 64);
        assert_eq!(
            Password::parse(&"a".repeat(65), 64).unwrap_err(),
            TooLong::Characters(64)
        );
        // 1,024 four-byte characters fill the byte bound exactly; one more is over it.
        let emoji = "\u{1F600}";
        assert!(Password::parse(&emoji.repeat(1024), 5000).is_ok());
        assert_eq!(
            Password::parse(&emoji.repeat(1025), 5000).unwrap_err(),
            TooLong::Bytes
        );
        // U+FDFA is one code point of 3 bytes that NFKC turns into 18 code points (33
        // bytes): the bound holds after normalisation, not before.
        let expanding = "\u{FDFA}".repeat(150);
        assert_eq!(expanding.len(), 450);
        assert_eq!(
            Password::parse(&expanding, 100_000).unwrap_err(),
            TooLong::Bytes
        );
        assert_eq!(
            Password::parse(&expanding, 128).unwrap_err(),
            TooLong::Characters(128)
        );
        assert_eq!(
            TooLong::Bytes.to_string(),
            "Password must be at most 4096 bytes long in UTF-8"
        );
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
