use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Argon2, Params, Version};
use tokio::sync::OnceCell;

use super::Password;
use super::imported::{self, ImportedHash, Stored};
use super::legacy::HashError;
use super::params::HashParams;

/// The outcome of checking a password against a stored hash.
#[derive(Debug, PartialEq, Eq)]
pub enum Verification {
    Mismatch,
    /// The password is right; `rehash` is a new hash when the stored one was made with other
    /// parameters (or another algorithm), to be saved in its place.
    Match {
        rehash: Option<String>,
    },
}

/// Hashes and verifies passwords with argon2id. Each hash runs on a blocking thread, so the
/// async runtime keeps serving while the CPU works.
#[derive(Debug)]
pub struct Passwords {
    params: HashParams,
    argon2: Arc<Argon2<'static>>,
    /// A hash of a random password, verified against when there is no real hash to check,
    /// so that a missing profile costs the same time as a wrong password.
    dummy: OnceCell<String>,
    verifications: AtomicU64,
}

impl Passwords {
    pub fn new(params: HashParams) -> Result<Self, String> {
        params.check()?;
        Ok(Self {
            argon2: Arc::new(params.argon2()?),
            params,
            dummy: OnceCell::new(),
            verifications: AtomicU64::new(0),
        })
    }

    pub fn params(&self) -> HashParams {
        self.params
    }

    /// How many argon2 verifications (real or dummy) this instance has run.
    pub fn verifications(&self) -> u64 {
        self.verifications.load(Ordering::Relaxed)
    }

    /// A PHC string (`$argon2id$v=19$m=…,t=…,p=…$salt$hash`) with a fresh random salt.
    pub async fn hash(&self, password: &Password) -> Result<String, String> {
        let argon2 = Arc::clone(&self.argon2);
        let password = password.clone();
        tokio::task::spawn_blocking(move || hash_with(&argon2, &password))
            .await
            .map_err(|e| format!("hashing task failed: {e}"))?
    }

    pub async fn verify(&self, password: &Password, phc: &str) -> Result<Verification, String> {
        self.verifications.fetch_add(1, Ordering::Relaxed);
        let argon2 = Arc::clone(&self.argon2);
        let params = self.params;
        let password = password.clone();
        let phc = phc.to_owned();
        tokio::task::spawn_blocking(move || verify_stored(&argon2, params, &password, &phc))
            .await
            .map_err(|e| format!("verification task failed: {e}"))?
    }

    /// Checks an imported `password_hash` (format, DoS bounds) and wraps it in argon2id at this
    /// instance's parameters when it is weaker than the documented bar (docs/passwords.md).
    pub async fn prepare_import(&self, hash: &str) -> Result<ImportedHash, HashError> {
        let argon2 = Arc::clone(&self.argon2);
        let hash = hash.to_owned();
        tokio::task::spawn_blocking(move || imported::prepare(&hash, &argon2))
            .await
            .map_err(|e| HashError::Malformed {
                scheme: "any",
                what: format!("task failed: {e}"),
            })?
    }

    /// Spends the time of one verification without a real hash to check against. The password
    /// checked is the dummy's own: argon2's time does not depend on it.
    pub async fn verify_dummy(&self) -> Result<(), String> {
        let dummy = self
            .dummy
            .get_or_try_init(|| async {
                let random: String = {
                    use rand::Rng;
                    let mut rng = rand::rng();
                    (0..32)
                        .map(|_| rng.sample(rand::distr::Alphanumeric) as char)
                        .collect()
                };
                self.hash(&Password::new(&random)).await
            })
            .await?;
        self.verify(&Password::new("not the dummy's password"), dummy)
            .await
            .map(|_| ())
    }
}

