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
        let outer_parsed = LegacyHash::parse(&outer)?;
        outer_parsed.check_bounds()?;
        if outer_parsed.scheme != Scheme::Argon2(Algorithm::Argon2id) {
            return Err(HashError::Malformed {
                scheme: "idp-wrap-v1",
                what: "the outer hash is not argon2id".into(),
            });
        }
        return Ok(ImportedHash {
            stored: hash.to_owned(),
            scheme: inner.scheme.name(),
            wrapped: true,
        });
    }
    let legacy = LegacyHash::parse(hash)?;
    legacy.check_bounds()?;
    let scheme = legacy.scheme.name();
    if !legacy.is_weak() {
        return Ok(ImportedHash {
            stored: hash.to_owned(),
            scheme,
            wrapped: false,
        });
    }
    Ok(ImportedHash {
        stored: wrap(&legacy, argon2).map_err(|what| HashError::Malformed { scheme, what })?,
        scheme,
        wrapped: true,
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
