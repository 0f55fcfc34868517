//! Writes that race on one item: DynamoDB cancels a transaction (or a write meeting one) with
//! `TransactionConflict`, and the loser retries, since the winner's write decides whether the
//! loser's condition now fails.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// How many times a write cancelled by a conflict is tried again.
pub(super) const CONFLICT_RETRIES: u32 = 8;

/// Exponential backoff with jitter taken from the clock, so racing writers spread out.
pub(super) fn backoff(attempt: u32) -> Duration {
    let base = 10u64 << attempt.min(6);
    let jitter = u64::from(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0),
    ) % base;
    Duration::from_millis(base / 2 + jitter / 2)
}
