//! Recovery codes: ten single-use codes handed out with the first second factor, for the day
//! the user loses their device. Each is 12 characters of Crockford's base32 (60 bits), shown
//! as `xxxx-xxxx-xxxx`; typed back, case, hyphens, spaces and the look-alikes `i`/`l`/`o` do
//! not matter. Only a salted SHA-256 of each is stored: at 60 bits a code cannot be guessed
//! from its hash, and a slow hash would make a login cost more for nothing.

use std::fmt;

use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::domain::ProfileId;

/// Codes in a set.
pub const COUNT: usize = 10;
/// Characters of a code (5 bits each).
pub const LENGTH: usize = 12;
const ALPHABET: &[u8; 32] = b"0123456789abcdefghjkmnpqrstvwxyz";

/// A recovery code as shown once to its user. Its `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct RecoveryCode(Zeroizing<String>);

impl fmt::Debug for RecoveryCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RecoveryCode(..)")
    }
}

impl RecoveryCode {
    /// `xxxx-xxxx-xxxx`.
    pub fn shown(&self) -> String {
        let chars: Vec<char> = self.0.chars().collect();
        chars
            .chunks(4)
            .map(|chunk| chunk.iter().collect::<String>())
            .collect::<Vec<_>>()
            .join("-")
    }

    /// The salted hash the store keeps for this code of `profile`.
    pub fn hash(&self, profile: ProfileId) -> String {
        hash(profile, &self.0)
    }
}

/// A new set of [`COUNT`] codes from the operating system's CSPRNG.
pub fn generate() -> Result<Vec<RecoveryCode>, String> {
    (0..COUNT)
        .map(|_| {
            let mut bytes = Zeroizing::new([0u8; LENGTH]);
            super::fill_random(bytes.as_mut())?;
            let code = bytes
                .iter()
                .map(|b| char::from(ALPHABET[usize::from(b & 31)]))
                .collect::<String>();
            Ok(RecoveryCode(Zeroizing::new(code)))
        })
        .collect()
}

/// A code as typed, in its one stored form; `None` for anything that cannot be a code.
pub fn parse(typed: &str) -> Option<RecoveryCode> {
    if typed.len() > 64 {
        return None;
    }
    let mut code = Zeroizing::new(String::with_capacity(LENGTH));
    for c in typed.chars().filter(|c| *c != '-' && *c != ' ') {
        let c = match c.to_ascii_lowercase() {
            'i' | 'l' => '1',
            'o' => '0',
            other => other,
        };
        if !c.is_ascii() || !ALPHABET.contains(&(c as u8)) {
            return None;
        }
        code.push(c);
    }
    (code.len() == LENGTH).then(|| RecoveryCode(code))
}

fn hash(profile: ProfileId, code: &str) -> String {
    let digest = Sha256::new()
        .chain_update(b"recovery-code\0")
        .chain_update(profile.to_string().as_bytes())
        .chain_update(b"\0")
        .chain_update(code.as_bytes())
        .finalize();
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn a_set_is_ten_distinct_codes_of_sixty_bits() {
        let codes = generate().unwrap();
        assert_eq!(codes.len(), COUNT);
        let distinct: BTreeSet<String> = codes.iter().map(RecoveryCode::shown).collect();
        assert_eq!(distinct.len(), COUNT);
        for code in &codes {
            let shown = code.shown();
            assert_eq!(shown.len(), 14, "{}", shown.len());
            assert_eq!(shown.matches('-').count(), 2);
            assert_eq!(parse(&shown), Some(code.clone()));
        }
        // 12 characters of 32 symbols: 60 bits, over the contract's 50.
        assert!(LENGTH * 5 >= 50 && ALPHABET.len() == 32);
        assert!(!format!("{:?}", codes[0]).contains(&codes[0].shown()));
    }

    #[test]
    fn typing_slips_are_forgiven_and_nothing_else_parses() {
        let code = parse("abcd-efgh-jkmn").unwrap();
        assert_eq!(parse("ABCD EFGH JKMN"), Some(code.clone()));
        assert_eq!(parse("abcdefghjkmn"), Some(code.clone()));
        assert_eq!(parse("0o1l-i000-0000"), parse("0011-1000-0000"));
        for bad in [
            "",
            "abcd-efgh-jkm",
            "abcd-efgh-jkmnp",
            "abcd-efgh-jkmu",
            "ábcd-efgh-jkmn",
        ] {
            assert_eq!(parse(bad), None, "{bad}");
        }
        assert_eq!(parse(&"a".repeat(100)), None);
    }

    #[test]
    fn hashes_are_salted_by_profile() {
        let code = parse("abcd-efgh-jkmn").unwrap();
        let (a, b) = (ProfileId::new_random(), ProfileId::new_random());
        assert_eq!(code.hash(a), code.hash(a));
        assert_ne!(code.hash(a), code.hash(b));
        assert_eq!(code.hash(a).len(), 64);
        assert!(!code.hash(a).contains("abcdefghjkmn"));
    }
}
