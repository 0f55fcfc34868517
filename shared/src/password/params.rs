//! argon2id cost parameters: what this service hashes with, the OWASP floor it refuses to go
//! under, and the ceiling no stored hash may ask for. A module of its own, so that the hasher
//! and the parsers of other systems' hashes both read it without reading each other.

use argon2::{Algorithm, Argon2, Params, Version};

/// argon2id cost parameters. The floor is OWASP's minimum: one of its five equivalent
/// settings (46 MiB t=1, 19 MiB t=2, 12 MiB t=3, 9 MiB t=4, 7 MiB t=5; p=1) or more of both.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HashParams {
    pub memory_kib: u32,
    pub iterations: u32,
    pub parallelism: u32,
}

impl HashParams {
    pub const OWASP_MINIMUM: Self = Self {
        memory_kib: 19 * 1024,
        iterations: 2,
        parallelism: 1,
    };

    /// `ARGON2_MEMORY_KIB`, `ARGON2_ITERATIONS`, `ARGON2_PARALLELISM`; defaults to the OWASP
    /// minimum, and refuses anything weaker.
    pub fn from_env() -> Result<Self, String> {
        let read = |name: &str, default: u32| -> Result<u32, String> {
            match std::env::var(name) {
                Ok(v) if !v.is_empty() => v
                    .parse()
                    .map_err(|_| format!("{name} must be a positive integer")),
                _ => Ok(default),
            }
        };
        let min = Self::OWASP_MINIMUM;
        let params = Self {
            memory_kib: read("ARGON2_MEMORY_KIB", min.memory_kib)?,
            iterations: read("ARGON2_ITERATIONS", min.iterations)?,
            parallelism: read("ARGON2_PARALLELISM", min.parallelism)?,
        };
        params.check()?;
        Ok(params)
    }

    /// OWASP's equivalent minimum settings for argon2id, as (memory KiB, iterations).
    const OWASP_SETTINGS: [(u32, u32); 5] = [
        (46 * 1024, 1),
        (19 * 1024, 2),
        (12 * 1024, 3),
        (9 * 1024, 4),
        (7 * 1024, 5),
    ];

    /// The most any hash this service makes or verifies may ask for. One verification at the
    /// bound is 256 MiB × 16 passes, about a hundred times the OWASP minimum: a stored hash
    /// beyond it (corrupted, planted or imported) is never run, so one login cannot take the
    /// function's whole memory or minutes of CPU.
    pub const MAXIMUM: Self = Self {
        memory_kib: 256 * 1024,
        iterations: 16,
        parallelism: 16,
    };

    pub fn check(&self) -> Result<(), String> {
        let strong_enough = self.parallelism >= 1
            && Self::OWASP_SETTINGS
                .iter()
                .any(|(m, t)| self.memory_kib >= *m && self.iterations >= *t);
        if !strong_enough {
            return Err(format!(
                "argon2id parameters {self:?} are below every OWASP minimum setting"
            ));
        }
        if !self.within_maximum() {
            return Err(format!(
                "argon2id parameters {self:?} exceed the maximum {:?}",
                Self::MAXIMUM
            ));
        }
        Ok(())
    }

    pub(super) fn within_maximum(&self) -> bool {
        let max = Self::MAXIMUM;
        self.memory_kib <= max.memory_kib
            && self.iterations <= max.iterations
            && self.parallelism <= max.parallelism
    }

    pub(super) fn argon2(&self) -> Result<Argon2<'static>, String> {
        let params = Params::new(self.memory_kib, self.iterations, self.parallelism, None)
            .map_err(|e| format!("argon2 parameters: {e}"))?;
        Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
    }
}
