//! Configuration of the sweep Lambda, from the variables template.yaml sets, on the sweep
//! service's defaults.

use webhooks_aws::config::AwsConfig;
use webhooks_core::env::{ConfigError, Env};
use webhooks_core::services::SweepConfig;

pub struct Config {
    pub aws: AwsConfig,
    pub sweep: SweepConfig,
}

impl Config {
    /// Fails fast, naming the variable, when something is missing or malformed.
    pub fn from_env() -> Result<Self, ConfigError> {
        let env = Env::new(|k| std::env::var(k).ok());
        let d = SweepConfig::default();
        Ok(Self {
            aws: AwsConfig::from_env(&env)?,
            sweep: SweepConfig {
                overdue_after: env.secs("WEBHOOKS_SWEEP_OVERDUE_SECONDS", d.overdue_after)?,
                wake_ahead: env.secs("WEBHOOKS_SWEEP_WAKE_AHEAD_SECONDS", d.wake_ahead)?,
                ..d
            },
        })
    }
}
