//! The HTTP API (README, Admin API) as an axum router: admin routes (bearer token → tenant
//! admin), the ingest route (service token), problem+json errors. The api Lambda and the
//! local binary serve this same router; only the `Authenticator` differs.

pub mod auth;
mod extract;
mod handlers;
mod notifications;
pub mod openapi;
pub mod problem;
mod ui;

pub use auth::{AuthError, Authenticator, Principal, StaticTokens};
pub use problem::ApiError;

/// When the request will be cut short, if its runtime has a deadline (a Lambda invocation):
/// put in the request's extensions by that runtime's adapter, read by handlers that can
/// stop early on their own (a recovery).
#[derive(Debug, Clone, Copy)]
pub struct Deadline(pub std::time::Instant);

use axum::extract::DefaultBodyLimit;
use axum::routing::get;
use axum::Router;
use std::sync::Arc;
use tower_http::trace::TraceLayer;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use webhooks_core::notify::NotifyService;
use webhooks_core::services::{AdminService, IngestService};

/// Largest request body accepted by any route; events are further limited to 256 KiB.
pub const MAX_BODY_BYTES: usize = 512 * 1024;

/// What the handlers need, built once at start-up.
#[derive(Clone)]
pub struct AppState {
    pub admin: AdminService,
    pub ingest: IngestService,
    /// Tenants' notification settings and mail history.
    pub notify: NotifyService,
    pub auth: Arc<dyn Authenticator>,
    /// Serve the UI from this directory instead of the embedded copy (front-end work only).
    pub ui_dir: Option<std::path::PathBuf>,
}

/// The admin and ingest routes, each registered together with its OpenAPI operation, so
/// a route cannot exist without being documented.
fn api_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(openapi::ApiDoc::openapi())
        .routes(routes!(handlers::event_types))
        .routes(routes!(handlers::event_type))
        .routes(routes!(handlers::list_endpoints, handlers::create_endpoint))
        .routes(routes!(
            handlers::get_endpoint,
            handlers::update_endpoint,
            handlers::delete_endpoint
        ))
        .routes(routes!(handlers::rotate_secret))
        .routes(routes!(handlers::send_test))
        .routes(routes!(handlers::recover))
        .routes(routes!(handlers::recount))
        .routes(routes!(handlers::list_messages))
        .routes(routes!(handlers::replay))
        .routes(routes!(handlers::list_attempts))
        .routes(routes!(handlers::stats))
        .routes(routes!(handlers::get_message))
        .routes(routes!(handlers::search_messages))
        .routes(routes!(handlers::evaluate_filter))
        .routes(routes!(
            notifications::get_settings,
            notifications::put_settings
        ))
        .routes(routes!(notifications::history))
        .routes(routes!(handlers::ingest_event))
}

/// The API router with its state applied; callers may merge more routes (UI, dev tools).
pub fn router(state: AppState) -> Router {
    let (api, mut base) = api_routes().split_for_parts();
    openapi::add_security(&mut base);
    let types = state.admin.event_types();
    // Built and serialised once: every request for it gets the same bytes.
    let doc = openapi::document(base, &types, state.admin.url_policy()).to_string();
    let doc = bytes::Bytes::from(doc);
    let ui = ui::routes(state.ui_dir.clone());
    Router::new()
        .route("/health", get(handlers::health))
        .route(
            "/openapi.json",
            get(move || async move {
                (
                    [(http::header::CONTENT_TYPE, "application/json")],
                    doc.clone(),
                )
            }),
        )
        .merge(api)
        .with_state(state)
        .merge(ui)
        .fallback(handlers::not_found)
        .method_not_allowed_fallback(handlers::method_not_allowed)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(TraceLayer::new_for_http())
}
