//! The core's error types: field-level validation errors, storage errors raised by
//! adapters, and the service error that the HTTP layer maps to problem responses.

use serde::Serialize;

/// One invalid field of a request: `field` is a JSON path such as `event_types[2]`, `code`
/// a stable machine code such as `url.not_absolute` (the UI translates it), `message` the
/// same in English for API users, and `params` the values the message names (`max`, …).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: String,
    pub code: String,
    pub message: String,
    #[serde(skip_serializing_if = "serde_json::Map::is_empty")]
    #[cfg_attr(feature = "openapi", schema(value_type = Object, required = false))]
    pub params: serde_json::Map<String, serde_json::Value>,
}

/// Every code a [`FieldError`] may carry: the API document lists them, the UI words each
/// (its tests read this list), and building an error with another panics in debug builds.
pub const FIELD_CODES: &[&str] = &[
    "url.too_long",
    "url.not_absolute",
    "url.https_required",
    "url.scheme",
    "url.no_host",
    "url.credentials",
    "url.fragment",
    "url.non_public",
    "description.too_long",
    "event_types.count",
    "event_types.unknown",
    "headers.too_many",
    "headers.name_invalid",
    "headers.reserved",
    "headers.value_invalid",
    "headers.duplicate",
    "filter.too_long",
    "filter.empty",
    "filter.invalid",
    "filter.syntax",
    "filter.unknown_variable",
    "event_type.unknown",
    "event_id.invalid",
    "event_data.not_object",
    "event_data.schema",
    "tenant_id.invalid",
    "recipients.too_many",
    "recipients.invalid_email",
    "events.unknown",
    "status.unknown",
    "cursor.invalid",
    "limit.out_of_range",
    "hours.out_of_range",
    "body.too_large",
    "json.invalid",
    "query.invalid",
];

impl FieldError {
    /// An error of `field`; `code` is one of [`FIELD_CODES`].
    pub fn new(
        field: impl Into<String>,
        code: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        let code = code.into();
        debug_assert!(
            FIELD_CODES.contains(&code.as_str()),
            "unlisted field error code {code}"
        );
        Self {
            field: field.into(),
            code,
            message: message.into(),
            params: serde_json::Map::new(),
        }
    }

    /// `field` outside `min..=max`: code `<field>.out_of_range`.
    pub fn range(field: &str, min: u64, max: u64) -> Self {
        Self::new(
            field,
            format!("{field}.out_of_range"),
            format!("must be between {min} and {max}"),
        )
        .with("min", min)
        .with("max", max)
    }

    /// `field` longer than `max` characters: code `<field>.too_long`.
    pub fn too_long(field: &str, max: usize) -> Self {
        Self::new(
            field,
            format!("{field}.too_long"),
            format!("must be at most {max} characters"),
        )
        .with("max", max)
    }

    /// `field` is not a JSON object: code `<field>.not_object`.
    pub fn not_object(field: &str) -> Self {
        Self::new(
            field,
            format!("{field}.not_object"),
            "must be a JSON object",
        )
    }

    /// Adds a parameter the message names, for clients that word it themselves.
    pub fn with(mut self, name: &str, value: impl Into<serde_json::Value>) -> Self {
        self.params.insert(name.to_owned(), value.into());
        self
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
    /// message that is not failed): a machine code and the English text.
    #[error("{message}")]
    InvalidState {
        code: &'static str,
        message: &'static str,
    },
    #[error("payload too large: {field} exceeds {limit} bytes")]
    TooLarge { field: &'static str, limit: usize },
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<FieldError> for CoreError {
    fn from(e: FieldError) -> Self {
        Self::Validation(vec![e])
    }
}

impl CoreError {
    pub fn field(
        field: impl Into<String>,
        code: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Self::Validation(vec![FieldError::new(field, code, message)])
    }
}
