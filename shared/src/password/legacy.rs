//! Password hashes made by other systems, as `idp-admin import` takes them in (docs/passwords.md).
//!
//! Every family is parsed into one shape: the scheme, its cost, the salt and the digest. A
//! password is checked by recomputing the digest with the RustCrypto crates' primitives and
//! comparing in constant time, so verifying, wrapping and bounding are one code path whatever
//! the family. Nothing here hashes in a new way: the crates do the cryptography, this module
//! does the encodings.

use std::fmt;

use argon2::password_hash::PasswordHash;
use argon2::{Algorithm, Argon2, Params, Version};
use base64::Engine;
use base64::alphabet;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use subtle::ConstantTimeEq;

use super::params::HashParams;

/// The longest hash string accepted: far above every family's own length (a PHC string with a
/// 64-byte salt and digest is under 200 characters).
pub const MAX_HASH_CHARS: usize = 512;

/// Per-guess work bars. A hash below its family's floor is stored wrapped in argon2id at import;
/// one above its ceiling is refused, as verifying it once would hold a login for seconds.
pub mod bounds {
    /// OWASP Password Storage Cheat Sheet minimum (cost 10); 14 is about 1.5 s per check here
    /// (cost 10 took 90 ms), and each step doubles it.
    pub const BCRYPT_FLOOR: u32 = 10;
    pub const BCRYPT_CEILING: u32 = 14;
    /// OWASP minimum iterations for PBKDF2-HMAC-SHA256 and -SHA512.
    pub const PBKDF2_SHA256_FLOOR: u32 = 600_000;
    pub const PBKDF2_SHA512_FLOOR: u32 = 210_000;
    /// About seven times the floors: Django 6's default (1,200,000) fits under them.
    pub const PBKDF2_SHA256_CEILING: u32 = 4_000_000;
    pub const PBKDF2_SHA512_CEILING: u32 = 1_500_000;
    /// OWASP's scrypt settings (2^17·8·1 … 2^13·8·10) all do at least 2^13·8·10 units of
    /// work (N·r·p).
    pub const SCRYPT_WORK_FLOOR: u64 = (1 << 13) * 8 * 10;
    /// 256 MiB of memory (128·N·r bytes), as argon2's bound, and at most 2 such passes
    /// (about 2 s here: one pass at 128 MiB took 0.45 s).
    pub const SCRYPT_MEMORY_CEILING: u64 = 256 * 1024 * 1024;
    pub const SCRYPT_WORK_CEILING: u64 = (1 << 18) * 8 * 2;
    /// sha-crypt has no OWASP figure. One round is one SHA-512 (or SHA-256) of a short input,
    /// so the floors are PBKDF2's in hash invocations: two per PBKDF2 iteration.
    pub const SHA512_CRYPT_FLOOR: u32 = 2 * 210_000;
    pub const SHA256_CRYPT_FLOOR: u32 = 2 * 600_000;
    /// About 1.2 s here (500,000 rounds of `$6$` took 0.3 s).
    pub const SHA_CRYPT_CEILING: u32 = 2_000_000;
    /// sha-crypt's work grows with the password (see `LegacyHash::password_fits`): counted in
    /// compression-function calls, a login may cost at most four times a short password at
    /// the ceiling (a short password takes one block a round; 128 bytes of password, three).
    pub const SHA_CRYPT_WORK_CEILING: u64 = 4 * SHA_CRYPT_CEILING as u64;
    /// Salts shorter than this are as good as none: the hash is wrapped.
    pub const SALT_FLOOR_BYTES: usize = 8;
    pub const SALT_CEILING_BYTES: usize = 64;
}

/// A hash family.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    Argon2(Algorithm),
    Bcrypt,
    Pbkdf2Sha256,
    Pbkdf2Sha512,
    /// Django's `pbkdf2_sha256$iterations$salt$digest`.
    DjangoPbkdf2Sha256,
    Scrypt,
    Sha256Crypt,
    Sha512Crypt,
    Ldap(LdapDigest, Salted),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LdapDigest {
    Md5,
    Sha1,
    Sha256,
    Sha512,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Salted {
    Yes,
    No,
}

impl LdapDigest {
    fn len(self) -> usize {
        match self {
            Self::Md5 => 16,
            Self::Sha1 => 20,
            Self::Sha256 => 32,
            Self::Sha512 => 64,
        }
    }

    fn digest(self, parts: &[&[u8]]) -> Vec<u8> {
        use sha2::Digest;
        fn run<D: Digest>(parts: &[&[u8]]) -> Vec<u8> {
            let mut hasher = D::new();
            for part in parts {
                hasher.update(part);
            }
            hasher.finalize().to_vec()
        }
        match self {
            Self::Md5 => run::<md5::Md5>(parts),
            Self::Sha1 => run::<sha1::Sha1>(parts),
            Self::Sha256 => run::<sha2::Sha256>(parts),
            Self::Sha512 => run::<sha2::Sha512>(parts),
        }
    }
}

const LDAP_SCHEMES: [(&str, LdapDigest, Salted); 8] = [
    ("{MD5}", LdapDigest::Md5, Salted::No),
    ("{SMD5}", LdapDigest::Md5, Salted::Yes),
    ("{SHA}", LdapDigest::Sha1, Salted::No),
    ("{SSHA}", LdapDigest::Sha1, Salted::Yes),
    ("{SHA256}", LdapDigest::Sha256, Salted::No),
    ("{SSHA256}", LdapDigest::Sha256, Salted::Yes),
    ("{SHA512}", LdapDigest::Sha512, Salted::No),
    ("{SSHA512}", LdapDigest::Sha512, Salted::Yes),
];

impl Scheme {
    /// The name used in reports and in the wrapped form.
    pub fn name(self) -> &'static str {
        match self {
            Self::Argon2(Algorithm::Argon2id) => "argon2id",
            Self::Argon2(Algorithm::Argon2i) => "argon2i",
            Self::Argon2(Algorithm::Argon2d) => "argon2d",
            Self::Bcrypt => "bcrypt",
            Self::Pbkdf2Sha256 => "pbkdf2-sha256",
            Self::Pbkdf2Sha512 => "pbkdf2-sha512",
            Self::DjangoPbkdf2Sha256 => "django-pbkdf2-sha256",
            Self::Scrypt => "scrypt",
            Self::Sha256Crypt => "sha256-crypt",
            Self::Sha512Crypt => "sha512-crypt",
            Self::Ldap(digest, salted) => LDAP_SCHEMES
                .iter()
                .find(|(_, d, s)| *d == digest && *s == salted)
                .map_or("ldap", |(prefix, _, _)| prefix),
        }
    }

    fn from_name(name: &str) -> Option<Self> {
        let all = [
            Self::Argon2(Algorithm::Argon2id),
            Self::Argon2(Algorithm::Argon2i),
            Self::Argon2(Algorithm::Argon2d),
            Self::Bcrypt,
            Self::Pbkdf2Sha256,
            Self::Pbkdf2Sha512,
            Self::DjangoPbkdf2Sha256,
            Self::Scrypt,
            Self::Sha256Crypt,
            Self::Sha512Crypt,
        ];
        all.into_iter()
            .chain(
                LDAP_SCHEMES
                    .iter()
                    .map(|(_, digest, salted)| Self::Ldap(*digest, *salted)),
            )
            .find(|scheme| scheme.name() == name)
    }
}

