//! `EndpointStore` on SQLite: the endpoints table and its subscription index.

use crate::db::{from_ms, ms, parse_col, Db};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension, Row};
use webhooks_core::model::{Counters, Endpoint, SecretGenerations};
use webhooks_core::ports::{EndpointStore, StoreResult};
use webhooks_core::{EndpointId, StoreError, TenantId};

#[derive(Clone)]
pub struct SqliteEndpointStore {
    db: Db,
}

impl SqliteEndpointStore {
    pub fn new(db: Db) -> Self {
        Self { db }
    }
}

const COLUMNS: &str = "tenant, id, url, description, event_types, enabled, version, created_at, \
                       updated_at, delivered, failed_attempts, failed_messages, in_flight, \
                       disabled_reason, failing_since, headers, secret_generation, \
                       previous_generation, previous_generation_until, failing_announced, filter";

fn row_to_endpoint(r: &Row<'_>) -> rusqlite::Result<Endpoint> {
    let types: String = r.get(4)?;
    Ok(Endpoint {
        tenant: parse_col(0, TenantId::parse(&r.get::<_, String>(0)?))?,
        id: parse_col(1, EndpointId::parse(&r.get::<_, String>(1)?))?,
        url: r.get(2)?,
        description: r.get(3)?,
        event_types: parse_col(4, serde_json::from_str(&types))?,
        enabled: r.get(5)?,
        version: r.get(6)?,
        created_at: from_ms(r.get(7)?),
        updated_at: from_ms(r.get(8)?),
        counters: Counters {
            delivered: r.get(9)?,
            failed_attempts: r.get(10)?,
            failed_messages: r.get(11)?,
            in_flight: r.get(12)?,
        },
        disabled_reason: r.get(13)?,
        failing_since: r.get::<_, Option<i64>>(14)?.map(from_ms),
        failing_announced: r.get::<_, Option<i64>>(19)?.map(from_ms),
        filter: r.get(20)?,
        headers: parse_col(15, serde_json::from_str(&r.get::<_, String>(15)?))?,
        secrets: SecretGenerations {
            current: r.get(16)?,
            previous: match (r.get::<_, Option<u32>>(17)?, r.get::<_, Option<i64>>(18)?) {
                (Some(g), Some(until)) => Some((g, from_ms(until))),
                _ => None,
            },
        },
    })
}

/// The endpoint `id` of `tenant`, on a connection the caller holds.
pub(crate) fn get_endpoint(
    c: &Connection,
    tenant: &TenantId,
    id: &EndpointId,
) -> rusqlite::Result<Option<Endpoint>> {
    c.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM endpoints WHERE tenant = ?1 AND id = ?2"
    ))?
    .query_row(params![tenant.as_str(), id.as_str()], row_to_endpoint)
    .optional()
}

fn write_subscriptions(c: &Connection, e: &Endpoint) -> rusqlite::Result<()> {
    c.execute(
        "DELETE FROM subscriptions WHERE tenant = ?1 AND endpoint_id = ?2",
        params![e.tenant.as_str(), e.id.as_str()],
    )?;
    let mut ins = c.prepare_cached(
        "INSERT INTO subscriptions (tenant, event_type, endpoint_id) VALUES (?1, ?2, ?3)",
    )?;
    for t in &e.event_types {
        ins.execute(params![e.tenant.as_str(), t, e.id.as_str()])?;
    }
    Ok(())
}

