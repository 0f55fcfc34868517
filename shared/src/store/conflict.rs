//! Writes that race on one item: DynamoDB cancels a transaction (or a write meeting one) with
//! `TransactionConflict`, and the loser retries, since the winner's write decides whether the
//! loser's condition now fails.

use std::time::Duration;

use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::CancellationReason;

use super::StoreError;

/// How many times a write cancelled by a conflict is tried again.
const CONFLICT_RETRIES: u32 = 8;

/// Exponential backoff with random jitter, so racing writers spread out.
pub(super) fn backoff(attempt: u32) -> Duration {
    let base = 10u64 << attempt.min(6);
    let jitter = rand::random_range(0..base);
    Duration::from_millis(base / 2 + jitter / 2)
}

/// What one try of a write that may race came to.
pub(super) enum Try<T> {
    /// The write's answer, whatever it is (written, or refused by its condition).
    Done(T),
    /// Cancelled by a conflicting transaction: worth another try.
    Conflict,
}

/// Runs `write` until it is done, sleeping with backoff after each conflict, at most
/// `CONFLICT_RETRIES` times. A write still conflicting after that is `Unavailable` (a 503):
/// the same request later can succeed.
///
/// `write` is a closure returning a future (not an async closure), so that the futures of the
/// handlers stay `Send` for `tokio::spawn`.
pub(super) async fn retry_conflicts<T, F, Fut>(mut write: F) -> Result<T, StoreError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Try<T>, StoreError>>,
{
    for attempt in 0..=CONFLICT_RETRIES {
        if attempt > 0 {
            tokio::time::sleep(backoff(attempt)).await;
        }
        if let Try::Done(answer) = write().await? {
            return Ok(answer);
        }
    }
    Err(StoreError::Unavailable(format!(
        "a write still conflicted after {CONFLICT_RETRIES} retries"
    )))
}

/// The reasons of a cancelled transaction, one per item in the order of the items.
pub(super) fn cancellation_reasons<R>(
    err: &SdkError<TransactWriteItemsError, R>,
) -> Option<&[CancellationReason]> {
    match err.as_service_error() {
        Some(TransactWriteItemsError::TransactionCanceledException(e)) => {
            Some(e.cancellation_reasons())
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn retries_conflicts_then_gives_up_as_unavailable() {
        let mut tries = 0;
        let answer = retry_conflicts(|| {
            tries += 1;
            let now = tries;
            async move {
                Ok(if now < 3 {
                    Try::Conflict
                } else {
                    Try::Done(now)
                })
            }
        })
        .await;
        assert_eq!(answer.unwrap(), 3);

        let mut tries = 0;
        let answer: Result<(), _> = retry_conflicts(|| {
            tries += 1;
            async { Ok(Try::Conflict) }
        })
        .await;
        assert!(matches!(answer, Err(StoreError::Unavailable(_))));
        assert_eq!(tries, CONFLICT_RETRIES + 1);

        let answer: Result<(), _> =
            retry_conflicts(|| async { Err(StoreError::Failed("no".into())) }).await;
        assert!(
            matches!(answer, Err(StoreError::Failed(_))),
            "other errors are not retried"
        );
    }
}
