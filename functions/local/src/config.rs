//! Configuration of the local binary, read once from `WEBHOOKS_*` environment variables.
//! Everything has a default, so `cargo run` needs no flags; a bad value stops start-up
//! with a message naming the variable.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;
use webhooks_core::retry::RetryPolicy;
use webhooks_core::services::AdminConfig;
use webhooks_core::TenantId;
use webhooks_local::{Durability, WorkerConfig};

pub use webhooks_core::env::ConfigError;
use webhooks_core::env::Env;

#[derive(Debug, Clone)]
pub struct Config {
    /// `WEBHOOKS_LISTEN`, default `127.0.0.1:3000`.
    pub listen: SocketAddr,
    /// `WEBHOOKS_DB`, default `./.data/webhooks.db`.
    pub db: PathBuf,
    /// `WEBHOOKS_SQLITE_SYNC`: `power-loss` (default: each commit fsynced, survives a power
    /// loss) or `process` (a commit survives the process being killed, not a power loss).
    pub durability: Durability,
    /// `WEBHOOKS_ADMIN_TOKENS="token=tenant,…"`; `None` → a persisted dev token.
    pub admin_tokens: Option<Vec<(String, TenantId)>>,
    /// `WEBHOOKS_INGEST_TOKEN`; `None` → a persisted dev token.
    pub ingest_token: Option<String>,
    /// `WEBHOOKS_ALLOW_PRIVATE_TARGETS`, default true locally.
    pub allow_private_targets: bool,
    /// `WEBHOOKS_EXTRA_CA_FILE`: PEM certificates of private CAs that receivers' certificates
    /// may chain to, beside the built-in Mozilla roots.
    pub extra_ca_pem: Option<Vec<u8>>,
    /// `WEBHOOKS_PROXY_URL`: send every webhook through this egress proxy (`http://host:port`),
    /// which then resolves host names and so owns that part of the SSRF guard.
    pub proxy_url: Option<String>,
    /// `WEBHOOKS_REQUIRE_HTTPS`, default false locally.
    pub require_https: bool,
    /// `WEBHOOKS_MAX_ATTEMPTS` (≤ 5), `WEBHOOKS_RETRY_BASE_SECONDS`, `WEBHOOKS_RETRY_FACTOR`.
    pub retry: RetryPolicy,
    /// `WEBHOOKS_HTTP_TIMEOUT_MS`, default 10 000.
    pub http_timeout: Duration,
    /// `WEBHOOKS_CONCURRENCY`: deliveries in flight at once, default 256.
    pub concurrency: usize,
    /// `WEBHOOKS_EVENT_TYPES_FILE`: a catalog JSON file replacing the built-in one.
    pub catalog_file: Option<PathBuf>,
    /// `WEBHOOKS_DEV_RECEIVER`: serve the `/dev/receiver` test route, default true.
    pub dev_receiver: bool,
    /// `WEBHOOKS_ROTATION_GRACE_SECONDS`: how long the old secret keeps signing, default 24 h.
    pub rotation_grace: Duration,
    /// `WEBHOOKS_DISABLE_AFTER_SECONDS`: failing this long with no success disables an
    /// endpoint, default 5 days.
    pub disable_after: Duration,
    /// `WEBHOOKS_FAILING_AFTER_SECONDS`: failing this long with no success shows an endpoint
    /// as failing, default 1 hour.
    pub failing_after: Duration,
    /// `WEBHOOKS_RETENTION_DAYS`: messages, attempts and idempotency keys are purged
    /// after this many days, default 30.
    pub retention_days: u32,
    /// `WEBHOOKS_SMTP_URL`: send notification mails through this SMTP server
    /// (`smtp://host:port`, `smtps://user:password@host`; lettre's syntax). Unset: mails are
    /// written to the log and shown as "logged" in the UI's history.
    pub smtp_url: Option<String>,
    /// `WEBHOOKS_MAIL_FROM`: the notification mails' sender, default
    /// `Webhooks Peopulse <webhooks@localhost>`.
    pub mail_from: String,
    /// `WEBHOOKS_CONSOLE_URL`: the admin UI's public address, for the links in operational
    /// events and mails; default `http://<listen address>/`.
    pub console_url: Option<String>,
    /// `WEBHOOKS_UI_DIR`: serve the admin UI from this directory instead of the embedded
    /// copy, so front-end edits show without a rebuild.
    pub ui_dir: Option<PathBuf>,
}

fn parse_tokens(raw: &str) -> Result<Vec<(String, TenantId)>, ConfigError> {
    let err = |message: String| ConfigError::new("WEBHOOKS_ADMIN_TOKENS", message);
    raw.split(',')
        .filter(|p| !p.trim().is_empty())
        .map(|pair| {
            let (token, tenant) = pair
                .split_once('=')
                .ok_or_else(|| err(format!("expected token=tenant, got {pair:?}")))?;
            let tenant = TenantId::parse(tenant.trim())
                .map_err(|_| err(format!("bad tenant id {tenant:?}")))?;
            if token.trim().len() < 16 {
                return Err(err("tokens must be at least 16 characters".into()));
            }
            Ok((token.trim().to_owned(), tenant))
        })
        .collect()
}