/// A family's cost parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cost {
    None,
    /// bcrypt's log2 rounds.
    Bcrypt(u32),
    /// PBKDF2 iterations or sha-crypt rounds.
    Rounds(u32),
    Scrypt {
        log_n: u8,
        r: u32,
        p: u32,
    },
    Argon2 {
        version: u32,
        m: u32,
        t: u32,
        p: u32,
    },
}

impl fmt::Display for Cost {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::None => f.write_str("-"),
            Self::Bcrypt(cost) => write!(f, "{cost}"),
            Self::Rounds(rounds) => write!(f, "{rounds}"),
            Self::Scrypt { log_n, r, p } => write!(f, "ln={log_n},r={r},p={p}"),
            Self::Argon2 { version, m, t, p } => write!(f, "v={version},m={m},t={t},p={p}"),
        }
    }
}

/// Why a hash string cannot be taken in. The sentences name the family and the bound, never
/// the hash itself.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HashError {
    #[error("`password_hash` is not in a supported format (see docs/passwords.md)")]
    Unsupported,
    #[error("`password_hash` is a malformed {scheme} hash: {what}")]
    Malformed { scheme: &'static str, what: String },
    #[error("`password_hash` {scheme} parameters are beyond this service's bound: {what}")]
    TooCostly { scheme: &'static str, what: String },
}

fn malformed(scheme: Scheme, what: impl Into<String>) -> HashError {
    HashError::Malformed {
        scheme: scheme.name(),
        what: what.into(),
    }
}

fn too_costly(scheme: Scheme, what: impl Into<String>) -> HashError {
    HashError::TooCostly {
        scheme: scheme.name(),
        what: what.into(),
    }
}

/// A parsed hash: everything needed to recompute its digest from a password.
#[derive(Clone, PartialEq, Eq)]
pub struct LegacyHash {
    pub scheme: Scheme,
    pub cost: Cost,
    pub salt: Vec<u8>,
    /// The length of the digest the scheme outputs here (PBKDF2, scrypt and argon2 let the
    /// hash choose it).
    pub digest_len: usize,
    /// The digest as the scheme compares it: raw bytes, or for bcrypt and sha-crypt their
    /// own base64 text. Empty in a wrapped hash's template.
    digest: Vec<u8>,
}

impl fmt::Debug for LegacyHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LegacyHash")
            .field("scheme", &self.scheme)
            .field("cost", &self.cost)
            .field("salt_len", &self.salt.len())
            .field("digest_len", &self.digest_len)
            .finish_non_exhaustive()
    }
}

/// PHC's B64: the standard alphabet without padding; trailing bits are tolerated, as other
/// implementations write them.
pub(crate) const B64: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_encode_padding(false)
        .with_decode_padding_mode(DecodePaddingMode::Indifferent)
        .with_decode_allow_trailing_bits(true),
);
const PADDED: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_decode_padding_mode(DecodePaddingMode::Indifferent)
        .with_decode_allow_trailing_bits(true),
);
const BCRYPT_B64: GeneralPurpose = GeneralPurpose::new(
    &alphabet::BCRYPT,
    GeneralPurposeConfig::new()
        .with_encode_padding(false)
        .with_decode_padding_mode(DecodePaddingMode::RequireNone)
        .with_decode_allow_trailing_bits(true),
);

impl LegacyHash {
    /// Parses any supported format; checks its shape, not its cost (see [`Self::check_bounds`]).
    pub fn parse(hash: &str) -> Result<Self, HashError> {
        if hash.len() > MAX_HASH_CHARS {
            return Err(HashError::Unsupported);
        }
        if let Some((prefix, digest, salted)) =
            LDAP_SCHEMES.iter().find(|(p, _, _)| hash.starts_with(p))
        {
            return parse_ldap(&hash[prefix.len()..], *digest, *salted);
        }
        if let Some(rest) = hash.strip_prefix("pbkdf2_sha256$") {
            return parse_django(rest);
        }
        if hash.starts_with("$2a$") || hash.starts_with("$2b$") || hash.starts_with("$2y$") {
            return parse_bcrypt(hash);
        }
        if let Some(rest) = hash.strip_prefix("$5$") {
            return parse_sha_crypt(rest, Scheme::Sha256Crypt);
        }
        if let Some(rest) = hash.strip_prefix("$6$") {
            return parse_sha_crypt(rest, Scheme::Sha512Crypt);
        }
        for (prefix, scheme) in [
            ("$argon2id$", Scheme::Argon2(Algorithm::Argon2id)),
            ("$argon2i$", Scheme::Argon2(Algorithm::Argon2i)),
            ("$argon2d$", Scheme::Argon2(Algorithm::Argon2d)),
            ("$pbkdf2-sha256$", Scheme::Pbkdf2Sha256),
            ("$pbkdf2-sha512$", Scheme::Pbkdf2Sha512),
            ("$scrypt$", Scheme::Scrypt),
        ] {
            if hash.starts_with(prefix) {
                return parse_phc(hash, scheme);
            }
        }
        Err(HashError::Unsupported)
    }

