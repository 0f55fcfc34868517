//! The rules of profiles, free of HTTP: what a registration, a change or an imported line
//! must satisfy under its company's configuration, with the contract's sentences. The
//! handlers (`endpoints/`) parse a request, call a rule, then the store, and wrap the answer;
//! `idp-admin` calls the same rules. Password rules (policy, hashing, imported hashes) live in
//! [`crate::password`], value rules in [`crate::domain`].

pub mod import_line;
pub mod registration;
