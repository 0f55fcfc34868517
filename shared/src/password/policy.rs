//! The company password policy (NIST SP 800-63B): length in code points, no composition rules,
//! no truncation, a strength estimate (zxcvbn, which carries lists of common passwords, names
//! and words) and no passwords built from the profile's own identifiers.

use super::Password;
use crate::company::PasswordPolicy;
use crate::domain::ProfileField;
use crate::profile::Profile;

/// Identifiers shorter than this are too generic to refuse inside a password.
const MIN_IDENTIFIER_CHARS: usize = 4;

/// `Ok` or the sentence saying why the password is refused. `context` holds the profile's own
/// values (identifiers, names) that a password must not be built from.
pub fn check(policy: &PasswordPolicy, password: &Password, context: &[&str]) -> Result<(), String> {
    let length = password.chars();
    if length < policy.min_length as usize {
        return Err(format!(
            "Password must be at least {} characters long",
            policy.min_length
        ));
    }
    if length > policy.max_length as usize {
        return Err(format!(
            "Password must be at most {} characters long",
            policy.max_length
        ));
    }
    let lowered = password.expose().to_lowercase();
    if policy.reject_profile_identifiers {
        let pieces = context.iter().flat_map(|value| {
            // An e-mail's local part counts on its own too.
            let local = value.split('@').next().filter(|_| value.contains('@'));
            std::iter::once(*value).chain(local)
        });
        for piece in pieces {
            let piece = piece.to_lowercase();
            if piece.chars().count() >= MIN_IDENTIFIER_CHARS && lowered.contains(&piece) {
                return Err("Password must not contain the profile's own data (such as its e-mail, username or national id)".into());
            }
        }
    }
    let estimate = zxcvbn::zxcvbn(password.expose(), context);
    if u8::from(estimate.score()) < policy.min_strength {
        let why = estimate
            .feedback()
            .and_then(|f| f.warning())
            .map(|w| format!(": {}", w.to_string().trim_end_matches('.')))
            .unwrap_or_default();
        return Err(format!("Password is too easy to guess{why}"));
    }
    Ok(())
}

/// The profile's own values a password must not be built from.
pub fn own_data(profile: &Profile) -> Vec<&str> {
    [
        ProfileField::Nin,
        ProfileField::Username,
        ProfileField::Email,
        ProfileField::PhoneNumber,
        ProfileField::Name,
        ProfileField::Lastname,
    ]
    .into_iter()
    .filter_map(|field| profile.attributes.get(field))
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> PasswordPolicy {
        PasswordPolicy::default()
    }

    fn refused(password: &str, context: &[&str]) -> String {
        check(&policy(), &Password::new(password), context).unwrap_err()
    }

    #[test]
    fn accepts_long_passphrases_without_composition_rules() {
        for ok in [
            "correct horse battery staple",
            "mi perro se llama firulais 2024",
            "ñandú-vuela-lejos-del-río",
        ] {
            assert_eq!(check(&policy(), &Password::new(ok), &[]), Ok(()), "{ok}");
        }
    }

    #[test]
    fn counts_code_points_and_never_truncates() {
        assert_eq!(
            refused("short1!", &[]),
            "Password must be at least 8 characters long"
        );
        let long = "a-very-long-passphrase ".repeat(6);
        assert_eq!(
            refused(&long, &[]),
            "Password must be at most 128 characters long"
        );
    }

    #[test]
    fn refuses_common_passwords_with_a_reason() {
        let why = refused("password123", &[]);
        assert!(why.starts_with("Password is too easy to guess"), "{why}");
        assert!(refused("qwertyuiop", &[]).starts_with("Password is too easy to guess"));
    }

    #[test]
    fn refuses_the_profiles_own_identifiers() {
        let why = refused("tlat-is-my-Password-2024", &["tlat@email.com", "123456789"]);
        assert!(why.contains("own data"), "{why}");
        assert!(refused("my id 123456789 rocks", &["123456789"]).contains("own data"));
    }
}
