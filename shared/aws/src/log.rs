//! `DeliveryLog` on DynamoDB. Per endpoint, one partition `L#<tenant>#<endpoint>` holds the
//! delivery entries (`D#<msg>`, created by their first attempt, with their attempts and the
//! last failed attempts' excerpts inline) and hourly stats (`H#<hour>`). Every transition is
//! one conditional write of the entry alone: no transaction, no shared item. Counters, the
//! endpoint's `failing_since` and the hourly stats follow from the table's stream
//! (`crate::counters`). Index `gsi1` (keys, status, due time, parking) holds the entries
//! that failed at least once and were not delivered since, for the `failed` filter and the
//! sweep. The paged listings are in `pages`.

use crate::attrs::*;
use crate::entries::*;
use crate::error::sdk;
use async_trait::async_trait;
use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, Utc};
use std::sync::Arc;
use webhooks_core::model::{
    Attempt, Counters, DeliveryKey, DeliveryStatus, HourBucket, LogEntry, MessageMeta, NextAttempt,
    Page,
};
use webhooks_core::ports::{DeliveryLog, Due, StoreResult};
use webhooks_core::{EndpointId, StoreError, TenantId};

mod pages;

pub struct DynamoDbDeliveryLog {
    table: Arc<Table>,
}

impl DynamoDbDeliveryLog {
    pub(crate) fn new(table: Arc<Table>) -> Self {
        Self { table }
    }
}

#[async_trait]
impl DeliveryLog for DynamoDbDeliveryLog {
    async fn get(&self, delivery: &DeliveryKey) -> StoreResult<Option<LogEntry>> {
        let item = self.table.get(entry_key(delivery)).await?;
        item.as_ref().map(entry_from).transpose()
    }

    async fn record_attempt(
        &self,
        delivery: &DeliveryKey,
        m: &MessageMeta,
        a: &Attempt,
        status_after: DeliveryStatus,
        next: Option<NextAttempt>,
    ) -> StoreResult<()> {
        let (tenant, ep) = (&delivery.tenant, &delivery.endpoint);
        let ok = a.succeeded();
        let mut set = vec![
            "attempt_count = :n",
            "#st = :st",
            "last_attempt_at = :la",
            "attempts = list_append(if_not_exists(attempts, :none), :a)",
        ];
        let mut remove = Vec::new();
        let mut u = self
            .table
            .client
            .update_item()
            .table_name(&self.table.name)
            .set_key(Some(entry_key(delivery)))
            .expression_attribute_names("#st", "status")
            .expression_attribute_values(":n", n(a.number))
            .expression_attribute_values(":st", s(status_after.as_str()))
            .expression_attribute_values(":la", ms(a.started_at))
            .expression_attribute_values(":none", AttributeValue::L(Vec::new()))
            .expression_attribute_values(":a", AttributeValue::L(vec![s(encode_attempt(a))]));
        if a.number == 1 {
            // The first attempt creates the entry (an update of an absent item puts it).
            set.extend(["event_type = :et", "created_at = :ca", "expires_at = :ttl"]);
            u = u
                .condition_expression("attribute_not_exists(pk)")
                .expression_attribute_values(":et", s(&m.event_type))
                .expression_attribute_values(":ca", ms(m.created_at))
                .expression_attribute_values(":ttl", self.table.expires(m.created_at));
        } else {
            u = u
                .condition_expression("attempt_count = :prev AND #st = :pending")
                .expression_attribute_values(":prev", n(a.number - 1))
                .expression_attribute_values(":pending", s("pending"));
        }
        match next {
            Some(NextAttempt { at, parked }) => {
                set.push("next_attempt_at = :na");
                u = u.expression_attribute_values(":na", ms(at));
                if parked {
                    set.push("parked = :parked");
                    u = u.expression_attribute_values(":parked", AttributeValue::Bool(true));
                } else {
                    remove.push("parked");
                }
            }
            None => remove.extend(["next_attempt_at", "parked"]),
        }
        // Which queue message made it: a second one for the same delivery then steps aside.
        u = u.expression_attribute_names("#tk", "task");
        match &a.task {
            Some(t) => {
                set.push("#tk = :task");
                u = u.expression_attribute_values(":task", s(t));
            }
            None => remove.push("#tk"),
        }
        let excerpt = a.response_excerpt.as_deref().filter(|x| !x.is_empty());
        if ok {
            // Out of the trouble index (a no-op for the usual first-time success).
            remove.extend(["gsi1pk", "gsi1sk"]);
            if let Some(x) = excerpt {
                set.push("ok_excerpt = :x");
                u = u.expression_attribute_values(":x", s(x));
            }
        } else {
            // Into the trouble index; unchanged keys on later failures cost no index write.
            set.extend(["gsi1pk = :g", "gsi1sk = :m"]);
            u = u
                .expression_attribute_values(":g", s(trouble_pk(tenant, ep)))
                .expression_attribute_values(":m", s(delivery.message.as_str()));
            if let Some(x) = excerpt {
                set.push("#x = :x");
                u = u
                    .expression_attribute_names("#x", excerpt_attr(a.number))
                    .expression_attribute_values(":x", AttributeValue::B(packed_excerpt(x).into()));
            }
            // The entry keeps the excerpts of its last few failed attempts only, so that it
            // stays within a few write units however many attempts it records.
            if let Some(old) = a.number.checked_sub(EXCERPTS_KEPT).filter(|n| *n >= 1) {
                remove.push("#xo");
                u = u.expression_attribute_names("#xo", excerpt_attr(old));
            }
        }
        let mut expr = format!("SET {}", set.join(", "));
        if !remove.is_empty() {
            expr.push_str(&format!(" REMOVE {}", remove.join(", ")));
        }
        u.update_expression(expr).send().await.map_err(sdk)?;
        Ok(())
    }

