//! Stored hashes of three kinds, told apart by their prefix: this service's own argon2 PHC
//! strings, hashes imported as they were (strong enough), and weak imported hashes wrapped in
//! argon2id (`$idp-wrap-v1$<scheme>$<cost>$<salt>$<length>$argon2id$…`: the legacy hash
//! without its digest, then argon2id computed over that digest). A wrapped hash keeps no fast
//! digest, so a dump of the table offers nothing cheaper to attack than argon2id.

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, SaltString};
use argon2::{Algorithm, Argon2};

use super::legacy::{HashError, LegacyHash, Scheme};

pub const WRAP_PREFIX: &str = "$idp-wrap-v1$";

/// A stored hash, parsed.
#[derive(Debug)]
pub(crate) enum Stored {
    /// argon2, verified by the argon2 crate against the string itself.
    Argon2,
    /// A weak legacy hash's template and the argon2id PHC string over its digest.
    Wrapped { inner: LegacyHash, outer: String },
    /// Any other supported family, kept as imported.
    Legacy(LegacyHash),
}

impl Stored {
    pub(crate) fn parse(hash: &str) -> Result<Self, String> {
        if hash.starts_with("$argon2") {
            // Our own checks first: the argon2 crate's parameter check overflows on a huge `p`.
            LegacyHash::parse(hash).map_err(|e| format!("stored hash unreadable: {e}"))?;
            return Ok(Self::Argon2);
        }
        if let Some(rest) = hash.strip_prefix(WRAP_PREFIX) {
            let (inner, outer) = split_wrapped(rest)?;
            return Ok(Self::Wrapped { inner, outer });
        }
        LegacyHash::parse(hash)
            .map(Self::Legacy)
            .map_err(|e| format!("stored hash unreadable: {e}"))
    }
}

impl Stored {
    /// Whether a password of `password_bytes` may be checked against this hash within the
    /// work bound ([`LegacyHash::password_fits`]).
    pub(crate) fn password_fits(&self, password_bytes: usize) -> bool {
        match self {
            Self::Argon2 => true,
            Self::Wrapped { inner, .. } | Self::Legacy(inner) => {
                inner.password_fits(password_bytes)
            }
        }
    }
}

fn split_wrapped(rest: &str) -> Result<(LegacyHash, String), String> {
    let mut parts = rest.splitn(5, '$');
    let template: Vec<&str> = parts.by_ref().take(4).collect();
    let outer = parts
        .next()
        .ok_or("wrapped hash without its argon2id part")?;
    if template.len() != 4 || !outer.starts_with("argon2id$") {
        return Err("wrapped hash without its argon2id part".into());
    }
    let inner = LegacyHash::from_template(&template.join("$"))?;
    Ok((inner, format!("${outer}")))
}

/// What import stores for a `password_hash`.
#[derive(Debug)]
pub struct ImportedHash {
    /// The credential's `password_hash`.
    pub stored: String,
    pub scheme: &'static str,
    pub wrapped: bool,
}

/// Checks an imported hash's format and bounds, and wraps it when it is weak. `argon2` is the
/// configured argon2id; wrapping runs it once, so call this on a blocking thread.
pub(crate) fn prepare(hash: &str, argon2: &Argon2<'static>) -> Result<ImportedHash, HashError> {
    if let Some(rest) = hash.strip_prefix(WRAP_PREFIX) {
        // Exported by this service: already wrapped; both halves must be within bounds.
        let (inner, outer) = split_wrapped(rest).map_err(|what| HashError::Malformed {
            scheme: "idp-wrap-v1",
            what,
        })?;
        inner.check_bounds()?;
        check_wrappable(&inner)?;
        let outer_parsed = LegacyHash::parse(&outer)?;
        outer_parsed.check_bounds()?;
        if outer_parsed.scheme != Scheme::Argon2(Algorithm::Argon2id) {
            return Err(HashError::Malformed {
                scheme: "idp-wrap-v1",
                what: "the outer hash is not argon2id".into(),
            });
        }
        // The outer hash is what an attacker with the table would have to break: it passes
        // the floors any imported argon2 hash passes, or the line is refused (it cannot be
        // wrapped again without the password).
        if outer_parsed.is_weak() {
            return Err(HashError::Malformed {
                scheme: "idp-wrap-v1",
                what: format!(
                    "the outer argon2id ({}) is below every OWASP minimum setting",
                    outer_parsed.cost
                ),
            });
        }
        outer_parsed.check_computable()?;
        return Ok(ImportedHash {
            stored: hash.to_owned(),
            scheme: inner.scheme.name(),
            wrapped: true,
        });
    }
    let legacy = LegacyHash::parse(hash)?;
    legacy.check_bounds()?;
    legacy.check_computable()?;
    let scheme = legacy.scheme.name();
    if !legacy.is_weak() {
        return Ok(ImportedHash {
            stored: hash.to_owned(),
            scheme,
            wrapped: false,
        });
    }
    check_wrappable(&legacy)?;
    Ok(ImportedHash {
        stored: wrap(&legacy, argon2).map_err(|what| HashError::Malformed { scheme, what })?,
        scheme,
        wrapped: true,
    })
}

