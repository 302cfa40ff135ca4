//! The ingest Lambda: inbound events from the ingest queue → messages and delivery tasks;
//! mails about operational events through SES.

mod config;
mod handler;
#[cfg(all(test, feature = "moto"))]
mod tests;

use lambda_runtime::{service_fn, LambdaEvent};
use std::sync::Arc;
use webhooks_core::catalog::Catalog;
use webhooks_core::notify::{LogMailer, Mailer, NotifyService};
use webhooks_core::services::IngestService;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    webhooks_aws::init_lambda_tracing();
    let config = config::Config::from_env()?;
    let sdk = webhooks_aws::sdk_config(config.aws.endpoint_url.as_deref()).await;
    let (stores, _) = webhooks_aws::aws_stores(&sdk, &config.aws.names);
    let mailer: Arc<dyn Mailer> = match &config.mail_from {
        Some(from) => Arc::new(webhooks_aws::SesMailer::new(
            aws_sdk_sesv2::Client::new(&sdk),
            from,
        )),
        None => Arc::new(LogMailer),
    };
    let notify = NotifyService::new(
        Arc::new(webhooks_aws::notification_store(&sdk, &config.aws.names)),
        mailer,
    );
    let catalog = Arc::new(Catalog::built_in());
    let ingest = Arc::new(handler::Ingest {
        service: IngestService::new(stores, catalog.clone())
            .with_operations(config.console_url, Some(notify)),
        catalog,
        sqs: aws_sdk_sqs::Client::new(&sdk),
        dlq_url: config.dlq_url,
    });
    lambda_runtime::run(service_fn(|event: LambdaEvent<_>| {
        let ingest = ingest.clone();
        async move { Ok::<_, lambda_runtime::Error>(ingest.handle(event.payload).await) }
    }))
    .await
}