    async fn restart(&self, delivery: &DeliveryKey) -> StoreResult<bool> {
        let DeliveryKey {
            tenant,
            message: msg,
            ..
        } = delivery;
        // The payload first: it must outlive the new series too (and still be there).
        let kept = self
            .table
            .client
            .update_item()
            .table_name(&self.table.name)
            .set_key(Some(key(message_pk(tenant, msg), "M")))
            .update_expression("SET expires_at = :ttl")
            .condition_expression("attribute_exists(pk) AND expires_at > :now AND message_id = :m")
            .expression_attribute_values(":ttl", self.table.expires_from_now())
            .expression_attribute_values(":now", n(Utc::now().timestamp()))
            .expression_attribute_values(":m", s(msg.as_str()))
            .send()
            .await
            .map_err(sdk);
        if !applied(kept)? {
            return Ok(false);
        }
        let result = self
            .table
            .client
            .update_item()
            .table_name(&self.table.name)
            .set_key(Some(entry_key(delivery)))
            // A new series gets a full retention period, so the entry cannot expire mid-way.
            .update_expression(
                "SET #st = :pending, series_start = attempt_count, expires_at = :ttl, next_attempt_at = :now REMOVE parked",
            )
            .condition_expression("#st = :failed")
            .expression_attribute_names("#st", "status")
            .expression_attribute_values(":pending", s("pending"))
            .expression_attribute_values(":failed", s("failed"))
            .expression_attribute_values(":ttl", self.table.expires_from_now())
            .expression_attribute_values(":now", ms(Utc::now()))
            .send()
            .await
            .map_err(sdk);
        applied(result)
    }

    async fn unpark(&self, delivery: &DeliveryKey, at: DateTime<Utc>) -> StoreResult<bool> {
        let result = self
            .table
            .client
            .update_item()
            .table_name(&self.table.name)
            .set_key(Some(entry_key(delivery)))
            // Only a pending entry is parked (every other write clears the flag), so the
            // condition names no more attributes than the sweep's policy allows.
            .update_expression("REMOVE parked")
            .condition_expression("parked = :t AND next_attempt_at = :at")
            .expression_attribute_values(":t", AttributeValue::Bool(true))
            .expression_attribute_values(":at", ms(at))
            .send()
            .await
            .map_err(sdk);
        applied(result)
    }