    /// Refuses parameters whose single verification would be a denial of service, and salts
    /// longer than any family writes.
    pub fn check_bounds(&self) -> Result<(), HashError> {
        use bounds::*;
        let scheme = self.scheme;
        if self.salt.len() > SALT_CEILING_BYTES {
            return Err(too_costly(
                scheme,
                format!("salt over {SALT_CEILING_BYTES} bytes"),
            ));
        }
        match (scheme, self.cost) {
            (Scheme::Bcrypt, Cost::Bcrypt(cost)) if cost > BCRYPT_CEILING => Err(too_costly(
                scheme,
                format!("cost {cost} is over {BCRYPT_CEILING}"),
            )),
            (Scheme::Pbkdf2Sha256 | Scheme::DjangoPbkdf2Sha256, Cost::Rounds(i))
                if i > PBKDF2_SHA256_CEILING =>
            {
                Err(too_costly(
                    scheme,
                    format!("{i} iterations are over {PBKDF2_SHA256_CEILING}"),
                ))
            }
            (Scheme::Pbkdf2Sha256 | Scheme::DjangoPbkdf2Sha256 | Scheme::Pbkdf2Sha512, _)
                if self.digest_len > pbkdf2_block(scheme) =>
            {
                // Each block beyond the PRF's output is another full PBKDF2 run.
                Err(too_costly(
                    scheme,
                    format!("output over {} bytes", pbkdf2_block(scheme)),
                ))
            }
            (Scheme::Pbkdf2Sha512, Cost::Rounds(i)) if i > PBKDF2_SHA512_CEILING => {
                Err(too_costly(
                    scheme,
                    format!("{i} iterations are over {PBKDF2_SHA512_CEILING}"),
                ))
            }
            (Scheme::Sha256Crypt | Scheme::Sha512Crypt, Cost::Rounds(rounds))
                if rounds > SHA_CRYPT_CEILING =>
            {
                Err(too_costly(
                    scheme,
                    format!("{rounds} rounds are over {SHA_CRYPT_CEILING}"),
                ))
            }
            (Scheme::Scrypt, Cost::Scrypt { log_n, r, p }) => {
                // u128 and saturating: ln up to 63 with a large r overflows u64.
                let n = scrypt_n(log_n);
                let memory = n.saturating_mul(128).saturating_mul(u128::from(r));
                let work = n
                    .saturating_mul(u128::from(r))
                    .saturating_mul(u128::from(p));
                if memory > u128::from(SCRYPT_MEMORY_CEILING) {
                    Err(too_costly(
                        scheme,
                        format!(
                            "128·N·r is {} MiB, over {} MiB",
                            memory >> 20,
                            SCRYPT_MEMORY_CEILING >> 20
                        ),
                    ))
                } else if work > u128::from(SCRYPT_WORK_CEILING) {
                    Err(too_costly(
                        scheme,
                        format!("N·r·p is {work}, over {SCRYPT_WORK_CEILING}"),
                    ))
                } else {
                    Ok(())
                }
            }
            (Scheme::Argon2(_), Cost::Argon2 { m, t, p, .. }) => {
                let max = HashParams::MAXIMUM;
                if m > max.memory_kib || t > max.iterations || p > max.parallelism {
                    Err(too_costly(
                        scheme,
                        format!(
                            "m={m},t={t},p={p} is over m={},t={},p={}",
                            max.memory_kib, max.iterations, max.parallelism
                        ),
                    ))
                } else {
                    Ok(())
                }
            }
            _ => Ok(()),
        }
    }

    /// Whether this hash's parameters can be computed at all (the crates' own range checks:
    /// argon2's `m ≥ 8·p`, scrypt's `r·p`, sha-crypt's rounds, bcrypt's cost and salt),
    /// without computing it. A hash that passes parsing but fails here would make every login
    /// of its profile an internal error.
    pub fn check_computable(&self) -> Result<(), HashError> {
        let scheme = self.scheme;
        let cannot = |e: &dyn fmt::Display| malformed(scheme, format!("cannot be computed: {e}"));
        match (scheme, self.cost) {
            (Scheme::Ldap(..), _) => Ok(()),
            (Scheme::Bcrypt, Cost::Bcrypt(cost)) => {
                if !(4..=31).contains(&cost) {
                    Err(cannot(&format!("cost {cost} is not from 4 to 31")))
                } else if self.salt.len() != 16 {
                    Err(cannot(&"salt is not 16 bytes"))
                } else {
                    Ok(())
                }
            }
            (
                Scheme::Pbkdf2Sha256 | Scheme::DjangoPbkdf2Sha256 | Scheme::Pbkdf2Sha512,
                Cost::Rounds(i),
            ) if i >= 1 && self.digest_len >= 1 => Ok(()),
            (Scheme::Scrypt, Cost::Scrypt { log_n, r, p }) => {
                scrypt::Params::new(log_n, r, p, self.digest_len)
                    .map(|_| ())
                    .map_err(|e| cannot(&e))
            }
            (Scheme::Sha256Crypt | Scheme::Sha512Crypt, Cost::Rounds(rounds)) => {
                sha_crypt::Sha512Params::new(rounds as usize)
                    .map(|_| ())
                    .map_err(|e| cannot(&format!("{e:?}")))
            }
            (Scheme::Argon2(_), Cost::Argon2 { version, m, t, p }) => {
                Version::try_from(version).map_err(|e| cannot(&e))?;
                argon2_params(m, t, p, self.digest_len)
                    .map(|_| ())
                    .map_err(|e| cannot(&e))
            }
            _ => Err(cannot(&"cost of another family")),
        }
    }

