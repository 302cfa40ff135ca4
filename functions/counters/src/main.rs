//! The counters Lambda: the table's stream → endpoint counters, `failing_since` and hourly
//! stats, batched per endpoint (docs/DYNAMODB.md). A failed batch is an error, so Lambda
//! retries it; the aggregator recognises what it already applied.

use lambda_runtime::{service_fn, LambdaEvent};
use std::sync::Arc;
use webhooks_aws::config::AwsConfig;
use webhooks_aws::{records_from_event, CounterAggregator};
use webhooks_core::env::Env;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    webhooks_aws::init_lambda_tracing();
    let aws = AwsConfig::from_env(&Env::new(|k| std::env::var(k).ok()))?;
    let sdk = webhooks_aws::sdk_config(aws.endpoint_url.as_deref()).await;
    let aggregator = Arc::new(CounterAggregator::new(
        aws_sdk_dynamodb::Client::new(&sdk),
        &aws.names.table,
        aws.names.retention_days,
    ));
    lambda_runtime::run(service_fn(|event: LambdaEvent<serde_json::Value>| {
        let aggregator = aggregator.clone();
        async move {
            let records = records_from_event(&event.payload)?;
            if let Err(e) = aggregator.apply(&records).await {
                tracing::error!(error = %e, records = records.len(), "counters not applied; the batch will be retried");
                return Err(e.into());
            }
            Ok::<_, lambda_runtime::Error>(())
        }
    }))
    .await
}
