//! `SecretStore` on Secrets Manager: **one secret per tenant**, `<prefix>/<tenant>/key`, holding
//! a 256-bit tenant key from which every endpoint secret is derived:
//! `whsec_` + base64(HKDF-SHA256(tenant key, salt `pp-svc-webhooks/endpoint-secret/v1`,
//! info `<endpoint id>/<generation>`)). Nothing per endpoint is stored, so the fixed cost is
//! one secret per tenant whatever its number of endpoints, concurrent endpoint creations
//! cannot overwrite each other, and a rotation is a new generation on the endpoint item,
//! seen by the next delivery. The tenant key is created on the tenant's first endpoint and
//! cached by warm functions (it never changes). docs/SECURITY.md has the threat model.

use crate::error::sdk;
use async_trait::async_trait;
use aws_sdk_secretsmanager::error::ProvideErrorMetadata;
use aws_sdk_secretsmanager::Client;
use base64::Engine;
use hkdf::Hkdf;
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use webhooks_core::ports::{SecretStore, StoreResult};
use webhooks_core::signing::Secret;
use webhooks_core::{EndpointId, StoreError, TenantId};

/// How long a warm function reuses a tenant key it read. The key never changes while the
/// tenant exists; the bound only limits how long a deleted one lingers in memory.
pub const CACHE_TTL: Duration = Duration::from_secs(15 * 60);
const SALT: &[u8] = b"pp-svc-webhooks/endpoint-secret/v1";
const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// The tenant key, as stored (JSON, so a key version can be added without ambiguity).
#[derive(Serialize, Deserialize)]
struct Stored {
    /// base64 of 32 random bytes.
    key: String,
}

type Key = Arc<[u8; 32]>;

pub struct SecretsManagerSecretStore {
    client: Client,
    prefix: String,
    cache: Mutex<HashMap<TenantId, (Instant, Key)>>,
}

impl SecretsManagerSecretStore {
    pub fn new(client: Client, prefix: &str) -> Self {
        Self {
            client,
            prefix: prefix.trim_end_matches('/').to_owned(),
            cache: Mutex::new(HashMap::new()),
        }
    }

    /// `<prefix>/<tenant>/key`: a name ending in the tenant id could end like a partial ARN
    /// (`-` and six characters), which Secrets Manager may then read as one.
    fn name(&self, tenant: &TenantId) -> String {
        format!("{}/{tenant}/key", self.prefix)
    }

    fn cached(&self, tenant: &TenantId) -> Option<Key> {
        let cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        let (at, key) = cache.get(tenant)?;
        (at.elapsed() < CACHE_TTL).then(|| key.clone())
    }

    async fn read(&self, name: &str) -> StoreResult<Option<Key>> {
        let out = match self.client.get_secret_value().secret_id(name).send().await {
            Ok(out) => out,
            Err(e) if e.code() == Some("ResourceNotFoundException") => return Ok(None),
            Err(e) => return Err(sdk(e)),
        };
        let bad = || StoreError::Backend(format!("{name} is not a tenant key"));
        let stored: Stored =
            serde_json::from_str(out.secret_string().ok_or_else(bad)?).map_err(|_| bad())?;
        let bytes: [u8; 32] = (B64.decode(stored.key).map_err(|_| bad())?)
            .try_into()
            .map_err(|_| bad())?;
        Ok(Some(Arc::new(bytes)))
    }

    /// The tenant's key; created when `create` and the tenant has none yet. Two creations
    /// racing: Secrets Manager keeps the first, and the second reads it.
    async fn tenant_key(&self, tenant: &TenantId, create: bool) -> StoreResult<Option<Key>> {
        if let Some(key) = self.cached(tenant) {
            return Ok(Some(key));
        }
        let name = self.name(tenant);
        let mut key = self.read(&name).await?;
        if key.is_none() && create {
            let mut bytes = [0u8; 32];
            rand::rngs::OsRng.fill_bytes(&mut bytes);
            let value = serde_json::to_string(&Stored {
                key: B64.encode(bytes),
            })
            .map_err(StoreError::backend)?;
            let created = self
                .client
                .create_secret()
                .name(&name)
                .secret_string(value)
                .send()
                .await;
            key = match created {
                Ok(_) => Some(Arc::new(bytes)),
                Err(e) if e.code() == Some("ResourceExistsException") => self.read(&name).await?,
                Err(e) => return Err(sdk(e)),
            };
        }
        if let Some(k) = &key {
            (self.cache.lock().unwrap_or_else(|p| p.into_inner()))
                .insert(tenant.clone(), (Instant::now(), k.clone()));
        }
        Ok(key)
    }
}

/// The secret of `generation` of endpoint `ep`, derived from the tenant key.
fn derive(key: &[u8; 32], ep: &EndpointId, generation: u32) -> Secret {
    let mut out = [0u8; 32];
    Hkdf::<Sha256>::new(Some(SALT), key)
        .expand(format!("{ep}/{generation}").as_bytes(), &mut out)
        .expect("32 bytes is a valid HKDF-SHA256 length");
    Secret::from_bytes(out)
}

#[async_trait]
impl SecretStore for SecretsManagerSecretStore {
    async fn issue(
        &self,
        tenant: &TenantId,
        ep: &EndpointId,
        generation: u32,
    ) -> StoreResult<Secret> {
        let key = self
            .tenant_key(tenant, true)
            .await?
            .ok_or_else(|| StoreError::Backend("tenant key missing after creation".into()))?;
        Ok(derive(&key, ep, generation))
    }

    async fn get(
        &self,
        tenant: &TenantId,
        ep: &EndpointId,
        generations: &[u32],
    ) -> StoreResult<Option<Vec<Secret>>> {
        let Some(key) = self.tenant_key(tenant, false).await? else {
            return Ok(None);
        };
        Ok(Some(
            generations.iter().map(|g| derive(&key, ep, *g)).collect(),
        ))
    }

    /// Nothing is stored per endpoint: once the endpoint is deleted nothing signs for it,
    /// and its ids are never reused.
    async fn delete(&self, _tenant: &TenantId, _ep: &EndpointId) -> StoreResult<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derived_secrets_differ_by_endpoint_generation_and_key() {
        let (k1, k2) = ([1u8; 32], [2u8; 32]);
        let (a, b) = (EndpointId::generate(), EndpointId::generate());
        let s = derive(&k1, &a, 1);
        assert_eq!(
            s,
            derive(&k1, &a, 1),
            "the same inputs give the same secret"
        );
        for other in [derive(&k1, &a, 2), derive(&k1, &b, 1), derive(&k2, &a, 1)] {
            assert_ne!(s, other);
        }
        assert!(
            Secret::parse(s.expose()).is_ok(),
            "a well-formed whsec_ secret"
        );
    }
}
