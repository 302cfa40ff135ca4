//! The core's error types: field-level validation errors, storage errors raised by
//! adapters, and the service error that the HTTP layer maps to problem responses.

use serde::Serialize;

/// One invalid field of a request: `field` is a JSON path such as `event_types[2]`.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// Errors raised by storage and queue adapters, independent of the technology behind them.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A conditional write lost: the item changed or already exists.
    #[error("conflicting concurrent write")]
    Conflict,
    /// The backend asked us to slow down; the operation may be retried.
    #[error("backend throttled the request")]
    Throttled,
    /// A pagination cursor that this store did not issue (or issued for another query).
    #[error("invalid pagination cursor")]
    InvalidCursor,
    /// Anything else; the message is for logs only, never for clients.
    #[error("storage backend error: {0}")]
    Backend(String),
}

impl StoreError {
    pub fn backend(e: impl std::fmt::Display) -> Self {
        Self::Backend(e.to_string())
    }
}

/// Errors of the services. The HTTP layer maps each variant to one problem response.
#[derive(Debug, thiserror::Error)]
pub enum CoreError {
    #[error("invalid request")]
    Validation(Vec<FieldError>),
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("the resource was modified concurrently")]
    Conflict,
    /// The operation does not apply to the resource as it is now (e.g. replaying a
    /// message that is not failed); the text says why.
    #[error("{0}")]
    InvalidState(&'static str),
    #[error("payload too large: {field} exceeds {limit} bytes")]
    TooLarge { field: &'static str, limit: usize },
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl CoreError {
    pub fn field(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Validation(vec![FieldError::new(field, message)])
    }
}
