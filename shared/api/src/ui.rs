//! The admin UI: static files embedded in the binary (no CDN, works offline), served at `/`
//! and `/ui/*` with a strict Content-Security-Policy. For front-end work, the files can be
//! served from a directory instead, so edits show without rebuilding.

use axum::extract::{Path, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use std::path::PathBuf;
use std::sync::Arc;

const ASSETS: &[(&str, &str, &[u8])] = &[
    (
        "index.html",
        "text/html; charset=utf-8",
        include_bytes!("../ui/index.html"),
    ),
    (
        "app.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../ui/app.js"),
    ),
    (
        "app.css",
        "text/css; charset=utf-8",
        include_bytes!("../ui/app.css"),
    ),
];

const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                   connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

type UiDir = Arc<Option<PathBuf>>;

async fn asset(dir: &Option<PathBuf>, name: &str) -> Response {
    let Some((_, mime, embedded)) = ASSETS.iter().find(|(n, _, _)| *n == name) else {
        return crate::ApiError::not_found(&format!("asset {name}")).into_response();
    };
    let body = match dir {
        Some(d) => match tokio::fs::read(d.join(name)).await {
            Ok(bytes) => bytes,
            Err(_) => return StatusCode::NOT_FOUND.into_response(),
        },
        None => embedded.to_vec(),
    };
    let mut resp = (StatusCode::OK, body).into_response();
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(mime));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    resp
}

async fn index(State(dir): State<UiDir>) -> Response {
    asset(&dir, "index.html").await
}

async fn file(State(dir): State<UiDir>, Path(name): Path<String>) -> Response {
    asset(&dir, &name).await
}

/// UI routes; `dir` replaces the embedded files (front-end development only).
pub fn routes(dir: Option<PathBuf>) -> Router {
    Router::new()
        .route("/", get(index))
        .route("/ui/{name}", get(file))
        .with_state(Arc::new(dir))
}
