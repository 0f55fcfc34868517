//! The one form identifiers are compared in (§6): reservations, index keys, search filters and
//! login all use [`canonical`], so two profiles can never hold identifiers that look the same.
//! A profile keeps and shows the value as sent, NFKC-normalised (e-mail addresses, as before,
//! lower-cased); only comparisons use the canonical form.

use std::borrow::Cow;

use unicode_normalization::UnicodeNormalization;
use unicode_properties::{GeneralCategory, UnicodeGeneralCategory};

use super::{InvalidValue, ProfileField};

/// Whether `c` is a format character (Unicode general category Cf): zero-width spaces and
/// joiners, bidirectional controls, the soft hyphen, the byte-order mark, tag characters.
/// Invisible, so refused in identifiers.
pub fn is_format(c: char) -> bool {
    c.general_category() == GeneralCategory::Format
}

/// NFKC of an identifier as sent, refusing format characters: what the profile keeps.
pub fn identifier_text(raw: &str) -> Result<String, InvalidValue> {
    let normalised: String = raw.nfkc().collect();
    if normalised.chars().any(is_format) {
        return Err(InvalidValue(
            "must not contain invisible format characters (such as zero-width spaces or direction marks)",
        ));
    }
    Ok(normalised)
}

/// The form `value` (already parsed for `field`) is compared in: e-mail and username
/// case-folded, `nin` also without spaces, dots and hyphens; other fields as they are.
pub fn canonical(field: ProfileField, value: &str) -> Cow<'_, str> {
    match field {
        ProfileField::Email | ProfileField::Username => Cow::Owned(fold(value)),
        ProfileField::Nin => {
            let bare: String = value
                .chars()
                .filter(|c| !matches!(c, ' ' | '.' | '-'))
                .collect();
            Cow::Owned(fold(&bare))
        }
        _ => Cow::Borrowed(value),
    }
}

/// Caseless matching, as Unicode defines it for identifiers: NFKC of the full case folding.
/// Rust has no case folding; upper-casing then lower-casing gives it for every character but
/// a handful (Cherokee letters, which fold to upper case), none of which an identifier here
/// can tell apart from another by case alone.
fn fold(value: &str) -> String {
    value.to_uppercase().to_lowercase().nfkc().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn look_alikes_share_one_canonical_form() {
        let username = |v: &str| canonical(ProfileField::Username, v).into_owned();
        assert_eq!(username("Admin"), "admin");
        assert_eq!(username("ADMIN"), "admin");
        assert_eq!(username("straße"), username("STRASSE"));
        let nin = |v: &str| canonical(ProfileField::Nin, v).into_owned();
        assert_eq!(nin("12.345.678-5"), "123456785");
        assert_eq!(nin("12345678-5"), "123456785");
        assert_eq!(nin("12 345 678 K"), nin("12345678k"));
        assert_eq!(canonical(ProfileField::Origin, "Test_IdP"), "Test_IdP");
    }

    /// Checked against an independent table: Python's `unicodedata` (Unicode 14 in the
    /// machine's Python 3.11). Every code point it calls Cf is refused here; every one refused
    /// here is Cf there, or unassigned there (added by a later Unicode version).
    #[test]
    fn format_characters_are_what_python_calls_cf() {
        let output = std::process::Command::new("python3")
            .args([
                "-c",
                "import unicodedata\n\
                 for c in range(0x110000):\n\
                 \x20   k = unicodedata.category(chr(c))\n\
                 \x20   if k in ('Cf', 'Cn'): print(hex(c), k)",
            ])
            .output()
            .expect("python3 (make test installs the project's Python tools with it)");
        assert!(output.status.success());
        let text = String::from_utf8(output.stdout).unwrap();
        let mut python = std::collections::HashMap::new();
        for line in text.lines() {
            let (code, category) = line.split_once(' ').unwrap();
            let code = u32::from_str_radix(code.trim_start_matches("0x"), 16).unwrap();
            python.insert(code, category.to_owned());
        }
        let cf = python.values().filter(|k| k.as_str() == "Cf").count();
        assert!(cf > 150, "Python lists {cf} Cf code points");
        for code in 0..0x11_0000u32 {
            let Some(c) = char::from_u32(code) else {
                continue;
            };
            match python.get(&code).map(String::as_str) {
                Some("Cf") => assert!(is_format(c), "U+{code:04X} is Cf in Python"),
                Some(_) => {}
                None => assert!(!is_format(c), "U+{code:04X} is not Cf in Python"),
            }
        }
    }

    #[test]
    fn nfkc_and_format_characters() {
        // Fullwidth letters are their ASCII selves after NFKC.
        assert_eq!(identifier_text("ａｄｍｉｎ").unwrap(), "admin");
        for invisible in [
            "admin\u{200B}",
            "ad\u{200D}min",
            "\u{202E}nimda",
            "admin\u{FEFF}",
            "ad\u{00AD}min",
            "admin\u{E0041}",
            "\u{2066}admin\u{2069}",
        ] {
            assert!(identifier_text(invisible).is_err(), "{invisible:?}");
        }
    }
}