/// Verifies `password` against a stored hash of any kind [`Stored`] tells apart. A right
/// password on anything but argon2id at `params` comes back with its replacement.
fn verify_stored(
    argon2: &Argon2<'static>,
    params: HashParams,
    password: &Password,
    stored: &str,
) -> Result<Verification, String> {
    let bytes = password.expose().as_bytes();
    let stored_kind = Stored::parse(stored)?;
    if !stored_kind.password_fits(bytes.len()) {
        // Refused unverified, after the work of a normal verification: a wrong password, as
        // far as anyone can tell.
        hash_with(argon2, password)?;
        return Ok(Verification::Mismatch);
    }
    let matched = match stored_kind {
        Stored::Argon2 => {
            let parsed =
                PasswordHash::new(stored).map_err(|e| format!("stored hash unreadable: {e}"))?;
            verifiable(&parsed)?;
            // Verification uses the parameters recorded in the stored hash.
            if Argon2::default().verify_password(bytes, &parsed).is_err() {
                return Ok(Verification::Mismatch);
            }
            if matches_params(&parsed, params) {
                return Ok(Verification::Match { rehash: None });
            }
            true
        }
        Stored::Wrapped { inner, outer } => imported::verify_wrapped(&inner, &outer, bytes)?,
        Stored::Legacy(legacy) => {
            legacy.check_bounds().map_err(|e| e.to_string())?;
            legacy.matches(bytes)?
        }
    };
    if !matched {
        return Ok(Verification::Mismatch);
    }
    Ok(Verification::Match {
        rehash: Some(hash_with(argon2, password)?),
    })
}

fn hash_with(argon2: &Argon2<'static>, password: &Password) -> Result<String, String> {
    let salt = SaltString::generate(&mut OsRng);
    argon2
        .hash_password(password.expose().as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|e| format!("hashing failed: {e}"))
}

/// Whether a stored hash may be run at all: an argon2 variant (anything else is an internal
/// error, never a silent mismatch that would look like a wrong password), with parameters
/// within [`HashParams::MAXIMUM`]. The lower bounds are argon2's own (checked by `Params`);
/// a weak stored hash still verifies, and is replaced on that login.
fn verifiable(hash: &PasswordHash<'_>) -> Result<(), String> {
    let algorithm = hash.algorithm.as_str();
    if !matches!(algorithm, "argon2id" | "argon2i" | "argon2d") {
        return Err(format!(
            "stored hash of an unsupported algorithm `{algorithm}`"
        ));
    }
    let params = Params::try_from(hash).map_err(|e| format!("stored hash parameters: {e}"))?;
    let stored = HashParams {
        memory_kib: params.m_cost(),
        iterations: params.t_cost(),
        parallelism: params.p_cost(),
    };
    if !stored.within_maximum() {
        return Err(format!(
            "stored hash parameters {stored:?} exceed the maximum {:?}; not verified",
            HashParams::MAXIMUM
        ));
    }
    Ok(())
}

fn matches_params(hash: &PasswordHash<'_>, wanted: HashParams) -> bool {
    let Ok(params) = Params::try_from(hash) else {
        return false;
    };
    hash.algorithm.as_str() == "argon2id"
        && hash.version == Some(Version::V0x13.into())
        && params.m_cost() == wanted.memory_kib
        && params.t_cost() == wanted.iterations
        && params.p_cost() == wanted.parallelism
}

#[cfg(test)]
mod tests {
    use super::*;

    fn passwords(memory_kib: u32) -> Passwords {
        Passwords::new(HashParams {
            memory_kib,
            ..HashParams::OWASP_MINIMUM
        })
        .unwrap()
    }

    #[tokio::test]
    async fn hashes_are_argon2id_phc_strings_that_verify() {
        let p = passwords(19 * 1024);
        let password = Password::new("correct horse battery staple");
        let phc = p.hash(&password).await.unwrap();
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");
        assert!(!phc.contains("correct"));
        assert_eq!(
            p.verify(&password, &phc).await.unwrap(),
            Verification::Match { rehash: None }
        );
        assert_eq!(
            p.verify(&Password::new("wrong"), &phc).await.unwrap(),
            Verification::Mismatch
        );
        // A fresh salt each time.
        assert_ne!(phc, p.hash(&password).await.unwrap());
    }

