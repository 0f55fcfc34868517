//! The shared crate of the identity provider: domain types, validation, envelopes, the
//! DynamoDB store, access-token verification and the endpoint handlers. Each Lambda function
//! is a thin binary that calls [`serve`] with one handler from [`endpoints`].

pub mod app;
pub mod audit;
pub mod auth;
pub mod clock;
pub mod company;
pub mod cursor;
pub mod domain;
pub mod endpoints;
pub mod envelope;
pub mod error;
pub mod json_body;
pub mod mail;
pub mod pagination;
pub mod password;
pub mod profile;
pub mod request;
pub mod resource;
pub mod routes;
pub mod rules;
pub mod sdk;
pub mod secret_material;
pub mod store;
pub mod telemetry;
pub mod tls;
pub mod two_factor;

pub use app::{App, serve};
pub use error::ApiError;
pub use resource::Resource;

// mimalloc for every binary built on this crate (the functions, their tests, the benchmarks).
// argon2 takes 19 MiB per hash: glibc maps and unmaps it every time (page faults, and the
// kernel zeroing each page), where mimalloc keeps it, in transparent huge pages where the
// kernel allows them, for the next hash. A request is also hundreds of small allocations, in
// our code and in the SDK's. It costs about 0.5 ms more init, once per instance; the figures
// are in docs/benchmarks-notes.md.
#[cfg(feature = "mimalloc")]
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
