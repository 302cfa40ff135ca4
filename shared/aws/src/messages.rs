//! `MessageStore` on DynamoDB: one item per message (`M#<tenant>#<id>`) holding the exact
//! body, and one idempotency item per `event_id` (`I#<tenant>#<event id>`), written
//! together in a transaction so concurrent duplicates cannot both win. Both expire by TTL.

use crate::attrs::*;
use crate::error::{sdk, transaction};
use async_trait::async_trait;
use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem};
use bytes::Bytes;
use std::sync::Arc;
use webhooks_core::model::Message;
use webhooks_core::ports::{Inserted, MessageStore, StoreResult};
use webhooks_core::{MessageId, StoreError, TenantId};

pub struct DynamoDbMessageStore {
    table: Arc<Table>,
}

impl DynamoDbMessageStore {
    pub(crate) fn new(table: Arc<Table>) -> Self {
        Self { table }
    }

    fn put(&self, item: Item) -> StoreResult<TransactWriteItem> {
        let put = Put::builder()
            .table_name(&self.table.name)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(pk)")
            .build()
            .map_err(StoreError::backend)?;
        Ok(TransactWriteItem::builder().put(put).build())
    }

    async fn existing(&self, tenant: &TenantId, event_id: &str) -> StoreResult<Inserted> {
        let idem = self
            .table
            .get(key(idempotency_pk(tenant, event_id), "I"))
            .await?
            .ok_or_else(|| StoreError::Backend("idempotency item vanished".into()))?;
        let id = parsed(MessageId::parse(get_s(&idem, "message_id")?))?;
        let msg = self.get_item(tenant, &id).await?;
        let fanned_out = msg
            .as_ref()
            .is_some_and(|m| get_bool(m, "fanned_out").unwrap_or(false));
        Ok(Inserted::Duplicate { id, fanned_out })
    }

    async fn get_item(&self, tenant: &TenantId, id: &MessageId) -> StoreResult<Option<Item>> {
        self.table.get(key(message_pk(tenant, id), "M")).await
    }
}

#[async_trait]
impl MessageStore for DynamoDbMessageStore {
    async fn insert(&self, m: &Message) -> StoreResult<Inserted> {
        let mut item = key(message_pk(&m.tenant, &m.id), "M");
        item.extend([
            ("event_type".to_owned(), s(&m.event_type)),
            (
                "body".to_owned(),
                AttributeValue::B(Blob::new(m.body.to_vec())),
            ),
            ("created_at".to_owned(), ms(m.created_at)),
            ("fanned_out".to_owned(), AttributeValue::Bool(false)),
            (TTL.to_owned(), self.table.expires(m.created_at)),
        ]);
        let Some(event_id) = &m.event_id else {
            self.table
                .client
                .put_item()
                .table_name(&self.table.name)
                .set_item(Some(item))
                .condition_expression("attribute_not_exists(pk)")
                .send()
                .await
                .map_err(sdk)?;
            return Ok(Inserted::Created);
        };
        item.insert("event_id".into(), s(event_id));
        let mut idem = key(idempotency_pk(&m.tenant, event_id), "I");
        idem.extend([
            ("message_id".to_owned(), s(m.id.as_str())),
            (TTL.to_owned(), self.table.expires(m.created_at)),
        ]);
        let result = self
            .table
            .client
            .transact_write_items()
            .transact_items(self.put(idem)?)
            .transact_items(self.put(item)?)
            .send()
            .await;
        match result.map_err(transaction) {
            Ok(_) => Ok(Inserted::Created),
            Err(StoreError::Conflict) => self.existing(&m.tenant, event_id).await,
            Err(e) => Err(e),
        }
    }

    async fn mark_fanned_out(&self, tenant: &TenantId, id: &MessageId) -> StoreResult<()> {
        self.table
            .client
            .update_item()
            .table_name(&self.table.name)
            .set_key(Some(key(message_pk(tenant, id), "M")))
            .update_expression("SET fanned_out = :t")
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_values(":t", AttributeValue::Bool(true))
            .send()
            .await
            .map_err(sdk)?;
        Ok(())
    }

    async fn get(&self, tenant: &TenantId, id: &MessageId) -> StoreResult<Option<Message>> {
        self.get_item(tenant, id)
            .await?
            .map(|item| message_from(tenant, id, &item))
            .transpose()
    }
}

/// The message `id` of `tenant` from its item.
pub(crate) fn message_from(tenant: &TenantId, id: &MessageId, item: &Item) -> StoreResult<Message> {
    let body = item
        .get("body")
        .and_then(|v| v.as_b().ok())
        .map(|b| Bytes::copy_from_slice(b.as_ref()))
        .ok_or_else(|| StoreError::Backend("message body missing".into()))?;
    Ok(Message {
        id: id.clone(),
        tenant: tenant.clone(),
        event_type: get_s(item, "event_type")?.to_owned(),
        event_id: opt_s(item, "event_id"),
        body,
        created_at: get_time(item, "created_at")?,
    })
}
