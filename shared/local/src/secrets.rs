//! `SecretStore` on SQLite: one random secret per (endpoint, generation). Locally the
//! database file is the trust boundary (it holds everything else too); on AWS, secrets are
//! derived from a tenant key held in Secrets Manager instead.

use crate::db::{parse_col, Db};
use async_trait::async_trait;
use rusqlite::params;
use webhooks_core::ports::{SecretStore, StoreResult};
use webhooks_core::signing::Secret;
use webhooks_core::{EndpointId, TenantId};

#[derive(Clone)]
pub struct SqliteSecretStore {
    db: Db,
}

impl SqliteSecretStore {
    pub fn new(db: Db) -> Self {
        Self { db }
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
        let (t, e, generations) = (
            tenant.to_string(),
            endpoint.to_string(),
            generations.to_vec(),
        );
        self.db
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
                        Some(secret) => out.push(secret),
                        None => return Ok(None),
                    }
                }
                Ok(Some(out))
            })
            .await
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
            .await
    }
}
