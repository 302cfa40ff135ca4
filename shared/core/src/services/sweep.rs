//! The sweep: finds deliveries left pending with no task to carry them (a function killed
//! between a replay's restart and its enqueue, a queue message out of receives) and sends
//! their task again. Run on a schedule on AWS; locally the worker re-queues such deliveries
//! exactly, from its own task table.

use super::Stores;
use crate::error::CoreError;
use crate::model::{now, DeliveryTask};
use chrono::TimeDelta;
use std::time::{Duration, Instant};

/// Settings of the sweep.
#[derive(Debug, Clone)]
pub struct SweepConfig {
    /// A pending delivery whose next attempt is this much overdue is taken for lost. Above
    /// any backlog the delivery queue should have: a late task that is not lost only costs a
    /// second task, which the log's conditional write makes harmless.
    pub overdue_after: Duration,
    /// How long one sweep may work before it stops (the next one goes on).
    pub budget: Duration,
    /// Deliveries read per page.
    pub page: usize,
}

impl Default for SweepConfig {
    fn default() -> Self {
        Self {
            overdue_after: Duration::from_secs(30 * 60),
            budget: Duration::from_secs(60),
            page: 100,
        }
    }
}

/// What a sweep did: tasks sent again, and whether it went through every overdue delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SweepReport {
    pub requeued: usize,
    pub complete: bool,
}

#[derive(Clone)]
pub struct SweepService {
    stores: Stores,
    config: SweepConfig,
}

impl SweepService {
    pub fn new(stores: Stores, config: SweepConfig) -> Self {
        Self { stores, config }
    }

    /// Sends a task again for every pending delivery overdue by more than
    /// [`SweepConfig::overdue_after`], within the time budget.
    pub async fn sweep(&self) -> Result<SweepReport, CoreError> {
        let started = Instant::now();
        let overdue = TimeDelta::from_std(self.config.overdue_after).unwrap_or(TimeDelta::MAX);
        let before = now() - overdue;
        let (mut requeued, mut cursor) = (0, None::<String>);
        let complete = loop {
            let page = (self.stores.log)
                .overdue(before, cursor.as_deref(), self.config.page)
                .await?;
            let tasks: Vec<DeliveryTask> = page
                .data
                .into_iter()
                .map(DeliveryTask::identified)
                .collect();
            self.stores.queue.enqueue(&tasks).await?;
            requeued += tasks.len();
            match page.next_cursor {
                None => break true,
                Some(_) if started.elapsed() >= self.config.budget => break false,
                Some(next) => cursor = Some(next),
            }
        };
        if requeued > 0 {
            tracing::warn!(
                requeued,
                complete,
                "re-queued overdue deliveries that had lost their task"
            );
        }
        Ok(SweepReport { requeued, complete })
    }
}