    /// Whether checking a password of `password_bytes` against this hash stays within the
    /// work bound. Only sha-crypt's work grows with the password: each round hashes it whole
    /// (up to twice), and its P sequence hashes it once per byte, so a 60,000-character
    /// password cost seconds at 5,000 rounds. Counted in compression-function calls.
    pub fn password_fits(&self, password_bytes: usize) -> bool {
        let (block, digest) = match self.scheme {
            Scheme::Sha512Crypt => (128u64, 64u64),
            Scheme::Sha256Crypt => (64, 32),
            _ => return true,
        };
        let Cost::Rounds(rounds) = self.cost else {
            return true;
        };
        let len = password_bytes as u64;
        // A round hashes C or P, maybe S, maybe P, then P or C, plus the padding's 17 bytes.
        let per_round = (2 * len + digest + self.salt.len() as u64 + 17).div_ceil(block);
        let p_sequence = (len * len).div_ceil(block);
        u64::from(rounds)
            .saturating_mul(per_round)
            .saturating_add(p_sequence)
            <= bounds::SHA_CRYPT_WORK_CEILING
    }

    /// Whether one guess against this hash costs an attacker less than the documented bar:
    /// unsalted, MD5 or SHA-1 based, a single fast digest, or a cost below the family's floor.
    pub fn is_weak(&self) -> bool {
        use bounds::*;
        if self.salt.len() < SALT_FLOOR_BYTES {
            return true;
        }
        match (self.scheme, self.cost) {
            (Scheme::Ldap(..), _) => true,
            (Scheme::Bcrypt, Cost::Bcrypt(cost)) => cost < BCRYPT_FLOOR,
            (Scheme::Pbkdf2Sha256 | Scheme::DjangoPbkdf2Sha256, Cost::Rounds(i)) => {
                i < PBKDF2_SHA256_FLOOR
            }
            (Scheme::Pbkdf2Sha512, Cost::Rounds(i)) => i < PBKDF2_SHA512_FLOOR,
            (Scheme::Sha256Crypt, Cost::Rounds(rounds)) => rounds < SHA256_CRYPT_FLOOR,
            (Scheme::Sha512Crypt, Cost::Rounds(rounds)) => rounds < SHA512_CRYPT_FLOOR,
            (Scheme::Scrypt, Cost::Scrypt { log_n, r, p }) => {
                scrypt_n(log_n)
                    .saturating_mul(u128::from(r))
                    .saturating_mul(u128::from(p))
                    < u128::from(SCRYPT_WORK_FLOOR)
            }
            (Scheme::Argon2(_), Cost::Argon2 { m, t, p, .. }) => HashParams {
                memory_kib: m,
                iterations: t,
                parallelism: p,
            }
            .check()
            .is_err(),
            _ => true,
        }
    }

    /// The digest `password` gives under this hash's scheme, cost and salt. Bounds are the
    /// caller's to check first.
    pub fn derive(&self, password: &[u8]) -> Result<Vec<u8>, String> {
        let scheme = self.scheme;
        let failed = |e: &dyn fmt::Display| format!("{}: {e}", scheme.name());
        match (scheme, self.cost) {
            (Scheme::Ldap(digest, _), _) => Ok(digest.digest(&[password, &self.salt])),
            (Scheme::Bcrypt, Cost::Bcrypt(cost)) => {
                let salt: [u8; 16] = self
                    .salt
                    .as_slice()
                    .try_into()
                    .map_err(|_| "bcrypt: salt is not 16 bytes".to_owned())?;
                // Truncating at 72 bytes, as the systems that made these hashes did.
                let parts = bcrypt::hash_with_salt(password, cost, salt).map_err(|e| failed(&e))?;
                let text = parts.format_for_version(bcrypt::Version::TwoB);
                Ok(text.as_bytes()[text.len() - 31..].to_vec())
            }
            (Scheme::Pbkdf2Sha256 | Scheme::DjangoPbkdf2Sha256, Cost::Rounds(i)) => {
                let mut out = vec![0; self.digest_len];
                pbkdf2::pbkdf2_hmac::<sha2::Sha256>(password, &self.salt, i, &mut out);
                Ok(out)
            }
            (Scheme::Pbkdf2Sha512, Cost::Rounds(i)) => {
                let mut out = vec![0; self.digest_len];
                pbkdf2::pbkdf2_hmac::<sha2::Sha512>(password, &self.salt, i, &mut out);
                Ok(out)
            }
            (Scheme::Scrypt, Cost::Scrypt { log_n, r, p }) => {
                let params =
                    scrypt::Params::new(log_n, r, p, self.digest_len).map_err(|e| failed(&e))?;
                let mut out = vec![0; self.digest_len];
                scrypt::scrypt(password, &self.salt, &params, &mut out).map_err(|e| failed(&e))?;
                Ok(out)
            }
            (Scheme::Sha256Crypt, Cost::Rounds(rounds)) => {
                let params = sha_crypt::Sha256Params::new(rounds as usize)
                    .map_err(|e| failed(&format!("{e:?}")))?;
                sha_crypt::sha256_crypt_b64(password, &self.salt, &params)
                    .map(String::into_bytes)
                    .map_err(|e| failed(&format!("{e:?}")))
            }
            (Scheme::Sha512Crypt, Cost::Rounds(rounds)) => {
                let params = sha_crypt::Sha512Params::new(rounds as usize)
                    .map_err(|e| failed(&format!("{e:?}")))?;
                sha_crypt::sha512_crypt_b64(password, &self.salt, &params)
                    .map(String::into_bytes)
                    .map_err(|e| failed(&format!("{e:?}")))
            }
            (Scheme::Argon2(algorithm), Cost::Argon2 { version, m, t, p }) => {
                let version = Version::try_from(version).map_err(|e| failed(&e))?;
                let params = argon2_params(m, t, p, self.digest_len).map_err(|e| failed(&e))?;
                let mut out = vec![0; self.digest_len];
                Argon2::new(algorithm, version, params)
                    .hash_password_into(password, &self.salt, &mut out)
                    .map_err(|e| failed(&e))?;
                Ok(out)
            }
            _ => Err(format!("{}: cost of another family", scheme.name())),
        }
    }

