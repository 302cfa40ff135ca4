//! Configuration of the api Lambda, from the variables template.yaml sets.

use std::time::Duration;
use webhooks_aws::config::AwsConfig;
use webhooks_core::env::{ConfigError, Env};
use webhooks_core::services::AdminConfig;
use webhooks_core::validation::UrlPolicy;

use crate::auth::JwtClaims;

pub struct Config {
    pub aws: AwsConfig,
    pub claims: JwtClaims,
    pub url_policy: UrlPolicy,
    pub rotation_grace: Duration,
    pub failing_after: Duration,
    pub disable_after: Duration,
}

impl Config {
    /// Fails fast, naming the variable, when something is missing or malformed.
    pub fn from_env() -> Result<Self, ConfigError> {
        let env = Env::new(|k| std::env::var(k).ok());
        let d = AdminConfig::default();
        Ok(Self {
            aws: AwsConfig::from_env(&env)?,
            claims: JwtClaims {
                tenant_claim: env
                    .opt("WEBHOOKS_TENANT_CLAIM")
                    .unwrap_or_else(|| "enseigne_id".into()),
                role_claim: env
                    .opt("WEBHOOKS_ROLE_CLAIM")
                    .unwrap_or_else(|| "groups".into()),
                admin_role: env
                    .opt("WEBHOOKS_ADMIN_ROLE")
                    .unwrap_or_else(|| "admin".into()),
                split_flattened: env.flag("WEBHOOKS_ROLE_CLAIM_SPLIT", false)?,
            },
            // On AWS, endpoints must be public https URLs unless configured otherwise.
            url_policy: UrlPolicy {
                require_https: env.flag("WEBHOOKS_REQUIRE_HTTPS", true)?,
                allow_private: env.flag("WEBHOOKS_ALLOW_PRIVATE_TARGETS", false)?,
            },
            rotation_grace: env.secs("WEBHOOKS_ROTATION_GRACE_SECONDS", d.rotation_grace)?,
            failing_after: env.secs("WEBHOOKS_FAILING_AFTER_SECONDS", d.failing_after)?,
            disable_after: env.secs("WEBHOOKS_DISABLE_AFTER_SECONDS", d.disable_after)?,
        })
    }
}
