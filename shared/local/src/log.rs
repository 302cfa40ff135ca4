//! `DeliveryLog` on SQLite: delivery entries (created by their first attempt), attempts, and
//! the endpoint counters, which change in the same transaction as the entry they count, as
//! does the delivery's task in the local queue (same database).
//! Over 400 lines for a reason: one trait implementation, whose writes that move the
//! counters (`record_attempt`, `restart`, `recount`) must be read together to see that
//! they agree.

use crate::db::{from_ms, ms, parse_col, Db};
use crate::queue::{remove_task, reschedule_task};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension, Row};
use webhooks_core::model::{
    now, Attempt, Counters, DeliveryKey, DeliveryStatus, DeliveryTask, HourBucket, LogEntry,
    MessageMeta, NextAttempt, Page,
};
use webhooks_core::ports::{DeliveryLog, Due, StoreResult};
use webhooks_core::{EndpointId, MessageId, StoreError, TenantId};

#[derive(Clone)]
pub struct SqliteDeliveryLog {
    db: Db,
}

impl SqliteDeliveryLog {
    pub fn new(db: Db) -> Self {
        Self { db }
    }
}

const ENTRY_COLUMNS: &str =
    "message_id, event_type, created_at, status, attempt_count, last_attempt_at, \
                             next_attempt_at, series_start, parked";

fn row_to_entry(r: &Row<'_>) -> rusqlite::Result<LogEntry> {
    let status: String = r.get(3)?;
    Ok(LogEntry {
        message_id: parse_col(0, MessageId::parse(&r.get::<_, String>(0)?))?,
        event_type: r.get(1)?,
        created_at: from_ms(r.get(2)?),
        status: parse_col(3, DeliveryStatus::parse(&status).ok_or("bad status"))?,
        attempt_count: r.get(4)?,
        last_attempt_at: r.get::<_, Option<i64>>(5)?.map(from_ms),
        next_attempt_at: r.get::<_, Option<i64>>(6)?.map(from_ms),
        series_start: r.get(7)?,
        parked: r.get(8)?,
        // One process leases each task to one worker: no second copy to tell apart.
        last_task: None,
    })
}

/// The delivery entry of `msg` on `ep`, on a connection the caller holds.
pub(crate) fn get_entry(
    c: &Connection,
    tenant: &TenantId,
    ep: &EndpointId,
    msg: &MessageId,
) -> rusqlite::Result<Option<LogEntry>> {
    c.prepare_cached(&format!(
        "SELECT {ENTRY_COLUMNS} FROM deliveries WHERE tenant = ?1 AND endpoint_id = ?2 AND message_id = ?3"
    ))?
    .query_row(
        params![tenant.as_str(), ep.as_str(), msg.as_str()],
        row_to_entry,
    )
    .optional()
}

#[async_trait]
impl DeliveryLog for SqliteDeliveryLog {
    async fn get(&self, delivery: &DeliveryKey) -> StoreResult<Option<LogEntry>> {
        let d = delivery.clone();
        self.db
            .lookup(move |c| Ok(get_entry(c, &d.tenant, &d.endpoint, &d.message)?))
            .await
    }

