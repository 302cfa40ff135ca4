//! `SecretStore` on Secrets Manager: one secret per endpoint, named
//! `<prefix>/<tenant>/<endpoint id>`, whose value is a small JSON document holding the
//! current secret and, during a rotation's grace period, the previous one. One
//! `GetSecretValue` therefore yields every signing key, and reads go through an
//! in-process cache so a warm Lambda does not call Secrets Manager per message.

use crate::error::sdk;
use async_trait::async_trait;
use aws_sdk_secretsmanager::error::ProvideErrorMetadata;
use aws_sdk_secretsmanager::Client;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};
use webhooks_core::ports::{SecretSet, SecretStore, StoreResult};
use webhooks_core::signing::Secret;
use webhooks_core::{EndpointId, StoreError, TenantId};

/// How long a read is reused. A rotation made by another process is seen within this
/// delay; meanwhile the previous secret still signs (it stays valid for the grace period).
pub const CACHE_TTL: Duration = Duration::from_secs(60);

#[derive(Serialize, Deserialize)]
struct Stored {
    current: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    previous: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    previous_until: Option<DateTime<Utc>>,
}

pub struct SecretsManagerSecretStore {
    client: Client,
    prefix: String,
    cache: Mutex<HashMap<String, (Instant, SecretSet)>>,
}

fn not_found<E: ProvideErrorMetadata>(e: &E) -> bool {
    e.code() == Some("ResourceNotFoundException")
}

impl SecretsManagerSecretStore {
    pub fn new(client: Client, prefix: &str) -> Self {
        Self {
            client,
            prefix: prefix.trim_end_matches('/').to_owned(),
            cache: Mutex::new(HashMap::new()),
        }
    }

    fn name(&self, tenant: &TenantId, ep: &EndpointId) -> String {
        format!("{}/{tenant}/{ep}", self.prefix)
    }

    fn cache(&self) -> std::sync::MutexGuard<'_, HashMap<String, (Instant, SecretSet)>> {
        self.cache.lock().unwrap_or_else(|p| p.into_inner())
    }

    async fn read(&self, name: &str) -> StoreResult<Option<SecretSet>> {
        let out = match self.client.get_secret_value().secret_id(name).send().await {
            Ok(out) => out,
            Err(e) if e.as_service_error().is_some_and(not_found) => return Ok(None),
            Err(e) => return Err(sdk(e)),
        };
        let text = out
            .secret_string()
            .ok_or_else(|| StoreError::Backend(format!("{name} has no string value")))?;
        let stored: Stored = serde_json::from_str(text)
            .map_err(|_| StoreError::Backend(format!("{name} is not a webhook secret document")))?;
        let parse = |s: &str| {
            Secret::parse(s)
                .map_err(|_| StoreError::Backend(format!("{name} holds a malformed secret")))
        };
        let previous = match (stored.previous, stored.previous_until) {
            (Some(p), Some(until)) => Some((parse(&p)?, until)),
            _ => None,
        };
        Ok(Some(SecretSet {
            current: parse(&stored.current)?,
            previous,
        }))
    }

    async fn write(&self, name: &str, doc: &Stored, create: bool) -> StoreResult<()> {
        let value = serde_json::to_string(doc).map_err(StoreError::backend)?;
        self.cache().remove(name);
        if create {
            match self
                .client
                .create_secret()
                .name(name)
                .secret_string(&value)
                .send()
                .await
            {
                Ok(_) => return Ok(()),
                Err(e) if e.code() == Some("ResourceExistsException") => {}
                Err(e) => return Err(sdk(e)),
            }
        }
        self.client
            .put_secret_value()
            .secret_id(name)
            .secret_string(value)
            .send()
            .await
            .map_err(|e| {
                if e.as_service_error().is_some_and(not_found) {
                    StoreError::Conflict
                } else {
                    sdk(e)
                }
            })?;
        Ok(())
    }
}

#[async_trait]
impl SecretStore for SecretsManagerSecretStore {
    async fn put(&self, tenant: &TenantId, ep: &EndpointId, secret: &Secret) -> StoreResult<()> {
        let doc = Stored {
            current: secret.expose().to_owned(),
            previous: None,
            previous_until: None,
        };
        self.write(&self.name(tenant, ep), &doc, true).await
    }

    async fn get(&self, tenant: &TenantId, ep: &EndpointId) -> StoreResult<Option<SecretSet>> {
        let name = self.name(tenant, ep);
        if let Some((at, set)) = self.cache().get(&name) {
            if at.elapsed() < CACHE_TTL {
                return Ok(Some(set.clone()));
            }
        }
        let found = self.read(&name).await?;
        if let Some(set) = &found {
            self.cache().insert(name, (Instant::now(), set.clone()));
        }
        Ok(found)
    }

    async fn rotate(
        &self,
        tenant: &TenantId,
        ep: &EndpointId,
        secret: &Secret,
        grace_until: DateTime<Utc>,
    ) -> StoreResult<()> {
        let name = self.name(tenant, ep);
        let current = self.read(&name).await?.ok_or(StoreError::Conflict)?;
        let doc = Stored {
            current: secret.expose().to_owned(),
            previous: Some(current.current.expose().to_owned()),
            previous_until: Some(grace_until),
        };
        self.write(&name, &doc, false).await
    }

    async fn delete(&self, tenant: &TenantId, ep: &EndpointId) -> StoreResult<()> {
        let name = self.name(tenant, ep);
        self.cache().remove(&name);
        match self
            .client
            .delete_secret()
            .secret_id(&name)
            .force_delete_without_recovery(true)
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(e) if e.as_service_error().is_some_and(not_found) => Ok(()),
            Err(e) => Err(sdk(e)),
        }
    }
}
