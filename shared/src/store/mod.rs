//! DynamoDB persistence. One client per cold start, shared by every invocation.
//!
//! Data model (docs/design.md has it whole, with its arithmetic): one table for everything of
//! the profiles, with generic keys `PK`/`SK` ([`keys`]), and one for company configurations.
//! - a profile's items share the partition `company#{company}#profile#{uuid}`: the profile
//!   (`SK = profile`), its credentials (`credential#password`), its pending password-change
//!   token (`token#password-change`) and, later, its audit trail (`audit#…`);
//! - an identifier reservation is an item of its own (`PK = company#{company}#identifier#…`),
//!   written in the same transaction as the profile with `attribute_not_exists(PK)`, which is
//!   what makes identifiers unique under concurrency;
//! - listing and search go through sparse, keys-only indexes on the profile item ([`index`]).

mod attributes;
mod client;
mod companies;
mod conflict;
mod credentials;
mod error;
mod events;
pub mod index;
mod keys;
mod lifecycle;
mod migration;
mod passkeys;
mod profiles;
mod search;
mod second_factor;
mod tokens;
mod transaction;

pub use client::{Tables, bulk_dynamodb_client, dynamodb_client, with_bounds};
pub use credentials::{
    Attempt, IdentifierOwner, LoginAfter, LoginEnd, LoginRecord, SetPassword, StatusChange,
};
pub use error::StoreError;
pub use events::{EVENT_SHARDS, EVENTS_INDEX, EventFilter, EventPage, StoredEvent};
pub use index::INDEXES;
pub use lifecycle::{EraseOutcome, UpdateOutcome, Versioned};
pub use migration::{
    EXPORT_PAGE, ExportedProfile, ImportOutcome, ShardPosition, export_shards, import_items,
};
pub use passkeys::PasskeyLogin;
pub use profiles::{CreateOutcome, NewProfile, new_profile_items};
pub use search::{
    EXAMINE_EXTRA, EXAMINE_PER_ENTRY, SearchCost, SearchPage, SearchQuery, examine_budget,
};
pub use second_factor::{CodeAttempt, FactorsRecord, SaveOutcome, SecondStep, Spend, SpendOutcome};
pub use tokens::{ChangeOutcome, IssueOutcome, TokenCheck};

use aws_sdk_dynamodb::Client;

use crate::clock::Clock;

/// The profile and company tables.
#[derive(Debug, Clone)]
pub struct Store {
    client: Client,
    tables: Tables,
    clock: Clock,
}

impl Store {
    /// On the system clock.
    pub fn new(client: Client, tables: Tables) -> Self {
        Self {
            client,
            tables,
            clock: Clock::system(),
        }
    }

    /// The same store on `clock` (a test's [`crate::clock::ManualClock`]).
    pub fn with_clock(self, clock: Clock) -> Self {
        Self { clock, ..self }
    }

    /// The time every decision of the store is taken at.
    pub fn clock(&self) -> &Clock {
        &self.clock
    }

    pub fn tables(&self) -> &Tables {
        &self.tables
    }
}