    async fn record_attempt(
        &self,
        delivery: &DeliveryKey,
        m: &MessageMeta,
        a: &Attempt,
        status_after: DeliveryStatus,
        next: Option<NextAttempt>,
    ) -> StoreResult<()> {
        let (t, ep, msg) = (
            delivery.tenant.to_string(),
            delivery.endpoint.to_string(),
            delivery.message.to_string(),
        );
        let (m, a) = (m.clone(), a.clone());
        // Unguarded: its one expected failure (a conflict) comes before it changes a row.
        // A failure that starts the endpoint's failure streak makes the delivery reader's
        // copy of it stale (`crate::endpoint_cache`).
        self.db
            .call_on_endpoints(false, |began_failing: &bool| *began_failing, move |c| {
                let msg = msg.as_str();
                let first = a.number == 1;
                // The first attempt creates the entry; a later one needs it pending with the
                // attempts before it. Either way a duplicate task changes no row.
                let (t, ep) = (t.as_str(), ep.as_str());
                let (status, last) = (status_after.as_str(), ms(a.started_at));
                let (next, parked) = (next.map(|n| ms(n.at)), next.is_some_and(|n| n.parked));
                let changed = if first {
                    c.prepare_cached(
                        "INSERT INTO deliveries (tenant, endpoint_id, message_id, attempt_count, status,
                                                 last_attempt_at, next_attempt_at, parked, event_type, created_at)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) ON CONFLICT DO NOTHING",
                    )
                    .and_then(|mut s| {
                        s.execute(params![t, ep, msg, a.number, status, last, next, parked, m.event_type, ms(m.created_at)])
                    })
                } else {
                    c.prepare_cached(
                        "UPDATE deliveries SET attempt_count = ?4, status = ?5, last_attempt_at = ?6, next_attempt_at = ?7,
                                               parked = ?8
                         WHERE tenant = ?1 AND endpoint_id = ?2 AND message_id = ?3
                           AND attempt_count = ?4 - 1 AND status = 'pending'",
                    )
                    .and_then(|mut s| s.execute(params![t, ep, msg, a.number, status, last, next, parked]))
                }?;
                if changed == 0 {
                    return Err(StoreError::Conflict.into());
                }
                let ok = a.succeeded();
                c.prepare_cached(
                    "INSERT INTO attempts (tenant, endpoint_id, message_id, number, started_at, duration_ms,
                                           status_code, error, response_excerpt, succeeded)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                )
                .and_then(|mut s| {
                    s.execute(params![
                        t,
                        ep,
                        msg,
                        a.number,
                        ms(a.started_at),
                        a.duration_ms,
                        a.status_code,
                        a.error,
                        a.response_excerpt,
                        ok
                    ])
                })?;
                let before = (!first).then_some(DeliveryStatus::Pending);
                let d = Counters::change(before, Some(status_after), [ok]);
                // Only a failure can start a streak; asked before the update, which is
                // the hot path's and takes no `RETURNING` (its ephemeral table slowed the
                // writer).
                let began_failing = !ok
                    && c.prepare_cached("SELECT failing_since IS NULL FROM endpoints WHERE tenant = ?1 AND id = ?2")
                        .and_then(|mut s| s.query_row(params![t, ep], |r| r.get(0)).optional())?
                        .unwrap_or(false);
                c.prepare_cached(
                    "UPDATE endpoints SET delivered = delivered + ?3, failed_attempts = failed_attempts + ?4,
                            failed_messages = failed_messages + ?5, in_flight = in_flight + ?6,
                            failing_since = CASE WHEN ?7 THEN NULL ELSE COALESCE(failing_since, ?8) END
                     WHERE tenant = ?1 AND id = ?2",
                )
                .and_then(|mut s| {
                    s.execute(params![
                        t,
                        ep,
                        d.delivered,
                        d.failed_attempts,
                        d.failed_messages,
                        d.in_flight,
                        ok,
                        ms(a.started_at)
                    ])
                })?;
                // The delivery's task moves with its entry, in the same write: removed once
                // the delivery is final, due again at the next attempt otherwise. A crash can
                // no longer leave a task behind an attempt it already made, and the worker
                // needs no second write (see `worker::process`).
                match status_after {
                    DeliveryStatus::Pending => reschedule_task(c, msg, ep, next.unwrap_or(last))?,
                    _ => remove_task(c, msg, ep)?,
                }
                Ok(began_failing)
            })
            .await
            .map(drop)
    }

    async fn restart(&self, delivery: &DeliveryKey) -> StoreResult<bool> {
        let (t, ep, msg) = (
            delivery.tenant.to_string(),
            delivery.endpoint.to_string(),
            delivery.message.to_string(),
        );
        self.db
            .call(move |c| {
                let n = c
                    .execute(
                        "UPDATE deliveries SET status = 'pending', series_start = attempt_count, next_attempt_at = ?4, parked = 0
                         WHERE tenant = ?1 AND endpoint_id = ?2 AND message_id = ?3 AND status = 'failed'",
                        params![t, ep, msg, ms(now())],
                    )?;
                if n > 0 {
                    c.execute(
                        "UPDATE endpoints SET failed_messages = failed_messages - 1, in_flight = in_flight + 1
                         WHERE tenant = ?1 AND id = ?2",
                        params![t, ep],
                    )?;
                }
                Ok(n > 0)
            })
            .await
    }

    async fn unpark(&self, delivery: &DeliveryKey, at: DateTime<Utc>) -> StoreResult<bool> {
        let (t, ep, msg) = (
            delivery.tenant.to_string(),
            delivery.endpoint.to_string(),
            delivery.message.to_string(),
        );
        self.db
            .call(move |c| {
                Ok(c.execute(
                    "UPDATE deliveries SET parked = 0
                     WHERE tenant = ?1 AND endpoint_id = ?2 AND message_id = ?3
                       AND parked = 1 AND next_attempt_at = ?4",
                    params![t, ep, msg, ms(at)],
                )
                .map(|n| n > 0)?)
            })
            .await
    }

    async fn due(
        &self,
        horizon: DateTime<Utc>,
        cursor: Option<&str>,
        limit: usize,
    ) -> StoreResult<Page<Due>> {
        // The cursor is the last (tenant, endpoint, message) listed: none of them holds a space.
        let after: Vec<String> = match cursor {
            Some(c) => c.split(' ').map(str::to_owned).collect(),
            None => vec![String::new(); 3],
        };
        if after.len() != 3 {
            return Err(StoreError::InvalidCursor);
        }
        let limit = limit.max(1);
        self.db
            .read(move |c| {
                let mut st = c
                    .prepare_cached(
                        "SELECT tenant, endpoint_id, message_id, next_attempt_at, parked FROM deliveries
                         WHERE status = 'pending' AND COALESCE(next_attempt_at, 0) < ?1
                           AND (tenant, endpoint_id, message_id) > (?2, ?3, ?4)
                         ORDER BY tenant, endpoint_id, message_id LIMIT ?5",
                    )?;
                type Row = (String, String, String, Option<i64>, bool);
                let rows = st
                    .query_map(
                        params![ms(horizon), after[0], after[1], after[2], limit as i64],
                        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
                    )
                    ?
                    .collect::<Result<Vec<Row>, _>>()?;
                let next_cursor = (rows.len() == limit)
                    .then(|| rows.last().map(|(t, e, m, _, _)| format!("{t} {e} {m}")))
                    .flatten();
                let bad = |_| StoreError::Backend("bad stored id".into());
                let data = rows
                    .into_iter()
                    .map(|(t, e, m, at, parked)| {
                        Ok(Due {
                            task: DeliveryTask::new(
                                TenantId::parse(&t).map_err(bad)?,
                                MessageId::parse(&m).map_err(bad)?,
                                EndpointId::parse(&e).map_err(bad)?,
                            ),
                            at: at.map(from_ms),
                            parked,
                        })
                    })
                    .collect::<StoreResult<_>>()?;
                Ok(Page { data, next_cursor })
            })
            .await
    }

    async fn recount(&self, tenant: &TenantId, ep: &EndpointId) -> StoreResult<Option<Counters>> {
        let (t, ep) = (tenant.to_string(), ep.to_string());
        self.db
            .call(move |c| {
                // `status != 'delivered'` lets the failed and pending counts use the partial
                // index of the entries not delivered (see `list`).
                let n = c
                    .execute(
                        "UPDATE endpoints SET
                           delivered = (SELECT COUNT(*) FROM deliveries
                                        WHERE tenant = ?1 AND endpoint_id = ?2 AND status = 'delivered'),
                           failed_messages = (SELECT COUNT(*) FROM deliveries
                                              WHERE tenant = ?1 AND endpoint_id = ?2 AND status = 'failed'
                                                AND status != 'delivered'),
                           in_flight = (SELECT COUNT(*) FROM deliveries
                                        WHERE tenant = ?1 AND endpoint_id = ?2 AND status = 'pending'
                                          AND status != 'delivered'),
                           failed_attempts = (SELECT COUNT(*) FROM attempts
                                              WHERE tenant = ?1 AND endpoint_id = ?2 AND NOT succeeded)
                         WHERE tenant = ?1 AND id = ?2",
                        params![t, ep],
                    )?;
                let counters = if n == 0 {
                    None
                } else {
                    Some(
                        c.query_row(
                            "SELECT delivered, failed_attempts, failed_messages, in_flight
                             FROM endpoints WHERE tenant = ?1 AND id = ?2",
                            params![t, ep],
                            |r| {
                                Ok(Counters {
                                    delivered: r.get(0)?,
                                    failed_attempts: r.get(1)?,
                                    failed_messages: r.get(2)?,
                                    in_flight: r.get(3)?,
                                })
                            },
                        )
                        ?,
                    )
                };
                Ok(counters)
            })
            .await
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
        let (t, ep) = (tenant.to_string(), ep.to_string());
        self.db
            .read(move |c| {
                // The sentinel sorts after every message id, so "no cursor" needs no other query.
                let before = after.map_or_else(|| "msg_~".to_owned(), |id| id.to_string());
                let fetch = i64::try_from(limit + 1).unwrap_or(i64::MAX);
                // `status != 'delivered'` names the partial index of the entries not delivered
                // (SQLite uses one only when the query states its condition).
                let filter = match status {
                    None => "AND ?3 IS NULL",
                    Some(DeliveryStatus::Delivered) => "AND status = ?3",
                    Some(_) => "AND status = ?3 AND status != 'delivered'",
                };
                let mut s = c.prepare_cached(&format!(
                    "SELECT {ENTRY_COLUMNS} FROM deliveries
                         WHERE tenant = ?1 AND endpoint_id = ?2 {filter} AND message_id < ?4
                         ORDER BY message_id DESC LIMIT ?5"
                ))?;
                let rows = s.query_map(
                    params![t, ep, status.map(DeliveryStatus::as_str), before, fetch],
                    row_to_entry,
                )?;
                let mut data: Vec<LogEntry> = rows.collect::<Result<_, _>>()?;
                let next_cursor = if data.len() > limit {
                    data.truncate(limit);
                    data.last().map(|e| Page::cursor_after(&e.message_id))
                } else {
                    None
                };
                Ok(Page { data, next_cursor })
            })
            .await
    }

    async fn attempts(&self, delivery: &DeliveryKey) -> StoreResult<Vec<Attempt>> {
        let (t, ep, msg) = (
            delivery.tenant.to_string(),
            delivery.endpoint.to_string(),
            delivery.message.to_string(),
        );
        self.db
            .read(move |c| {
                let mut s = c
                    .prepare_cached(
                        "SELECT number, started_at, duration_ms, status_code, error, response_excerpt FROM attempts
                         WHERE tenant = ?1 AND endpoint_id = ?2 AND message_id = ?3 ORDER BY number",
                    )?;
                let rows = s
                    .query_map(params![t, ep, msg], |r| {
                        Ok(Attempt {
                            number: r.get(0)?,
                            started_at: from_ms(r.get(1)?),
                            duration_ms: r.get(2)?,
                            status_code: r.get(3)?,
                            error: r.get(4)?,
                            response_excerpt: r.get(5)?,
                            task: None,
                        })
                    })?;
                Ok(rows.collect::<Result<_, _>>()?)
            })
            .await
    }

    async fn hourly_stats(
        &self,
        tenant: &TenantId,
        ep: &EndpointId,
        since: DateTime<Utc>,
    ) -> StoreResult<Vec<HourBucket>> {
        let (t, ep) = (tenant.to_string(), ep.to_string());
        self.db
            .read(move |c| {
                let mut s = c
                    .prepare_cached(
                        "SELECT (started_at / 3600000) * 3600000 AS hour, SUM(succeeded), SUM(1 - succeeded)
                         FROM attempts WHERE tenant = ?1 AND endpoint_id = ?2 AND started_at >= ?3
                         GROUP BY hour ORDER BY hour",
                    )?;
                let rows = s
                    .query_map(params![t, ep, ms(since)], |r| {
                        Ok(HourBucket {
                            hour: from_ms(r.get(0)?),
                            delivered: r.get(1)?,
                            failed: r.get(2)?,
                        })
                    })?;
                Ok(rows.collect::<Result<_, _>>()?)
            })
            .await
    }
}
