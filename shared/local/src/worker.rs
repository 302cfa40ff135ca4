//! The local delivery worker: a dispatcher runs the delivery service on tasks from the
//! ready list with bounded concurrency, and a feeder leases due tasks from the table into
//! that list ahead of need. An attempt's own write moves its task; the worker moves the
//! tasks that got no attempt (too early, nothing to do, storage trouble).

use crate::queue::SqliteTaskQueue;
use crate::ready::Limits;
use chrono::TimeDelta;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{watch, Semaphore};
use webhooks_core::model::{now, DeliveryTask};
use webhooks_core::services::{Delivery, DeliveryOutcome, DeliveryService};

/// Worker tuning.
#[derive(Debug, Clone)]
pub struct WorkerConfig {
    /// Deliveries in flight at once.
    pub concurrency: usize,
    /// How long a leased task stays hidden; must exceed `ready_wait` plus the HTTP timeout,
    /// so an attempt started from the ready list ends within its lease.
    pub lease: Duration,
    /// Tasks held leased in memory, ready for the next free slot.
    pub ready: usize,
    /// How long a task may wait in the ready list before its lease is deemed too short.
    pub ready_wait: Duration,
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
            concurrency: 256,
            lease: Duration::from_secs(60),
            ready: 1024,
            ready_wait: Duration::from_secs(10),
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
        self.queue.open_ready(Limits {
            capacity: self.config.ready.max(2),
            lease: self.config.lease,
            wait: self.config.ready_wait,
        });
        let (stop, stopped) = watch::channel(false);
        let feeder = tokio::spawn(feed(self.queue.clone(), self.config.clone(), stopped));
        let permits = Arc::new(Semaphore::new(self.config.concurrency.max(1)));
        tokio::pin!(shutdown);
        loop {
            let permit = tokio::select! {
                _ = &mut shutdown => break,
                p = permits.clone().acquire_owned() => p,
            };
            let Ok(permit) = permit else { break };
            let task = tokio::select! {
                _ = &mut shutdown => break,
                t = self.queue.next_ready() => t,
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
        let _ = stop.send(true);
        let _ = feeder.await;
        self.queue.close_ready();
        // Wait for deliveries in flight; leases of any still running are released at next start.
        let all = u32::try_from(self.config.concurrency.max(1)).unwrap_or(u32::MAX);
        let _ = tokio::time::timeout(self.config.lease, permits.acquire_many(all)).await;
        tracing::info!("delivery worker stopped");
    }
}

/// The feeder: keeps the ready list supplied from the table, and re-queues orphans.
async fn feed(queue: SqliteTaskQueue, config: WorkerConfig, mut stop: watch::Receiver<bool>) {
    requeue_orphans(&queue).await;
    let mut orphans_checked = std::time::Instant::now();
    loop {
        let fed = tokio::select! {
            _ = stop.changed() => return,
            fed = queue.feed_ready() => fed,
        };
        let sleep = match fed {
            // The table may hold more due tasks.
            Ok((asked, got)) if got == asked => continue,
            Ok(_) => match queue.next_due().await {
                Ok(Some(at)) => (at - now())
                    .to_std()
                    .unwrap_or(Duration::ZERO)
                    .min(config.idle_poll),
                _ => config.idle_poll,
            },
            Err(e) => {
                tracing::error!(error = %e, "cannot lease tasks");
                config.error_backoff
            }
        };
        if orphans_checked.elapsed() >= config.orphan_check {
            requeue_orphans(&queue).await;
            orphans_checked = std::time::Instant::now();
        }
        tokio::select! {
            _ = stop.changed() => return,
            _ = queue.woken() => {}
            _ = tokio::time::sleep(sleep.max(Duration::from_millis(5))) => {}
        }
    }
}

/// A task again for each pending delivery that has none: a process stopped between a
/// replay's restart and its enqueue.
async fn requeue_orphans(queue: &SqliteTaskQueue) {
    match queue.requeue_orphans().await {
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
