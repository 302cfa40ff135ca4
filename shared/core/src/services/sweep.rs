//! The sweep, run on a schedule on AWS: sends the task of every parked delivery shortly before
//! it is due (long retries wait with no queue message), and sends again the task of every
//! delivery left pending with none (a function killed between a replay's restart and its
//! enqueue, a queue message out of receives). Locally nothing parks, and the worker
//! re-queues task-less deliveries exactly, from its own task table.

use super::Stores;
use crate::error::CoreError;
use crate::model::now;
use crate::ports::MAX_ENQUEUE_DELAY;
use chrono::TimeDelta;
use std::time::{Duration, Instant};

/// Settings of the sweep.
#[derive(Debug, Clone)]
pub struct SweepConfig {
    /// A pending delivery whose next attempt is this much overdue is taken for lost. Above
    /// any backlog the delivery queue should have: a late task that is not lost only costs a
    /// second task, which the log's conditional write makes harmless.
    pub overdue_after: Duration,
    /// Parked deliveries due within this are woken: their task is sent, delayed until due.
    /// At most [`MAX_ENQUEUE_DELAY`], and more than the time between two sweeps.
    pub wake_ahead: Duration,
    /// How long one sweep may work before it stops (the next one goes on).
    pub budget: Duration,
    /// Deliveries read per page.
    pub page: usize,
}

impl Default for SweepConfig {
    fn default() -> Self {
        Self {
            overdue_after: Duration::from_secs(30 * 60),
            wake_ahead: Duration::from_secs(14 * 60),
            budget: Duration::from_secs(60),
            page: 100,
        }
    }
}

/// What a sweep did: parked deliveries woken, lost tasks sent again, and whether it went
/// through every pending delivery due within its horizon.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SweepReport {
    pub woken: usize,
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

    /// Wakes the parked deliveries due within [`SweepConfig::wake_ahead`] and sends a task
    /// again for every other pending delivery overdue by more than
    /// [`SweepConfig::overdue_after`], within the time budget.
    pub async fn sweep(&self) -> Result<SweepReport, CoreError> {
        let started = Instant::now();
        let delta = |d: Duration| TimeDelta::from_std(d).unwrap_or(TimeDelta::MAX);
        let t0 = now();
        let horizon = t0 + delta(self.config.wake_ahead.min(MAX_ENQUEUE_DELAY));
        let overdue = t0 - delta(self.config.overdue_after);
        let mut report = SweepReport {
            woken: 0,
            requeued: 0,
            complete: true,
        };
        let mut cursor = None::<String>;
        loop {
            let page = (self.stores.log)
                .due(horizon, cursor.as_deref(), self.config.page)
                .await?;
            let (mut wake, mut lost) = (Vec::new(), Vec::new());
            for due in page.data {
                let task = due.task.identified();
                match due.at {
                    Some(at) if due.parked => {
                        // One task per parked wait, however many sweeps see it.
                        let log = &self.stores.log;
                        if log.unpark(&task.key(), at).await? {
                            wake.push((task, at));
                        }
                    }
                    Some(at) if at >= overdue => {} // its task is on its way
                    _ => lost.push(task),
                }
            }
            // An unparked delivery whose enqueue fails is pending with no task: a later
            // sweep finds it overdue.
            self.stores.queue.enqueue_at(&wake).await?;
            self.stores.queue.enqueue(&lost).await?;
            report.woken += wake.len();
            report.requeued += lost.len();
            match page.next_cursor {
                None => break,
                Some(_) if started.elapsed() >= self.config.budget => {
                    report.complete = false;
                    break;
                }
                Some(next) => cursor = Some(next),
            }
        }
        if report.requeued > 0 {
            tracing::warn!(
                requeued = report.requeued,
                "re-queued overdue deliveries that had lost their task"
            );
        }
        Ok(report)
    }
}
