//! Maps AWS SDK errors to the ports' `StoreError`: conditional-check failures are
//! conflicts, throttling is `Throttled`, the rest is a backend error (logged, not shown).

use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use webhooks_core::StoreError;

const THROTTLING: &[&str] = &[
    "ThrottlingException",
    "Throttling",
    "ProvisionedThroughputExceededException",
    "RequestLimitExceeded",
    "TooManyRequestsException",
    "RequestThrottled",
    "TransactionInProgressException",
];

/// Any SDK error.
pub(crate) fn sdk<E, R>(e: SdkError<E, R>) -> StoreError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug,
{
    match e.code() {
        Some("ConditionalCheckFailedException") => StoreError::Conflict,
        Some(code) if THROTTLING.contains(&code) => StoreError::Throttled,
        _ => StoreError::Backend(format!(
            "{}",
            aws_sdk_dynamodb::error::DisplayErrorContext(&e)
        )),
    }
}

/// A cancelled transaction is a conflict when a condition failed, throttling when it
/// collided with another transaction (retryable), a backend error otherwise.
pub(crate) fn transaction<R: std::fmt::Debug>(
    e: SdkError<TransactWriteItemsError, R>,
) -> StoreError {
    if let Some(TransactWriteItemsError::TransactionCanceledException(t)) = e.as_service_error() {
        let codes: Vec<&str> = t
            .cancellation_reasons()
            .iter()
            .filter_map(|r| r.code())
            .collect();
        if codes.contains(&"ConditionalCheckFailed") {
            return StoreError::Conflict;
        }
        if codes
            .iter()
            .any(|c| *c == "TransactionConflict" || *c == "ThrottlingError")
        {
            return StoreError::Throttled;
        }
    }
    sdk(e)
}
