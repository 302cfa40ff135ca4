//! The durable local task queue: a SQLite table of (message, endpoint) tasks with a
//! `not_before` time. Leasing hides a task while a worker holds it; a process killed
//! mid-delivery releases its leases at the next start, so nothing is lost.

use crate::db::{ms, parse_col, Db};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rusqlite::{params, Connection};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;
use webhooks_core::model::{now, DeliveryTask};
use webhooks_core::ports::{StoreResult, TaskQueue};
use webhooks_core::{EndpointId, MessageId, TenantId};

/// Removes the task of (`message`, `endpoint`), on a connection the caller holds.
pub(crate) fn remove_task(c: &Connection, message: &str, endpoint: &str) -> rusqlite::Result<()> {
    c.prepare_cached("DELETE FROM tasks WHERE message_id = ?1 AND endpoint_id = ?2")?
        .execute(params![message, endpoint])
        .map(drop)
}

/// Releases the task of (`message`, `endpoint`) and makes it due at `at_ms`.
pub(crate) fn reschedule_task(
    c: &Connection,
    message: &str,
    endpoint: &str,
    at_ms: i64,
) -> rusqlite::Result<()> {
    c.prepare_cached(
        "UPDATE tasks SET leased = 0, not_before = ?3 WHERE message_id = ?1 AND endpoint_id = ?2",
    )?
    .execute(params![message, endpoint, at_ms])
    .map(drop)
}

#[derive(Clone)]
pub struct SqliteTaskQueue {
    db: Db,
    wake: Arc<Notify>,
}

impl SqliteTaskQueue {
    pub fn new(db: Db) -> Self {
        Self {
            db,
            wake: Arc::new(Notify::new()),
        }
    }

    /// Resolves when new tasks were enqueued since the last call.
    pub async fn woken(&self) {
        self.wake.notified().await;
    }

    /// Wakes the worker to look at due times again (a task was rescheduled).
    pub fn nudge(&self) {
        self.wake.notify_one();
    }

    /// Takes up to `limit` due tasks, oldest first, hiding them for `lease`.
    pub async fn lease(&self, limit: usize, lease: Duration) -> StoreResult<Vec<DeliveryTask>> {
        let until = ms(now()) + i64::try_from(lease.as_millis()).unwrap_or(i64::MAX / 2);
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.db
            .call(move |c| {
                let mut s = c.prepare_cached(
                    "UPDATE tasks SET leased = 1, not_before = ?1
                         WHERE (message_id, endpoint_id) IN (
                             SELECT message_id, endpoint_id FROM tasks
                             WHERE leased = 0 AND not_before <= ?2 ORDER BY not_before LIMIT ?3)
                         RETURNING tenant, message_id, endpoint_id",
                )?;
                let rows = s.query_map(params![until, ms(now()), limit], |r| {
                    Ok(DeliveryTask::new(
                        parse_col(0, TenantId::parse(&r.get::<_, String>(0)?))?,
                        parse_col(1, MessageId::parse(&r.get::<_, String>(1)?))?,
                        parse_col(2, EndpointId::parse(&r.get::<_, String>(2)?))?,
                    ))
                })?;
                Ok(rows.collect::<Result<_, _>>()?)
            })
            .await
    }

    /// Removes a finished task.
    pub async fn complete(&self, task: &DeliveryTask) -> StoreResult<()> {
        let (m, e) = (task.message_id.to_string(), task.endpoint_id.to_string());
        self.db.call(move |c| Ok(remove_task(c, &m, &e)?)).await
    }

    /// Releases a task and makes it due again at `at`.
    pub async fn retry_at(&self, task: &DeliveryTask, at: DateTime<Utc>) -> StoreResult<()> {
        let (m, e) = (task.message_id.to_string(), task.endpoint_id.to_string());
        self.db
            .call(move |c| Ok(reschedule_task(c, &m, &e, ms(at))?))
            .await?;
        // The worker may be asleep until a later due time: let it recompute.
        self.wake.notify_one();
        Ok(())
    }

    /// Makes every leased task due now: run once at start-up, when no worker can hold a
    /// lease, so deliveries interrupted by a crash resume at once.
    pub async fn release_all_leases(&self) -> StoreResult<usize> {
        self.db
            .call(move |c| {
                Ok(c.execute(
                    "UPDATE tasks SET leased = 0, not_before = ?1 WHERE leased = 1",
                    [ms(now())],
                )?)
            })
            .await
    }

    /// Re-creates the task of every pending delivery that has none — left behind when a
    /// process died between writing the log and enqueueing. Run at start-up.
    pub async fn requeue_orphans(&self) -> StoreResult<usize> {
        let n = self
            .db
            .call(move |c| {
                Ok(c.execute(
                    "INSERT INTO tasks (message_id, endpoint_id, tenant, not_before)
                     SELECT d.message_id, d.endpoint_id, d.tenant, COALESCE(d.next_attempt_at, ?1)
                     FROM deliveries d
                     WHERE d.status = 'pending' AND NOT EXISTS (
                         SELECT 1 FROM tasks t WHERE t.message_id = d.message_id AND t.endpoint_id = d.endpoint_id)",
                    [ms(now())],
                )?)
            })
            .await?;
        if n > 0 {
            self.wake.notify_one();
        }
        Ok(n)
    }

    /// When the earliest unleased task becomes due, if any.
    pub async fn next_due(&self) -> StoreResult<Option<DateTime<Utc>>> {
        self.db
            .lookup(move |c| {
                Ok(c.query_row(
                    "SELECT MIN(not_before) FROM tasks WHERE leased = 0",
                    [],
                    |r| r.get::<_, Option<i64>>(0),
                )
                .map(|v| v.map(crate::db::from_ms))?)
            })
            .await
    }

    /// Number of tasks waiting or in progress.
    pub async fn depth(&self) -> StoreResult<u64> {
        self.db
            .read(move |c| Ok(c.query_row("SELECT COUNT(*) FROM tasks", [], |r| r.get(0))?))
            .await
    }
}

#[async_trait]
impl TaskQueue for SqliteTaskQueue {
    async fn enqueue(&self, tasks: &[DeliveryTask]) -> StoreResult<()> {
        let at = now();
        let due: Vec<_> = tasks.iter().map(|t| (t.clone(), at)).collect();
        self.enqueue_at(&due).await
    }

    async fn enqueue_at(&self, tasks: &[(DeliveryTask, DateTime<Utc>)]) -> StoreResult<()> {
        if tasks.is_empty() {
            return Ok(());
        }
        let tasks = tasks.to_vec();
        self.db
            .call(move |c| {
                {
                    // A task already queued for the same (message, endpoint) stays as it is:
                    // the queue holds at most one task per delivery.
                    let mut ins = c.prepare_cached(
                        "INSERT INTO tasks (message_id, endpoint_id, tenant, not_before)
                             VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO NOTHING",
                    )?;
                    for (t, at) in &tasks {
                        ins.execute(params![
                            t.message_id.as_str(),
                            t.endpoint_id.as_str(),
                            t.tenant.as_str(),
                            ms(*at)
                        ])?;
                    }
                }
                Ok(())
            })
            .await?;
        self.wake.notify_one();
        Ok(())
    }
}
