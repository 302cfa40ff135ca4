//! `NotificationStore` on DynamoDB: a tenant's settings are one item beside its endpoints
//! (`T#<tenant>` / `NOTIFY`), and its mail history a partition of its own (`N#<tenant>`,
//! sorted by time, expiring with messages).

use crate::attrs::*;
use crate::error::sdk;
use async_trait::async_trait;
use std::sync::Arc;
use webhooks_core::notify::{Notification, NotificationSettings, NotificationStore};
use webhooks_core::{StoreError, TenantId};

pub struct DynamoDbNotificationStore {
    table: Arc<Table>,
}

impl DynamoDbNotificationStore {
    pub(crate) fn new(table: Arc<Table>) -> Self {
        Self { table }
    }
}

const SETTINGS_SK: &str = "NOTIFY";

fn history_pk(t: &TenantId) -> String {
    format!("N#{t}")
}

fn json<T: serde::Serialize>(v: &T) -> Result<String, StoreError> {
    serde_json::to_string(v).map_err(StoreError::backend)
}

fn parse<T: serde::de::DeserializeOwned>(item: &Item, name: &str) -> Result<T, StoreError> {
    serde_json::from_str(get_s(item, name)?).map_err(StoreError::backend)
}

#[async_trait]
impl NotificationStore for DynamoDbNotificationStore {
    async fn settings(
        &self,
        tenant: &TenantId,
    ) -> Result<Option<NotificationSettings>, StoreError> {
        let out = (self.table.client.get_item())
            .table_name(&self.table.name)
            .set_key(Some(key(tenant_pk(tenant), SETTINGS_SK)))
            .send()
            .await
            .map_err(sdk)?;
        out.item.map(|i| parse(&i, "settings")).transpose()
    }

    async fn put_settings(
        &self,
        tenant: &TenantId,
        settings: &NotificationSettings,
    ) -> Result<(), StoreError> {
        (self.table.client.put_item())
            .table_name(&self.table.name)
            .set_item(Some(key(tenant_pk(tenant), SETTINGS_SK)))
            .item("settings", s(json(settings)?))
            .send()
            .await
            .map_err(sdk)?;
        Ok(())
    }

    async fn record(&self, tenant: &TenantId, n: &Notification) -> Result<(), StoreError> {
        let at = n.created_at.timestamp_millis();
        (self.table.client.put_item())
            .table_name(&self.table.name)
            .set_item(Some(key(
                history_pk(tenant),
                format!("N#{at:015}#{}", n.message_id),
            )))
            .item("body", s(json(n)?))
            .item(TTL, self.table.expires(n.created_at))
            .send()
            .await
            .map_err(sdk)?;
        Ok(())
    }

    async fn history(
        &self,
        tenant: &TenantId,
        limit: usize,
    ) -> Result<Vec<Notification>, StoreError> {
        let out = (self.table.client.query())
            .table_name(&self.table.name)
            .key_condition_expression("pk = :pk")
            .expression_attribute_values(":pk", s(history_pk(tenant)))
            .scan_index_forward(false)
            .limit(i32::try_from(limit).unwrap_or(100))
            .send()
            .await
            .map_err(sdk)?;
        (out.items())
            .iter()
            .filter(|i| live(i))
            .map(|i| parse(i, "body"))
            .collect()
    }
}
