//! `DeliveryReader` on DynamoDB: a delivery's log entry, endpoint and message in one
//! consistent `BatchGetItem` instead of three `GetItem` calls (docs/COSTS.md).

use crate::attrs::*;
use crate::endpoints::from_item as endpoint_from;
use crate::error::sdk;
use crate::log::entry_from;
use crate::messages::message_from;
use async_trait::async_trait;
use aws_sdk_dynamodb::types::KeysAndAttributes;
use std::sync::Arc;
use std::time::Duration;
use webhooks_core::model::DeliveryTask;
use webhooks_core::ports::{DeliveryInputs, DeliveryReader, StoreResult};
use webhooks_core::StoreError;

/// Rounds of `UnprocessedKeys` retried before giving up as throttled.
const ROUNDS: u32 = 4;

pub struct DynamoDbDeliveryReader {
    table: Arc<Table>,
}

impl DynamoDbDeliveryReader {
    pub(crate) fn new(table: Arc<Table>) -> Self {
        Self { table }
    }
}

fn same_key(item: &Item, k: &Item) -> bool {
    item.get(PK) == k.get(PK) && item.get(SK) == k.get(SK)
}

#[async_trait]
impl DeliveryReader for DynamoDbDeliveryReader {
    async fn read(&self, t: &DeliveryTask) -> StoreResult<DeliveryInputs> {
        let entry_key = key(
            log_pk(&t.tenant, &t.endpoint_id),
            delivery_sk(&t.message_id),
        );
        let endpoint_key = key(tenant_pk(&t.tenant), endpoint_sk(&t.endpoint_id));
        let message_key = key(message_pk(&t.tenant, &t.message_id), "M");
        let mut pending = KeysAndAttributes::builder()
            .set_keys(Some(vec![
                entry_key.clone(),
                endpoint_key.clone(),
                message_key.clone(),
            ]))
            .consistent_read(true)
            .build()
            .map_err(StoreError::backend)?;
        let mut items: Vec<Item> = Vec::with_capacity(3);
        for round in 0..ROUNDS {
            let out = self
                .table
                .client
                .batch_get_item()
                .request_items(&self.table.name, pending)
                .send()
                .await
                .map_err(sdk)?;
            items.extend(
                out.responses
                    .and_then(|mut r| r.remove(&self.table.name))
                    .unwrap_or_default(),
            );
            let unread = out
                .unprocessed_keys
                .and_then(|mut u| u.remove(&self.table.name))
                .filter(|k| !k.keys().is_empty());
            match unread {
                None => {
                    let find = |k: &Item| items.iter().find(|i| same_key(i, k));
                    return Ok(DeliveryInputs {
                        entry: find(&entry_key).map(entry_from).transpose()?,
                        endpoint: find(&endpoint_key).map(endpoint_from).transpose()?,
                        message: find(&message_key)
                            .map(|i| message_from(&t.tenant, &t.message_id, i))
                            .transpose()?,
                    });
                }
                Some(_) if round + 1 == ROUNDS => break,
                // DynamoDB may leave keys unread under load: read them again after a pause.
                Some(rest) => {
                    pending = rest;
                    tokio::time::sleep(Duration::from_millis(20 << round)).await;
                }
            }
        }
        // Keys still unread after every round.
        Err(StoreError::Throttled)
    }
}
