//! `MessageStore` on DynamoDB: one item per message, `M#<tenant>#<key part of the id>`,
//! holding the exact body (deflated when smaller). For an event with an `event_id` the key
//! part is a digest of it, so the one conditional `PutItem` both stores the message and
//! refuses a duplicate: no idempotency item, no transaction. Items expire by TTL.

use crate::attrs::*;
use crate::error::sdk;
use async_trait::async_trait;
use aws_sdk_dynamodb::types::AttributeValue;
use bytes::Bytes;
use std::sync::Arc;
use webhooks_core::model::Message;
use webhooks_core::ports::{Inserted, MessageStore, StoreResult};
use webhooks_core::{EndpointId, MessageId, StoreError, TenantId};

pub struct DynamoDbMessageStore {
    table: Arc<Table>,
}

impl DynamoDbMessageStore {
    pub(crate) fn new(table: Arc<Table>) -> Self {
        Self { table }
    }
}

/// The item of message `m`.
fn message_item(table: &Table, m: &Message) -> Item {
    let (body, zipped) = packed(&m.body);
    let mut item = key(message_pk(&m.tenant, &m.id), "M");
    item.extend([
        ("message_id".to_owned(), s(m.id.as_str())),
        ("event_type".to_owned(), s(&m.event_type)),
        ("body".to_owned(), body),
        ("created_at".to_owned(), ms(m.created_at)),
        (TTL.to_owned(), table.expires(m.created_at)),
    ]);
    if zipped {
        item.insert("z".into(), AttributeValue::Bool(true));
    }
    if let Some(event_id) = &m.event_id {
        item.insert("event_id".into(), s(event_id));
    }
    if !m.endpoints.is_empty() {
        // One string, not a list: DynamoDB bills a list 4 bytes more per element.
        let ids: Vec<&str> = m.endpoints.iter().map(EndpointId::as_str).collect();
        item.insert("eps".into(), s(ids.join(" ")));
    }
    item
}

#[async_trait]
impl MessageStore for DynamoDbMessageStore {
    async fn insert(&self, m: &Message) -> StoreResult<Inserted> {
        let put = self
            .table
            .client
            .put_item()
            .table_name(&self.table.name)
            .set_item(Some(message_item(&self.table, m)))
            // An item past retention that DynamoDB has not deleted yet is no duplicate.
            .condition_expression("attribute_not_exists(pk) OR expires_at <= :now")
            .expression_attribute_values(":now", n(chrono::Utc::now().timestamp()))
            .send()
            .await
            .map_err(sdk);
        match put {
            Ok(_) => Ok(Inserted::Created { fanned_out: false }),
            Err(StoreError::Conflict) => {
                let item = self
                    .table
                    .get(key(message_pk(&m.tenant, &m.id), "M"))
                    .await?
                    .ok_or_else(|| StoreError::Backend("duplicate message vanished".into()))?;
                let id = parsed(MessageId::parse(get_s(&item, "message_id")?))?;
                // Not tracked here (it would cost a write per event).
                Ok(Inserted::Duplicate {
                    id,
                    fanned_out: None,
                })
            }
            Err(e) => Err(e),
        }
    }

    async fn mark_fanned_out(&self, _tenant: &TenantId, _id: &MessageId) -> StoreResult<()> {
        Ok(())
    }

    async fn get(&self, tenant: &TenantId, id: &MessageId) -> StoreResult<Option<Message>> {
        let item = self.table.get(key(message_pk(tenant, id), "M")).await?;
        item.map(|i| message_from(tenant, id, &i))
            .transpose()
            .map(Option::flatten)
    }

    async fn find_event(&self, tenant: &TenantId, event_id: &str) -> StoreResult<Option<Message>> {
        // The item's key is a digest of the event id: one read, no index.
        let probe = MessageId::for_event(tenant, event_id);
        let Some(item) = self.table.get(key(message_pk(tenant, &probe), "M")).await? else {
            return Ok(None);
        };
        if opt_s(&item, "event_id").as_deref() != Some(event_id) {
            return Ok(None); // another event whose digest shares the key part
        }
        let id = parsed(MessageId::parse(get_s(&item, "message_id")?))?;
        message_from(tenant, &id, &item)
    }
}

/// The message `id` of `tenant` from its item; `None` if the item holds another message
/// that shares its key part (another id of the same event).
pub(crate) fn message_from(
    tenant: &TenantId,
    id: &MessageId,
    item: &Item,
) -> StoreResult<Option<Message>> {
    if get_s(item, "message_id")? != id.as_str() {
        return Ok(None);
    }
    let zipped = item.get("z").is_some_and(|v| v.as_bool() == Ok(&true));
    Ok(Some(Message {
        id: id.clone(),
        tenant: tenant.clone(),
        event_type: get_s(item, "event_type")?.to_owned(),
        event_id: opt_s(item, "event_id"),
        body: Bytes::from(unpacked(item, "body", zipped)?),
        created_at: get_time(item, "created_at")?,
        endpoints: opt_s(item, "eps")
            .map(|ids| {
                ids.split(' ')
                    .filter_map(|id| EndpointId::parse(id).ok())
                    .collect()
            })
            .unwrap_or_default(),
    }))
}
