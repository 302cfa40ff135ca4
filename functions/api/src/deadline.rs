//! Answers every request before the invocation's deadline. Lambda kills a function at its
//! timeout, mid-request: the client would get API Gateway's bare 503 and the function's
//! unfinished calls would simply stop. Cut short here, the calls still pending are dropped
//! (their SDK requests cancelled, nothing more is written) and the client gets a problem
//! response it can act on.

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use lambda_http::RequestExt;
use std::time::{Duration, SystemTime};
use webhooks_api::ApiError;

/// Time kept back to encode and return the answer.
pub const MARGIN: Duration = Duration::from_millis(1500);

/// How long a request may run, from the invocation's deadline; `None` without a Lambda
/// context (or past the deadline already: then it gets no time at all).
fn budget(req: &Request) -> Option<Duration> {
    let deadline = req.lambda_context_ref()?.deadline();
    let left = deadline
        .duration_since(SystemTime::now())
        .unwrap_or_default();
    Some(left.saturating_sub(MARGIN))
}

/// Middleware: runs the request within its budget, or answers [`ApiError::deadline`]; tells
/// the handlers when that is ([`webhooks_api::Deadline`]).
pub async fn within_deadline(mut req: Request, next: Next) -> Response {
    let Some(budget) = budget(&req) else {
        return next.run(req).await;
    };
    req.extensions_mut()
        .insert(webhooks_api::Deadline(std::time::Instant::now() + budget));
    let path = req.uri().path().to_owned();
    match tokio::time::timeout(budget, next.run(req)).await {
        Ok(resp) => resp,
        Err(_) => {
            tracing::warn!(
                path,
                budget_ms = budget.as_millis() as u64,
                "request cut short before the deadline"
            );
            ApiError::deadline().into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::routing::get;
    use tower::ServiceExt;

    fn request(deadline_in: Option<Duration>, path: &str) -> Request {
        let mut req = Request::builder()
            .uri(path)
            .body(axum::body::Body::empty())
            .unwrap();
        if let Some(d) = deadline_in {
            let mut ctx = lambda_http::Context::default();
            let at = SystemTime::now() + d;
            ctx.deadline = at
                .duration_since(SystemTime::UNIX_EPOCH)
                .unwrap()
                .as_millis() as u64;
            req.extensions_mut().insert(ctx);
        }
        req
    }

    #[tokio::test]
    async fn a_request_is_answered_before_the_deadline() {
        let app = axum::Router::new()
            .route(
                "/slow",
                get(|| async {
                    tokio::time::sleep(Duration::from_secs(30)).await;
                    "late"
                }),
            )
            .route("/fast", get(|| async { "ok" }))
            .layer(axum::middleware::from_fn(within_deadline));
        // (path, time left, status)
        let table = [
            ("/slow", Some(Duration::from_secs(2)), 503),
            ("/slow", Some(Duration::ZERO), 503),
            ("/fast", Some(Duration::from_secs(2)), 200),
            ("/fast", None, 200),
        ];
        for (path, left, status) in table {
            let started = std::time::Instant::now();
            let resp = app.clone().oneshot(request(left, path)).await.unwrap();
            assert_eq!(resp.status().as_u16(), status, "{path} {left:?}");
            if let Some(left) = left {
                assert!(
                    started.elapsed() < left.max(Duration::from_millis(100)),
                    "{path}"
                );
            }
            if status == 503 {
                let body = http_body_util::BodyExt::collect(resp.into_body())
                    .await
                    .unwrap();
                let p: serde_json::Value = serde_json::from_slice(&body.to_bytes()).unwrap();
                assert_eq!(p["type"], "urn:problem:timeout");
            }
        }
    }
}
