//! The sweep Lambda, on a schedule: sends a task again for every delivery left pending with
//! none (docs/DESIGN-NOTES.md, "Nothing stranded"). An unfinished sweep is taken up by the
//! next run; an error is logged and retried then too.

use lambda_runtime::{service_fn, LambdaEvent};
use std::sync::Arc;
use webhooks_aws::config::AwsConfig;
use webhooks_core::env::Env;
use webhooks_core::services::{SweepConfig, SweepService};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    webhooks_aws::init_lambda_tracing();
    let env = Env::new(|k| std::env::var(k).ok());
    let aws = AwsConfig::from_env(&env)?;
    let defaults = SweepConfig::default();
    let config = SweepConfig {
        overdue_after: env.secs(
            "WEBHOOKS_SWEEP_OVERDUE_SECONDS",
            defaults.overdue_after.as_secs_f64(),
        )?,
        ..defaults
    };
    let sdk = webhooks_aws::sdk_config(aws.endpoint_url.as_deref()).await;
    let (stores, _) = webhooks_aws::aws_stores(&sdk, &aws.names);
    let sweep = Arc::new(SweepService::new(stores, config));
    lambda_runtime::run(service_fn(|_: LambdaEvent<serde_json::Value>| {
        let sweep = sweep.clone();
        async move {
            let report = sweep.sweep().await?;
            Ok::<_, lambda_runtime::Error>(serde_json::json!({
                "requeued": report.requeued,
                "complete": report.complete,
            }))
        }
    }))
    .await
}