impl Config {
    /// Reads the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|k| std::env::var(k).ok())
    }

    /// Reads variables through `get`, so tests need not touch the process environment.
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let env = Env::new(get);
        let (admin, worker) = (AdminConfig::default(), WorkerConfig::default());
        Ok(Self {
            listen: env.parse("WEBHOOKS_LISTEN", SocketAddr::from(([127, 0, 0, 1], 3000)))?,
            db: env
                .opt("WEBHOOKS_DB")
                .map_or_else(|| PathBuf::from(".data/webhooks.db"), PathBuf::from),
            durability: env.parse("WEBHOOKS_SQLITE_SYNC", Durability::default())?,
            admin_tokens: env
                .opt("WEBHOOKS_ADMIN_TOKENS")
                .map(|v| parse_tokens(&v))
                .transpose()?,
            ingest_token: env.opt("WEBHOOKS_INGEST_TOKEN"),
            allow_private_targets: env.flag("WEBHOOKS_ALLOW_PRIVATE_TARGETS", true)?,
            extra_ca_pem: env.file("WEBHOOKS_EXTRA_CA_FILE")?,
            proxy_url: env.opt("WEBHOOKS_PROXY_URL"),
            require_https: env.flag("WEBHOOKS_REQUIRE_HTTPS", false)?,
            retry: env.retry_policy()?,
            http_timeout: Duration::from_millis(env.at_least(
                "WEBHOOKS_HTTP_TIMEOUT_MS",
                10_000,
                1,
            )?),
            concurrency: env.at_least("WEBHOOKS_CONCURRENCY", worker.concurrency, 1)?,
            catalog_file: env.opt("WEBHOOKS_EVENT_TYPES_FILE").map(PathBuf::from),
            dev_receiver: env.flag("WEBHOOKS_DEV_RECEIVER", true)?,
            rotation_grace: env.secs("WEBHOOKS_ROTATION_GRACE_SECONDS", admin.rotation_grace)?,
            disable_after: env.secs("WEBHOOKS_DISABLE_AFTER_SECONDS", admin.disable_after)?,
            failing_after: env.secs("WEBHOOKS_FAILING_AFTER_SECONDS", admin.failing_after)?,
            retention_days: env.at_least("WEBHOOKS_RETENTION_DAYS", 30, 1)?,
            smtp_url: env.opt("WEBHOOKS_SMTP_URL"),
            mail_from: env
                .opt("WEBHOOKS_MAIL_FROM")
                .unwrap_or_else(|| "Webhooks Peopulse <webhooks@localhost>".into()),
            console_url: env.opt("WEBHOOKS_CONSOLE_URL").map(|u| {
                if u.ends_with('/') {
                    u
                } else {
                    format!("{u}/")
                }
            }),
            ui_dir: env.opt("WEBHOOKS_UI_DIR").map(PathBuf::from),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn cfg(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_lookup(|k| map.get(k).cloned())
    }

    #[test]
    fn defaults_need_no_variables() {
        let c = cfg(&[]).unwrap();
        assert_eq!(c.listen.to_string(), "127.0.0.1:3000");
        assert_eq!(c.db, PathBuf::from(".data/webhooks.db"));
        assert!(c.allow_private_targets && !c.require_https);
        assert_eq!(c.retry, RetryPolicy::default());
        assert_eq!(c.http_timeout, Duration::from_secs(10));
        assert!(c.admin_tokens.is_none());
        assert_eq!(c.durability, Durability::PowerLoss);
        let c = cfg(&[("WEBHOOKS_SQLITE_SYNC", "process")]).unwrap();
        assert_eq!(c.durability, Durability::Process);
    }

    #[test]
    fn bad_values_name_the_variable() {
        for (var, val) in [
            ("WEBHOOKS_MAX_ATTEMPTS", "6"),
            ("WEBHOOKS_LISTEN", "nowhere"),
            ("WEBHOOKS_RETRY_FACTOR", "abc"),
            ("WEBHOOKS_HTTP_TIMEOUT_MS", "0"),
            ("WEBHOOKS_REQUIRE_HTTPS", "maybe"),
            ("WEBHOOKS_SQLITE_SYNC", "sometimes"),
            ("WEBHOOKS_ADMIN_TOKENS", "short=ENS1"),
            ("WEBHOOKS_ADMIN_TOKENS", "0123456789abcdef=bad/tenant"),
        ] {
            let e = cfg(&[(var, val)]).expect_err(var);
            assert!(
                e.to_string().contains(var.split(' ').next().unwrap_or(var)) || e.var.contains(var),
                "{e}"
            );
        }
    }

    #[test]
    fn tokens_and_knobs_are_read() {
        let c = cfg(&[
            (
                "WEBHOOKS_ADMIN_TOKENS",
                "0123456789abcdef=ENS1, fedcba9876543210=ENS2",
            ),
            ("WEBHOOKS_RETRY_BASE_SECONDS", "0.05"),
            ("WEBHOOKS_RETRY_FACTOR", "1"),
        ])
        .unwrap();
        let tokens = c.admin_tokens.unwrap();
        assert_eq!(tokens.len(), 2);
        assert_eq!(tokens[1].1.as_str(), "ENS2");
        assert_eq!(c.retry.nominal_delay(3), Duration::from_millis(50));
    }
}
