//! The durable local task queue: a SQLite table of (message, endpoint) tasks with a
//! `not_before` time. Leasing hides a task while a worker holds it; a process killed
//! mid-delivery releases its leases at the next start, so nothing is lost. While a worker
//! runs, its tasks pass through the in-memory ready list (`ready`) already leased.

use crate::db::{ms, parse_col, Db};
use crate::messages::get_message;
use crate::ready::{Limits, ReadyList, Source};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rusqlite::{params, Connection};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Notify;
use webhooks_core::model::{now, DeliveryTask};
use webhooks_core::ports::{StoreResult, TaskQueue};
use webhooks_core::{EndpointId, MessageId, TenantId};

/// Largest message body a listed task carries; the delivery of a larger one reads it from
/// the table, so the ready list holds at most its capacity × 16 KiB of bodies.
const LISTED_BODY_MAX: usize = 16 * 1024;

/// `t` as the ready list keeps it (see [`LISTED_BODY_MAX`]).
fn listed(t: DeliveryTask) -> DeliveryTask {
    match &t.body {
        Some(body) if !listable(body.len()) => t.without_body(),
        _ => t,
    }
}

/// Whether a listed task may carry a body of `len` bytes.
fn listable(len: usize) -> bool {
    len <= LISTED_BODY_MAX
}

/// When a lease of `lease` taken at `from` ends, in stored milliseconds.
fn lease_end(from: DateTime<Utc>, lease: Duration) -> i64 {
    ms(from) + i64::try_from(lease.as_millis()).unwrap_or(i64::MAX / 2)
}

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
        "UPDATE tasks SET leased = 0, not_before = ?3, attempt = NULL
             WHERE message_id = ?1 AND endpoint_id = ?2",
    )?
    .execute(params![message, endpoint, at_ms])
    .map(drop)
}

#[derive(Clone)]
pub struct SqliteTaskQueue {
    db: Db,
    wake: Arc<Notify>,
    ready: Arc<ReadyList>,
}

impl SqliteTaskQueue {
    pub fn new(db: Db) -> Self {
        Self {
            db,
            wake: Arc::new(Notify::new()),
            ready: Arc::default(),
        }
    }

    /// Starts handing tasks to this process's worker in memory (see `ready`); call only
    /// after [`Self::release_all_leases`], when no task is listed or leased.
    pub(crate) fn open_ready(&self, limits: Limits) {
        self.ready.open(limits);
    }

    /// Stops handing tasks over in memory; the listed ones keep their leases.
    pub(crate) fn close_ready(&self) {
        self.ready.close();
    }

    /// The next task for the worker, waiting for one (the ready list must be open).
    pub(crate) async fn next_ready(&self) -> DeliveryTask {
        self.ready.take().await
    }

    /// Leases due tasks from the table into the feeder's half of the ready list once that
    /// half is down to half full;
    /// returns how many it asked for and how many it got (fewer: the table has no more due
    /// now). Leases are taken in slices, so one write stays short.
    pub(crate) async fn feed_ready(&self) -> StoreResult<(usize, usize)> {
        const SLICE: usize = 512;
        self.ready.wants_more().await;
        let Some((room, limits)) = self.ready.room(Source::Feeder) else {
            return Ok((0, 0));
        };
        let asked = room.min(SLICE);
        let leased_at = Instant::now();
        let tasks = self.lease(asked, limits.lease).await?;
        let tasks = self.with_payloads(tasks).await;
        let got = tasks.len();
        self.ready.push(tasks, leased_at, Source::Feeder);
        Ok((asked, got))
    }

    /// `tasks` carrying their messages (read once per message, not once per task) when the
    /// message is at most [`LISTED_BODY_MAX`]; on a read error, as they are (each delivery
    /// then reads its own).
    async fn with_payloads(&self, tasks: Vec<DeliveryTask>) -> Vec<DeliveryTask> {
        let wanted: Vec<_> = tasks
            .iter()
            .map(|t| (t.tenant.clone(), t.message_id.clone()))
            .collect();
        // A slice's reads take longer than a lookup should hold a runtime thread.
        let read = self.db.read(move |c| {
            let mut found = HashMap::with_capacity(wanted.len());
            for (tenant, id) in wanted {
                if found.contains_key(&id) {
                    continue;
                }
                if let Some(m) = get_message(c, &tenant, &id)? {
                    found.insert(id, m);
                }
            }
            Ok(found)
        });
        let messages = match read.await {
            Ok(m) => m,
            Err(e) => {
                tracing::warn!(error = %e, "messages not read ahead; each delivery reads its own");
                return tasks;
            }
        };
        tasks
            .into_iter()
            .map(|t| match messages.get(&t.message_id) {
                Some(m) if m.tenant == t.tenant && listable(m.body.len()) => t.carrying(m),
                _ => t,
            })
            .collect()
    }

