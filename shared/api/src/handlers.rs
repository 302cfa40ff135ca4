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
use webhooks_core::catalog::EventType;
use webhooks_core::filter::{FilterTrial, FilterVerdict};
use webhooks_core::model::{
    Attempt, Counters, EndpointIn, EndpointOut, EndpointPatch, HourBucket, LogEntry, Page,
};
use webhooks_core::services::{
    EventTrace, FailedDelivery, IngestReceipt, MessageOut, RecoverReport,
};

type ApiResult<T> = Result<T, ApiError>;

/// A list response: `{"data": [...]}`.
#[derive(Serialize, utoipa::ToSchema)]
pub struct List<T> {
    data: Vec<T>,
}

pub(crate) fn list<T>(data: Vec<T>) -> Json<List<T>> {
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
        "method_not_allowed",
        "Method not allowed",
        "this route does not accept that method",
    )
}

#[utoipa::path(get, path = "/v1/event-types", tag = "catalog", security(("bearer" = [])),
    responses((status = 200, description = "The event-type catalog", body = List<EventType>)))]
pub async fn event_types(State(s): State<AppState>, AdminOf(_): AdminOf) -> impl IntoResponse {
    list(s.admin.event_types())
}

#[utoipa::path(get, path = "/v1/event-types/{name}", tag = "catalog", security(("bearer" = [])), params(("name" = String, Path)),
    responses((status = 200, description = "One event type with its JSON Schema (the OpenAPI document has each as a component `EventData_<name>`)", body = EventType)))]
pub async fn event_type(
    State(s): State<AppState>,
    AdminOf(_): AdminOf,
    Path(name): Path<String>,
) -> ApiResult<impl IntoResponse> {
    Ok(Json(s.admin.event_type(&name)?))
}

#[utoipa::path(post, path = "/v1/filters/evaluate", tag = "endpoints", security(("bearer" = [])), request_body = FilterTrial,
    responses((status = 200, description = "Whether the fan-out would send this event to an endpoint with this filter (`error` when the filter cannot be evaluated on it: not sent)", body = FilterVerdict),
        (status = 400, description = "The filter does not compile (`filter`, with the position), or an unknown event type", body = ApiError)))]
pub async fn evaluate_filter(
    State(s): State<AppState>,
    AdminOf(_): AdminOf,
    JsonBody(trial): JsonBody<FilterTrial>,
) -> ApiResult<impl IntoResponse> {
    Ok(Json(s.admin.evaluate_filter(trial)?))
}

#[utoipa::path(get, path = "/v1/endpoints", tag = "endpoints", security(("bearer" = [])),
    responses((status = 200, description = "The tenant's endpoints with counters", body = List<EndpointOut>)))]
pub async fn list_endpoints(
    State(s): State<AppState>,
    AdminOf(t): AdminOf,
) -> ApiResult<impl IntoResponse> {
    Ok(list(s.admin.list_endpoints(&t).await?))
}

#[utoipa::path(post, path = "/v1/endpoints", tag = "endpoints", security(("bearer" = [])), request_body = EndpointIn,
    responses((status = 201, description = "Created; `secret` is shown this once", body = EndpointOut)))]
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

#[utoipa::path(get, path = "/v1/endpoints/{id}", tag = "endpoints", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, body = EndpointOut)))]
pub async fn get_endpoint(
    State(s): State<AppState>,
    AdminOf(t): AdminOf,
    Path(id): Path<String>,
) -> ApiResult<impl IntoResponse> {
    Ok(Json(s.admin.get_endpoint(&t, &id).await?))
}

#[utoipa::path(patch, path = "/v1/endpoints/{id}", tag = "endpoints", security(("bearer" = [])), params(("id" = String, Path)), request_body = EndpointPatch,
    responses((status = 200, body = EndpointOut), (status = 409, body = ApiError)))]
pub async fn update_endpoint(
    State(s): State<AppState>,
    AdminOf(t): AdminOf,
    Path(id): Path<String>,
    JsonBody(patch): JsonBody<EndpointPatch>,
) -> ApiResult<impl IntoResponse> {
    Ok(Json(s.admin.update_endpoint(&t, &id, patch).await?))
}

#[utoipa::path(delete, path = "/v1/endpoints/{id}", tag = "endpoints", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 204, description = "Deleted with its secret and log")))]
pub async fn delete_endpoint(
    State(s): State<AppState>,
    AdminOf(t): AdminOf,
    Path(id): Path<String>,
) -> ApiResult<impl IntoResponse> {
    s.admin.delete_endpoint(&t, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/v1/endpoints/{id}/rotate-secret", tag = "endpoints", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, description = "New secret, shown this once; the old one signs too during the grace period", body = EndpointOut)))]
pub async fn rotate_secret(
    State(s): State<AppState>,
    AdminOf(t): AdminOf,
    Path(id): Path<String>,
) -> ApiResult<impl IntoResponse> {
    Ok(Json(s.admin.rotate_secret(&t, &id).await?))
}

#[utoipa::path(post, path = "/v1/endpoints/{id}/test", tag = "endpoints", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 202, description = "A WEBHOOK_TEST event was queued for this endpoint", body = IngestReceipt)))]
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

#[utoipa::path(post, path = "/v1/endpoints/{id}/messages/{msg_id}/replay", tag = "delivery log", security(("bearer" = [])),
    params(("id" = String, Path), ("msg_id" = String, Path)),
    responses((status = 202, description = "A new series of attempts was queued"), (status = 409, description = "The message is not failed", body = ApiError)))]
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

