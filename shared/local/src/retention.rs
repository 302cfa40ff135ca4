//! Local retention: deletes messages, their delivery entries and attempts once older than
//! the retention period (DynamoDB does this with TTL on AWS). Pending and queued deliveries
//! are kept.

use crate::db::{ms, Db};
use chrono::{DateTime, Utc};
use webhooks_core::StoreError;

/// What a purge removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Purged {
    pub messages: usize,
    pub deliveries: usize,
    pub attempts: usize,
}

/// Deletes everything created before `cutoff` that is no longer pending. Counters are
/// totals and stay as they are.
pub async fn purge_before(db: &Db, cutoff: DateTime<Utc>) -> Result<Purged, StoreError> {
    let cutoff = ms(cutoff);
    db.call(move |c| {
        let attempts = c
            .execute(
                // Old entries are found through their messages (indexed by creation time),
                // whose creation time they share; without statistics the planner would
                // rather scan the tenant's entries, hence INDEXED BY.
                "DELETE FROM attempts WHERE (tenant, endpoint_id, message_id) IN (
                     SELECT d.tenant, d.endpoint_id, d.message_id
                     FROM messages m JOIN deliveries d INDEXED BY deliveries_by_message ON d.tenant = m.tenant AND d.message_id = m.id
                     WHERE m.created_at < ?1 AND d.status != 'pending')",
                [cutoff],
            )?;
        let deliveries = c
            .execute(
                "DELETE FROM deliveries INDEXED BY deliveries_by_message WHERE (tenant, message_id) IN (
                     SELECT tenant, id FROM messages WHERE created_at < ?1) AND status != 'pending'",
                [cutoff],
            )?;
        let messages = c
            .execute(
                // A message whose first attempts are still queued has no entry yet.
                "DELETE FROM messages WHERE created_at < ?1 AND NOT EXISTS (
                     SELECT 1 FROM deliveries d WHERE d.tenant = messages.tenant AND d.message_id = messages.id)
                   AND NOT EXISTS (
                     SELECT 1 FROM tasks t WHERE t.tenant = messages.tenant AND t.message_id = messages.id)",
                [cutoff],
            )?;
        c.execute("DELETE FROM notifications WHERE created_at < ?1", [cutoff])?;
        Ok(Purged {
            messages,
            deliveries,
            attempts,
        })
    })
    .await
}
