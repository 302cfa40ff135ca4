//! The endpoint's log read page by page: from its partition (every entry, or one status),
//! or for `failed` through the sparse index.

use super::DynamoDbDeliveryLog;
use crate::attrs::*;
use crate::entries::*;
use crate::error::sdk;
use webhooks_core::model::{DeliveryStatus, LogEntry, Page};
use webhooks_core::ports::StoreResult;
use webhooks_core::{EndpointId, MessageId, TenantId};

/// Query rounds one filtered page may take before it returns what it has, with a cursor.
const PAGE_ROUNDS: usize = 8;

impl DynamoDbDeliveryLog {
    /// One page of the endpoint's entries read from its partition, newest first, keeping
    /// those of `status` (all when `None`). A filter may leave a page short: it then ends
    /// after [`PAGE_ROUNDS`] reads with a cursor to go on from.
    pub(super) async fn list_partition(
        &self,
        tenant: &TenantId,
        ep: &EndpointId,
        status: Option<DeliveryStatus>,
        after: Option<MessageId>,
        limit: usize,
    ) -> StoreResult<Page<LogEntry>> {
        let pk = log_pk(tenant, ep);
        // Start keys are rebuilt from the caller's tenant and endpoint, never taken from the
        // client, so a cursor cannot reach into another partition.
        let mut start = after.map(|m| key(pk.clone(), delivery_sk(&m)));
        let mut data = Vec::new();
        for _ in 0..PAGE_ROUNDS {
            let mut q = self
                .table
                .client
                .query()
                .table_name(&self.table.name)
                .key_condition_expression("pk = :pk AND begins_with(sk, :d)")
                .expression_attribute_values(":pk", s(pk.clone()))
                .expression_attribute_values(":d", s("D#"))
                .scan_index_forward(false)
                .limit(i32::try_from(limit - data.len()).unwrap_or(i32::MAX))
                .consistent_read(true)
                .set_exclusive_start_key(start);
            if let Some(st) = status {
                q = q
                    .filter_expression("#st = :st")
                    .expression_attribute_names("#st", "status")
                    .expression_attribute_values(":st", s(st.as_str()));
            }
            let out = q.send().await.map_err(sdk)?;
            for item in out.items().iter().filter(|i| live(i)) {
                data.push(entry_from(item)?);
            }
            start = out.last_evaluated_key;
            if start.is_none() || data.len() == limit {
                break;
            }
        }
        Ok(Page {
            next_cursor: start
                .as_ref()
                .and_then(|k| {
                    k.get(SK)?
                        .as_s()
                        .ok()?
                        .strip_prefix("D#")
                        .map(str::to_owned)
                })
                .and_then(|m| MessageId::parse(&m).ok())
                .map(|m| Page::cursor_after(&m)),
            data,
        })
    }

    /// One page of the endpoint's failed entries, newest first, through the sparse index
    /// (which also holds entries still retrying: they are read and left out).
    pub(super) async fn list_failed(
        &self,
        tenant: &TenantId,
        ep: &EndpointId,
        after: Option<MessageId>,
        limit: usize,
    ) -> StoreResult<Page<LogEntry>> {
        let gpk = trouble_pk(tenant, ep);
        let mut start = after.map(|m| {
            let mut k = key(log_pk(tenant, ep), delivery_sk(&m));
            k.insert(GSI1_PK.into(), s(gpk.clone()));
            k.insert(GSI1_SK.into(), s(m.as_str()));
            k
        });
        let mut data = Vec::new();
        for _ in 0..PAGE_ROUNDS {
            let out = self
                .table
                .client
                .query()
                .table_name(&self.table.name)
                .index_name(GSI1)
                .key_condition_expression("gsi1pk = :g")
                .expression_attribute_values(":g", s(gpk.clone()))
                .scan_index_forward(false)
                .limit(i32::try_from(limit - data.len()).unwrap_or(i32::MAX))
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(sdk)?;
            let keys: Vec<Item> = out
                .items()
                .iter()
                .filter_map(|i| Some(key(get_s(i, PK).ok()?.to_owned(), get_s(i, SK).ok()?)))
                .collect();
            let mut entries = self
                .table
                .batch_get(keys, true)
                .await?
                .iter()
                .map(entry_from)
                .collect::<StoreResult<Vec<_>>>()?;
            entries.retain(|e| e.status == DeliveryStatus::Failed);
            entries.sort_by(|a, b| b.message_id.cmp(&a.message_id));
            data.extend(entries);
            start = out.last_evaluated_key;
            if start.is_none() || data.len() >= limit {
                break;
            }
        }
        Ok(Page {
            next_cursor: start
                .as_ref()
                .and_then(|k| MessageId::parse(k.get(GSI1_SK)?.as_s().ok()?).ok())
                .map(|m| Page::cursor_after(&m)),
            data,
        })
    }
}
