//! The api Lambda: the admin API and UI (the same axum router as the local binary) behind
//! API Gateway's JWT authorizer, on DynamoDB, SQS and Secrets Manager.

mod auth;
mod config;
mod deadline;
#[cfg(test)]
mod tests;

use std::sync::Arc;
use webhooks_api::AppState;
use webhooks_core::catalog::Catalog;
use webhooks_core::notify::{LogMailer, NotifyService};
use webhooks_core::services::{AdminConfig, AdminService, IngestService};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    webhooks_aws::init_lambda_tracing();
    let config = config::Config::from_env()
        .inspect_err(|e| tracing::error!(error = %e, "bad configuration"))?;
    let sdk = webhooks_aws::sdk_config(config.aws.endpoint_url.as_deref()).await;
    let (stores, _) = webhooks_aws::aws_stores(&sdk, &config.aws.names);
    let catalog = Arc::new(Catalog::built_in());
    let admin = AdminConfig {
        url_policy: config.url_policy,
        rotation_grace: config.rotation_grace,
        failing_after: config.failing_after,
        disable_after: config.disable_after,
        ..AdminConfig::default()
    };
    let events = config.aws.event_publisher(&sdk);
    let store = Arc::new(webhooks_aws::notification_store(&sdk, &config.aws.names));
    let state = AppState {
        admin: AdminService::new(stores.clone(), catalog.clone(), admin).with_events(events),
        ingest: IngestService::new(stores, catalog),
        // Settings and history only: mails are sent by the ingest function.
        notify: NotifyService::new(store, Arc::new(LogMailer)),
        auth: Arc::new(config.claims),
        ui_dir: None,
    };
    let app =
        webhooks_api::router(state).layer(axum::middleware::from_fn(deadline::within_deadline));
    lambda_http::run(app).await
}
