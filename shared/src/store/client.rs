use std::time::Duration;

use aws_config::ConfigLoader;
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_sdk_dynamodb::Client;

use super::attributes::s;
use super::{Store, StoreError};

/// Table names, from the environment the template (or the local stack) sets: the profiles
/// table (profiles, reservations, credentials, tokens; TTL on `expires_at`) and the company
/// configurations.
#[derive(Debug, Clone)]
pub struct Tables {
    pub profiles: String,
    pub companies: String,
}

impl Tables {
    pub fn from_env() -> Result<Self, String> {
        Ok(Self {
            profiles: required_env("PROFILES_TABLE")?,
            companies: required_env("COMPANIES_TABLE")?,
        })
    }
}

fn required_env(name: &str) -> Result<String, String> {
    std::env::var(name)
        .ok()
        .filter(|v| !v.is_empty())
        .ok_or_else(|| format!("environment variable {name} is not set"))
}

/// A DynamoDB client with bounded timeouts, so a slow or absent DynamoDB turns into a 503
/// well inside the function timeout instead of a hang.
///
/// The endpoint follows the SDK's own settings: `AWS_ENDPOINT_URL_DYNAMODB` points it at
/// DynamoDB Local.
pub async fn dynamodb_client() -> Client {
    Client::new(&with_bounds(crate::sdk::config_loader()).load().await)
}

/// The timeouts and retries every DynamoDB client of the functions has: 1 s to connect, 2 s
/// per attempt, 5 s per operation, 3 attempts with the SDK's standard backoff.
pub fn with_bounds(loader: ConfigLoader) -> ConfigLoader {
    loader
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(Duration::from_secs(1))
                .operation_attempt_timeout(Duration::from_secs(2))
                .operation_timeout(Duration::from_secs(5))
                .build(),
        )
        .retry_config(RetryConfig::standard().with_max_attempts(3))
}

/// The client of the operator's bulk tools (`idp-admin import` and `export`): the SDK's
/// adaptive retry mode, which slows the client down when DynamoDB throttles (a token bucket
/// the throttling answers drain), so an import runs at the table's capacity instead of
/// failing at it; longer timeouts, as nobody waits on a single request.
pub async fn bulk_dynamodb_client() -> Client {
    let loader = crate::sdk::config_loader()
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(Duration::from_secs(3))
                .operation_attempt_timeout(Duration::from_secs(10))
                .operation_timeout(Duration::from_secs(60))
                .build(),
        )
        .retry_config(RetryConfig::adaptive().with_max_attempts(8));
    Client::new(&loader.load().await)
}

/// How long the warm-up may hold the init phase (Lambda allows 10 s for all of it).
const WARM_UP_BUDGET: Duration = Duration::from_secs(2);

/// A company id no configuration can have (company ids cannot contain `#`).
const WARM_UP_KEY: &str = "#warm-up";

impl Store {
    /// One cheap request while the function initialises, off the per-request path: it
    /// resolves the credentials and the endpoint and opens the TLS connection that the first
    /// invocation would otherwise pay for. A `GetItem` on the companies table (every
    /// function's role may read it, for this) for a key no item has: half a read unit, nothing
    /// read. One attempt,
    /// at most [`WARM_UP_BUDGET`]; a failure is only logged.
    pub async fn warm_up(&self) {
        let started = std::time::Instant::now();
        let request = self
            .client
            .get_item()
            .table_name(&self.tables.companies)
            .key("company_id", s(WARM_UP_KEY))
            .projection_expression("company_id")
            .customize()
            .config_override(
                aws_sdk_dynamodb::config::Config::builder()
                    .retry_config(RetryConfig::standard().with_max_attempts(1)),
            )
            .send();
        let elapsed_ms = || started.elapsed().as_millis() as u64;
        match tokio::time::timeout(WARM_UP_BUDGET, request).await {
            Ok(Ok(_)) => tracing::debug!(elapsed_ms = elapsed_ms(), "dynamodb client warmed up"),
            Ok(Err(err)) => {
                let cause = StoreError::from(err);
                tracing::warn!(
                    cause = %cause,
                    elapsed_ms = elapsed_ms(),
                    "dynamodb warm-up failed; continuing"
                );
            }
            Err(_) => tracing::warn!(
                elapsed_ms = elapsed_ms(),
                "dynamodb warm-up took too long; continuing"
            ),
        }
    }
}