    /// Resolves when tasks were put in the table or rescheduled since the last call.
    pub async fn woken(&self) {
        self.wake.notified().await;
    }

    /// Wakes the worker to look at due times again (a task was rescheduled).
    pub fn nudge(&self) {
        self.wake.notify_one();
    }

    /// Takes up to `limit` due tasks, oldest first, hiding them for `lease`.
    pub async fn lease(&self, limit: usize, lease: Duration) -> StoreResult<Vec<DeliveryTask>> {
        let until = lease_end(now(), lease);
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.db
            .call(move |c| {
                let mut s = c.prepare_cached(
                    "UPDATE tasks SET leased = 1, not_before = ?1
                         WHERE (message_id, endpoint_id) IN (
                             SELECT message_id, endpoint_id FROM tasks
                             WHERE leased = 0 AND not_before <= ?2 ORDER BY not_before LIMIT ?3)
                         RETURNING tenant, message_id, endpoint_id, attempt",
                )?;
                let rows = s.query_map(params![until, ms(now()), limit], |r| {
                    Ok(DeliveryTask {
                        attempt: r.get(3)?,
                        ..DeliveryTask::new(
                            parse_col(0, TenantId::parse(&r.get::<_, String>(0)?))?,
                            parse_col(1, MessageId::parse(&r.get::<_, String>(1)?))?,
                            parse_col(2, EndpointId::parse(&r.get::<_, String>(2)?))?,
                        )
                    })
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
        let (place, tasks) = (self.placement(), tasks.to_vec());
        let written = self
            .db
            .call(move |c| Ok(write_tasks(c, &place, tasks)?))
            .await?;
        self.written(&place, written);
        Ok(())
    }
}

/// Where a write puts its tasks: due now and while the worker's ready list has room, in
/// the list, their rows written already leased; otherwise in the table.
#[derive(Clone, Copy)]
pub(crate) struct Placement {
    leased_at: Instant,
    room: usize,
    lease_until: i64,
}

/// What a write did with its tasks, to act on once it is committed.
pub(crate) struct Written {
    handed: Vec<DeliveryTask>,
    in_table: usize,
}

impl SqliteTaskQueue {
    /// Where tasks written now go (see [`write_tasks`]).
    pub(crate) fn placement(&self) -> Placement {
        let (at, leased_at) = (now(), Instant::now());
        let (room, lease_until) = match self.ready.room(Source::Enqueue) {
            Some((room, l)) => (room, lease_end(at, l.lease)),
            None => (0, 0),
        };
        Placement {
            leased_at,
            room,
            lease_until,
        }
    }

    /// After the commit of [`write_tasks`] placed by `place`: lists the tasks handed over
    /// and wakes the feeder for those left in the table.
    pub(crate) fn written(&self, place: &Placement, w: Written) {
        self.ready.push(w.handed, place.leased_at, Source::Enqueue);
        if w.in_table > 0 {
            self.wake.notify_one();
        }
    }
}

/// Writes `tasks` (each with its due time) placed by `place`, on a connection the caller
/// holds. A task already queued for the same (message, endpoint) stays as it is: the queue
/// holds at most one task per delivery. Due is judged by the time of the write itself,
/// which may have waited behind others since its caller took its tasks' due times.
pub(crate) fn write_tasks(
    c: &Connection,
    place: &Placement,
    tasks: impl IntoIterator<Item = (DeliveryTask, DateTime<Utc>)>,
) -> rusqlite::Result<Written> {
    let mut ins = c.prepare_cached(
        "INSERT INTO tasks (message_id, endpoint_id, tenant, not_before, leased, attempt)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT DO NOTHING",
    )?;
    let (mut handed, mut in_table, at) = (Vec::new(), 0, now());
    for (t, due) in tasks {
        let hand = handed.len() < place.room && due <= at;
        let (not_before, leased) = match hand {
            true => (place.lease_until, 1),
            false => (ms(due), 0),
        };
        let added = ins.execute(params![
            t.message_id.as_str(),
            t.endpoint_id.as_str(),
            t.tenant.as_str(),
            not_before,
            leased,
            t.attempt
        ])?;
        match (added, hand) {
            (0, _) => {}
            (_, true) => handed.push(listed(t)),
            (_, false) => in_table += 1,
        }
    }
    Ok(Written { handed, in_table })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ready::tests::{task, LIMITS};

    /// An enqueue hands its tasks to the open ready list, their rows written leased, up to
    /// the enqueues' half of the list; the rest wait in the table. A process that stops
    /// with tasks listed loses none: the next start releases their leases.
    #[tokio::test]
    async fn enqueued_tasks_reach_the_ready_list_leased_and_survive_a_stop() {
        let dir = tempfile::tempdir().unwrap();
        let queue = SqliteTaskQueue::new(Db::open(&dir.path().join("q.db")).unwrap());
        queue.open_ready(LIMITS);
        let tasks = [task(), task(), task()];
        queue.enqueue(&tasks).await.unwrap();
        // Enqueued again: the queue holds one task per delivery, the list too.
        queue.enqueue(&tasks[..1]).await.unwrap();
        assert_eq!(queue.next_ready().await, tasks[0]);
        assert_eq!(queue.next_ready().await, tasks[1]);
        let in_table = queue.lease(10, Duration::from_secs(60)).await.unwrap();
        assert_eq!(in_table, vec![tasks[2].clone()]);
        assert_eq!(queue.depth().await.unwrap(), 3);
        // The process stops here, listed tasks unprocessed.
        queue.close_ready();
        queue.enqueue(&[task()]).await.unwrap();
        assert_eq!(queue.release_all_leases().await.unwrap(), 3);
        assert_eq!(
            queue
                .lease(10, Duration::from_secs(60))
                .await
                .unwrap()
                .len(),
            4
        );
    }

    /// The feeder leases due tasks from the table into the list, and says when the table
    /// had fewer than it asked for.
    #[tokio::test]
    async fn the_feeder_leases_ahead_into_the_ready_list() {
        let queue = SqliteTaskQueue::new(Db::in_memory().unwrap());
        let tasks = [task(), task()];
        queue.enqueue(&tasks).await.unwrap();
        queue.open_ready(Limits {
            capacity: 8,
            ..LIMITS
        });
        assert_eq!(
            queue.feed_ready().await.unwrap(),
            (4, 2),
            "the feeder's half"
        );
        assert_eq!(queue.next_ready().await, tasks[0]);
        assert_eq!(queue.next_ready().await, tasks[1]);
        assert!(queue
            .lease(10, Duration::from_secs(60))
            .await
            .unwrap()
            .is_empty());
    }

    /// A new message's tasks leased from the table come with what their first attempt
    /// needs, as the ones handed over in memory do: the attempt number (until the task is
    /// rescheduled) and the message, read once for all its tasks, unless it is large.
    #[tokio::test]
    async fn the_feeder_hands_over_first_attempts_with_their_message() {
        use crate::messages::SqliteMessageStore;
        use webhooks_core::model::Message;
        use webhooks_core::ports::MessageStore;
        let db = Db::in_memory().unwrap();
        let (queue, messages) = (
            SqliteTaskQueue::new(db.clone()),
            SqliteMessageStore::new(db),
        );
        let message = |body: Vec<u8>| Message {
            id: MessageId::generate(),
            tenant: TenantId::parse("A").unwrap(),
            event_type: "INVOICE_VALIDATED".into(),
            event_id: None,
            body: body.into(),
            created_at: now(),
            endpoints: vec![EndpointId::generate(), EndpointId::generate()],
        };
        let (small, large) = (
            message(b"{}".to_vec()),
            message(vec![b' '; LISTED_BODY_MAX + 1]),
        );
        let mut tasks = Vec::new();
        for m in [&small, &large] {
            messages.insert(m).await.unwrap();
            tasks.extend(m.endpoints.iter().map(|e| DeliveryTask::first_of(m, e)));
        }
        queue.enqueue(&tasks).await.unwrap();
        queue.open_ready(Limits {
            capacity: 8,
            ..LIMITS
        });
        assert_eq!(queue.feed_ready().await.unwrap(), (4, 4));
        let mut listed = Vec::new();
        for _ in 0..4 {
            listed.push(queue.next_ready().await);
        }
        listed.sort_by_key(|t| tasks.iter().position(|u| u.key() == t.key()));
        for (got, sent) in listed.iter().zip(&tasks) {
            assert_eq!((&got.key(), got.attempt), (&sent.key(), Some(1)));
            let carried = got.hinted_payload().map(|p| p.body);
            let expected = (sent.message_id == small.id).then(|| small.body.clone());
            assert_eq!(
                carried, expected,
                "the large message is read by its delivery"
            );
        }
        // Rescheduled, a task no longer says which attempt it is for.
        queue.retry_at(&listed[0], now()).await.unwrap();
        let again = queue.lease(10, Duration::from_secs(60)).await.unwrap();
        assert_eq!(again.len(), 1);
        assert_eq!((again[0].key(), again[0].attempt), (listed[0].key(), None));
    }
}
