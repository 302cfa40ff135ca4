//! `/dev/receiver`: a built-in webhook receiver for trying the service locally. It records
//! what it gets (in memory, last 100 requests) and answers `?status=` when asked, so the
//! README walk-through needs nothing else installed. Served only by the local binary.

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

const KEPT: usize = 100;

#[derive(Clone, Serialize)]
struct Received {
    received_at: chrono::DateTime<chrono::Utc>,
    headers: Vec<(String, String)>,
    body: String,
}

type Log = Arc<Mutex<VecDeque<Received>>>;

#[derive(Deserialize)]
struct Answer {
    status: Option<u16>,
}

async fn record(
    State(log): State<Log>,
    Query(a): Query<Answer>,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    let headers = headers
        .iter()
        .filter(|(k, _)| {
            k.as_str().starts_with("webhook-")
                || k.as_str().starts_with("pp-svc-")
                || k.as_str() == "content-type"
        })
        .map(|(k, v)| {
            (
                k.to_string(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    let mut log = log.lock().unwrap_or_else(|p| p.into_inner());
    if log.len() == KEPT {
        log.pop_front();
    }
    log.push_back(Received {
        received_at: chrono::Utc::now(),
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    });
    a.status
        .and_then(|s| StatusCode::from_u16(s).ok())
        .unwrap_or(StatusCode::OK)
}

async fn list(State(log): State<Log>) -> Json<Vec<Received>> {
    let log = log.lock().unwrap_or_else(|p| p.into_inner());
    Json(log.iter().rev().cloned().collect())
}

/// The receiver's routes: `POST /dev/receiver[?status=500]` records, `GET` lists (newest first).
pub fn routes() -> Router {
    Router::new()
        .route("/dev/receiver", get(list).post(record))
        .with_state(Log::default())
}
