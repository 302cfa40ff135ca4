//! Admin recovery: failed deliveries put back in motion (one message replayed, or every
//! failed message of an endpoint since a date), and an endpoint's counters rebuilt after an
//! incident.

use super::admin::{endpoint_id, message_id, AdminService, MAX_PAGE};
use crate::error::CoreError;
use crate::ids::TenantId;
use crate::model::{Counters, DeliveryKey, DeliveryStatus, DeliveryTask};
use chrono::{DateTime, Utc};
use serde::Serialize;

/// Most failed messages one recovery call replays; call again for more.
pub const MAX_RECOVER: usize = 10_000;

/// A recovery stops this long before its caller's deadline: time for the chunk under way
/// and the answer.
pub const RECOVER_RESERVE: std::time::Duration = std::time::Duration::from_secs(2);

/// Tasks of a recovery are enqueued this many at a time, right after their restarts: a
/// call stopped half-way leaves at most this many restarted entries without their task.
const RECOVER_CHUNK: usize = 10;

/// Result of a recovery: how many failed messages got a new series of attempts, and whether
/// every one since the date was reached. When not, the call stopped on its time budget (or
/// at [`MAX_RECOVER`]): calling again with the same date goes on where it stopped, since the
/// recovered messages are no longer failed.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct RecoverReport {
    pub recovered: usize,
    pub complete: bool,
}

impl AdminService {
    /// Gives a failed message a new series of attempts to this endpoint (same message id
    /// and body, so receivers still deduplicate on `webhook-id`).
    pub async fn replay(&self, tenant: &TenantId, id: &str, msg: &str) -> Result<(), CoreError> {
        let (id, msg) = (endpoint_id(id)?, message_id(msg)?);
        let key = DeliveryKey::new(tenant, &id, &msg);
        // Past retention, the payload may be gone: nothing to send again.
        if self.stores.log.get(&key).await?.is_none()
            || self.stores.messages.get(tenant, &msg).await?.is_none()
        {
            return Err(CoreError::NotFound("message"));
        }
        if !self.stores.log.restart(&key).await? {
            return Err(CoreError::InvalidState {
                code: "message.not_failed",
                message: "only a failed message can be replayed",
            });
        }
        self.stores
            .queue
            .enqueue(&[DeliveryTask::new(tenant.clone(), msg, id).identified()])
            .await?;
        Ok(())
    }

    /// Replays every failed message of the endpoint created at or after `since`, newest
    /// first, at most [`MAX_RECOVER`] and the configured time budget per call, and stopping
    /// [`RECOVER_RESERVE`] before `until` (the caller's own deadline, if it has one). Calling
    /// it twice replays nothing twice: replayed messages are pending, no longer failed.
    pub async fn recover(
        &self,
        tenant: &TenantId,
        id: &str,
        since: DateTime<Utc>,
        until: Option<std::time::Instant>,
    ) -> Result<RecoverReport, CoreError> {
        let id = endpoint_id(id)?;
        self.load(tenant, &id).await?;
        let started = std::time::Instant::now();
        let out_of_time = || {
            started.elapsed() >= self.config.recover_budget
                || until.is_some_and(|u| std::time::Instant::now() + RECOVER_RESERVE >= u)
        };
        let (mut recovered, mut complete) = (0, true);
        let mut cursor: Option<String> = None;
        let mut tasks = Vec::new();
        'pages: loop {
            let page = (self.stores.log)
                .list(
                    tenant,
                    &id,
                    Some(DeliveryStatus::Failed),
                    cursor.as_deref(),
                    MAX_PAGE,
                )
                .await?;
            for entry in &page.data {
                if entry.created_at < since {
                    break 'pages;
                }
                if recovered == MAX_RECOVER {
                    complete = false;
                    break 'pages;
                }
                let task = DeliveryTask::new(tenant.clone(), entry.message_id.clone(), id.clone());
                let restarted = match self.stores.log.restart(&task.key()).await {
                    Ok(r) => r,
                    Err(e) => {
                        // The entries restarted so far get their tasks before the error.
                        self.stores.queue.enqueue(&tasks).await?;
                        return Err(e.into());
                    }
                };
                if restarted {
                    tasks.push(task.identified());
                    recovered += 1;
                }
                if tasks.len() == RECOVER_CHUNK {
                    self.stores
                        .queue
                        .enqueue(&std::mem::take(&mut tasks))
                        .await?;
                    // Each call makes progress: the budget is looked at between chunks.
                    if out_of_time() {
                        complete = false;
                        break 'pages;
                    }
                }
            }
            match page.next_cursor {
                Some(next) => cursor = Some(next),
                None => break,
            }
        }
        self.stores.queue.enqueue(&tasks).await?;
        tracing::info!(tenant = %tenant, endpoint_id = %id, recovered, complete, "failed messages recovered");
        Ok(RecoverReport {
            recovered,
            complete,
        })
    }

    /// Rebuilds the endpoint's counters from its retained delivery log (on AWS they are
    /// maintained from the table's stream; this repairs them after an incident).
    pub async fn recount(&self, tenant: &TenantId, id: &str) -> Result<Counters, CoreError> {
        let id = endpoint_id(id)?;
        let counters = self.stores.log.recount(tenant, &id).await?;
        let counters = counters.ok_or(CoreError::NotFound("endpoint"))?;
        tracing::info!(tenant = %tenant, endpoint_id = %id, ?counters, "counters rebuilt");
        Ok(counters)
    }
}
