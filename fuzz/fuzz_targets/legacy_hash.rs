//! Imported password hashes (`password::legacy`: every family `idp-admin import` reads, and the
//! templates a wrapped hash keeps) on arbitrary text. Asserted:
//! - nothing panics, whatever the numbers (no overflow in the cost arithmetic);
//! - a parsed hash's template reads back as the same scheme, cost, salt and length;
//! - a hash within its ceiling is also a template within it, and a template beyond it is
//!   beyond it as a hash: the bound at login is the bound at import;
//! - a refusal never shows the hash: no `$`-, `}`- or `,`-separated part of 12 or more
//!   characters (other than a scheme's name or a cost parameter such as `m=…`) appears in the
//!   sentence.
//!
//! No digest is computed: a hash within its ceilings may still take a second to check.

#![no_main]

use idp_core::password::legacy::LegacyHash;
use libfuzzer_sys::fuzz_target;

/// Scheme names: the sentences name the family, which is fixed wording, not an echo.
const NAMES: [&str; 12] = [
    "argon2id",
    "argon2i",
    "argon2d",
    "bcrypt",
    "pbkdf2-sha256",
    "pbkdf2-sha512",
    "pbkdf2_sha256",
    "django-pbkdf2-sha256",
    "scrypt",
    "sha256-crypt",
    "sha512-crypt",
    "idp-wrap-v1",
];

/// Every ASCII letter and digit replaced by the next one (`z` by `a`, `9` by `0`).
fn shifted(value: &str) -> String {
    value
        .chars()
        .map(|c| match c {
            'z' => 'a',
            'Z' => 'A',
            '9' => '0',
            c if c.is_ascii_alphanumeric() => char::from(c as u8 + 1),
            c => c,
        })
        .collect()
}

/// The sentence a refusal of `input` gives, if any.
fn refusal(input: &str) -> Option<String> {
    match LegacyHash::parse(input) {
        Err(e) => Some(e.to_string()),
        Ok(hash) => hash.check_bounds().err().map(|e| e.to_string()),
    }
}

fn no_echo(input: &str, sentence: &str) {
    // Longest names first, so "pbkdf2-sha256" inside "django-pbkdf2-sha256" goes with it.
    let mut names = NAMES;
    names.sort_by_key(|n| std::cmp::Reverse(n.len()));
    let wording = names.iter().fold(sentence.to_owned(), |s, n| s.replace(n, "·"));
    for part in input.split(['$', '}', ',']) {
        // A cost parameter (`m=1801226090`) is named in a bound's sentence on purpose.
        let parameter = part.split_once('=').is_some_and(|(name, value)| {
            name.bytes().all(|b| b.is_ascii_lowercase())
                && !value.is_empty()
                && value.bytes().all(|b| b.is_ascii_digit())
        });
        if part.chars().count() < 12 || parameter || !wording.contains(part) {
            continue;
        }
        // The part matches the sentence: an echo only if the sentence follows the value, so
        // the same input with the part shifted must not show the shifted part.
        let other = shifted(part);
        let again = input.replacen(part, &other, 1);
        if let Some(sentence) = refusal(&again) {
            assert!(!sentence.contains(&other), "{sentence:?} shows {other:?}");
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match LegacyHash::parse(text) {
        Ok(hash) => {
            let bounded = hash.check_bounds();
            if let Err(e) = &bounded {
                no_echo(text, &e.to_string());
            }
            let _ = hash.is_weak();
            let back = LegacyHash::from_template(&hash.template())
                .unwrap_or_else(|e| panic!("{:?}: template refused: {e}", hash));
            assert_eq!(
                (back.scheme, back.cost, &back.salt, back.digest_len),
                (hash.scheme, hash.cost, &hash.salt, hash.digest_len)
            );
            assert_eq!(back.check_bounds().is_ok(), bounded.is_ok());
        }
        Err(e) => no_echo(text, &e.to_string()),
    }
    if let Ok(template) = LegacyHash::from_template(text) {
        let _ = template.check_bounds();
        let _ = template.is_weak();
    }
});
