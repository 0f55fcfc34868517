use std::time::Duration;

use aws_config::BehaviorVersion;
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_sdk_dynamodb::Client;

/// Table names, from the environment the template (or the local stack) sets.
#[derive(Debug, Clone)]
pub struct Tables {
    pub profiles: String,
    pub companies: String,
    /// Password-change tokens (with TTL on `expires_at`).
    pub tokens: String,
}

impl Tables {
    pub fn from_env() -> Result<Self, String> {
        Ok(Self {
            profiles: required_env("PROFILES_TABLE")?,
            companies: required_env("COMPANIES_TABLE")?,
            tokens: required_env("TOKENS_TABLE")?,
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
    let config = aws_config::defaults(BehaviorVersion::latest())
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(Duration::from_secs(1))
                .operation_attempt_timeout(Duration::from_secs(2))
                .operation_timeout(Duration::from_secs(5))
                .build(),
        )
        .retry_config(RetryConfig::standard().with_max_attempts(3))
        .load()
        .await;
    Client::new(&config)
}