#[async_trait]
impl EndpointStore for SqliteEndpointStore {
    async fn create(&self, e: &Endpoint) -> StoreResult<()> {
        let e = e.clone();
        // A new subscriber of its event types: the ingest's copies go.
        self.db
            .call_changing_endpoint(move |c| {
                c.execute(
                    "INSERT INTO endpoints (tenant, id, url, description, event_types, enabled, version, created_at,
                                            updated_at, disabled_reason, headers, secret_generation,
                                            previous_generation, previous_generation_until, filter)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
                    params![
                        e.tenant.as_str(),
                        e.id.as_str(),
                        e.url,
                        e.description,
                        serde_json::to_string(&e.event_types).map_err(StoreError::backend)?,
                        e.enabled,
                        e.version,
                        ms(e.created_at),
                        ms(e.updated_at),
                        e.disabled_reason,
                        serde_json::to_string(&e.headers).map_err(StoreError::backend)?,
                        e.secrets.current,
                        e.secrets.previous.map(|p| p.0),
                        e.secrets.previous.map(|p| ms(p.1)),
                        e.filter
                    ],
                )?;
                write_subscriptions(c, &e)?;
                Ok(())
            })
            .await
    }

    async fn get(&self, tenant: &TenantId, id: &EndpointId) -> StoreResult<Option<Endpoint>> {
        let (tenant, id) = (tenant.clone(), id.clone());
        self.db
            .lookup(move |c| Ok(get_endpoint(c, &tenant, &id)?))
            .await
    }

    async fn list(&self, tenant: &TenantId) -> StoreResult<Vec<Endpoint>> {
        let tenant = tenant.clone();
        self.db
            .read(move |c| {
                let mut s = c.prepare_cached(&format!(
                    "SELECT {COLUMNS} FROM endpoints WHERE tenant = ?1 ORDER BY id"
                ))?;
                let rows = s.query_map([tenant.as_str()], row_to_endpoint)?;
                Ok(rows.collect::<Result<_, _>>()?)
            })
            .await
    }

    async fn update(&self, e: &Endpoint) -> StoreResult<()> {
        let e = e.clone();
        self.db
            .call_changing_endpoint(move |c| {
                let changed = c
                    .execute(
                        "UPDATE endpoints SET url = ?3, description = ?4, event_types = ?5, enabled = ?6,
                                version = ?7, updated_at = ?8, disabled_reason = ?9, headers = ?10,
                                secret_generation = ?11, previous_generation = ?12,
                                previous_generation_until = ?13, filter = ?14,
                                failing_since = CASE WHEN enabled = 0 AND ?6 = 1 THEN NULL ELSE failing_since END
                         WHERE tenant = ?1 AND id = ?2 AND version = ?7 - 1",
                        params![
                            e.tenant.as_str(),
                            e.id.as_str(),
                            e.url,
                            e.description,
                            serde_json::to_string(&e.event_types).map_err(StoreError::backend)?,
                            e.enabled,
                            e.version,
                            ms(e.updated_at),
                            e.disabled_reason,
                            serde_json::to_string(&e.headers).map_err(StoreError::backend)?,
                            e.secrets.current,
                            e.secrets.previous.map(|p| p.0),
                            e.secrets.previous.map(|p| ms(p.1)),
                            e.filter
                        ],
                    )?;
                if changed == 0 {
                    return Err(StoreError::Conflict.into());
                }
                write_subscriptions(c, &e)?;
                Ok(())
            })
            .await
    }

    async fn disable(
        &self,
        tenant: &TenantId,
        id: &EndpointId,
        version: u64,
        reason: &str,
        at: DateTime<Utc>,
    ) -> StoreResult<()> {
        let (tenant, id, reason) = (tenant.clone(), id.clone(), reason.to_owned());
        self.db
            .call_changing_endpoint(move |c| {
                let changed = c
                    .execute(
                        "UPDATE endpoints SET enabled = 0, disabled_reason = ?3, version = ?4, updated_at = ?5
                         WHERE tenant = ?1 AND id = ?2 AND version = ?4 - 1",
                        params![tenant.as_str(), id.as_str(), reason, version, ms(at)],
                    )?;
                if changed == 0 {
                    return Err(StoreError::Conflict.into());
                }
                Ok(())
            })
            .await
    }

    async fn announce_failing(
        &self,
        tenant: &TenantId,
        id: &EndpointId,
        since: DateTime<Utc>,
    ) -> StoreResult<bool> {
        let (tenant, id) = (tenant.clone(), id.clone());
        self.db
            .call_changing_endpoint(move |c| {
                let changed = c.execute(
                    "UPDATE endpoints SET failing_announced = ?3
                         WHERE tenant = ?1 AND id = ?2
                           AND (failing_announced IS NULL OR failing_announced < ?3)",
                    params![tenant.as_str(), id.as_str(), ms(since)],
                )?;
                Ok(changed == 1)
            })
            .await
    }

    async fn delete(&self, tenant: &TenantId, id: &EndpointId) -> StoreResult<bool> {
        let (tenant, id) = (tenant.clone(), id.clone());
        self.db
            .call_changing_endpoint(move |c| {
                let n = c.execute(
                    "DELETE FROM endpoints WHERE tenant = ?1 AND id = ?2",
                    params![tenant.as_str(), id.as_str()],
                )?;
                c.execute(
                    "DELETE FROM subscriptions WHERE tenant = ?1 AND endpoint_id = ?2",
                    params![tenant.as_str(), id.as_str()],
                )?;
                Ok(n > 0)
            })
            .await
    }

    async fn subscribed(&self, tenant: &TenantId, event_type: &str) -> StoreResult<Vec<Endpoint>> {
        let cache = self.db.endpoint_cache();
        if let Some(endpoints) = cache.subscribers(tenant, event_type) {
            return Ok(endpoints);
        }
        let (t, ty, epoch) = (tenant.clone(), event_type.to_owned(), cache.epoch());
        let endpoints: Vec<Endpoint> = self
            .db
            .lookup(move |c| {
                let cols = COLUMNS
                    .split(", ")
                    .map(|col| format!("e.{}", col.trim()))
                    .collect::<Vec<_>>()
                    .join(", ");
                let mut s = c.prepare_cached(&format!(
                    "SELECT {cols} FROM subscriptions s
                         JOIN endpoints e ON e.tenant = s.tenant AND e.id = s.endpoint_id
                         WHERE s.tenant = ?1 AND s.event_type = ?2"
                ))?;
                let rows = s.query_map(params![t.as_str(), ty], row_to_endpoint)?;
                Ok(rows.collect::<Result<_, _>>()?)
            })
            .await?;
        cache.keep_subscribers(epoch, tenant, event_type, &endpoints);
        Ok(endpoints)
    }
}