    /// Whether `password` gives this hash's digest, compared in constant time.
    pub fn matches(&self, password: &[u8]) -> Result<bool, String> {
        let derived = self.derive(password)?;
        Ok(bool::from(derived.ct_eq(&self.digest)))
    }

    /// The digest, for wrapping it at import.
    pub(crate) fn digest(&self) -> &[u8] {
        &self.digest
    }

    /// `scheme$cost$salt$length`: what the wrapped form keeps of this hash (no digest).
    pub fn template(&self) -> String {
        format!(
            "{}${}${}${}",
            self.scheme.name(),
            self.cost,
            B64.encode(&self.salt),
            self.digest_len
        )
    }

    /// The inverse of [`Self::template`]: a hash without its digest.
    pub fn from_template(template: &str) -> Result<Self, String> {
        let mut parts = template.split('$');
        let (Some(name), Some(cost), Some(salt), Some(len), None) = (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
        ) else {
            return Err("wrapped hash template is not scheme$cost$salt$length".into());
        };
        let scheme = Scheme::from_name(name).ok_or("wrapped hash of an unknown scheme")?;
        let cost = parse_cost(scheme, cost).ok_or("wrapped hash cost unreadable")?;
        let salt = B64
            .decode(salt)
            .map_err(|_| "wrapped hash salt unreadable")?;
        let digest_len: usize = len
            .parse()
            .ok()
            .filter(|l| (4..=128).contains(l))
            .ok_or("wrapped hash length unreadable")?;
        Ok(Self {
            scheme,
            cost,
            salt,
            digest_len,
            digest: Vec::new(),
        })
    }
}

/// `argon2::Params::new`, after the range check it does with `8 × p` (which overflows, and
/// panics in a debug build, for p ≥ 2^29).
fn argon2_params(m: u32, t: u32, p: u32, len: usize) -> Result<Params, String> {
    if !(Params::MIN_P_COST..=Params::MAX_P_COST).contains(&p) {
        return Err(format!(
            "p is not from {} to {}",
            Params::MIN_P_COST,
            Params::MAX_P_COST
        ));
    }
    Params::new(m, t, p, Some(len)).map_err(|e| e.to_string())
}

/// N = 2^ln, saturating: a template's `ln` is not bounded by the PHC parser's check.
fn scrypt_n(log_n: u8) -> u128 {
    1u128.checked_shl(u32::from(log_n)).unwrap_or(u128::MAX)
}

fn pbkdf2_block(scheme: Scheme) -> usize {
    if scheme == Scheme::Pbkdf2Sha512 {
        64
    } else {
        32
    }
}

fn parse_cost(scheme: Scheme, text: &str) -> Option<Cost> {
    let numbers = |text: &str, names: &[&str]| -> Option<Vec<u32>> {
        let values: Vec<u32> = text
            .split(',')
            .zip(names)
            .map(|(pair, name)| pair.strip_prefix(name)?.strip_prefix('=')?.parse().ok())
            .collect::<Option<_>>()?;
        (values.len() == names.len() && text.split(',').count() == names.len()).then_some(values)
    };
    match scheme {
        Scheme::Ldap(..) => (text == "-").then_some(Cost::None),
        Scheme::Bcrypt => text.parse().ok().map(Cost::Bcrypt),
        Scheme::Pbkdf2Sha256
        | Scheme::Pbkdf2Sha512
        | Scheme::DjangoPbkdf2Sha256
        | Scheme::Sha256Crypt
        | Scheme::Sha512Crypt => text.parse().ok().filter(|r| *r >= 1).map(Cost::Rounds),
        Scheme::Scrypt => {
            let v = numbers(text, &["ln", "r", "p"])?;
            Some(Cost::Scrypt {
                log_n: u8::try_from(v[0]).ok().filter(|ln| (1..=63).contains(ln))?,
                r: v[1],
                p: v[2],
            })
        }
        Scheme::Argon2(_) => {
            let v = numbers(text, &["v", "m", "t", "p"])?;
            Some(Cost::Argon2 {
                version: v[0],
                m: v[1],
                t: v[2],
                p: v[3],
            })
        }
    }
}

/// `{SSHA}base64(digest ‖ salt)`, and the other LDAP schemes of [`LDAP_SCHEMES`].
fn parse_ldap(rest: &str, digest: LdapDigest, salted: Salted) -> Result<LegacyHash, HashError> {
    let scheme = Scheme::Ldap(digest, salted);
    let bytes = PADDED
        .decode(rest)
        .map_err(|_| malformed(scheme, "not base64"))?;
    let len = digest.len();
    let ok = match salted {
        Salted::Yes => bytes.len() > len,
        Salted::No => bytes.len() == len,
    };
    if !ok {
        return Err(malformed(scheme, "wrong length for its digest"));
    }
    Ok(LegacyHash {
        scheme,
        cost: Cost::None,
        salt: bytes[len..].to_vec(),
        digest_len: len,
        digest: bytes[..len].to_vec(),
    })
}

