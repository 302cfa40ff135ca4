//! The single DynamoDB table: key layout, attribute helpers and TTL. See docs/DYNAMODB.md.

use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_dynamodb::Client;
use chrono::{DateTime, TimeZone, Utc};
use std::collections::HashMap;
use webhooks_core::{EndpointId, MessageId, StoreError, TenantId};

pub(crate) type Item = HashMap<String, AttributeValue>;

pub(crate) const PK: &str = "pk";
pub(crate) const SK: &str = "sk";
pub(crate) const GSI1: &str = "gsi1";
pub(crate) const GSI1_PK: &str = "gsi1pk";
pub(crate) const GSI1_SK: &str = "gsi1sk";
pub(crate) const TTL: &str = "expires_at";

/// The table and what every adapter on it needs.
pub(crate) struct Table {
    pub client: Client,
    pub name: String,
    retention_secs: i64,
}

impl Table {
    pub fn new(client: Client, name: &str, retention_days: u32) -> Self {
        Self {
            client,
            name: name.to_owned(),
            retention_secs: i64::from(retention_days) * 86_400,
        }
    }

    /// The item at `key`, read consistently (after a write, a read must see it).
    pub async fn get(&self, key: Item) -> Result<Option<Item>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.name)
            .set_key(Some(key))
            .consistent_read(true)
            .send()
            .await
            .map_err(crate::error::sdk)?;
        Ok(out.item)
    }

    /// The TTL value for something created at `at`.
    pub fn expires(&self, at: DateTime<Utc>) -> AttributeValue {
        n(at.timestamp() + self.retention_secs)
    }
}

// Keys. Tenant ids cannot contain '#', so prefixes never collide across tenants.
pub(crate) fn tenant_pk(t: &TenantId) -> String {
    format!("T#{t}")
}
pub(crate) fn endpoint_sk(id: &EndpointId) -> String {
    format!("EP#{id}")
}
pub(crate) fn message_pk(t: &TenantId, m: &MessageId) -> String {
    format!("M#{t}#{m}")
}
pub(crate) fn idempotency_pk(t: &TenantId, event_id: &str) -> String {
    format!("I#{t}#{event_id}")
}
pub(crate) fn log_pk(t: &TenantId, ep: &EndpointId) -> String {
    format!("L#{t}#{ep}")
}
pub(crate) fn delivery_sk(m: &MessageId) -> String {
    format!("D#{m}")
}
pub(crate) fn attempt_sk(m: &MessageId, number: u32) -> String {
    format!("A#{m}#{number:04}")
}
pub(crate) fn hour_sk(hour_ms: i64) -> String {
    format!("H#{hour_ms:015}")
}
pub(crate) fn status_pk(t: &TenantId, ep: &EndpointId, status: &str) -> String {
    format!("L#{t}#{ep}#{status}")
}

pub(crate) fn s(v: impl Into<String>) -> AttributeValue {
    AttributeValue::S(v.into())
}
pub(crate) fn n(v: impl ToString) -> AttributeValue {
    AttributeValue::N(v.to_string())
}
pub(crate) fn key(pk: String, sk: impl Into<String>) -> Item {
    HashMap::from([(PK.to_owned(), s(pk)), (SK.to_owned(), s(sk))])
}

fn missing(name: &str) -> StoreError {
    StoreError::Backend(format!(
        "item attribute {name} missing or of the wrong type"
    ))
}

pub(crate) fn get_s<'a>(item: &'a Item, name: &str) -> Result<&'a str, StoreError> {
    item.get(name)
        .and_then(|v| v.as_s().ok())
        .map(String::as_str)
        .ok_or_else(|| missing(name))
}
pub(crate) fn opt_s(item: &Item, name: &str) -> Option<String> {
    item.get(name).and_then(|v| v.as_s().ok()).cloned()
}
pub(crate) fn get_n<T: std::str::FromStr>(item: &Item, name: &str) -> Result<T, StoreError> {
    item.get(name)
        .and_then(|v| v.as_n().ok())
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| missing(name))
}
pub(crate) fn opt_n<T: std::str::FromStr>(item: &Item, name: &str) -> Option<T> {
    item.get(name)
        .and_then(|v| v.as_n().ok())
        .and_then(|v| v.parse().ok())
}
pub(crate) fn get_bool(item: &Item, name: &str) -> Result<bool, StoreError> {
    item.get(name)
        .and_then(|v| v.as_bool().ok())
        .copied()
        .ok_or_else(|| missing(name))
}
pub(crate) fn time(ms: i64) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(ms).single().unwrap_or_default()
}
pub(crate) fn get_time(item: &Item, name: &str) -> Result<DateTime<Utc>, StoreError> {
    get_n::<i64>(item, name).map(time)
}
pub(crate) fn opt_time(item: &Item, name: &str) -> Option<DateTime<Utc>> {
    opt_n::<i64>(item, name).map(time)
}
pub(crate) fn ms(t: DateTime<Utc>) -> AttributeValue {
    n(t.timestamp_millis())
}
pub(crate) fn parsed<T, E: std::fmt::Display>(r: Result<T, E>) -> Result<T, StoreError> {
    r.map_err(|e| StoreError::Backend(format!("stored value does not parse: {e}")))
}
