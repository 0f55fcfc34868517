//! Structured JSON logs. Each line carries the Lambda request id through the span the runtime
//! opens for every invocation (`requestId`).
//!
//! Nothing in this crate logs request bodies, headers or items, so passwords, hashes and tokens
//! cannot reach a log line; causes logged on errors come from DynamoDB and HTTP clients.
//! Other crates are not so careful at their verbose levels (the Lambda runtime logs each raw
//! event at trace, the SDK its requests and responses): whatever `RUST_LOG` or
//! `AWS_LAMBDA_LOG_LEVEL` say, only this project's own targets log below `info`.

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

/// The crates whose debug and trace lines are this project's own, and known to log no secret.
const OWN_TARGETS: [&str; 2] = ["idp_core", "idp_admin"];

/// Whether a span or event may be logged at all: any of this project's own, and only `info`
/// or quieter from every other crate (`Level`s compare more verbose as greater).
fn never_verbose_elsewhere(meta: &tracing::Metadata<'_>) -> bool {
    *meta.level() <= tracing::Level::INFO
        || OWN_TARGETS.iter().any(|own| {
            meta.target()
                .strip_prefix(own)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with("::"))
        })
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
        .with(tracing_subscriber::filter::filter_fn(
            never_verbose_elsewhere,
        ))
        .try_init();
}

#[cfg(test)]
mod tests {
    use super::*;
    use tracing::Level;

    fn allowed(target: &'static str, level: Level) -> bool {
        let meta = metadata(target, level);
        never_verbose_elsewhere(meta)
    }

    /// A static `Metadata` for a target and level (what the macros build at compile time).
    fn metadata(target: &'static str, level: Level) -> &'static tracing::Metadata<'static> {
        struct Callsite;
        impl tracing::callsite::Callsite for Callsite {
            fn set_interest(&self, _: tracing::subscriber::Interest) {}
            fn metadata(&self) -> &tracing::Metadata<'_> {
                unreachable!("not registered")
            }
        }
        static CALLSITE: Callsite = Callsite;
        Box::leak(Box::new(tracing::Metadata::new(
            "event",
            target,
            level,
            None,
            None,
            None,
            tracing::field::FieldSet::new(&[], tracing::callsite::Identifier(&CALLSITE)),
            tracing::metadata::Kind::EVENT,
        )))
    }

    #[test]
    fn other_crates_never_log_below_info() {
        for target in [
            "lambda_runtime",
            "lambda_http",
            "aws_smithy_runtime",
            "hyper",
            "h2",
        ] {
            assert!(allowed(target, Level::INFO), "{target}");
            assert!(allowed(target, Level::WARN), "{target}");
            assert!(!allowed(target, Level::DEBUG), "{target}");
            assert!(!allowed(target, Level::TRACE), "{target}");
        }
        assert!(!allowed("idp_core_lookalike", Level::TRACE));
        assert!(allowed("idp_core", Level::TRACE));
        assert!(allowed("idp_core::store::client", Level::DEBUG));
    }
}
