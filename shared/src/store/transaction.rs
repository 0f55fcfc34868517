//! The one way this store runs a `TransactWriteItems`: conflicts retried with backoff, a
//! cancellation for capacity turned into `Unavailable` (a 503 for an API caller, a backoff for
//! import), a failed condition handed back with its per-item reasons for the caller to read.

use aws_sdk_dynamodb::types::{CancellationReason, TransactWriteItem};

use super::attributes::Item;
use super::conflict::{Try, cancellation_reasons, retry_conflicts};
use super::{Store, StoreError};

/// Cancellation reasons that mean "too fast": DynamoDB is unavailable for this moment.
const THROTTLED: [&str; 3] = [
    "ThrottlingError",
    "ProvisionedThroughputExceeded",
    "RequestLimitExceeded",
];

const CONDITION_FAILED: &str = "ConditionalCheckFailed";
const CONFLICT: &str = "TransactionConflict";

/// A transaction cancelled because at least one item's condition failed: nothing of it was
/// written. The reasons come one per item, in the order of the items.
#[derive(Debug, Clone)]
pub(super) struct Refused(Vec<CancellationReason>);

impl Refused {
    /// Whether the `i`th item's condition failed.
    pub(super) fn failed(&self, i: usize) -> bool {
        self.0.get(i).and_then(|r| r.code()) == Some(CONDITION_FAILED)
    }

    /// The item as it was when the `i`th item's condition failed (only for items written with
    /// `ReturnValuesOnConditionCheckFailure::AllOld`; `None` when there was no item).
    pub(super) fn old_item(&self, i: usize) -> Option<&Item> {
        self.0
            .get(i)
            .and_then(|r| r.item())
            .filter(|item| !item.is_empty())
    }
}

/// What one classified cancellation calls for.
enum Cancelled {
    Refused(Refused),
    Conflict,
    Throttled,
    Other,
}

fn classify(reasons: &[CancellationReason]) -> Cancelled {
    let has = |code: &str| reasons.iter().any(|r| r.code() == Some(code));
    // A failed condition decides the answer whatever else the other items met: retrying
    // cannot make that condition hold.
    if has(CONDITION_FAILED) {
        Cancelled::Refused(Refused(reasons.to_vec()))
    } else if has(CONFLICT) {
        Cancelled::Conflict
    } else if THROTTLED.iter().any(|code| has(code)) {
        Cancelled::Throttled
    } else {
        Cancelled::Other
    }
}

impl Store {
    /// Runs one transaction: `Ok(Ok(()))` when it committed, `Ok(Err(refused))` when a
    /// condition failed. Conflicts are retried (`Unavailable` when they go on); a cancellation
    /// for capacity is `Unavailable` at once, so that the caller answers 503 or backs off.
    pub(super) async fn transact(
        &self,
        writes: &[TransactWriteItem],
    ) -> Result<Result<(), Refused>, StoreError> {
        retry_conflicts(|| async move {
            let result = self
                .client
                .transact_write_items()
                .set_transact_items(Some(writes.to_vec()))
                .send()
                .await;
            let Err(err) = result else {
                return Ok(Try::Done(Ok(())));
            };
            let Some(reasons) = cancellation_reasons(&err) else {
                return Err(err.into());
            };
            match classify(reasons) {
                Cancelled::Refused(refused) => Ok(Try::Done(Err(refused))),
                Cancelled::Conflict => Ok(Try::Conflict),
                Cancelled::Throttled => Err(StoreError::Unavailable(
                    "transaction throttled (capacity exceeded)".into(),
                )),
                Cancelled::Other => Err(err.into()),
            }
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reasons(codes: &[&str]) -> Vec<CancellationReason> {
        codes
            .iter()
            .map(|code| CancellationReason::builder().code(*code).build())
            .collect()
    }

    #[test]
    fn a_failed_condition_decides_over_conflicts_and_throttling() {
        let refused = reasons(&["None", "ThrottlingError", CONDITION_FAILED]);
        let Cancelled::Refused(refused) = classify(&refused) else {
            panic!("not refused");
        };
        assert!(!refused.failed(0) && !refused.failed(1) && refused.failed(2));
        assert!(matches!(
            classify(&reasons(&["None", CONFLICT, "ThrottlingError"])),
            Cancelled::Conflict
        ));
        for code in THROTTLED {
            assert!(matches!(
                classify(&reasons(&["None", code])),
                Cancelled::Throttled
            ));
        }
        assert!(matches!(
            classify(&reasons(&["None", "ValidationError"])),
            Cancelled::Other
        ));
    }
}
