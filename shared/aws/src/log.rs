//! `DeliveryLog` on DynamoDB. Per endpoint, one partition `L#<tenant>#<endpoint>` holds the
//! delivery entries (`D#<msg>`), their attempts (`A#<msg>#<n>`) and hourly stats
//! (`H#<hour>`). Index `gsi1` (`L#<tenant>#<endpoint>#<status>`, msg id) serves the
//! status filter. Every transition is one transaction with the endpoint's counters.

use crate::attrs::*;
use crate::error::{sdk, transaction};
use async_trait::async_trait;
use aws_sdk_dynamodb::types::{Put, TransactWriteItem, Update};
use chrono::{DateTime, DurationRound, TimeDelta, Utc};
use std::sync::Arc;
use webhooks_core::model::{
    Attempt, Counters, DeliveryStatus, HourBucket, LogEntry, Message, Page,
};
use webhooks_core::ports::{DeliveryLog, StoreResult};
use webhooks_core::{EndpointId, MessageId, StoreError, TenantId};

pub struct DynamoDbDeliveryLog {
    table: Arc<Table>,
}

impl DynamoDbDeliveryLog {
    pub(crate) fn new(table: Arc<Table>) -> Self {
        Self { table }
    }

    fn update(&self, k: Item) -> aws_sdk_dynamodb::types::builders::UpdateBuilder {
        Update::builder()
            .table_name(&self.table.name)
            .set_key(Some(k))
    }

    /// Adds `delta` to the endpoint's counters; fails the transaction if it was deleted.
    /// `failing`: `Some((true, at))` starts a failure run at `at` unless one is running,
    /// `Some((false, _))` ends it, `None` leaves it.
    fn counters(
        &self,
        tenant: &TenantId,
        ep: &EndpointId,
        d: Counters,
        failing: Option<(bool, DateTime<Utc>)>,
    ) -> StoreResult<TransactWriteItem> {
        let mut expr =
            "ADD delivered :cd, failed_attempts :cfa, failed_messages :cfm, in_flight :cif"
                .to_owned();
        let mut u = self
            .update(key(tenant_pk(tenant), endpoint_sk(ep)))
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_values(":cd", n(d.delivered))
            .expression_attribute_values(":cfa", n(d.failed_attempts))
            .expression_attribute_values(":cfm", n(d.failed_messages))
            .expression_attribute_values(":cif", n(d.in_flight));
        match failing {
            Some((true, at)) => {
                expr.push_str(" SET failing_since = if_not_exists(failing_since, :fs)");
                u = u.expression_attribute_values(":fs", ms(at));
            }
            Some((false, _)) => expr.push_str(" REMOVE failing_since"),
            None => {}
        }
        let u = u
            .update_expression(expr)
            .build()
            .map_err(StoreError::backend)?;
        Ok(TransactWriteItem::builder().update(u).build())
    }
}

pub(crate) fn entry_from(item: &Item) -> StoreResult<LogEntry> {
    let status = get_s(item, "status")?;
    Ok(LogEntry {
        message_id: parsed(MessageId::parse(get_s(item, "message_id")?))?,
        event_type: get_s(item, "event_type")?.to_owned(),
        created_at: get_time(item, "created_at")?,
        status: DeliveryStatus::parse(status)
            .ok_or_else(|| StoreError::Backend(format!("bad status {status}")))?,
        attempt_count: get_n(item, "attempt_count")?,
        series_start: opt_n(item, "series_start").unwrap_or(0),
        last_attempt_at: opt_time(item, "last_attempt_at"),
        next_attempt_at: opt_time(item, "next_attempt_at"),
    })
}

fn hour_of(t: DateTime<Utc>) -> DateTime<Utc> {
    t.duration_trunc(TimeDelta::hours(1)).unwrap_or(t)
}