#[utoipa::path(post, path = "/v1/endpoints/{id}/recount", tag = "endpoints", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, description = "The endpoint's counters rebuilt from its retained delivery log (on AWS they otherwise trail the log by a few seconds)", body = Counters)))]
pub async fn recount(
    State(s): State<AppState>,
    AdminOf(t): AdminOf,
    Path(id): Path<String>,
) -> ApiResult<impl IntoResponse> {
    Ok(Json(s.admin.recount(&t, &id).await?))
}

/// Body of `POST /v1/endpoints/{id}/recover`.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecoverIn {
    /// Replay the failed messages created at or after this date-time (RFC 3339).
    since: DateTime<Utc>,
    /// Go on from where an earlier call with the same `since` stopped: its `next_cursor`.
    cursor: Option<String>,
}

#[utoipa::path(post, path = "/v1/endpoints/{id}/recover", tag = "delivery log", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = RecoverIn,
    responses((status = 202, body = RecoverReport)))]
pub async fn recover(
    State(s): State<AppState>,
    AdminOf(t): AdminOf,
    Path(id): Path<String>,
    deadline: Option<axum::Extension<crate::Deadline>>,
    JsonBody(RecoverIn { since, cursor }): JsonBody<RecoverIn>,
) -> ApiResult<impl IntoResponse> {
    Ok((
        StatusCode::ACCEPTED,
        Json(
            s.admin
                .recover(&t, &id, since, cursor, deadline.map(|d| d.0 .0))
                .await?,
        ),
    ))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LogQuery {
    /// `pending`, `delivered` or `failed`.
    status: Option<String>,
    cursor: Option<String>,
    limit: Option<usize>,
}

#[utoipa::path(get, path = "/v1/endpoints/{id}/messages", tag = "delivery log", security(("bearer" = [])),
    params(("id" = String, Path), LogQuery),
    responses((status = 200, description = "Newest first", body = Page<LogEntry>)))]
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

#[utoipa::path(get, path = "/v1/endpoints/{id}/messages/{msg_id}/attempts", tag = "delivery log", security(("bearer" = [])),
    params(("id" = String, Path), ("msg_id" = String, Path)),
    responses((status = 200, body = List<Attempt>)))]
pub async fn list_attempts(
    State(s): State<AppState>,
    AdminOf(t): AdminOf,
    Path((id, msg)): Path<(String, String)>,
) -> ApiResult<impl IntoResponse> {
    Ok(list(s.admin.list_attempts(&t, &id, &msg).await?))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StatsQuery {
    /// 1 to 168, default 24.
    hours: Option<u32>,
}

#[utoipa::path(get, path = "/v1/endpoints/{id}/stats", tag = "delivery log", security(("bearer" = [])),
    params(("id" = String, Path), StatsQuery),
    responses((status = 200, description = "Hourly buckets, oldest first", body = List<HourBucket>)))]
pub async fn stats(
    State(s): State<AppState>,
    AdminOf(t): AdminOf,
    Path(id): Path<String>,
    Query(q): Query<StatsQuery>,
) -> ApiResult<impl IntoResponse> {
    Ok(list(s.admin.stats(&t, &id, q.hours).await?))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MessagesQuery {
    /// The publisher's `event_id`: answers that event and its deliveries.
    event_id: Option<String>,
    /// Without `event_id`: `failed` (the default), the failed deliveries of every
    /// endpoint, newest first.
    status: Option<String>,
    /// With `status=failed`: messages created at or after this (default: 7 days ago).
    since: Option<DateTime<Utc>>,
    cursor: Option<String>,
    limit: Option<usize>,
}

/// What `GET /v1/messages` answers: an event found by its `event_id`, or a page of failed
/// deliveries.
#[derive(Serialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum MessagesAnswer {
    Event(EventTrace),
    Failed(Page<FailedDelivery>),
}

#[utoipa::path(get, path = "/v1/messages", tag = "delivery log", security(("bearer" = [])), params(MessagesQuery),
    responses((status = 200, description = "With `event_id`, the event and where each of its deliveries stands (`fan_out` 0 and `needed_types` when no endpoint took its type); with `status=failed`, a page of failed deliveries across endpoints", body = MessagesAnswer), (status = 404, description = "No retained event has this `event_id`", body = ApiError)))]
pub async fn search_messages(
    State(s): State<AppState>,
    AdminOf(t): AdminOf,
    Query(q): Query<MessagesQuery>,
) -> ApiResult<impl IntoResponse> {
    let answer = match (q.event_id, q.status.as_deref()) {
        (Some(event_id), _) => MessagesAnswer::Event(s.admin.find_event(&t, &event_id).await?),
        (None, None | Some("failed")) => {
            let since = q
                .since
                .unwrap_or_else(|| Utc::now() - chrono::TimeDelta::days(7));
            let page = (s.admin)
                .failed_deliveries(&t, since, q.cursor.as_deref(), q.limit)
                .await?;
            MessagesAnswer::Failed(page)
        }
        (None, Some(_)) => {
            return Err(ApiError::invalid(vec![webhooks_core::FieldError::new(
                "status",
                "status.unknown",
                "must be failed, or omitted (with event_id, it is not used)",
            )]))
        }
    };
    Ok(Json(answer))
}

#[utoipa::path(get, path = "/v1/messages/{msg_id}", tag = "delivery log", security(("bearer" = [])), params(("msg_id" = String, Path)),
    responses((status = 200, body = MessageOut)))]
pub async fn get_message(
    State(s): State<AppState>,
    AdminOf(t): AdminOf,
    Path(msg): Path<String>,
) -> ApiResult<impl IntoResponse> {
    Ok(Json(s.admin.get_message(&t, &msg).await?))
}

#[utoipa::path(post, path = "/v1/events", tag = "ingest", security(("service" = [])), request_body = webhooks_core::model::InboundEvent,
    responses((status = 202, body = IngestReceipt), (status = 403, description = "Not a service token", body = ApiError)))]
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
