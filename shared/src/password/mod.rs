//! Passwords: the secret type, argon2id hashing on blocking threads, and the company policy.

mod hasher;
mod policy;
mod secret;

pub use hasher::{HashParams, Passwords, Verification};
pub use policy::check as check_policy;
pub use secret::Password;
