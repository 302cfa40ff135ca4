//! `NotificationStore` on SQLite: each tenant's settings and mail history as JSON rows.

use crate::db::{ms, Db};
use async_trait::async_trait;
use rusqlite::{params, OptionalExtension};
use webhooks_core::notify::{Notification, NotificationSettings, NotificationStore};
use webhooks_core::{StoreError, TenantId};

#[derive(Clone)]
pub struct SqliteNotificationStore {
    db: Db,
}

impl SqliteNotificationStore {
    pub fn new(db: Db) -> Self {
        Self { db }
    }
}

fn json<T: serde::Serialize>(v: &T) -> Result<String, StoreError> {
    serde_json::to_string(v).map_err(StoreError::backend)
}

#[async_trait]
impl NotificationStore for SqliteNotificationStore {
    async fn settings(
        &self,
        tenant: &TenantId,
    ) -> Result<Option<NotificationSettings>, StoreError> {
        let tenant = tenant.clone();
        let raw: Option<String> = self
            .db
            .read(move |c| {
                Ok(c.query_row(
                    "SELECT settings FROM notification_settings WHERE tenant = ?1",
                    [tenant.as_str()],
                    |r| r.get(0),
                )
                .optional()?)
            })
            .await?;
        raw.map(|s| serde_json::from_str(&s).map_err(StoreError::backend))
            .transpose()
    }

    async fn put_settings(
        &self,
        tenant: &TenantId,
        settings: &NotificationSettings,
    ) -> Result<(), StoreError> {
        let (tenant, body) = (tenant.clone(), json(settings)?);
        self.db
            .call(move |c| {
                c.execute(
                    "INSERT INTO notification_settings (tenant, settings) VALUES (?1, ?2)
                     ON CONFLICT (tenant) DO UPDATE SET settings = excluded.settings",
                    params![tenant.as_str(), body],
                )?;
                Ok(())
            })
            .await
    }

    async fn record(&self, tenant: &TenantId, n: &Notification) -> Result<(), StoreError> {
        let (tenant, id, at, body) = (
            tenant.clone(),
            n.message_id.clone(),
            ms(n.created_at),
            json(n)?,
        );
        self.db
            .call(move |c| {
                c.execute(
                    "INSERT OR REPLACE INTO notifications (tenant, message_id, created_at, body)
                     VALUES (?1, ?2, ?3, ?4)",
                    params![tenant.as_str(), id.as_str(), at, body],
                )?;
                Ok(())
            })
            .await
    }

    async fn history(
        &self,
        tenant: &TenantId,
        limit: usize,
    ) -> Result<Vec<Notification>, StoreError> {
        let tenant = tenant.clone();
        let rows: Vec<String> = self
            .db
            .read(move |c| {
                let mut s = c.prepare_cached(
                    "SELECT body FROM notifications WHERE tenant = ?1
                         ORDER BY created_at DESC, message_id DESC LIMIT ?2",
                )?;
                let rows = s.query_map(params![tenant.as_str(), limit], |r| r.get(0))?;
                Ok(rows.collect::<Result<_, _>>()?)
            })
            .await?;
        rows.iter()
            .map(|s| serde_json::from_str(s).map_err(StoreError::backend))
            .collect()
    }
}
