//! The one place where errors become HTTP responses: RFC 9457 `application/problem+json`
//! with a `detail` naming the offending field. Internal errors are logged, not leaked.

use crate::auth::AuthError;
use axum::response::{IntoResponse, Response};
use http::{header, HeaderValue, StatusCode};
use serde::Serialize;
use webhooks_core::{CoreError, FieldError, StoreError};

/// An error response (RFC 9457): `code` is the stable machine code of the problem
/// (`validation`, `not_found`, `conflict`, …), `errors` the invalid fields, each with its
/// own code.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ApiError {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub title: &'static str,
    pub code: &'static str,
    #[serde(serialize_with = "as_u16")]
    #[schema(value_type = u16)]
    pub status: StatusCode,
    pub detail: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schema(required = false)]
    pub errors: Vec<FieldError>,
}

fn as_u16<S: serde::Serializer>(s: &StatusCode, ser: S) -> Result<S::Ok, S::Error> {
    ser.serialize_u16(s.as_u16())
}

/// Every problem `code`: the API document lists them, the UI words each (its tests read this
/// list), and building a problem with another panics in debug builds.
pub const PROBLEM_CODES: &[&str] = &[
    "validation",
    "not_found",
    "conflict",
    "message.not_failed",
    "too_large",
    "bad_body",
    "busy",
    "timeout",
    "internal",
    "unauthenticated",
    "forbidden",
    "method_not_allowed",
];

impl ApiError {
    pub fn new(
        status: StatusCode,
        kind: &'static str,
        code: &'static str,
        title: &'static str,
        detail: impl Into<String>,
    ) -> Self {
        debug_assert!(
            PROBLEM_CODES.contains(&code),
            "unlisted problem code {code}"
        );
        Self {
            kind,
            code,
            title,
            status,
            detail: detail.into(),
            errors: Vec::new(),
        }
    }

    pub fn invalid(errors: Vec<FieldError>) -> Self {
        let detail = errors
            .iter()
            .map(|e| format!("{}: {}", e.field, e.message))
            .collect::<Vec<_>>()
            .join("; ");
        Self {
            errors,
            ..Self::new(
                StatusCode::BAD_REQUEST,
                "urn:problem:validation",
                "validation",
                "Invalid request",
                detail,
            )
        }
    }

    pub fn not_found(what: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "urn:problem:not-found",
            "not_found",
            "Not found",
            format!("{what} not found"),
        )
    }

    /// The request ran out of time before its function's deadline (AWS): answered rather
    /// than cut off. Its writes may or may not have happened.
    pub fn deadline() -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "urn:problem:timeout",
            "timeout",
            "Timed out",
            "the request did not finish in time; check whether it took effect, then retry",
        )
    }

    fn internal() -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "urn:problem:internal",
            "internal",
            "Internal error",
            "an internal error occurred; it has been logged",
        )
    }
}

impl From<CoreError> for ApiError {
    fn from(e: CoreError) -> Self {
        match e {
            CoreError::Validation(errors) => Self::invalid(errors),
            CoreError::NotFound(what) => Self::not_found(what),
            CoreError::Conflict => Self::new(
                StatusCode::CONFLICT,
                "urn:problem:conflict",
                "conflict",
                "Conflict",
                "the resource was modified concurrently; reload and try again",
            ),
            CoreError::InvalidState { code, message } => Self::new(
                StatusCode::CONFLICT,
                "urn:problem:invalid-state",
                code,
                "Conflict",
                message,
            ),
            CoreError::TooLarge { field, limit } => Self {
                errors: vec![FieldError::new(
                    field,
                    format!("{field}.too_large"),
                    format!("exceeds {limit} bytes"),
                )
                .with("max", limit)],
                ..Self::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "urn:problem:too-large",
                    "too_large",
                    "Payload too large",
                    format!("{field}: exceeds {limit} bytes"),
                )
            },
            CoreError::Store(StoreError::Throttled) => Self::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "urn:problem:busy",
                "busy",
                "Busy",
                "the service is busy; retry shortly",
            ),
            CoreError::Store(e) => {
                tracing::error!(error = %e, "internal error");
                Self::internal()
            }
        }
    }
}

impl From<AuthError> for ApiError {
    fn from(e: AuthError) -> Self {
        match e {
            AuthError::Unauthenticated | AuthError::NoTenant => Self::new(
                StatusCode::UNAUTHORIZED,
                "urn:problem:unauthenticated",
                "unauthenticated",
                "Unauthenticated",
                e.to_string(),
            ),
            AuthError::Forbidden => Self::new(
                StatusCode::FORBIDDEN,
                "urn:problem:forbidden",
                "forbidden",
                "Forbidden",
                e.to_string(),
            ),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status;
        let mut resp = (status, axum::Json(self)).into_response();
        resp.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if status == StatusCode::UNAUTHORIZED {
            resp.headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        resp
    }
}
