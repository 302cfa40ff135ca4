//! `MessageStore` on SQLite; idempotency is a unique index on (tenant, event_id).

use crate::db::{from_ms, ms, parse_col, Db};
use async_trait::async_trait;
use bytes::Bytes;
use rusqlite::{params, Connection, OptionalExtension};
use webhooks_core::model::Message;
use webhooks_core::ports::{Inserted, MessageStore, StoreResult};
use webhooks_core::{EndpointId, MessageId, StoreError, TenantId};

#[derive(Clone)]
pub struct SqliteMessageStore {
    db: Db,
}

impl SqliteMessageStore {
    pub fn new(db: Db) -> Self {
        Self { db }
    }
}

#[async_trait]
impl MessageStore for SqliteMessageStore {
    async fn insert(&self, m: &Message) -> StoreResult<Inserted> {
        let m = m.clone();
        self.db
            .call(move |c| {
                if let Some(event_id) = &m.event_id {
                    let existing = c
                        .prepare_cached("SELECT id, fanned_out FROM messages WHERE tenant = ?1 AND event_id = ?2")?
                        .query_row(
                            params![m.tenant.as_str(), event_id],
                            |r| Ok((parse_col(0, MessageId::parse(&r.get::<_, String>(0)?))?, r.get(1)?)),
                        )
                        .optional()?;
                    if let Some((id, fanned_out)) = existing {
                        return Ok(Inserted::Duplicate {
                            id,
                            fanned_out: Some(fanned_out),
                        });
                    }
                }
                c.prepare_cached(
                    "INSERT INTO messages (tenant, id, event_type, event_id, body, created_at, endpoints)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                )?
                .execute(params![
                        m.tenant.as_str(),
                        m.id.as_str(),
                        m.event_type,
                        m.event_id,
                        &m.body[..],
                        ms(m.created_at),
                        join_ids(&m.endpoints)
                    ],
                )?;
                Ok(Inserted::Created)
            })
            .await
    }

    /// Usually only a read: enqueueing a message's tasks marks it in the same transaction
    /// (`SqliteTaskQueue`), so only a message with no task is marked here.
    async fn mark_fanned_out(&self, tenant: &TenantId, id: &MessageId) -> StoreResult<()> {
        let (t, id) = (tenant.to_string(), id.to_string());
        let (t2, id2) = (t.clone(), id.clone());
        let marked = self
            .db
            .lookup(move |c| {
                Ok(c.prepare_cached(
                    "SELECT fanned_out FROM messages WHERE tenant = ?1 AND id = ?2",
                )?
                .query_row(params![t2, id2], |r| r.get::<_, bool>(0))
                .optional()?)
            })
            .await?;
        if marked == Some(true) {
            return Ok(());
        }
        self.db
            .call(move |c| Ok(mark_fanned_out(c, &t, &id)?))
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

/// Marks the message `id` of `tenant` fanned out, on a connection the caller holds.
pub(crate) fn mark_fanned_out(c: &Connection, tenant: &str, id: &str) -> rusqlite::Result<()> {
    c.prepare_cached(
        "UPDATE messages SET fanned_out = 1 WHERE tenant = ?1 AND id = ?2 AND fanned_out = 0",
    )?
    .execute(params![tenant, id])
    .map(drop)
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