/// Django's `pbkdf2_sha256$<iterations>$<salt>$<base64 digest>`; the salt is used as text.
fn parse_django(rest: &str) -> Result<LegacyHash, HashError> {
    let scheme = Scheme::DjangoPbkdf2Sha256;
    let mut parts = rest.split('$');
    let (Some(iterations), Some(salt), Some(digest), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(malformed(scheme, "not iterations$salt$digest"));
    };
    let iterations: u32 = iterations
        .parse()
        .ok()
        .filter(|i| *i >= 1)
        .ok_or_else(|| malformed(scheme, "iterations are not a positive number"))?;
    let digest = PADDED
        .decode(digest)
        .map_err(|_| malformed(scheme, "digest is not base64"))?;
    if digest.len() != 32 {
        return Err(malformed(scheme, "digest is not 32 bytes"));
    }
    Ok(LegacyHash {
        scheme,
        cost: Cost::Rounds(iterations),
        salt: salt.as_bytes().to_vec(),
        digest_len: 32,
        digest,
    })
}

/// `$2b$<cost>$<22 salt characters><31 digest characters>` in bcrypt's own base64.
fn parse_bcrypt(hash: &str) -> Result<LegacyHash, HashError> {
    let scheme = Scheme::Bcrypt;
    let mut parts = hash.split('$');
    let (Some(""), Some(_version), Some(cost), Some(rest), None) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return Err(malformed(scheme, "not $2b$cost$salt-and-digest"));
    };
    let cost: u32 = cost
        .parse()
        .ok()
        .filter(|c| (4..=31).contains(c) && cost.len() == 2)
        .ok_or_else(|| malformed(scheme, "cost is not two digits from 04 to 31"))?;
    if rest.len() != 53 || !rest.is_ascii() {
        return Err(malformed(scheme, "salt and digest are not 53 characters"));
    }
    let (salt, digest) = rest.split_at(22);
    let salt: Vec<u8> = BCRYPT_B64
        .decode(salt)
        .map_err(|_| malformed(scheme, "salt is not bcrypt base64"))?;
    if salt.len() != 16 || BCRYPT_B64.decode(digest).is_err() {
        return Err(malformed(scheme, "salt or digest is not bcrypt base64"));
    }
    Ok(LegacyHash {
        scheme,
        cost: Cost::Bcrypt(cost),
        salt,
        digest_len: 31,
        digest: digest.as_bytes().to_vec(),
    })
}

/// crypt(3)'s `$5$[rounds=N$]salt$digest` and `$6$…`; without `rounds=` the default is 5000.
fn parse_sha_crypt(rest: &str, scheme: Scheme) -> Result<LegacyHash, HashError> {
    let (rounds, rest) = match rest.strip_prefix("rounds=") {
        Some(rest) => {
            let (rounds, rest) = rest
                .split_once('$')
                .ok_or_else(|| malformed(scheme, "rounds without a salt"))?;
            let rounds: u32 = rounds
                .parse()
                .ok()
                .filter(|r| (1_000..=999_999_999).contains(r))
                .ok_or_else(|| malformed(scheme, "rounds are not from 1000 to 999999999"))?;
            (rounds, rest)
        }
        None => (5_000, rest),
    };
    let (salt, digest) = rest
        .split_once('$')
        .ok_or_else(|| malformed(scheme, "not salt$digest"))?;
    let expected = if scheme == Scheme::Sha512Crypt {
        86
    } else {
        43
    };
    let crypt_b64 = |c: char| c.is_ascii_alphanumeric() || c == '.' || c == '/';
    if salt.len() > 16 || salt.contains(['$', ':', '\n']) {
        return Err(malformed(scheme, "salt is over 16 characters"));
    }
    if digest.len() != expected || !digest.chars().all(crypt_b64) {
        return Err(malformed(
            scheme,
            format!("digest is not {expected} crypt characters"),
        ));
    }
    Ok(LegacyHash {
        scheme,
        cost: Cost::Rounds(rounds),
        salt: salt.as_bytes().to_vec(),
        digest_len: expected,
        digest: digest.as_bytes().to_vec(),
    })
}

