//! Maps AWS SDK errors to the ports' `StoreError`: conditional-check failures are
//! conflicts, throttling is `Throttled`, the rest is a backend error (logged, not shown).

use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
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
