//! Body and query extractors whose rejections are problem responses naming the field.

use crate::problem::ApiError;
use axum::extract::{FromRequest, FromRequestParts, Request};
use bytes::Bytes;
use http::request::Parts;
use http::StatusCode;
use serde::de::DeserializeOwned;
use webhooks_core::validation::decode_json;
use webhooks_core::{CoreError, FieldError};

/// The raw body, with over-limit bodies turned into a 413 problem.
pub struct Body(pub Bytes);

impl<S: Send + Sync> FromRequest<S> for Body {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        Bytes::from_request(req, state)
            .await
            .map(Body)
            .map_err(|rej| {
                let status = rej.status();
                if status == StatusCode::PAYLOAD_TOO_LARGE {
                    ApiError::from(CoreError::TooLarge {
                        field: "body",
                        limit: crate::MAX_BODY_BYTES,
                    })
                } else {
                    ApiError::new(
                        status,
                        "urn:problem:bad-body",
                        "bad_body",
                        "Unreadable body",
                        rej.body_text(),
                    )
                }
            })
    }
}

/// A JSON body decoded into `T`, rejected with the offending field's path.
pub struct JsonBody<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let Body(bytes) = Body::from_request(req, state).await?;
        Ok(Self(decode_json(&bytes)?))
    }
}

/// Query parameters decoded into `T`, rejected with the offending parameter's name.
pub struct Query<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for Query<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        let raw = parts.uri.query().unwrap_or_default();
        let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(raw.as_bytes()));
        serde_path_to_error::deserialize(de)
            .map(Query)
            .map_err(|e| {
                let field = e.path().to_string();
                let detail = e.into_inner().to_string();
                ApiError::invalid(vec![FieldError::new(
                    field,
                    "query.invalid",
                    detail.clone(),
                )
                .with("detail", detail)])
            })
    }
}
