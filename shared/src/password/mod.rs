//! Passwords: the secret type, argon2id hashing on blocking threads, the company policy, and
//! the hashes of other systems that import takes in.

mod hasher;
mod imported;
pub mod legacy;
mod params;
mod policy;
mod secret;

pub use hasher::{Passwords, Verification};
pub use imported::{ImportedHash, WRAP_PREFIX};
pub use legacy::HashError;
pub use params::HashParams;
pub use policy::{check as check_policy, own_data};
pub use secret::{MAX_PASSWORD_BYTES, Password, TooLong};
