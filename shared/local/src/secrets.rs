//! `SecretStore` on SQLite. Locally the database file is the trust boundary (it holds
//! everything else too); on AWS, secrets live in Secrets Manager instead.

use crate::db::{from_ms, ms, parse_col, sql, Db};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rusqlite::{params, OptionalExtension};
use webhooks_core::ports::{SecretSet, SecretStore, StoreResult};
use webhooks_core::signing::Secret;
use webhooks_core::{EndpointId, StoreError, TenantId};

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
    async fn put(
        &self,
        tenant: &TenantId,
        endpoint: &EndpointId,
        secret: &Secret,
    ) -> StoreResult<()> {
        let (t, e, s) = (
            tenant.to_string(),
            endpoint.to_string(),
            secret.expose().to_owned(),
        );
        self.db
            .call(move |c| {
                c.execute(
                    "INSERT INTO secrets (tenant, endpoint_id, current) VALUES (?1, ?2, ?3)
                     ON CONFLICT (tenant, endpoint_id) DO UPDATE
                     SET current = excluded.current, previous = NULL, previous_until = NULL",
                    params![t, e, s],
                )
                .map(drop)
                .map_err(sql)
            })
            .await
    }

    async fn get(
        &self,
        tenant: &TenantId,
        endpoint: &EndpointId,
    ) -> StoreResult<Option<SecretSet>> {
        let (t, e) = (tenant.to_string(), endpoint.to_string());
        self.db
            .read(move |c| {
                c.query_row(
                    "SELECT current, previous, previous_until FROM secrets WHERE tenant = ?1 AND endpoint_id = ?2",
                    params![t, e],
                    |r| {
                        let current = parse_col(0, Secret::parse(&r.get::<_, String>(0)?))?;
                        let previous = match (r.get::<_, Option<String>>(1)?, r.get::<_, Option<i64>>(2)?) {
                            (Some(p), Some(until)) => Some((parse_col(1, Secret::parse(&p))?, from_ms(until))),
                            _ => None,
                        };
                        Ok(SecretSet { current, previous })
                    },
                )
                .optional()
                .map_err(sql)
            })
            .await
    }

    async fn rotate(
        &self,
        tenant: &TenantId,
        endpoint: &EndpointId,
        secret: &Secret,
        grace_until: DateTime<Utc>,
    ) -> StoreResult<()> {
        let (t, e, s) = (
            tenant.to_string(),
            endpoint.to_string(),
            secret.expose().to_owned(),
        );
        self.db
            .call(move |c| {
                let n = c
                    .execute(
                        "UPDATE secrets SET previous = current, previous_until = ?4, current = ?3
                         WHERE tenant = ?1 AND endpoint_id = ?2",
                        params![t, e, s, ms(grace_until)],
                    )
                    .map_err(sql)?;
                if n == 0 {
                    Err(StoreError::Conflict)
                } else {
                    Ok(())
                }
            })
            .await
    }

    async fn delete(&self, tenant: &TenantId, endpoint: &EndpointId) -> StoreResult<()> {
        let (t, e) = (tenant.to_string(), endpoint.to_string());
        self.db
            .call(move |c| {
                c.execute(
                    "DELETE FROM secrets WHERE tenant = ?1 AND endpoint_id = ?2",
                    params![t, e],
                )
                .map(drop)
                .map_err(sql)
            })
            .await
    }
}