/// A hash about to be kept as a wrapped template is computed once, with an empty password:
/// every login will compute it, so one that cannot be computed is refused now rather than
/// found at each login as an internal error. Wrapped hashes are weak, so this is cheap; the
/// bounds were checked first.
fn check_wrappable(inner: &LegacyHash) -> Result<(), HashError> {
    inner.check_computable()?;
    inner
        .derive(b"")
        .map(|_| ())
        .map_err(|e| HashError::Malformed {
            scheme: inner.scheme.name(),
            what: format!("cannot be computed: {e}"),
        })
}

fn wrap(legacy: &LegacyHash, argon2: &Argon2<'static>) -> Result<String, String> {
    let salt = SaltString::generate(&mut OsRng);
    let outer = argon2
        .hash_password(legacy.digest(), &salt)
        .map_err(|e| format!("wrapping failed: {e}"))?
        .to_string();
    Ok(format!("{WRAP_PREFIX}{}{outer}", legacy.template()))
}

/// Verifies a wrapped hash: the legacy digest of `password`, then argon2id over it.
pub(crate) fn verify_wrapped(
    inner: &LegacyHash,
    outer: &str,
    password: &[u8],
) -> Result<bool, String> {
    use argon2::password_hash::PasswordVerifier;
    inner.check_bounds().map_err(|e| e.to_string())?;
    let outer_legacy = LegacyHash::parse(outer).map_err(|e| e.to_string())?;
    outer_legacy.check_bounds().map_err(|e| e.to_string())?;
    if outer_legacy.scheme != Scheme::Argon2(Algorithm::Argon2id) {
        return Err("wrapped hash whose outer hash is not argon2id".into());
    }
    let digest = inner.derive(password)?;
    let parsed = PasswordHash::new(outer).map_err(|e| format!("wrapped hash unreadable: {e}"))?;
    Ok(Argon2::default().verify_password(&digest, &parsed).is_ok())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::password::HashParams;
    use base64::Engine;

    fn argon2() -> Argon2<'static> {
        let p = HashParams::OWASP_MINIMUM;
        Argon2::new(
            Algorithm::Argon2id,
            argon2::Version::V0x13,
            argon2::Params::new(p.memory_kib, p.iterations, p.parallelism, None).unwrap(),
        )
    }

    /// OpenBSD's `U*U` vector: bcrypt cost 5, weak, so import wraps it.
    const WEAK_BCRYPT: &str = "$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW";

    fn wrapped() -> String {
        let imported = prepare(WEAK_BCRYPT, &argon2()).unwrap();
        assert!(imported.wrapped);
        imported.stored
    }

    #[test]
    fn a_wrapped_hash_from_an_export_is_taken_as_it_is() {
        let stored = wrapped();
        let again = prepare(&stored, &argon2()).unwrap();
        assert_eq!(again.stored, stored);
        let Stored::Wrapped { inner, outer } = Stored::parse(&stored).unwrap() else {
            panic!("not wrapped");
        };
        assert!(verify_wrapped(&inner, &outer, b"U*U").unwrap());
    }

    #[test]
    fn a_wrapped_hash_whose_outer_argon2id_is_weak_is_refused() {
        let stored = wrapped();
        let (template, outer) = stored.split_once("$argon2id$").unwrap();
        let (_, rest) = outer.split_once('$').unwrap();
        let (_, salt_and_hash) = rest.split_once('$').unwrap();
        let weak = format!("{template}$argon2id$v=19$m=8,t=1,p=1${salt_and_hash}");
        let err = prepare(&weak, &argon2()).unwrap_err().to_string();
        assert!(
            err.contains("outer argon2id (v=19,m=8,t=1,p=1) is below every OWASP minimum"),
            "{err}"
        );
    }

    #[test]
    fn a_wrapped_template_that_cannot_be_computed_is_refused() {
        let stored = wrapped();
        let outer = &stored[stored.find("$argon2id$").unwrap()..];
        for (template, why) in [
            // bcrypt below its smallest cost.
            ("bcrypt$3$", "cost 3 is not from 4 to 31"),
            // A salt of 15 bytes: bcrypt takes exactly 16.
            ("bcrypt$5$", "salt is not 16 bytes"),
            // sha-crypt below its 1,000 rounds.
            ("sha512-crypt$5$", "cannot be computed"),
        ] {
            let salt = if why.contains("16 bytes") {
                crate::password::legacy::B64.encode([7u8; 15])
            } else if template.starts_with("sha512") {
                crate::password::legacy::B64.encode(b"saltsalt")
            } else {
                crate::password::legacy::B64.encode([7u8; 16])
            };
            let len = if template.starts_with("sha512") {
                86
            } else {
                31
            };
            let line = format!("{WRAP_PREFIX}{template}{salt}${len}{outer}");
            let err = prepare(&line, &argon2()).unwrap_err().to_string();
            assert!(err.contains(why), "{template}: {err}");
        }
    }
}
