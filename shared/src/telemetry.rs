//! Structured JSON logs. Each line carries the Lambda request id through the span the runtime
//! opens for every invocation (`requestId`).
//!
//! Nothing in this crate logs request bodies, headers or items, so passwords, hashes and tokens
//! cannot reach a log line; causes logged on errors come from DynamoDB and HTTP clients.

use tracing_subscriber::EnvFilter;

pub fn init() {
    let filter = EnvFilter::try_from_env("RUST_LOG")
        .or_else(|_| {
            let level = std::env::var("AWS_LAMBDA_LOG_LEVEL").unwrap_or_else(|_| "info".into());
            EnvFilter::try_new(format!(
                "{},aws_smithy_runtime=warn,aws_config=warn,hyper=warn,rustls=warn",
                level.to_lowercase()
            ))
        })
        .unwrap_or_else(|_| EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .json()
        .with_env_filter(filter)
        .with_current_span(true)
        .with_span_list(false)
        .flatten_event(true)
        .with_target(false)
        .with_ansi(false)
        .try_init();
}
