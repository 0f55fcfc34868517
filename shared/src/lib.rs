//! The shared crate of the identity provider: domain types, validation, envelopes, the
//! DynamoDB store, access-token verification and the endpoint handlers. Each Lambda function
//! is a thin binary that calls [`serve`] with one handler from [`endpoints`].

pub mod app;
pub mod auth;
pub mod company;
pub mod domain;
pub mod endpoints;
pub mod envelope;
pub mod error;
pub mod mail;
pub mod password;
pub mod profile;
pub mod request;
pub mod sdk;
pub mod store;
pub mod telemetry;
pub mod tls;

pub use app::{App, serve};
pub use envelope::Resource;
pub use error::ApiError;
