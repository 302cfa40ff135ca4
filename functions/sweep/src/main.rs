//! The sweep Lambda, on a schedule: wakes parked retries shortly before they are due and
//! sends a task again for every delivery left pending with none (docs/DESIGN-NOTES.md). An
//! unfinished sweep is taken up by the next run; an error is logged and retried then too.

mod config;

use lambda_runtime::{service_fn, LambdaEvent};
use std::sync::Arc;
use webhooks_core::services::SweepService;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    webhooks_aws::init_lambda_tracing();
    let config = config::Config::from_env()?;
    let sdk = webhooks_aws::sdk_config(config.aws.endpoint_url.as_deref()).await;
    let (stores, _) = webhooks_aws::aws_stores(&sdk, &config.aws.names);
    let sweep = Arc::new(SweepService::new(stores, config.sweep));
    lambda_runtime::run(service_fn(|_: LambdaEvent<serde_json::Value>| {
        let sweep = sweep.clone();
        async move {
            let r = sweep.sweep().await?;
            let report = serde_json::json!({"woken": r.woken, "requeued": r.requeued, "complete": r.complete});
            Ok::<_, lambda_runtime::Error>(report)
        }
    }))
    .await
}