#[async_trait]
impl DeliveryLog for DynamoDbDeliveryLog {
    async fn create(&self, m: &Message, endpoints: &[EndpointId]) -> StoreResult<Vec<EndpointId>> {
        let mut created = Vec::new();
        for ep in endpoints {
            let mut item = key(log_pk(&m.tenant, ep), delivery_sk(&m.id));
            item.extend([
                ("message_id".to_owned(), s(m.id.as_str())),
                ("event_type".to_owned(), s(&m.event_type)),
                ("created_at".to_owned(), ms(m.created_at)),
                ("status".to_owned(), s("pending")),
                ("attempt_count".to_owned(), n(0)),
                ("series_start".to_owned(), n(0)),
                (GSI1_PK.to_owned(), s(status_pk(&m.tenant, ep, "pending"))),
                (GSI1_SK.to_owned(), s(m.id.as_str())),
                (TTL.to_owned(), self.table.expires(m.created_at)),
            ]);
            let put = Put::builder()
                .table_name(&self.table.name)
                .set_item(Some(item))
                .condition_expression("attribute_not_exists(pk)")
                .build()
                .map_err(StoreError::backend)?;
            let bump = Counters {
                in_flight: 1,
                ..Counters::default()
            };
            let result = self
                .table
                .client
                .transact_write_items()
                .transact_items(TransactWriteItem::builder().put(put).build())
                .transact_items(self.counters(&m.tenant, ep, bump, None)?)
                .send()
                .await
                .map_err(transaction);
            match result {
                Ok(_) => created.push(ep.clone()),
                // Already there (a retried fan-out), or the endpoint was just deleted.
                Err(StoreError::Conflict) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(created)
    }

    async fn get(
        &self,
        tenant: &TenantId,
        ep: &EndpointId,
        msg: &MessageId,
    ) -> StoreResult<Option<LogEntry>> {
        let item = self
            .table
            .get(key(log_pk(tenant, ep), delivery_sk(msg)))
            .await?;
        item.as_ref().map(entry_from).transpose()
    }

    async fn record_attempt(
        &self,
        tenant: &TenantId,
        ep: &EndpointId,
        msg: &MessageId,
        a: &Attempt,
        status_after: DeliveryStatus,
        next_attempt_at: Option<DateTime<Utc>>,
    ) -> StoreResult<()> {
        let pk = log_pk(tenant, ep);
        let mut set =
            "SET attempt_count = :n, #st = :st, last_attempt_at = :la, gsi1pk = :g".to_owned();
        let mut entry = self
            .update(key(pk.clone(), delivery_sk(msg)))
            .condition_expression("attempt_count = :prev AND #st = :pending")
            .expression_attribute_names("#st", "status")
            .expression_attribute_values(":n", n(a.number))
            .expression_attribute_values(":prev", n(a.number.saturating_sub(1)))
            .expression_attribute_values(":pending", s("pending"))
            .expression_attribute_values(":st", s(status_after.as_str()))
            .expression_attribute_values(":la", ms(a.started_at))
            .expression_attribute_values(":g", s(status_pk(tenant, ep, status_after.as_str())));
        match next_attempt_at {
            Some(at) => {
                set.push_str(", next_attempt_at = :na");
                entry = entry.expression_attribute_values(":na", ms(at));
            }
            None => set.push_str(" REMOVE next_attempt_at"),
        }
        let entry = entry
            .update_expression(set)
            .build()
            .map_err(StoreError::backend)?;

        let mut attempt = key(pk.clone(), attempt_sk(msg, a.number));
        attempt.extend([
            ("number".to_owned(), n(a.number)),
            ("started_at".to_owned(), ms(a.started_at)),
            ("duration_ms".to_owned(), n(a.duration_ms)),
            (TTL.to_owned(), self.table.expires(a.started_at)),
        ]);
        if let Some(c) = a.status_code {
            attempt.insert("status_code".into(), n(c));
        }
        if let Some(e) = &a.error {
            attempt.insert("error".into(), s(e));
        }
        if let Some(x) = &a.response_excerpt {
            attempt.insert("response_excerpt".into(), s(x));
        }
        let attempt = Put::builder()
            .table_name(&self.table.name)
            .set_item(Some(attempt))
            .condition_expression("attribute_not_exists(pk)")
            .build()
            .map_err(StoreError::backend)?;

        let ok = a.succeeded();
        let hour = hour_of(a.started_at);
        let stats = self
            .update(key(pk, hour_sk(hour.timestamp_millis())))
            .update_expression("ADD delivered :hd, failed :hf SET hour_ms = :h, expires_at = :ttl")
            .expression_attribute_values(":hd", n(u8::from(ok)))
            .expression_attribute_values(":hf", n(u8::from(!ok)))
            .expression_attribute_values(":h", ms(hour))
            .expression_attribute_values(":ttl", self.table.expires(a.started_at))
            .build()
            .map_err(StoreError::backend)?;

        self.table
            .client
            .transact_write_items()
            .transact_items(TransactWriteItem::builder().update(entry).build())
            .transact_items(TransactWriteItem::builder().put(attempt).build())
            .transact_items(self.counters(
                tenant,
                ep,
                Counters::delta(ok, status_after),
                Some((!ok, a.started_at)),
            )?)
            .transact_items(TransactWriteItem::builder().update(stats).build())
            .send()
            .await
            .map_err(transaction)?;
        Ok(())
    }

    async fn restart(
        &self,
        tenant: &TenantId,
        ep: &EndpointId,
        msg: &MessageId,
    ) -> StoreResult<bool> {
        let entry = self
            .update(key(log_pk(tenant, ep), delivery_sk(msg)))
            .update_expression("SET #st = :pending, series_start = attempt_count, gsi1pk = :g REMOVE next_attempt_at")
            .condition_expression("#st = :failed")
            .expression_attribute_names("#st", "status")
            .expression_attribute_values(":pending", s("pending"))
            .expression_attribute_values(":failed", s("failed"))
            .expression_attribute_values(":g", s(status_pk(tenant, ep, "pending")))
            .build()
            .map_err(StoreError::backend)?;
        let moved = Counters {
            failed_messages: -1,
            in_flight: 1,
            ..Counters::default()
        };
        let result = self
            .table
            .client
            .transact_write_items()
            .transact_items(TransactWriteItem::builder().update(entry).build())
            .transact_items(self.counters(tenant, ep, moved, None)?)
            .send()
            .await
            .map_err(transaction);
        match result {
            Ok(_) => Ok(true),
            Err(StoreError::Conflict) => Ok(false),
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
        let limit_i32 = i32::try_from(limit).unwrap_or(i32::MAX);
        let q = self
            .table
            .client
            .query()
            .table_name(&self.table.name)
            .scan_index_forward(false)
            .limit(limit_i32);
        // Start keys are rebuilt from the caller's tenant and endpoint, never taken from the
        // client, so a cursor cannot reach into another partition.
        let q = match status {
            None => {
                let pk = log_pk(tenant, ep);
                let start = after.map(|m| key(pk.clone(), delivery_sk(&m)));
                q.key_condition_expression("pk = :pk AND begins_with(sk, :d)")
                    .expression_attribute_values(":pk", s(pk))
                    .expression_attribute_values(":d", s("D#"))
                    .consistent_read(true)
                    .set_exclusive_start_key(start)
            }
            Some(st) => {
                let gpk = status_pk(tenant, ep, st.as_str());
                let start = after.map(|m| {
                    let mut k = key(log_pk(tenant, ep), delivery_sk(&m));
                    k.insert(GSI1_PK.into(), s(gpk.clone()));
                    k.insert(GSI1_SK.into(), s(m.as_str()));
                    k
                });
                q.index_name(GSI1)
                    .key_condition_expression("gsi1pk = :g")
                    .expression_attribute_values(":g", s(gpk))
                    .set_exclusive_start_key(start)
            }
        };
        let out = q.send().await.map_err(sdk)?;
        let data = out
            .items()
            .iter()
            .map(entry_from)
            .collect::<StoreResult<Vec<_>>>()?;
        // DynamoDB may report a last key on a full last page; an empty next page is harmless.
        let next_cursor = if out.last_evaluated_key.is_some() && data.len() == limit {
            data.last().map(|e| Page::cursor_after(&e.message_id))
        } else {
            None
        };
        Ok(Page { data, next_cursor })
    }

    async fn attempts(
        &self,
        tenant: &TenantId,
        ep: &EndpointId,
        msg: &MessageId,
    ) -> StoreResult<Vec<Attempt>> {
        let out = self
            .table
            .client
            .query()
            .table_name(&self.table.name)
            .key_condition_expression("pk = :pk AND begins_with(sk, :a)")
            .expression_attribute_values(":pk", s(log_pk(tenant, ep)))
            .expression_attribute_values(":a", s(format!("A#{msg}#")))
            .consistent_read(true)
            .send()
            .await
            .map_err(sdk)?;
        out.items()
            .iter()
            .map(|i| {
                Ok(Attempt {
                    number: get_n(i, "number")?,
                    started_at: get_time(i, "started_at")?,
                    duration_ms: get_n(i, "duration_ms")?,
                    status_code: opt_n(i, "status_code"),
                    error: opt_s(i, "error"),
                    response_excerpt: opt_s(i, "response_excerpt"),
                })
            })
            .collect()
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
