//! Configuration common to the four Lambda functions, read from the variables that
//! template.yaml sets. Each function's `Config::from_env()` starts from this.

use crate::AwsNames;
use webhooks_core::env::{ConfigError, Env};

/// Names of the AWS resources, and an optional endpoint override for emulators.
#[derive(Debug, Clone)]
pub struct AwsConfig {
    pub names: AwsNames,
    /// `WEBHOOKS_AWS_ENDPOINT_URL`: send every AWS call there (tests on moto). Unset on AWS.
    pub endpoint_url: Option<String>,
    /// `WEBHOOKS_INGEST_QUEUE_URL`: where the service's own (operational) events are
    /// published; unset, none are.
    pub ingest_queue_url: Option<String>,
}

impl AwsConfig {
    /// `WEBHOOKS_TABLE`, `WEBHOOKS_DELIVERY_QUEUE_URL`, `WEBHOOKS_SECRET_PREFIX` (required),
    /// `WEBHOOKS_RETENTION_DAYS` (default 30), `WEBHOOKS_AWS_ENDPOINT_URL` and
    /// `WEBHOOKS_INGEST_QUEUE_URL` (optional).
    pub fn from_env<F: Fn(&str) -> Option<String>>(env: &Env<F>) -> Result<Self, ConfigError> {
        Ok(Self {
            names: AwsNames {
                table: env.require("WEBHOOKS_TABLE")?,
                delivery_queue_url: env.require("WEBHOOKS_DELIVERY_QUEUE_URL")?,
                secret_prefix: env.require("WEBHOOKS_SECRET_PREFIX")?,
                retention_days: env.at_least("WEBHOOKS_RETENTION_DAYS", 30, 1)?,
            },
            endpoint_url: env.opt("WEBHOOKS_AWS_ENDPOINT_URL"),
            ingest_queue_url: env.opt("WEBHOOKS_INGEST_QUEUE_URL"),
        })
    }

    /// The publisher of operational events, when `WEBHOOKS_INGEST_QUEUE_URL` is set.
    pub fn event_publisher(
        &self,
        sdk: &aws_config::SdkConfig,
    ) -> Option<std::sync::Arc<dyn webhooks_core::ports::EventPublisher>> {
        let url = self.ingest_queue_url.as_deref()?;
        Some(std::sync::Arc::new(crate::SqsEventPublisher::new(
            aws_sdk_sqs::Client::new(sdk),
            url,
        )))
    }
}