/// PHC strings: `$argon2id$v=19$m=…,t=…,p=…$salt$hash`, `$pbkdf2-sha256$i=…,l=…$salt$hash`,
/// `$scrypt$ln=…,r=…,p=…$salt$hash`.
fn parse_phc(hash: &str, scheme: Scheme) -> Result<LegacyHash, HashError> {
    let parsed = PasswordHash::new(hash).map_err(|e| malformed(scheme, e.to_string()))?;
    let salt = parsed
        .salt
        .ok_or_else(|| malformed(scheme, "no salt"))?
        .as_str();
    let salt = B64
        .decode(salt)
        .map_err(|_| malformed(scheme, "salt is not B64"))?;
    let digest = parsed
        .hash
        .ok_or_else(|| malformed(scheme, "no hash"))?
        .as_bytes()
        .to_vec();
    let param = |name: &str| -> Result<Option<u32>, HashError> {
        match parsed.params.get(name) {
            None => Ok(None),
            Some(value) => value
                .decimal()
                .map(Some)
                .map_err(|_| malformed(scheme, format!("`{name}` is not a number"))),
        }
    };
    let required = |name: &str| -> Result<u32, HashError> {
        param(name)?.ok_or_else(|| malformed(scheme, format!("no `{name}` parameter")))
    };
    let known = |names: &[&str]| -> Result<(), HashError> {
        let mut seen: Vec<&str> = parsed.params.iter().map(|(k, _)| k.as_str()).collect();
        seen.sort_unstable();
        if seen.windows(2).any(|pair| pair[0] == pair[1]) {
            return Err(malformed(scheme, "a parameter given twice"));
        }
        match parsed
            .params
            .iter()
            .find(|(k, _)| !names.contains(&k.as_str()))
        {
            Some((k, _)) => Err(malformed(
                scheme,
                format!("unknown parameter `{}`", k.as_str()),
            )),
            None => Ok(()),
        }
    };
    let cost = match scheme {
        Scheme::Argon2(_) => {
            known(&["m", "t", "p", "keyid", "data"])?;
            if parsed.params.get("keyid").is_some() || parsed.params.get("data").is_some() {
                return Err(malformed(scheme, "secret key or associated data"));
            }
            let version = parsed.version.unwrap_or(0x10);
            if version != 0x10 && version != 0x13 {
                return Err(malformed(scheme, "version is neither 16 nor 19"));
            }
            let cost = Cost::Argon2 {
                version,
                m: required("m")?,
                t: required("t")?,
                p: required("p")?,
            };
            if let Cost::Argon2 { m, t, p, .. } = cost {
                argon2_params(m, t, p, digest.len()).map_err(|e| malformed(scheme, e))?;
            }
            if salt.len() < argon2::MIN_SALT_LEN {
                return Err(malformed(scheme, "salt is under 8 bytes"));
            }
            cost
        }
        Scheme::Pbkdf2Sha256 | Scheme::Pbkdf2Sha512 => {
            known(&["i", "l"])?;
            let iterations = required("i")?;
            if iterations == 0 {
                return Err(malformed(scheme, "zero iterations"));
            }
            let block = if scheme == Scheme::Pbkdf2Sha256 {
                32
            } else {
                64
            };
            // A digest longer than the PRF's output is a PBKDF2 run per block: refused rather
            // than multiplying the cost.
            if let Some(l) = param("l")?
                && l as usize != digest.len()
            {
                return Err(malformed(scheme, "`l` is not the digest's length"));
            }
            if digest.len() > block || digest.len() < 16 {
                return Err(malformed(
                    scheme,
                    format!("digest is not 16 to {block} bytes"),
                ));
            }
            Cost::Rounds(iterations)
        }
        Scheme::Scrypt => {
            known(&["ln", "r", "p", "l"])?;
            let log_n = u8::try_from(required("ln")?)
                .ok()
                .filter(|ln| (1..=63).contains(ln))
                .ok_or_else(|| malformed(scheme, "`ln` is not from 1 to 63"))?;
            let cost = Cost::Scrypt {
                log_n,
                r: required("r")?,
                p: required("p")?,
            };
            if let Cost::Scrypt { log_n, r, p } = cost {
                scrypt::Params::new(log_n, r, p, digest.len())
                    .map_err(|_| malformed(scheme, "parameters out of scrypt's range"))?;
            }
            cost
        }
        _ => return Err(HashError::Unsupported),
    };
    Ok(LegacyHash {
        scheme,
        cost,
        salt,
        digest_len: digest.len(),
        digest,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(hash: &str, password: &str) {
        let parsed = LegacyHash::parse(hash).unwrap_or_else(|e| panic!("{hash}: {e}"));
        parsed.check_bounds().unwrap();
        assert!(parsed.matches(password.as_bytes()).unwrap(), "{hash}");
        assert!(!parsed.matches(b"not the password").unwrap(), "{hash}");
    }

    // Published vectors. sha-crypt: Ulrich Drepper's specification ("Unix crypt using SHA-256
    // and SHA-512"), its first test of each. bcrypt: OpenBSD's regression set as carried by
    // John the Ripper and Openwall's crypt_blowfish (`U*U`).
    #[test]
    fn published_vectors_verify() {
        check(
            "$5$saltstring$5B8vYYiY.CVt1RlTTf8KbXBH3hsxY/GNooZaBBGWEc5",
            "Hello world!",
        );
        check(
            "$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1",
            "Hello world!",
        );
        check(
            "$5$rounds=10000$saltstringsaltst$3xv.VbSHBb41AL9AvLeujZkZRBAwqFMz2.opqey6IcA",
            "Hello world!",
        );
        check(
            "$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW",
            "U*U",
        );
    }

    #[test]
    fn a_template_keeps_everything_but_the_digest() {
        let hash = LegacyHash::parse("$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1").unwrap();
        let template = hash.template();
        assert_eq!(template, "sha512-crypt$5000$c2FsdHN0cmluZw$86");
        let back = LegacyHash::from_template(&template).unwrap();
        assert_eq!(back.derive(b"Hello world!").unwrap(), hash.digest());
    }

    #[test]
    fn a_huge_argon2_lane_count_is_malformed_not_an_overflow() {
        // Found by the `legacy_hash` fuzz target: argon2's own check computes 8 × p.
        let hash = "$argon2id$v=19$m=224,t=2,p=2126026890$c29tZXNhbHQ$AAAAAAAAAAAAAAAAAAAAAA";
        let error = LegacyHash::parse(hash).unwrap_err().to_string();
        assert!(error.contains("p is not from 1 to 16777215"), "{error}");
        assert!(
            LegacyHash::from_template("argon2id$v=19,m=224,t=2,p=2126026890$c29tZXNhbHQ$32")
                .unwrap()
                .derive(b"x")
                .is_err()
        );
        let twice = "$argon2id$v=19$m=19456,t=2,t=3,p=1$c29tZXNhbHQ$AAAAAAAAAAAAAAAAAAAAAA";
        assert!(
            LegacyHash::parse(twice)
                .unwrap_err()
                .to_string()
                .contains("twice")
        );
    }

    #[test]
    fn templates_out_of_range_are_refused_or_bounded_not_run() {
        assert!(LegacyHash::from_template("pbkdf2-sha256$0$c2FsdHNhbHQ$32").is_err());
        // Found by the fuzz target: an `ln` past 63 shifted out of range.
        assert!(LegacyHash::from_template("scrypt$ln=142,r=8,p=1$c2FsdHNhbHQ$32").is_err());
        let long = LegacyHash::from_template("pbkdf2-sha256$1000$c2FsdHNhbHQ$128").unwrap();
        assert!(
            long.check_bounds().is_err(),
            "four PBKDF2 runs for one check"
        );
        let huge =
            LegacyHash::from_template("scrypt$ln=63,r=4294967295,p=4294967295$c2FsdHNhbHQ$32")
                .unwrap();
        assert!(huge.check_bounds().is_err());
        // No overflow on the way to the answer.
        let _ = huge.is_weak();
        let bcrypt = LegacyHash::from_template("bcrypt$99$c2FsdHNhbHQ$31").unwrap();
        assert!(bcrypt.check_bounds().is_err() && bcrypt.derive(b"x").is_err());
    }

    #[test]
    fn malformed_and_unsupported_hashes_are_named() {
        for (hash, expected) in [
            ("plaintext", "not in a supported format"),
            (
                "$1$saltsalt$abcdefghijklmnopqrstuv",
                "not in a supported format",
            ),
            (
                "$2b$4$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW",
                "two digits",
            ),
            ("$2b$05$CCCC", "53 characters"),
            ("$6$rounds=10$salt$x", "rounds are not"),
            ("$6$salt$tooshort", "86 crypt characters"),
            ("{SSHA}not base64!", "not base64"),
            ("{SSHA}AAAA", "wrong length"),
            ("pbkdf2_sha256$x$salt$AAAA", "positive number"),
            (
                "$pbkdf2-sha256$i=1000,l=99$c2FsdHNhbHQ$AAAAAAAAAAAAAAAAAAAAAA",
                "`l`",
            ),
            (
                "$pbkdf2-sha256$i=1000,z=1$c2FsdHNhbHQ$AAAAAAAAAAAAAAAAAAAAAA",
                "unknown parameter",
            ),
            (
                "$scrypt$ln=0,r=8,p=1$c2FsdHNhbHQ$AAAAAAAAAAAAAAAAAAAAAA",
                "`ln`",
            ),
            (
                "$argon2id$v=19$m=4,t=1,p=1$c2FsdHNhbHQ$AAAAAAAAAAAAAAAAAAAAAA",
                "malformed argon2id",
            ),
        ] {
            let error = LegacyHash::parse(hash).unwrap_err().to_string();
            assert!(error.contains(expected), "{hash}: {error}");
            assert!(!error.contains(hash) || hash.len() < 12, "{error}");
        }
    }

    #[test]
    fn costs_beyond_the_bounds_are_refused_by_name() {
        let salt = "c29tZXNhbHRzb21lc2FsdA";
        let digest = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
        for (hash, expected) in [
            (
                "$2b$15$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW".to_owned(),
                "cost 15 is over 14",
            ),
            (
                format!("$pbkdf2-sha256$i=4000001${salt}${digest}"),
                "4000001 iterations",
            ),
            (
                format!("$scrypt$ln=19,r=8,p=1${salt}${digest}"),
                "512 MiB, over 256 MiB",
            ),
            (
                format!("$scrypt$ln=16,r=8,p=17${salt}${digest}"),
                "N·r·p",
            ),
            (
                format!("$argon2id$v=19$m=262145,t=2,p=1${salt}${digest}"),
                "m=262145",
            ),
            (
                "$6$rounds=2000001$salt$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1".to_owned(),
                "2000001 rounds",
            ),
        ] {
            let parsed = LegacyHash::parse(&hash).unwrap_or_else(|e| panic!("{hash}: {e}"));
            let error = parsed.check_bounds().unwrap_err().to_string();
            assert!(error.contains(expected), "{hash}: {error}");
        }
    }

    #[test]
    fn sha_crypt_bounds_the_password_length_by_its_rounds() {
        let hash = |rounds: u32| {
            LegacyHash::parse(&format!("$6$rounds={rounds}$saltsalt${}", "a".repeat(86))).unwrap()
        };
        // The default 5,000 rounds take any password up to the 4 KiB bound.
        assert!(hash(5_000).password_fits(4096));
        // 500,000 rounds: a few hundred bytes, more than the default policy's 128 characters
        // of ASCII.
        assert!(hash(500_000).password_fits(400));
        assert!(!hash(500_000).password_fits(4096));
        // At the ceiling, up to about 140 bytes.
        assert!(hash(bounds::SHA_CRYPT_CEILING).password_fits(140));
        assert!(!hash(bounds::SHA_CRYPT_CEILING).password_fits(200));
        // Other families' work does not grow with the password.
        let bcrypt =
            LegacyHash::parse("$2b$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy")
                .unwrap();
        assert!(bcrypt.password_fits(usize::MAX / 2));
    }

    #[test]
    fn weak_means_below_the_documented_floor() {
        let weak = |hash: &str| LegacyHash::parse(hash).unwrap().is_weak();
        assert!(weak(
            "$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW"
        ));
        assert!(!weak(
            "$2a$10$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW"
        ));
        assert!(weak(
            "{SSHA512}AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
        ));
        assert!(weak(
            "$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1"
        ));
        assert!(!weak(
            "$6$rounds=500000$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1"
        ));
        let salt = "c29tZXNhbHRzb21lc2FsdA";
        let digest = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
        assert!(weak(&format!(
            "$argon2id$v=19$m=4096,t=3,p=1${salt}${digest}"
        )));
        assert!(!weak(&format!(
            "$argon2id$v=19$m=19456,t=2,p=1${salt}${digest}"
        )));
        assert!(weak(&format!("$scrypt$ln=14,r=8,p=1${salt}${digest}")));
        assert!(!weak(&format!("$scrypt$ln=17,r=8,p=1${salt}${digest}")));
        assert!(weak(&format!("$pbkdf2-sha512$i=100000${salt}${digest}")));
    }
}
