//! Reading `WEBHOOKS_*` configuration variables with errors that name the variable, shared
//! by every binary's `Config::from_env()`. Takes a lookup function so tests need not touch
//! the process environment.

use crate::retry::{RetryPolicy, MAX_ATTEMPTS};
use std::str::FromStr;
use std::time::Duration;

/// A configuration variable is missing or has an unusable value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{var}: {message}")]
pub struct ConfigError {
    pub var: &'static str,
    pub message: String,
}

impl ConfigError {
    pub fn new(var: &'static str, message: impl Into<String>) -> Self {
        Self {
            var,
            message: message.into(),
        }
    }
}

/// Variables looked up through a function (the process environment, or a test map).
pub struct Env<F: Fn(&str) -> Option<String>> {
    get: F,
}

impl<F: Fn(&str) -> Option<String>> Env<F> {
    /// `Env::new(|k| std::env::var(k).ok())` reads the process environment.
    pub fn new(get: F) -> Self {
        Self { get }
    }

    /// The value, if set and not blank.
    pub fn opt(&self, var: &str) -> Option<String> {
        (self.get)(var).filter(|v| !v.trim().is_empty())
    }

    /// The value, or an error saying it is required.
    pub fn require(&self, var: &'static str) -> Result<String, ConfigError> {
        self.opt(var)
            .ok_or_else(|| ConfigError::new(var, "is required"))
    }

    /// The contents of the file the variable names, if set; an error naming the variable
    /// when it cannot be read.
    pub fn file(&self, var: &'static str) -> Result<Option<Vec<u8>>, ConfigError> {
        self.opt(var)
            .map(|path| {
                std::fs::read(path.trim())
                    .map_err(|e| ConfigError::new(var, format!("cannot read {path:?}: {e}")))
            })
            .transpose()
    }

    /// The parsed value, or `default` when unset.
    pub fn parse<T: FromStr>(&self, var: &'static str, default: T) -> Result<T, ConfigError>
    where
        T::Err: std::fmt::Display,
    {
        match self.opt(var) {
            None => Ok(default),
            Some(raw) => raw
                .trim()
                .parse()
                .map_err(|e: T::Err| ConfigError::new(var, format!("cannot parse {raw:?}: {e}"))),
        }
    }

    /// A boolean (`true/false`, `1/0`, `yes/no`), or `default` when unset.
    pub fn flag(&self, var: &'static str, default: bool) -> Result<bool, ConfigError> {
        match self
            .opt(var)
            .map(|v| v.trim().to_ascii_lowercase())
            .as_deref()
        {
            None => Ok(default),
            Some("1" | "true" | "yes") => Ok(true),
            Some("0" | "false" | "no") => Ok(false),
            Some(other) => Err(ConfigError::new(
                var,
                format!("expected true or false, got {other:?}"),
            )),
        }
    }

    /// A non-negative number of seconds (fractions allowed), or `default` when unset.
    pub fn secs(&self, var: &'static str, default: Duration) -> Result<Duration, ConfigError> {
        let v: f64 = self.parse(var, default.as_secs_f64())?;
        if v.is_finite() && v >= 0.0 {
            Ok(Duration::from_secs_f64(v))
        } else {
            Err(ConfigError::new(var, "must be a number of seconds ≥ 0"))
        }
    }

    /// A whole number of at least `min`, or `default` when unset.
    pub fn at_least<T: FromStr + PartialOrd + std::fmt::Display>(
        &self,
        var: &'static str,
        default: T,
        min: T,
    ) -> Result<T, ConfigError>
    where
        T::Err: std::fmt::Display,
    {
        let v = self.parse(var, default)?;
        if v < min {
            return Err(ConfigError::new(var, format!("must be at least {min}")));
        }
        Ok(v)
    }

    /// The retry knobs: `WEBHOOKS_MAX_ATTEMPTS` (≤ 5), `WEBHOOKS_RETRY_BASE_SECONDS`,
    /// `WEBHOOKS_RETRY_FACTOR`.
    pub fn retry_policy(&self) -> Result<RetryPolicy, ConfigError> {
        let max = self.parse("WEBHOOKS_MAX_ATTEMPTS", MAX_ATTEMPTS)?;
        let d = RetryPolicy::default();
        let base = self.secs("WEBHOOKS_RETRY_BASE_SECONDS", d.base)?;
        let factor = self.parse("WEBHOOKS_RETRY_FACTOR", d.factor)?;
        RetryPolicy::new(max, base, factor)
            .map_err(|m| ConfigError::new("WEBHOOKS_MAX_ATTEMPTS / WEBHOOKS_RETRY_FACTOR", m))
    }
}