    async fn due(
        &self,
        horizon: DateTime<Utc>,
        cursor: Option<&str>,
        limit: usize,
    ) -> StoreResult<Page<Due>> {
        // Every pending entry has failed once or been replayed, so it is in the sparse index,
        // which projects status, due time and parking: one scan of it, no read of the entries.
        let start = cursor.map(decode_scan_key).transpose()?;
        let out = self
            .table
            .client
            .scan()
            .table_name(&self.table.name)
            .index_name(GSI1)
            .filter_expression(
                "#st = :pending AND (attribute_not_exists(next_attempt_at) OR next_attempt_at < :horizon)",
            )
            .projection_expression("pk, sk, next_attempt_at, parked")
            .expression_attribute_names("#st", "status")
            .expression_attribute_values(":pending", s("pending"))
            .expression_attribute_values(":horizon", ms(horizon))
            .limit(i32::try_from(limit.max(1)).unwrap_or(i32::MAX))
            .set_exclusive_start_key(start)
            .send()
            .await
            .map_err(sdk)?;
        let data = out
            .items()
            .iter()
            .filter_map(|i| {
                Some(Due {
                    task: task_of_entry_key(i)?,
                    at: opt_time(i, "next_attempt_at"),
                    parked: is_parked(i),
                })
            })
            .collect();
        Ok(Page {
            data,
            next_cursor: out.last_evaluated_key.as_ref().map(encode_scan_key),
        })
    }

    async fn recount(&self, tenant: &TenantId, ep: &EndpointId) -> StoreResult<Option<Counters>> {
        let mut c = Counters::default();
        let mut start = None;
        loop {
            let out = self
                .table
                .client
                .query()
                .table_name(&self.table.name)
                .key_condition_expression("pk = :pk AND begins_with(sk, :d)")
                .expression_attribute_values(":pk", s(log_pk(tenant, ep)))
                .expression_attribute_values(":d", s("D#"))
                .projection_expression("#st, attempts, expires_at")
                .expression_attribute_names("#st", "status")
                .consistent_read(true)
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(sdk)?;
            for item in out.items().iter().filter(|i| live(i)) {
                let attempts = attempts_of(item)?;
                c = c + Counters::change(
                    None,
                    Some(status_of(item)?),
                    attempts.iter().map(Attempt::succeeded),
                );
            }
            start = out.last_evaluated_key;
            if start.is_none() {
                break;
            }
        }
        let write = self
            .table
            .client
            .update_item()
            .table_name(&self.table.name)
            .set_key(Some(key(tenant_pk(tenant), endpoint_sk(ep))))
            .update_expression(
                "SET delivered = :d, failed_attempts = :fa, failed_messages = :fm, in_flight = :i",
            )
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_values(":d", n(c.delivered))
            .expression_attribute_values(":fa", n(c.failed_attempts))
            .expression_attribute_values(":fm", n(c.failed_messages))
            .expression_attribute_values(":i", n(c.in_flight))
            .send()
            .await
            .map_err(sdk);
        match write {
            Ok(_) => Ok(Some(c)),
            Err(StoreError::Conflict) => Ok(None),
            Err(e) => Err(e),
        }
    }

    async fn list(
        &self,
        tenant: &TenantId,
        ep: &EndpointId,
        status: Option<DeliveryStatus>,
        cursor: Option<&str>,
        limit: usize,
    ) -> StoreResult<Page<LogEntry>> {
        let after = cursor.map(Page::decode_cursor).transpose()?;
        let limit = limit.max(1);
        match status {
            Some(DeliveryStatus::Failed) => self.list_failed(tenant, ep, after, limit).await,
            other => self.list_partition(tenant, ep, other, after, limit).await,
        }
    }

    async fn attempts(&self, delivery: &DeliveryKey) -> StoreResult<Vec<Attempt>> {
        let entry = self.table.get(entry_key(delivery)).await?;
        entry
            .as_ref()
            .map_or_else(|| Ok(Vec::new()), attempts_with_excerpts)
    }

    async fn hourly_stats(
        &self,
        tenant: &TenantId,
        ep: &EndpointId,
        since: DateTime<Utc>,
    ) -> StoreResult<Vec<HourBucket>> {
        let out = self
            .table
            .client
            .query()
            .table_name(&self.table.name)
            .key_condition_expression("pk = :pk AND sk BETWEEN :from AND :to")
            .expression_attribute_values(":pk", s(log_pk(tenant, ep)))
            .expression_attribute_values(":from", s(hour_sk(hour_of(since).timestamp_millis())))
            .expression_attribute_values(":to", s("H#~"))
            .send()
            .await
            .map_err(sdk)?;
        out.items()
            .iter()
            .map(|i| {
                Ok(HourBucket {
                    hour: get_time(i, "hour_ms")?,
                    delivered: opt_n(i, "delivered").unwrap_or(0),
                    failed: opt_n(i, "failed").unwrap_or(0),
                })
            })
            .collect()
    }
}
