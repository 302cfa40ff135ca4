//! The ingest Lambda: inbound events from the ingest queue → messages and delivery tasks.

mod handler;
#[cfg(test)]
mod tests;

use lambda_runtime::{service_fn, LambdaEvent};
use std::sync::Arc;
use webhooks_aws::config::AwsConfig;
use webhooks_core::catalog::Catalog;
use webhooks_core::env::Env;
use webhooks_core::services::IngestService;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    webhooks_aws::init_lambda_tracing();
    let env = Env::new(|k| std::env::var(k).ok());
    let (aws, dlq_url) = (
        AwsConfig::from_env(&env)?,
        env.require("WEBHOOKS_INGEST_DLQ_URL")?,
    );
    let sdk = webhooks_aws::sdk_config(aws.endpoint_url.as_deref()).await;
    let (stores, _) = webhooks_aws::aws_stores(&sdk, &aws.names);
    let ingest = Arc::new(handler::Ingest {
        service: IngestService::new(stores, Arc::new(Catalog::built_in())),
        sqs: aws_sdk_sqs::Client::new(&sdk),
        dlq_url,
    });
    lambda_runtime::run(service_fn(|event: LambdaEvent<_>| {
        let ingest = ingest.clone();
        async move { Ok::<_, lambda_runtime::Error>(ingest.handle(event.payload).await) }
    }))
    .await
}
