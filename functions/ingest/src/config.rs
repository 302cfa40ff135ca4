//! Configuration of the ingest Lambda, from the variables template.yaml sets.

use webhooks_aws::config::AwsConfig;
use webhooks_core::env::{ConfigError, Env};

pub struct Config {
    pub aws: AwsConfig,
    /// `WEBHOOKS_INGEST_DLQ_URL`: where invalid events go, with their reasons.
    pub dlq_url: String,
    /// `WEBHOOKS_CONSOLE_URL`: the admin UI's address, for the links in operational events.
    pub console_url: Option<String>,
    /// `WEBHOOKS_MAIL_FROM`: the SES sender of notification mails; unset, mails are logged.
    pub mail_from: Option<String>,
}

impl Config {
    /// Fails fast, naming the variable, when something is missing or malformed.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|k| std::env::var(k).ok())
    }

    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let env = Env::new(get);
        Ok(Self {
            aws: AwsConfig::from_env(&env)?,
            dlq_url: env.require("WEBHOOKS_INGEST_DLQ_URL")?,
            console_url: env.opt("WEBHOOKS_CONSOLE_URL").map(|u| {
                if u.ends_with('/') {
                    u
                } else {
                    format!("{u}/")
                }
            }),
            mail_from: env.opt("WEBHOOKS_MAIL_FROM"),
        })
    }
}
