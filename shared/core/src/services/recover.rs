//! Admin recovery: failed deliveries put back in motion (one message replayed, or every
//! failed message of an endpoint since a date), and an endpoint's counters rebuilt after an
//! incident.

use super::admin::{cursor_error, endpoint_id, message_id, AdminService, MAX_PAGE};
use crate::error::CoreError;
use crate::ids::{EndpointId, MessageId, TenantId};
use crate::model::{Counters, DeliveryKey, DeliveryStatus, DeliveryTask, LogEntry, Page};
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::time::{Duration, Instant};

/// Most failed messages one recovery call replays; call again for more.
pub const MAX_RECOVER: usize = 10_000;

/// A recovery stops at least this long before its caller's deadline: time for the step
/// under way and the answer. On a slow backend it keeps back twice its slowest step instead.
pub const RECOVER_RESERVE: Duration = Duration::from_secs(2);

/// A recovery restarts this many entries at once and enqueues their tasks right after: a
/// call stopped half-way leaves at most this many restarted entries without their task.
pub const RECOVER_CHUNK: usize = 10;

/// Result of a recovery: how many failed messages got a new series of attempts, and whether
/// every one since the date was reached. When not, the call stopped on its time budget (or
/// at [`MAX_RECOVER`]): calling again with the same date and `next_cursor` goes on where it
/// stopped. (Without the cursor it goes on too, since the recovered messages are no longer
/// failed, but walks past those still pending again.)
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RecoverReport {
    pub recovered: usize,
    pub complete: bool,
    /// Where the call stopped, when it did not complete.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
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
    /// first from `cursor` (a `next_cursor` of an earlier call) or from the newest, at most
    /// [`MAX_RECOVER`] and the configured time budget per call, and stopping before `until`
    /// (the caller's own deadline, if it has one) with room for the answer. Calling it twice
    /// replays nothing twice: replayed messages are pending, no longer failed.
    pub async fn recover(
        &self,
        tenant: &TenantId,
        id: &str,
        since: DateTime<Utc>,
        cursor: Option<String>,
        until: Option<Instant>,
    ) -> Result<RecoverReport, CoreError> {
        let id = endpoint_id(id)?;
        self.load(tenant, &id).await?;
        let mut clock = StepClock::new(self.config.recover_budget, until, Instant::now());
        let (mut recovered, mut cursor) = (0, cursor);
        let stopped = |recovered: usize, next_cursor: Option<String>| -> Result<_, CoreError> {
            tracing::info!(tenant = %tenant, endpoint_id = %id, recovered, complete = next_cursor.is_none(), "failed messages recovered");
            Ok(RecoverReport {
                recovered,
                complete: next_cursor.is_none(),
                next_cursor,
            })
        };
        loop {
            // Each call makes progress: the time is looked at once something is restarted
            // (entries a concurrent call replayed first do not count).
            if recovered > 0 && clock.out_of_time() {
                return stopped(recovered, cursor);
            }
            let page = (self.stores.log)
                .list(
                    tenant,
                    &id,
                    Some(DeliveryStatus::Failed),
                    cursor.as_deref(),
                    MAX_PAGE,
                )
                .await
                .map_err(cursor_error)?;
            let due = page.data.iter().take_while(|e| e.created_at >= since);
            let due: Vec<_> = due.map(|e| e.message_id.clone()).collect();
            let reached_since = due.len() < page.data.len();
            let mut done = 0;
            while done < due.len() {
                if recovered == MAX_RECOVER || (recovered > 0 && clock.out_of_time()) {
                    // The next call goes on just after the last entry looked at.
                    let last = done
                        .checked_sub(1)
                        .map(|i| Page::<LogEntry>::cursor_after(&due[i]));
                    return stopped(recovered, last.or(cursor));
                }
                let n = RECOVER_CHUNK
                    .min(MAX_RECOVER - recovered)
                    .min(due.len() - done);
                recovered += self
                    .restart_chunk(tenant, &id, &due[done..done + n])
                    .await?;
                done += n;
            }
            match page.next_cursor {
                Some(next) if !reached_since => cursor = Some(next),
                _ => return stopped(recovered, None),
            }
        }
    }

    /// Restarts the chunk's entries at once, then enqueues a task for each one restarted,
    /// before reporting any error: no entry is left pending without its task. Returns how
    /// many were restarted.
    async fn restart_chunk(
        &self,
        tenant: &TenantId,
        id: &EndpointId,
        chunk: &[MessageId],
    ) -> Result<usize, CoreError> {
        let tasks: Vec<_> = chunk
            .iter()
            .map(|msg| DeliveryTask::new(tenant.clone(), msg.clone(), id.clone()))
            .collect();
        let keys: Vec<_> = tasks.iter().map(DeliveryTask::key).collect();
        let restarts = keys.iter().map(|key| self.stores.log.restart(key));
        let results = futures::future::join_all(restarts).await;
        let mut restarted = Vec::with_capacity(tasks.len());
        let mut failure = None;
        for (task, result) in tasks.into_iter().zip(results) {
            match result {
                Ok(true) => restarted.push(task.identified()),
                Ok(false) => {}
                Err(e) => failure = failure.or(Some(e)),
            }
        }
        self.stores.queue.enqueue(&restarted).await?;
        match failure {
            Some(e) => Err(e.into()),
            None => Ok(restarted.len()),
        }
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

/// When a recovery must stop: past its own budget, or too close to its caller's deadline to
/// fit one more step like the slowest seen so far (twice its length, at least
/// [`RECOVER_RESERVE`]), so a backend that slows down under load shortens the call instead
/// of overrunning it.
struct StepClock {
    started: Instant,
    budget: Duration,
    until: Option<Instant>,
    last: Instant,
    slowest: Duration,
}

impl StepClock {
    fn new(budget: Duration, until: Option<Instant>, now: Instant) -> Self {
        Self {
            started: now,
            budget,
            until,
            last: now,
            slowest: Duration::ZERO,
        }
    }

    /// Ends a step (what was done since the last look: a chunk or a page read); tells
    /// whether to stop before the next one.
    fn out_of_time(&mut self) -> bool {
        self.out_of_time_at(Instant::now())
    }

    fn out_of_time_at(&mut self, now: Instant) -> bool {
        self.slowest = self.slowest.max(now - self.last);
        self.last = now;
        let reserve = RECOVER_RESERVE.max(2 * self.slowest);
        now - self.started >= self.budget || self.until.is_some_and(|u| now + reserve >= u)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_recovery_keeps_back_twice_its_slowest_step() {
        let s = Duration::from_secs;
        // (own budget, deadline in, steps taken, stops after the last one)
        let table = [
            (s(15), Some(s(10)), vec![s(1)], false),
            (s(15), Some(s(10)), vec![s(1), s(1), s(1), s(1)], false),
            // 4 s left, after a 3 s step: the next one might not fit.
            (s(15), Some(s(10)), vec![s(3), s(3)], true),
            (s(15), Some(s(10)), vec![s(3), s(1)], true),
            // Within the fixed reserve, however fast the steps.
            (s(15), Some(s(10)), vec![s(1); 7], false),
            (s(15), Some(s(10)), vec![s(1); 8], true),
            (s(15), None, vec![s(5), s(5)], false),
            (s(15), None, vec![s(5), s(5), s(5)], true),
        ];
        for (budget, until, steps, stops) in table {
            let t0 = Instant::now();
            let mut clock = StepClock::new(budget, until.map(|d| t0 + d), t0);
            let mut at = t0;
            let mut verdicts = Vec::new();
            for step in &steps {
                at += *step;
                verdicts.push(clock.out_of_time_at(at));
            }
            assert_eq!(
                verdicts.last(),
                Some(&stops),
                "{budget:?} {until:?} {steps:?}"
            );
            let before = &verdicts[..verdicts.len() - 1];
            assert!(before.iter().all(|v| !v), "{steps:?}: stopped early");
        }
    }
}