    #[tokio::test]
    async fn a_hash_made_with_other_parameters_is_upgraded_on_match() {
        let old = passwords(19 * 1024);
        let new = passwords(24 * 1024);
        let password = Password::new("correct horse battery staple");
        let phc = old.hash(&password).await.unwrap();
        let Verification::Match {
            rehash: Some(upgraded),
        } = new.verify(&password, &phc).await.unwrap()
        else {
            panic!("expected a rehash");
        };
        assert!(upgraded.starts_with("$argon2id$v=19$m=24576,t=2,p=1$"));
        assert_eq!(
            new.verify(&password, &upgraded).await.unwrap(),
            Verification::Match { rehash: None }
        );
    }

    #[tokio::test]
    async fn the_dummy_path_runs_a_real_verification() {
        let p = passwords(19 * 1024);
        p.verify_dummy().await.unwrap();
        p.verify_dummy().await.unwrap();
        assert_eq!(p.verifications(), 2);
    }

    #[tokio::test]
    async fn stored_hashes_beyond_the_bounds_or_of_another_algorithm_are_errors_not_mismatches() {
        let p = passwords(19 * 1024);
        let password = Password::new("correct horse battery staple");
        let salt_and_hash = "c29tZXNhbHRzb21lc2FsdA$9sTbSlTio3Biev89thdrlKKiCaYsjjYVJxGAL3swxpQ";
        for stored in [
            // 4 GiB, 100 passes, 64 lanes: each would be run as written without the bound.
            format!("$argon2id$v=19$m=4194304,t=2,p=1${salt_and_hash}"),
            format!("$argon2id$v=19$m=19456,t=100,p=1${salt_and_hash}"),
            format!("$argon2id$v=19$m=262144,t=2,p=64${salt_and_hash}"),
            // Other families beyond their bounds, and one not supported at all.
            "$pbkdf2-sha256$i=6000000,l=32$c29tZXNhbHQ$3qk2iSrH7bCxd0d+7OeAcXUXtwvFfSoTy6o5i9dSu2c"
                .to_owned(),
            "$scrypt$ln=20,r=8,p=1$c29tZXNhbHQ$3qk2iSrH7bCxd0d+7OeAcXUXtwvFfSoTy6o5i9dSu2c"
                .to_owned(),
            "$md5$rounds=1000$c29tZXNhbHQ$3qk2iSrH7bCxd0d".to_owned(),
        ] {
            let answer = p.verify(&password, &stored).await;
            assert!(answer.is_err(), "{stored}: {answer:?}");
        }
        // Within the bounds, an argon2i hash is verified (and would be upgraded on a match).
        let argon2i = format!("$argon2i$v=19$m=19456,t=2,p=1${salt_and_hash}");
        assert_eq!(
            p.verify(&password, &argon2i).await,
            Ok(Verification::Mismatch)
        );
    }

    #[test]
    fn refuses_parameters_above_the_maximum() {
        let max = HashParams::MAXIMUM;
        assert!(max.check().is_ok());
        for too_much in [
            HashParams {
                memory_kib: max.memory_kib + 1,
                ..max
            },
            HashParams {
                iterations: max.iterations + 1,
                ..max
            },
            HashParams {
                parallelism: max.parallelism + 1,
                ..max
            },
        ] {
            assert!(too_much.check().is_err(), "{too_much:?}");
        }
    }

    #[test]
    fn refuses_parameters_below_the_owasp_minimum() {
        let with = |memory_kib, iterations| HashParams {
            memory_kib,
            iterations,
            parallelism: 1,
        };
        assert!(with(4096, 2).check().is_err());
        assert!(with(19 * 1024, 1).check().is_err());
        assert!(with(46 * 1024, 1).check().is_ok());
        assert!(with(12 * 1024, 3).check().is_ok());
        assert!(with(64 * 1024, 3).check().is_ok());
    }
}
