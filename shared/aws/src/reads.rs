//! `DeliveryReader` on DynamoDB. A task fresh from the fan-out carries its attempt number
//! and message, so its delivery reads one item, the endpoint, eventually consistent (half a
//! read unit), and no entry, which its first attempt creates; a retry still carries its body, so it reads entry and endpoint in one
//! consistent `BatchGetItem`; a task without body (replays, large events) reads the
//! message too (docs/DYNAMODB.md).

use crate::attrs::*;
use crate::endpoints::from_item as endpoint_from;
use crate::entries::entry_from;
use crate::messages::message_from;
use async_trait::async_trait;
use std::sync::Arc;
use webhooks_core::model::{DeliveryTask, Payload, Progress};
use webhooks_core::ports::{DeliveryInputs, DeliveryReader, StoreResult};

pub struct DynamoDbDeliveryReader {
    table: Arc<Table>,
}

impl DynamoDbDeliveryReader {
    pub(crate) fn new(table: Arc<Table>) -> Self {
        Self { table }
    }
}

#[async_trait]
impl DeliveryReader for DynamoDbDeliveryReader {
    async fn read(&self, t: &DeliveryTask) -> StoreResult<DeliveryInputs> {
        let endpoint_key = key(tenant_pk(&t.tenant), endpoint_sk(&t.endpoint_id));
        let hinted = t.hinted_payload();
        if let (Some(entry), Some(payload)) = (t.implied_entry(), &hinted) {
            // A stale read can only miss an endpoint created a moment ago: read it again
            // consistently before concluding it is gone.
            let item = match self.table.get_with(endpoint_key.clone(), false).await? {
                Some(item) => Some(item),
                None => self.table.get(endpoint_key).await?,
            };
            return Ok(DeliveryInputs {
                entry,
                endpoint: item.as_ref().map(endpoint_from).transpose()?,
                message: Some(payload.clone()),
            });
        }
        let entry_key = entry_key(&t.key());
        let message_key = key(message_pk(&t.tenant, &t.message_id), "M");
        let mut keys = vec![entry_key.clone(), endpoint_key.clone()];
        if hinted.is_none() {
            keys.push(message_key.clone());
        }
        let items = self.table.batch_get(keys, true).await?;
        let find = |k: &Item| items.iter().find(|i| same_key(i, k));
        Ok(DeliveryInputs {
            entry: find(&entry_key)
                .map(entry_from)
                .transpose()?
                .as_ref()
                .map(Progress::from),
            endpoint: find(&endpoint_key).map(endpoint_from).transpose()?,
            message: match (hinted, find(&message_key)) {
                (Some(payload), _) => Some(payload),
                (None, Some(i)) => message_from(&t.tenant, &t.message_id, i)?
                    .as_ref()
                    .map(Payload::from),
                (None, None) => None,
            },
        })
    }
}
