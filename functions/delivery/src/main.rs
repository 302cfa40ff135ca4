//! The delivery Lambda: signs and sends each task of a delivery-queue batch, and schedules
//! retries with the messages' visibility timeout.

mod config;
mod handler;

use lambda_runtime::{service_fn, LambdaEvent};
use std::sync::Arc;
use webhooks_core::services::{DeliveryConfig, DeliveryService};
use webhooks_outbound::HyperSender;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    webhooks_aws::init_lambda_tracing();
    let config = config::Config::from_env()?;
    let sdk = webhooks_aws::sdk_config(config.aws.endpoint_url.as_deref()).await;
    let (stores, queue) = webhooks_aws::aws_stores(&sdk, &config.aws.names);
    // One HTTP client for the life of the instance: connections are reused across invocations.
    let sender = Arc::new(HyperSender::new(
        config.http_timeout,
        config.allow_private_targets,
        config.extra_ca_pem.as_deref(),
        None,
    )?);
    let delivery = DeliveryConfig {
        retry: config.retry,
        failing_after: config.failing_after,
        disable_after: config.disable_after,
        park_after: Some(config.park_after),
    };
    let events = config.aws.event_publisher(&sdk);
    let deliver = Arc::new(handler::Deliver {
        service: DeliveryService::new(stores, sender, delivery).with_events(events),
        queue,
        concurrency: config.concurrency,
    });
    lambda_runtime::run(service_fn(|event: LambdaEvent<_>| {
        let deliver = deliver.clone();
        async move { Ok::<_, lambda_runtime::Error>(deliver.handle(event.payload).await) }
    }))
    .await
}
