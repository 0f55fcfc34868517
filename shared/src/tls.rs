//! TLS for every outgoing connection (DynamoDB, SES, the token server, a JWKS URL): rustls
//! with the `ring` provider. aws-lc-rs, the SDK's default, made each function 0.8–0.9 MB bigger
//! for nothing these connections need (docs/benchmarks.md, binary sizes).

use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode};
use aws_smithy_runtime_api::client::http::SharedHttpClient;

/// The HTTPS client every AWS SDK client of the process uses.
pub fn sdk_https_client() -> SharedHttpClient {
    aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(CryptoMode::Ring))
        .build_https()
}

/// A `reqwest` builder whose TLS uses the same provider. reqwest is built without a provider
/// of its own, and needs the process default set before it builds a client.
pub fn reqwest_builder() -> reqwest::ClientBuilder {
    // Err only means a provider is already installed (by an earlier call): nothing to do.
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn clients_build_with_the_ring_provider() {
        // reqwest panics while building a client when no provider is installed.
        reqwest_builder().build().unwrap();
        assert!(rustls::crypto::CryptoProvider::get_default().is_some());
        let _ = sdk_https_client();
    }
}
