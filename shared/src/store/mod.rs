//! DynamoDB persistence. One client per cold start, shared by every invocation.
//!
//! Data model (one table for profiles, one for company configurations):
//! - profile item: `pk = company#{company}#profile#{uuid}`;
//! - identifier item: `pk = company#{company}#identifier#{set}#{len}:{value}...`, holding the
//!   profile's uuid and, when it has one, its e-mail (profile fields are immutable). Identifier
//!   items are written in the same transaction as the profile with `attribute_not_exists(pk)`,
//!   which is what makes identifiers unique under concurrency.
//! - password-change token (tokens table): `pk = company#{company}#password-token#{uuid}`, one
//!   per profile, so a new request replaces (supersedes) the previous token.

mod attributes;
mod client;
mod companies;
mod conflict;
mod credentials;
mod error;
pub mod keys;
mod profiles;
mod tokens;

pub use client::{Tables, dynamodb_client, with_bounds};
pub use credentials::{IdentifierOwner, LoginRecord, SetPassword, StatusChange, now_ms};
pub use error::StoreError;
pub use profiles::{CreateOutcome, NewProfile};
pub use tokens::{ChangeOutcome, IssueOutcome, TokenCheck};

use aws_sdk_dynamodb::Client;

/// The profile and company tables.
#[derive(Debug, Clone)]
pub struct Store {
    client: Client,
    tables: Tables,
}

impl Store {
    pub fn new(client: Client, tables: Tables) -> Self {
        Self { client, tables }
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    pub fn tables(&self) -> &Tables {
        &self.tables
    }
}
