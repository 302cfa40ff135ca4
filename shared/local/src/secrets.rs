//! `SecretStore` on SQLite: one random secret per (endpoint, generation). Locally the
//! database file is the trust boundary (it holds everything else too); on AWS, secrets are
//! derived from a tenant key held in Secrets Manager instead. A generation's secret never
//! changes once issued, so the ones read are kept in memory for the next deliveries.

use crate::db::{parse_col, Db};
use async_trait::async_trait;
use rusqlite::params;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use webhooks_core::ports::{SecretStore, StoreResult};
use webhooks_core::signing::Secret;
use webhooks_core::{EndpointId, TenantId};

/// Most endpoints whose secrets are kept in memory; past it the cache starts again empty.
const CACHED_MAX: usize = 4096;

/// An endpoint's secrets read so far, by generation, with its tenant.
struct Cached {
    tenant: TenantId,
    secrets: Vec<(u32, Secret)>,
}

#[derive(Clone)]
pub struct SqliteSecretStore {
    db: Db,
    /// Secrets read, by endpoint. An entry is right for as long as the endpoint exists (ids
    /// are never reused, a generation's secret never changes), so only deletion removes it.
    cache: Arc<Mutex<HashMap<EndpointId, Cached>>>,
}

impl SqliteSecretStore {
    pub fn new(db: Db) -> Self {
        Self {
            db,
            cache: Arc::default(),
        }
    }

    fn cache(&self) -> std::sync::MutexGuard<'_, HashMap<EndpointId, Cached>> {
        self.cache.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn cached(
        &self,
        tenant: &TenantId,
        endpoint: &EndpointId,
        generations: &[u32],
    ) -> Option<Vec<Secret>> {
        let cache = self.cache();
        let c = cache.get(endpoint).filter(|c| &c.tenant == tenant)?;
        (generations.iter())
            .map(|g| {
                c.secrets
                    .iter()
                    .find(|(n, _)| n == g)
                    .map(|(_, s)| s.clone())
            })
            .collect()
    }

    fn keep(&self, tenant: &TenantId, endpoint: &EndpointId, read: Vec<(u32, Secret)>) {
        let mut cache = self.cache();
        if cache.len() >= CACHED_MAX && !cache.contains_key(endpoint) {
            cache.clear();
        }
        let c = cache.entry(endpoint.clone()).or_insert_with(|| Cached {
            tenant: tenant.clone(),
            secrets: Vec::new(),
        });
        for (g, secret) in read {
            if c.tenant == *tenant && c.secrets.iter().all(|(n, _)| *n != g) {
                c.secrets.push((g, secret));
            }
        }
    }
}

#[async_trait]
impl SecretStore for SqliteSecretStore {
    async fn issue(
        &self,
        tenant: &TenantId,
        endpoint: &EndpointId,
        generation: u32,
    ) -> StoreResult<Secret> {
        let (t, e, fresh) = (
            tenant.to_string(),
            endpoint.to_string(),
            Secret::generate().expose().to_owned(),
        );
        self.db
            .call(move |c| {
                // A generation issued before keeps its secret.
                c.execute(
                    "INSERT INTO secret_generations (tenant, endpoint_id, generation, secret)
                     VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO NOTHING",
                    params![t, e, generation, fresh],
                )?;
                Ok(c.query_row(
                    "SELECT secret FROM secret_generations
                     WHERE tenant = ?1 AND endpoint_id = ?2 AND generation = ?3",
                    params![t, e, generation],
                    |r| parse_col(0, Secret::parse(&r.get::<_, String>(0)?)),
                )?)
            })
            .await
    }

    async fn get(
        &self,
        tenant: &TenantId,
        endpoint: &EndpointId,
        generations: &[u32],
    ) -> StoreResult<Option<Vec<Secret>>> {
        if let Some(secrets) = self.cached(tenant, endpoint, generations) {
            return Ok(Some(secrets));
        }
        let (t, e, generations) = (
            tenant.to_string(),
            endpoint.to_string(),
            generations.to_vec(),
        );
        let read = self
            .db
            .lookup(move |c| {
                let mut s = c.prepare_cached(
                    "SELECT secret FROM secret_generations
                         WHERE tenant = ?1 AND endpoint_id = ?2 AND generation = ?3",
                )?;
                let mut out = Vec::with_capacity(generations.len());
                for g in generations {
                    let found = s
                        .query_map(params![t, e, g], |r| {
                            parse_col(0, Secret::parse(&r.get::<_, String>(0)?))
                        })?
                        .next()
                        .transpose()?;
                    match found {
                        Some(secret) => out.push((g, secret)),
                        None => return Ok(None),
                    }
                }
                Ok(Some(out))
            })
            .await?;
        Ok(read.map(|read| {
            let secrets = read.iter().map(|(_, secret)| secret.clone()).collect();
            self.keep(tenant, endpoint, read);
            secrets
        }))
    }

    async fn delete(&self, tenant: &TenantId, endpoint: &EndpointId) -> StoreResult<()> {
        let (t, e) = (tenant.to_string(), endpoint.to_string());
        self.db
            .call(move |c| {
                Ok(c.execute(
                    "DELETE FROM secret_generations WHERE tenant = ?1 AND endpoint_id = ?2",
                    params![t, e],
                )
                .map(drop)?)
            })
            .await?;
        let mut cache = self.cache();
        if cache.get(endpoint).is_some_and(|c| &c.tenant == tenant) {
            cache.remove(endpoint);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A secret read once is served from memory (here, after its row is gone behind the
    /// store's back), to its own tenant only, until the store deletes the endpoint's secrets.
    #[tokio::test]
    async fn secrets_read_are_kept_until_deleted() {
        let db = Db::in_memory().unwrap();
        let store = SqliteSecretStore::new(db.clone());
        let (t, e) = (TenantId::parse("A").unwrap(), EndpointId::generate());
        let issued = store.issue(&t, &e, 1).await.unwrap();
        assert_eq!(
            store.get(&t, &e, &[1]).await.unwrap(),
            Some(vec![issued.clone()])
        );
        db.call(|c| Ok(c.execute("DELETE FROM secret_generations", [])?))
            .await
            .unwrap();
        assert_eq!(store.get(&t, &e, &[1]).await.unwrap(), Some(vec![issued]));
        let other = TenantId::parse("B").unwrap();
        assert_eq!(store.get(&other, &e, &[1]).await.unwrap(), None);
        assert_eq!(store.get(&t, &e, &[1, 2]).await.unwrap(), None);
        store.delete(&t, &e).await.unwrap();
        assert_eq!(store.get(&t, &e, &[1]).await.unwrap(), None);
    }
}
