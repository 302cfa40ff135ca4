//! Route handlers: decode, call one service function, encode.

use crate::auth::{AdminOf, ServiceCaller};
use crate::extract::{Body, JsonBody, Query};
use crate::problem::ApiError;
use crate::AppState;
use axum::extract::{Path, State};
use axum::http::{StatusCode, Uri};
use axum::response::IntoResponse;
use axum::Json;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use webhooks_core::model::{EndpointIn, EndpointPatch};

type ApiResult<T> = Result<T, ApiError>;

/// A list response: `{"data": [...]}`.
#[derive(Serialize)]
pub struct List<T> {
    data: Vec<T>,
}

fn list<T>(data: Vec<T>) -> Json<List<T>> {
    Json(List { data })
}

pub async fn health() -> impl IntoResponse {
    Json(serde_json::json!({"status": "ok"}))
}

pub async fn not_found(uri: Uri) -> ApiError {
    ApiError::not_found(&format!("route {}", uri.path()))
}

pub async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "urn:problem:method-not-allowed",
        "Method not allowed",
        "this route does not accept that method",
    )
}

pub async fn event_types(State(s): State<AppState>, AdminOf(_): AdminOf) -> impl IntoResponse {
    list(s.admin.event_types())
}

pub async fn list_endpoints(
    State(s): State<AppState>,
    AdminOf(t): AdminOf,
) -> ApiResult<impl IntoResponse> {
    Ok(list(s.admin.list_endpoints(&t).await?))
}

pub async fn create_endpoint(
    State(s): State<AppState>,
    AdminOf(t): AdminOf,
    JsonBody(input): JsonBody<EndpointIn>,
) -> ApiResult<impl IntoResponse> {
    Ok((
        StatusCode::CREATED,
        Json(s.admin.create_endpoint(&t, input).await?),
    ))
}

pub async fn get_endpoint(
    State(s): State<AppState>,
    AdminOf(t): AdminOf,
    Path(id): Path<String>,
) -> ApiResult<impl IntoResponse> {
    Ok(Json(s.admin.get_endpoint(&t, &id).await?))
}

pub async fn update_endpoint(
    State(s): State<AppState>,
    AdminOf(t): AdminOf,
    Path(id): Path<String>,
    JsonBody(patch): JsonBody<EndpointPatch>,
) -> ApiResult<impl IntoResponse> {
    Ok(Json(s.admin.update_endpoint(&t, &id, patch).await?))
}

pub async fn delete_endpoint(
    State(s): State<AppState>,
    AdminOf(t): AdminOf,
    Path(id): Path<String>,
) -> ApiResult<impl IntoResponse> {
    s.admin.delete_endpoint(&t, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn rotate_secret(
    State(s): State<AppState>,
    AdminOf(t): AdminOf,
    Path(id): Path<String>,
) -> ApiResult<impl IntoResponse> {
    Ok(Json(s.admin.rotate_secret(&t, &id).await?))
}

pub async fn send_test(
    State(s): State<AppState>,
    AdminOf(t): AdminOf,
    Path(id): Path<String>,
) -> ApiResult<impl IntoResponse> {
    Ok((
        StatusCode::ACCEPTED,
        Json(s.ingest.send_test(&t, &id).await?),
    ))
}

pub async fn replay(
    State(s): State<AppState>,
    AdminOf(t): AdminOf,
    Path((id, msg)): Path<(String, String)>,
) -> ApiResult<impl IntoResponse> {
    s.admin.replay(&t, &id, &msg).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(serde_json::json!({"message_id": msg})),
    ))
}

/// `since` may come as a query parameter or in a JSON body.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RecoverIn {
    since: Option<DateTime<Utc>>,
}

pub async fn recover(
    State(s): State<AppState>,
    AdminOf(t): AdminOf,
    Path(id): Path<String>,
    Query(q): Query<RecoverIn>,
    Body(raw): Body,
) -> ApiResult<impl IntoResponse> {
    let body: RecoverIn = if raw.iter().all(u8::is_ascii_whitespace) {
        RecoverIn::default()
    } else {
        webhooks_core::validation::decode_json(&raw)?
    };
    let since = q.since.or(body.since).ok_or_else(|| {
        ApiError::invalid(vec![webhooks_core::FieldError::new(
            "since",
            "required: an RFC 3339 date-time",
        )])
    })?;
    Ok((
        StatusCode::ACCEPTED,
        Json(s.admin.recover(&t, &id, since).await?),
    ))
}

#[derive(Deserialize)]
pub struct LogQuery {
    status: Option<String>,
    cursor: Option<String>,
    limit: Option<usize>,
}

pub async fn list_messages(
    State(s): State<AppState>,
    AdminOf(t): AdminOf,
    Path(id): Path<String>,
    Query(q): Query<LogQuery>,
) -> ApiResult<impl IntoResponse> {
    let page = s
        .admin
        .list_messages(&t, &id, q.status.as_deref(), q.cursor.as_deref(), q.limit)
        .await?;
    Ok(Json(page))
}

pub async fn list_attempts(
    State(s): State<AppState>,
    AdminOf(t): AdminOf,
    Path((id, msg)): Path<(String, String)>,
) -> ApiResult<impl IntoResponse> {
    Ok(list(s.admin.list_attempts(&t, &id, &msg).await?))
}

#[derive(Deserialize)]
pub struct StatsQuery {
    hours: Option<u32>,
}

pub async fn stats(
    State(s): State<AppState>,
    AdminOf(t): AdminOf,
    Path(id): Path<String>,
    Query(q): Query<StatsQuery>,
) -> ApiResult<impl IntoResponse> {
    Ok(list(s.admin.stats(&t, &id, q.hours).await?))
}

pub async fn get_message(
    State(s): State<AppState>,
    AdminOf(t): AdminOf,
    Path(msg): Path<String>,
) -> ApiResult<impl IntoResponse> {
    Ok(Json(s.admin.get_message(&t, &msg).await?))
}

pub async fn ingest_event(
    State(s): State<AppState>,
    _: ServiceCaller,
    Body(raw): Body,
) -> ApiResult<impl IntoResponse> {
    Ok((
        StatusCode::ACCEPTED,
        Json(s.ingest.ingest_bytes(&raw).await?),
    ))
}
