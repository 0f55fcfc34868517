use std::error::Error as StdError;

use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};

/// A store operation that failed for a reason the caller cannot fix.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// DynamoDB is unreachable, slow or throttling: worth retrying later.
    #[error("dynamodb unavailable: {0}")]
    Unavailable(String),
    /// Anything else DynamoDB answered.
    #[error("dynamodb failed: {0}")]
    Failed(String),
    /// An item that does not have the shape this code writes.
    #[error("malformed item: {0}")]
    Corrupt(String),
}

const RETRYABLE_CODES: [&str; 6] = [
    "ThrottlingException",
    "ProvisionedThroughputExceededException",
    "RequestLimitExceeded",
    "InternalServerError",
    "ServiceUnavailable",
    "LimitExceededException",
];

impl<E, R> From<SdkError<E, R>> for StoreError
where
    E: ProvideErrorMetadata + StdError + Send + Sync + 'static,
    R: std::fmt::Debug,
{
    fn from(err: SdkError<E, R>) -> Self {
        match &err {
            SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) => {
                Self::Unavailable(describe(&err))
            }
            SdkError::ServiceError(service) => {
                let code = service.err().code().unwrap_or("Unknown");
                if RETRYABLE_CODES.contains(&code) {
                    Self::Unavailable(describe(&err))
                } else {
                    Self::Failed(describe(&err))
                }
            }
            _ => Self::Failed(describe(&err)),
        }
    }
}

/// The error with its chain of sources, for the log.
fn describe(err: &dyn StdError) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
