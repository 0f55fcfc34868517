//! The configuration every AWS SDK client of the process starts from.
//!
//! Lambda hands a function its credentials and region as environment variables. The SDK's
//! default chains would find them there too, but only after building every other provider
//! they might have needed (an STS client for web identity, IMDS, SSO, profile files): 11 % of a
//! cold start in a `perf` profile of show-profile's init (docs/benchmarks.md). When the
//! environment has them, they are set directly; anywhere else (a laptop with a profile or SSO)
//! the default chains run as usual.

use aws_config::environment::credentials::EnvironmentVariableCredentialsProvider;
use aws_config::{BehaviorVersion, ConfigLoader, Region};

/// A loader with the process's HTTPS client and, when the environment carries them, the
/// environment's credentials and region. Endpoint overrides (`AWS_ENDPOINT_URL…`) and the
/// rest of the SDK's settings still come from the loader.
pub fn config_loader() -> ConfigLoader {
    let loader =
        aws_config::defaults(BehaviorVersion::latest()).http_client(crate::tls::sdk_https_client());
    let loader = match env_region() {
        Some(region) => loader.region(Region::new(region)),
        None => loader,
    };
    if env_has_credentials() {
        loader.credentials_provider(EnvironmentVariableCredentialsProvider::new())
    } else {
        loader
    }
}

pub(crate) fn non_empty(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

fn env_region() -> Option<String> {
    non_empty("AWS_REGION").or_else(|| non_empty("AWS_DEFAULT_REGION"))
}

fn env_has_credentials() -> bool {
    non_empty("AWS_ACCESS_KEY_ID").is_some() && non_empty("AWS_SECRET_ACCESS_KEY").is_some()
}
