//! Handler tests: API Gateway v2 events from infra/events/, with JWT authorizer claims,
//! through the lambda_http request conversion and the real router (SQLite stores).

use crate::auth::JwtClaims;
use http_body_util::BodyExt;
use serde_json::Value;
use std::sync::Arc;
use tower::ServiceExt;
use webhooks_api::AppState;
use webhooks_core::catalog::Catalog;
use webhooks_core::notify::{LogMailer, NotifyService};
use webhooks_core::services::{AdminConfig, AdminService, IngestService};

fn event(name: &str) -> http::Request<axum::body::Body> {
    let path = format!("{}/../../infra/events/{name}", env!("CARGO_MANIFEST_DIR"));
    let req = lambda_http::request::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    req.map(|b| axum::body::Body::from(b.to_vec()))
}

fn app() -> axum::Router {
    let db = webhooks_local::Db::in_memory().unwrap();
    let (stores, _) = webhooks_local::sqlite_stores(&db);
    let catalog = Arc::new(Catalog::built_in());
    webhooks_api::router(AppState {
        admin: AdminService::new(stores.clone(), catalog.clone(), AdminConfig::default()),
        ingest: IngestService::new(stores, catalog),
        notify: NotifyService::new(
            Arc::new(webhooks_local::SqliteNotificationStore::new(db.clone())),
            Arc::new(LogMailer),
        ),
        auth: Arc::new(JwtClaims {
            tenant_claim: "enseigne_id".into(),
            role_claim: "groups".into(),
            admin_role: "admin".into(),
            split_flattened: true,
        }),
        ui_dir: None,
    })
}

async fn call(app: &axum::Router, name: &str) -> (u16, Value) {
    let resp = app.clone().oneshot(event(name)).await.unwrap();
    let status = resp.status().as_u16();
    let body = resp.into_body().collect().await.unwrap().to_bytes();
    (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
}

#[tokio::test]
async fn an_admin_of_the_tenant_creates_and_lists_endpoints() {
    let app = app();
    let (status, created) = call(&app, "apigw-v2-create-endpoint.json").await;
    assert_eq!(status, 201, "{created}");
    assert!(created["secret"].as_str().unwrap().starts_with("whsec_"));
    assert_eq!(
        created["url"],
        "https://erp.client.example/webhooks/peopulse"
    );
    // The groups claim as a JSON array works too.
    let (status, list) = call(&app, "apigw-v2-list-endpoints-json-groups.json").await;
    assert_eq!(status, 200, "{list}");
    assert_eq!(list["data"][0]["id"], created["id"]);
}

#[tokio::test]
async fn no_admin_role_is_403_and_no_tenant_claim_is_401() {
    let app = app();
    let (status, p) = call(&app, "apigw-v2-list-endpoints-not-admin.json").await;
    assert_eq!((status, &p["status"]), (403, &Value::from(403)));
    let (status, p) = call(&app, "apigw-v2-list-endpoints-no-tenant.json").await;
    assert_eq!((status, &p["status"]), (401, &Value::from(401)));
}
