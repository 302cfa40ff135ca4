//! The worker's ready list: tasks already leased for this process's worker, held in memory.
//! Enqueues put their fresh tasks here, writing the rows already leased, and the worker's
//! feeder leases ahead from the table into it, so a delivery needs no lease write of its
//! own and the worker never waits on the writer to find its next task.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::{Duration, Instant};
use tokio::sync::Notify;
use webhooks_core::model::DeliveryTask;

/// How the list is sized and how long its leases last (set by the worker that opens it).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    /// Most tasks held; enqueues may fill only half, so that tasks waiting in the table
    /// (retries, overflow) always find room and are not starved by a flow of new events.
    pub capacity: usize,
    /// The lease written on each task taken into the list.
    pub lease: Duration,
    /// How long a task may wait here: past that, too little of its lease is left to make
    /// an attempt in, so it is left to expire and be leased again from the table.
    pub wait: Duration,
}

#[derive(Default)]
struct State {
    /// `None` while no worker runs: enqueues then leave every task to the table.
    limits: Option<Limits>,
    tasks: VecDeque<(DeliveryTask, Instant)>,
}

impl State {
    /// Room left below `share(limits)` tasks, with the limits; `None` while closed.
    fn room(&self, share: impl Fn(&Limits) -> usize) -> Option<(usize, Limits)> {
        let l = self.limits?;
        Some((share(&l).saturating_sub(self.tasks.len()), l))
    }

    /// Open and below half full: the feeder should lease ahead.
    fn wants_more(&self) -> bool {
        self.room(|l| l.capacity / 2)
            .is_some_and(|(room, _)| room > 0)
    }
}

#[derive(Default)]
pub(crate) struct ReadyList {
    state: Mutex<State>,
    added: Notify,
    drained: Notify,
}

impl ReadyList {
    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Starts taking tasks, empty: called once the stale leases of the last run are released,
    /// so nothing listed before can be leased twice.
    pub fn open(&self, limits: Limits) {
        let mut s = self.state();
        s.limits = Some(limits);
        s.tasks.clear();
    }

    /// Stops taking tasks and forgets those held: their rows stay leased, and come back when
    /// the lease expires or at the next start.
    pub fn close(&self) {
        let mut s = self.state();
        s.limits = None;
        s.tasks.clear();
    }

    /// How many fresh tasks an enqueue may hand over now, with the lease to write on them.
    pub fn room_for_enqueue(&self) -> Option<(usize, Limits)> {
        self.state().room(|l| l.capacity / 2)
    }

    /// How many tasks the feeder may lease from the table now, with their lease.
    pub fn room_for_feeder(&self) -> Option<(usize, Limits)> {
        self.state().room(|l| l.capacity)
    }

    /// Adds tasks whose rows were leased at `leased_at` (if the list is still open).
    pub fn push(&self, tasks: Vec<DeliveryTask>, leased_at: Instant) {
        if tasks.is_empty() {
            return;
        }
        let mut s = self.state();
        let Some(l) = s.limits else { return };
        let use_by = leased_at + l.wait;
        s.tasks.extend(tasks.into_iter().map(|t| (t, use_by)));
        drop(s);
        self.added.notify_one();
    }

    /// The oldest task still within its wait, waiting for one if the list is empty.
    pub async fn take(&self) -> DeliveryTask {
        loop {
            {
                let mut s = self.state();
                let now = Instant::now();
                while let Some((task, use_by)) = s.tasks.pop_front() {
                    if use_by < now {
                        tracing::debug!(message_id = %task.message_id, endpoint_id = %task.endpoint_id, "ready task waited too long; left to its lease");
                        continue;
                    }
                    if s.wants_more() {
                        self.drained.notify_one();
                    }
                    return task;
                }
            }
            self.drained.notify_one();
            self.added.notified().await;
        }
    }

    /// Resolves once the list is below half full: time for the feeder to lease ahead.
    pub async fn wants_more(&self) {
        loop {
            if self.state().wants_more() {
                return;
            }
            self.drained.notified().await;
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use webhooks_core::{EndpointId, MessageId, TenantId};

    /// A task for a fresh message and endpoint of tenant A.
    pub(crate) fn task() -> DeliveryTask {
        DeliveryTask::new(
            TenantId::parse("A").unwrap(),
            MessageId::generate(),
            EndpointId::generate(),
        )
    }

    const LIMITS: Limits = Limits {
        capacity: 4,
        lease: Duration::from_secs(60),
        wait: Duration::from_secs(10),
    };

    /// Enqueues get half the list, the feeder the rest; a closed list takes nothing.
    #[test]
    fn room_is_shared_between_enqueues_and_the_feeder() {
        let list = ReadyList::default();
        assert!(list.room_for_enqueue().is_none());
        list.push(vec![task()], Instant::now());
        list.open(LIMITS);
        assert_eq!(list.room_for_enqueue().unwrap().0, 2);
        list.push(vec![task(), task()], Instant::now());
        assert_eq!(list.room_for_enqueue().unwrap().0, 0);
        assert_eq!(list.room_for_feeder().unwrap().0, 2);
        list.close();
        assert!(list.room_for_feeder().is_none());
    }

    /// Tasks come out in order; one that waited past its wait is skipped, not delivered
    /// on a lease that may run out during its attempt.
    #[tokio::test]
    async fn take_skips_tasks_that_waited_too_long() {
        let list = ReadyList::default();
        list.open(LIMITS);
        let (stale, fresh) = (task(), task());
        list.push(vec![stale], Instant::now() - Duration::from_secs(11));
        list.push(vec![fresh.clone()], Instant::now());
        assert_eq!(list.take().await, fresh);
        // Empty: take waits for the next push.
        let list = std::sync::Arc::new(list);
        let waiting = tokio::spawn({
            let list = list.clone();
            async move { list.take().await }
        });
        tokio::task::yield_now().await;
        assert!(!waiting.is_finished());
        let later = task();
        list.push(vec![later.clone()], Instant::now());
        assert_eq!(waiting.await.unwrap(), later);
    }
}
