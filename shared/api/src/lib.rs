//! The HTTP API of DESIGN.md §9 as an axum router: admin routes (bearer token → tenant
//! admin), the ingest route (service token), problem+json errors. The api Lambda and the
//! local binary serve this same router; only the `Authenticator` differs.

pub mod auth;
mod extract;
mod handlers;
pub mod problem;
mod ui;

pub use auth::{AuthError, Authenticator, Principal, StaticTokens};
pub use problem::ApiError;

use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use axum::Router;
use std::sync::Arc;
use tower_http::trace::TraceLayer;
use webhooks_core::services::{AdminService, IngestService};

/// Largest request body accepted by any route; events are further limited to 256 KiB.
pub const MAX_BODY_BYTES: usize = 512 * 1024;

/// What the handlers need, built once at start-up.
#[derive(Clone)]
pub struct AppState {
    pub admin: AdminService,
    pub ingest: IngestService,
    pub auth: Arc<dyn Authenticator>,
    /// Serve the UI from this directory instead of the embedded copy (front-end work only).
    pub ui_dir: Option<std::path::PathBuf>,
}

/// The API router with its state applied; callers may merge more routes (UI, dev tools).
pub fn router(state: AppState) -> Router {
    let v1 = Router::new()
        .route("/event-types", get(handlers::event_types))
        .route(
            "/endpoints",
            get(handlers::list_endpoints).post(handlers::create_endpoint),
        )
        .route(
            "/endpoints/{id}",
            get(handlers::get_endpoint)
                .patch(handlers::update_endpoint)
                .delete(handlers::delete_endpoint),
        )
        .route(
            "/endpoints/{id}/rotate-secret",
            post(handlers::rotate_secret),
        )
        .route("/endpoints/{id}/test", post(handlers::send_test))
        .route("/endpoints/{id}/recover", post(handlers::recover))
        .route("/endpoints/{id}/messages", get(handlers::list_messages))
        .route(
            "/endpoints/{id}/messages/{msg_id}/replay",
            post(handlers::replay),
        )
        .route(
            "/endpoints/{id}/messages/{msg_id}/attempts",
            get(handlers::list_attempts),
        )
        .route("/endpoints/{id}/stats", get(handlers::stats))
        .route("/messages/{msg_id}", get(handlers::get_message))
        .route("/events", post(handlers::ingest_event));
    let ui = ui::routes(state.ui_dir.clone());
    Router::new()
        .route("/health", get(handlers::health))
        .nest("/v1", v1)
        .with_state(state)
        .merge(ui)
        .fallback(handlers::not_found)
        .method_not_allowed_fallback(handlers::method_not_allowed)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(TraceLayer::new_for_http())
}
