//! `MessageStore` on SQLite; idempotency is a unique index on (tenant, event_id). With the
//! task queue of the same database, a new message's fan-out is queued in its own write.

use crate::db::{from_ms, ms, parse_col, Db};
use crate::queue::{write_tasks, SqliteTaskQueue};
use async_trait::async_trait;
use bytes::Bytes;
use rusqlite::{params, Connection, OptionalExtension};
use webhooks_core::model::{now, DeliveryTask, Message};
use webhooks_core::ports::{Inserted, MessageStore, StoreResult};
use webhooks_core::{EndpointId, MessageId, StoreError, TenantId};

#[derive(Clone)]
pub struct SqliteMessageStore {
    db: Db,
    queue: Option<SqliteTaskQueue>,
}

impl SqliteMessageStore {
    /// A store that leaves the fan-out to the caller.
    pub fn new(db: Db) -> Self {
        Self { db, queue: None }
    }

    /// A store that queues each new message's first-attempt tasks on `queue` (on the same
    /// database) in the message's own write: an ingest is then one write, not three.
    pub fn with_queue(db: Db, queue: SqliteTaskQueue) -> Self {
        Self {
            db,
            queue: Some(queue),
        }
    }
}

#[async_trait]
impl MessageStore for SqliteMessageStore {
    async fn insert(&self, m: &Message) -> StoreResult<Inserted> {
        let m = m.clone();
        let at = now();
        let place = self.queue.as_ref().map(SqliteTaskQueue::placement);
        // Unguarded: the duplicate check comes before any change, and the writes after it
        // cannot conflict (ids are new, and one writer runs the check and the insert).
        let (inserted, written) = self
            .db
            .call_unguarded(move |c| {
                if let Some(event_id) = &m.event_id {
                    let existing = c
                        .prepare_cached("SELECT id, fanned_out FROM messages WHERE tenant = ?1 AND event_id = ?2")?
                        .query_row(
                            params![m.tenant.as_str(), event_id],
                            |r| Ok((parse_col(0, MessageId::parse(&r.get::<_, String>(0)?))?, r.get(1)?)),
                        )
                        .optional()?;
                    if let Some((id, fanned_out)) = existing {
                        let dup = Inserted::Duplicate {
                            id,
                            fanned_out: Some(fanned_out),
                        };
                        return Ok((dup, None));
                    }
                }
                let written = match &place {
                    Some(place) => {
                        // With the message in hand, the first attempts need not read it.
                        let tasks = (m.endpoints.iter()).map(|ep| (DeliveryTask::first_of(&m, ep), at));
                        Some(write_tasks(c, place, tasks)?)
                    }
                    None => None,
                };
                c.prepare_cached(
                    "INSERT INTO messages (tenant, id, event_type, event_id, body, created_at, endpoints, fanned_out)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                )?
                .execute(params![
                        m.tenant.as_str(),
                        m.id.as_str(),
                        m.event_type,
                        m.event_id,
                        &m.body[..],
                        ms(m.created_at),
                        join_ids(&m.endpoints),
                        written.is_some()
                    ],
                )?;
                let fanned_out = written.is_some();
                Ok((Inserted::Created { fanned_out }, written))
            })
            .await?;
        if let (Some(queue), Some(place), Some(written)) = (&self.queue, &place, written) {
            queue.written(place, written);
        }
        Ok(inserted)
    }

    async fn mark_fanned_out(&self, tenant: &TenantId, id: &MessageId) -> StoreResult<()> {
        let (t, id) = (tenant.to_string(), id.to_string());
        self.db
            .call(move |c| {
                let mut mark = c.prepare_cached(
                    "UPDATE messages SET fanned_out = 1 WHERE tenant = ?1 AND id = ?2",
                )?;
                Ok(mark.execute(params![t, id]).map(drop)?)
            })
            .await
    }

    async fn get(&self, tenant: &TenantId, id: &MessageId) -> StoreResult<Option<Message>> {
        let (t, id) = (tenant.clone(), id.clone());
        self.db.lookup(move |c| Ok(get_message(c, &t, &id)?)).await
    }

    async fn find_event(&self, tenant: &TenantId, event_id: &str) -> StoreResult<Option<Message>> {
        let (t, event_id) = (tenant.clone(), event_id.to_owned());
        self.db
            .lookup(move |c| {
                let id: Option<String> = c
                    .prepare_cached("SELECT id FROM messages WHERE tenant = ?1 AND event_id = ?2")
                    .and_then(|mut s| {
                        s.query_row(params![t.as_str(), event_id], |r| r.get(0))
                            .optional()
                    })?;
                match id.map(|id| MessageId::parse(&id)) {
                    Some(Ok(id)) => Ok(get_message(c, &t, &id)?),
                    Some(Err(_)) => Err(StoreError::Backend("bad stored message id".into()).into()),
                    None => Ok(None),
                }
            })
            .await
    }
}

/// Endpoint ids as stored: separated by spaces.
fn join_ids(ids: &[EndpointId]) -> String {
    ids.iter()
        .map(EndpointId::as_str)
        .collect::<Vec<_>>()
        .join(" ")
}

fn split_ids(raw: &str) -> Vec<EndpointId> {
    raw.split(' ')
        .filter_map(|id| EndpointId::parse(id).ok())
        .collect()
}

/// The message `id` of `tenant`, on a connection the caller holds.
pub(crate) fn get_message(
    c: &Connection,
    tenant: &TenantId,
    id: &MessageId,
) -> rusqlite::Result<Option<Message>> {
    c.prepare_cached(
        "SELECT event_type, event_id, body, created_at, endpoints FROM messages WHERE tenant = ?1 AND id = ?2",
    )?
    .query_row(params![tenant.as_str(), id.as_str()], |r| {
        Ok(Message {
            id: id.clone(),
            tenant: tenant.clone(),
            event_type: r.get(0)?,
            event_id: r.get(1)?,
            body: Bytes::from(r.get::<_, Vec<u8>>(2)?),
            created_at: from_ms(r.get(3)?),
            endpoints: split_ids(&r.get::<_, String>(4)?),
        })
    })
    .optional()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ready::tests::LIMITS;
    use std::time::Duration;

    /// A new message's first attempts reach the open ready list in its own write, their
    /// rows leased, even when that write waits behind another: none is left for the feeder.
    #[tokio::test]
    async fn first_attempts_are_handed_over_even_behind_a_busy_writer() {
        let db = Db::in_memory().unwrap();
        let queue = SqliteTaskQueue::new(db.clone());
        queue.open_ready(LIMITS);
        let store = SqliteMessageStore::with_queue(db.clone(), queue.clone());
        let m = Message {
            id: MessageId::generate(),
            tenant: TenantId::parse("A").unwrap(),
            event_type: "INVOICE_VALIDATED".into(),
            event_id: None,
            body: Bytes::from_static(b"{}"),
            created_at: now(),
            endpoints: vec![EndpointId::generate(), EndpointId::generate()],
        };
        let busy = db.call(|_| {
            std::thread::sleep(Duration::from_millis(5));
            Ok(())
        });
        let (busy, inserted) = tokio::join!(busy, store.insert(&m));
        busy.unwrap();
        assert_eq!(inserted.unwrap(), Inserted::Created { fanned_out: true });
        let unleased = queue.lease(10, Duration::from_secs(60)).await.unwrap();
        assert!(unleased.is_empty(), "left in the table: {unleased:?}");
        for _ in &m.endpoints {
            let task = tokio::time::timeout(Duration::from_secs(1), queue.next_ready());
            assert_eq!(task.await.unwrap().message_id, m.id);
        }
    }
}
