//! The local delivery worker: leases due tasks and runs the delivery service on them with
//! bounded concurrency. An attempt's own write moves its task; the worker moves the tasks
//! that got no attempt (too early, nothing to do, storage trouble).

use crate::queue::SqliteTaskQueue;
use chrono::TimeDelta;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;
use webhooks_core::model::{now, DeliveryTask};
use webhooks_core::services::{Delivery, DeliveryOutcome, DeliveryService};

/// Worker tuning.
#[derive(Debug, Clone)]
pub struct WorkerConfig {
    /// Deliveries in flight at once.
    pub concurrency: usize,
    /// How long a leased task stays hidden; must exceed the HTTP timeout.
    pub lease: Duration,
    /// Delay before retrying a task whose attempt could not be recorded (storage trouble).
    pub error_backoff: Duration,
    /// Longest sleep between polls when nothing wakes the worker.
    pub idle_poll: Duration,
    /// How often pending deliveries that lost their task are re-queued (also at start-up).
    pub orphan_check: Duration,
}

impl Default for WorkerConfig {
    fn default() -> Self {
        Self {
            concurrency: 64,
            lease: Duration::from_secs(60),
            error_backoff: Duration::from_secs(5),
            idle_poll: Duration::from_secs(1),
            orphan_check: Duration::from_secs(300),
        }
    }
}

pub struct Worker {
    queue: SqliteTaskQueue,
    delivery: DeliveryService,
    config: WorkerConfig,
}

impl Worker {
    pub fn new(queue: SqliteTaskQueue, delivery: DeliveryService, config: WorkerConfig) -> Self {
        Self {
            queue,
            delivery,
            config,
        }
    }

    /// Runs until `shutdown` resolves, then waits for the deliveries in flight to finish.
    pub async fn run(self, shutdown: impl Future<Output = ()>) {
        match self.queue.release_all_leases().await {
            Ok(0) => {}
            Ok(n) => tracing::info!(
                tasks = n,
                "resuming deliveries interrupted by the last stop"
            ),
            Err(e) => tracing::error!(error = %e, "cannot release stale leases; they will expire"),
        }
        self.requeue_orphans().await;
        let mut orphans_checked = std::time::Instant::now();
        let permits = Arc::new(Semaphore::new(self.config.concurrency.max(1)));
        tokio::pin!(shutdown);
        loop {
            let free = permits.available_permits();
            let leased = if free == 0 {
                Vec::new()
            } else {
                self.queue
                    .lease(free, self.config.lease)
                    .await
                    .unwrap_or_else(|e| {
                        tracing::error!(error = %e, "cannot lease tasks");
                        Vec::new()
                    })
            };
            let got_full_batch = free > 0 && leased.len() == free;
            for task in leased {
                let Ok(permit) = permits.clone().try_acquire_owned() else {
                    break;
                };
                let (queue, delivery, backoff) = (
                    self.queue.clone(),
                    self.delivery.clone(),
                    self.config.error_backoff,
                );
                tokio::spawn(async move {
                    process(&queue, &delivery, &task, backoff).await;
                    drop(permit);
                });
            }
            if got_full_batch {
                // More may be due; wait only for a free slot.
                tokio::select! {
                    _ = &mut shutdown => break,
                    p = permits.clone().acquire_owned() => drop(p),
                }
                continue;
            }
            if orphans_checked.elapsed() >= self.config.orphan_check {
                self.requeue_orphans().await;
                orphans_checked = std::time::Instant::now();
            }
            let sleep = match self.queue.next_due().await {
                Ok(Some(at)) => (at - now())
                    .to_std()
                    .unwrap_or(Duration::ZERO)
                    .min(self.config.idle_poll),
                _ => self.config.idle_poll,
            };
            tokio::select! {
                _ = &mut shutdown => break,
                _ = self.queue.woken() => {}
                _ = tokio::time::sleep(sleep.max(Duration::from_millis(5))) => {}
            }
        }
        // Wait for deliveries in flight; leases of any still running are released at next start.
        let all = u32::try_from(self.config.concurrency.max(1)).unwrap_or(u32::MAX);
        let _ = tokio::time::timeout(self.config.lease, permits.acquire_many(all)).await;
        tracing::info!("delivery worker stopped");
    }
}

impl Worker {
    /// A task again for each pending delivery that has none: a process stopped between a
    /// replay's restart and its enqueue.
    async fn requeue_orphans(&self) {
        match self.queue.requeue_orphans().await {
            Ok(0) => {}
            Ok(n) => tracing::warn!(
                tasks = n,
                "re-queued pending deliveries that had lost their task"
            ),
            Err(e) => {
                tracing::error!(error = %e, "cannot check for pending deliveries without a task")
            }
        }
    }
}

async fn process(
    queue: &SqliteTaskQueue,
    delivery: &DeliveryService,
    task: &DeliveryTask,
    backoff: Duration,
) {
    let after = |delay: Duration| now() + TimeDelta::from_std(delay).unwrap_or(TimeDelta::MAX);
    let result = match delivery.deliver(task).await {
        // Recording the attempt also removed or rescheduled the task (`SqliteDeliveryLog`);
        // a rescheduled one may be due before the time the worker sleeps until.
        Ok(Delivery {
            attempt: Some(_),
            outcome,
        }) => {
            if matches!(
                outcome,
                DeliveryOutcome::RetryIn(_) | DeliveryOutcome::Parked(_)
            ) {
                queue.nudge();
            }
            return;
        }
        // No attempt made: too early (or another copy made it), or nothing to do.
        Ok(Delivery {
            outcome: DeliveryOutcome::RetryIn(delay) | DeliveryOutcome::Parked(delay),
            ..
        }) => queue.retry_at(task, after(delay)).await,
        Ok(Delivery { outcome, .. }) => {
            tracing::debug!(message_id = %task.message_id, endpoint_id = %task.endpoint_id, outcome = ?outcome, "task done without an attempt");
            queue.complete(task).await
        }
        Err(e) => {
            tracing::error!(message_id = %task.message_id, endpoint_id = %task.endpoint_id, error = %e, "delivery attempt not recorded; will retry");
            queue.retry_at(task, after(backoff)).await
        }
    };
    if let Err(e) = result {
        // The lease expires and the task comes back: at-least-once holds.
        tracing::error!(message_id = %task.message_id, endpoint_id = %task.endpoint_id, error = %e, "cannot update task");
    }
}
