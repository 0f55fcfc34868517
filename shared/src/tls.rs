//! TLS for every outgoing connection (DynamoDB, SES, the token server, a JWKS URL): rustls
//! with the `ring` provider. aws-lc-rs, the SDK's default, made each function 0.8–0.9 MB bigger
//! for nothing these connections need (docs/benchmarks.md, binary sizes).
//!
//! The AWS SDK clients trust only Amazon Trust Services' roots, compiled in, when they talk to
//! AWS's own endpoints: every AWS endpoint's certificate chains to one of them. Loading the
//! system store instead read and parsed some 290 files on every cold start (3.6 ms of a 6.7 ms
//! init, docs/benchmarks.md), and trusting ~150 CAs for DynamoDB traffic that only one CA
//! signs is a wider door than an identity provider needs. An endpoint override to an `https:`
//! URL (`AWS_ENDPOINT_URL…`: a proxy, LocalStack with TLS) or a China region, whose endpoints
//! other CAs sign, adds the system store back.

use aws_smithy_http_client::tls::{self, TlsContext, TrustStore, rustls_provider::CryptoMode};
use aws_smithy_runtime_api::client::http::SharedHttpClient;

/// Amazon Root CA 1–4 and the Starfield Services root that cross-signs them.
const AMAZON_TRUST_SERVICES: &[u8] = include_bytes!("../certs/amazon-trust-services.pem");

/// Which roots the SDK clients trust.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SdkRoots {
    /// AWS endpoints only: Amazon Trust Services, compiled in.
    Amazon,
    /// Amazon Trust Services and the system store (an endpoint override, a China region).
    AmazonAndSystem,
}

impl SdkRoots {
    /// From the process environment, as the SDK itself reads it.
    pub fn from_env() -> Self {
        // A plain-HTTP override (DynamoDB Local) needs no roots at all.
        let overridden = std::env::vars().any(|(name, value)| {
            name.starts_with("AWS_ENDPOINT_URL") && value.trim_start().starts_with("https:")
        });
        let region = std::env::var("AWS_REGION").or_else(|_| std::env::var("AWS_DEFAULT_REGION"));
        Self::decide(overridden, region.ok().as_deref())
    }

    fn decide(endpoint_overridden: bool, region: Option<&str>) -> Self {
        if endpoint_overridden || region.is_some_and(|r| r.starts_with("cn-")) {
            Self::AmazonAndSystem
        } else {
            Self::Amazon
        }
    }

    fn trust_store(self) -> TrustStore {
        TrustStore::empty()
            .with_native_roots(self == Self::AmazonAndSystem)
            .with_pem_certificate(AMAZON_TRUST_SERVICES)
    }
}

/// The HTTPS client every AWS SDK client of the process uses.
pub fn sdk_https_client() -> SharedHttpClient {
    let context = TlsContext::builder()
        .with_trust_store(SdkRoots::from_env().trust_store())
        .build();
    aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(CryptoMode::Ring))
        // Infallible: the builder only stores what it is given.
        .tls_context(context.unwrap_or_default())
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

    #[test]
    fn the_compiled_in_roots_are_amazon_trust_services() {
        use rustls::pki_types::{CertificateDer, pem::PemObject};
        let certs: Vec<_> = CertificateDer::pem_slice_iter(AMAZON_TRUST_SERVICES)
            .collect::<Result<_, _>>()
            .unwrap();
        // The SDK panics on a root it cannot parse: all five must be good trust anchors.
        let mut roots = rustls::RootCertStore::empty();
        assert_eq!(roots.add_parsable_certificates(certs), (5, 0));
    }

    #[test]
    fn aws_endpoints_get_amazon_roots_only_and_the_rest_the_system_store_too() {
        assert_eq!(SdkRoots::decide(false, Some("eu-west-1")), SdkRoots::Amazon);
        assert_eq!(
            SdkRoots::decide(false, Some("us-gov-west-1")),
            SdkRoots::Amazon
        );
        assert_eq!(SdkRoots::decide(false, None), SdkRoots::Amazon);
        assert_eq!(
            SdkRoots::decide(true, Some("eu-west-1")),
            SdkRoots::AmazonAndSystem
        );
        assert_eq!(
            SdkRoots::decide(false, Some("cn-north-1")),
            SdkRoots::AmazonAndSystem
        );
    }
}
