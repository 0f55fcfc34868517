//! Structured JSON logs. Each line carries the Lambda request id through the span the runtime
//! opens for every invocation (`requestId`).
//!
//! Nothing in this crate logs request bodies, headers or items, so passwords, hashes and tokens
//! cannot reach a log line; causes logged on errors come from DynamoDB and HTTP clients.

use std::str::FromStr;

use tracing_subscriber::filter::Targets;

/// Quiet by default for the SDK's and the HTTP stack's chatter.
const DEFAULT_DIRECTIVES: &str = "aws_smithy_runtime=warn,aws_config=warn,hyper=warn,rustls=warn";

/// `RUST_LOG` if set (directives `level` or `target=level`, comma-separated), else the level
/// Lambda's advanced logging controls pass in `AWS_LAMBDA_LOG_LEVEL`, else `info`. A `Targets`
/// filter rather than an `EnvFilter`: the same directives minus span and field matching, and
/// without a regex engine in every binary (about 0.7 MB of code; docs/benchmarks.md).
fn filter() -> Targets {
    let configured = std::env::var("RUST_LOG")
        .ok()
        .filter(|v| !v.trim().is_empty());
    let directives = configured.unwrap_or_else(|| {
        let level = std::env::var("AWS_LAMBDA_LOG_LEVEL").unwrap_or_else(|_| "info".into());
        format!("{},{DEFAULT_DIRECTIVES}", level.to_lowercase())
    });
    Targets::from_str(&directives)
        .or_else(|_| Targets::from_str(&format!("info,{DEFAULT_DIRECTIVES}")))
        .unwrap_or_default()
}

/// JSON lines on stdout, which Lambda sends to CloudWatch.
pub fn init() {
    init_writing_to(std::io::stdout);
}

/// The same logs to another writer (a benchmark logs to a sink, with production's cost).
pub fn init_writing_to<W>(writer: W)
where
    W: for<'w> tracing_subscriber::fmt::MakeWriter<'w> + Send + Sync + 'static,
{
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;

    let format = tracing_subscriber::fmt::layer()
        .json()
        .with_current_span(true)
        .with_span_list(false)
        .flatten_event(true)
        .with_target(false)
        .with_ansi(false)
        .with_writer(writer);
    let _ = tracing_subscriber::registry()
        .with(format)
        .with(filter())
        .try_init();
}
