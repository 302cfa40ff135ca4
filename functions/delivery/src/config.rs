//! Configuration of the delivery Lambda, from the variables template.yaml sets.

use std::time::Duration;
use webhooks_aws::config::AwsConfig;
use webhooks_core::env::{ConfigError, Env};
use webhooks_core::retry::RetryPolicy;
use webhooks_core::services::DeliveryConfig;

pub struct Config {
    pub aws: AwsConfig,
    pub retry: RetryPolicy,
    pub http_timeout: Duration,
    pub allow_private_targets: bool,
    /// PEM certificates of private CAs trusted beside the built-in roots.
    pub extra_ca_pem: Option<Vec<u8>>,
    pub concurrency: usize,
    pub failing_after: Duration,
    pub disable_after: Duration,
    /// Retries further away than this are parked rather than held in flight.
    pub park_after: Duration,
}

impl Config {
    /// Fails fast, naming the variable, when something is missing or malformed.
    pub fn from_env() -> Result<Self, ConfigError> {
        let env = Env::new(|k| std::env::var(k).ok());
        let d = DeliveryConfig::default();
        Ok(Self {
            aws: AwsConfig::from_env(&env)?,
            retry: env.retry_policy()?,
            http_timeout: Duration::from_millis(env.at_least(
                "WEBHOOKS_HTTP_TIMEOUT_MS",
                10_000,
                1,
            )?),
            allow_private_targets: env.flag("WEBHOOKS_ALLOW_PRIVATE_TARGETS", false)?,
            extra_ca_pem: env.file("WEBHOOKS_EXTRA_CA_FILE")?,
            concurrency: env.at_least("WEBHOOKS_CONCURRENCY", 16, 1)?,
            failing_after: env.secs("WEBHOOKS_FAILING_AFTER_SECONDS", d.failing_after)?,
            disable_after: env.secs("WEBHOOKS_DISABLE_AFTER_SECONDS", d.disable_after)?,
            // The service holds every retry in its queue by default (SQLite); SQS must not
            // hide a message for longer than SQS's own delay cap (template.yaml says so too).
            park_after: env.secs("WEBHOOKS_PARK_AFTER_SECONDS", Duration::from_secs(900))?,
        })
    }
}
