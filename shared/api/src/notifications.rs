//! Routes of the tenant's notification settings and mail history.

use crate::auth::AdminOf;
use crate::extract::{JsonBody, Query};
use crate::handlers::{list, List};
use crate::problem::ApiError;
use crate::AppState;
use axum::extract::State;
use axum::response::IntoResponse;
use axum::Json;
use serde::Deserialize;
use webhooks_core::notify::{Notification, NotificationSettings};

#[utoipa::path(get, path = "/v1/notifications", tag = "notifications", security(("bearer" = [])),
    responses((status = 200, description = "Who is mailed about which operational events (no recipient until saved)", body = NotificationSettings)))]
pub async fn get_settings(
    State(s): State<AppState>,
    AdminOf(t): AdminOf,
) -> Result<impl IntoResponse, ApiError> {
    Ok(Json(s.notify.settings(&t).await?))
}

#[utoipa::path(put, path = "/v1/notifications", tag = "notifications", security(("bearer" = [])), request_body = NotificationSettings,
    responses((status = 200, description = "Saved, normalised (addresses trimmed, duplicates removed)", body = NotificationSettings),
        (status = 400, description = "More than 10 recipients, an address that is not one, or an event that is not operational", body = ApiError)))]
pub async fn put_settings(
    State(s): State<AppState>,
    AdminOf(t): AdminOf,
    JsonBody(settings): JsonBody<NotificationSettings>,
) -> Result<impl IntoResponse, ApiError> {
    Ok(Json(s.notify.save_settings(&t, settings).await?))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct HistoryQuery {
    /// 1–100, default 50.
    limit: Option<usize>,
}

#[utoipa::path(get, path = "/v1/notifications/history", tag = "notifications", security(("bearer" = [])), params(HistoryQuery),
    responses((status = 200, description = "The latest notification mails, newest first: sent, logged (no mail service configured) or failed with the reason", body = List<Notification>)))]
pub async fn history(
    State(s): State<AppState>,
    AdminOf(t): AdminOf,
    Query(q): Query<HistoryQuery>,
) -> Result<impl IntoResponse, ApiError> {
    Ok(list(s.notify.history(&t, q.limit.unwrap_or(50)).await?))
}
