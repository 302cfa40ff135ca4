//! What an endpoint's delivery counters and failure run are, and how each write of a log
//! entry changes them: pure functions, applied in the same transaction locally and from the
//! table's stream on AWS.

use crate::model::DeliveryStatus;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Per-endpoint delivery counters shown in the endpoint list.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counters {
    /// Messages delivered (a 2xx was received).
    pub delivered: i64,
    /// Attempts that did not get a 2xx.
    pub failed_attempts: i64,
    /// Messages that exhausted their attempts (or were stopped by a 410).
    pub failed_messages: i64,
    /// Messages still waiting for a successful or final attempt.
    pub in_flight: i64,
}

impl Counters {
    /// The change one write of a log entry makes to its endpoint's counters: the entry went
    /// from `before` to `after` (`None`: absent) and recorded `new_attempts` (whether each
    /// succeeded) on the way. A first attempt creates the entry: one more delivered, in
    /// flight or failed; a replay moves a failed message back in flight; deleting an entry
    /// (endpoint deleted, retention) changes nothing, since counters are running totals.
    pub fn change(
        before: Option<DeliveryStatus>,
        after: Option<DeliveryStatus>,
        new_attempts: impl IntoIterator<Item = bool>,
    ) -> Counters {
        use DeliveryStatus::*;
        let weight = |s: Option<DeliveryStatus>| match s {
            Some(Pending) => Counters {
                in_flight: 1,
                ..Counters::default()
            },
            Some(Delivered) => Counters {
                delivered: 1,
                ..Counters::default()
            },
            Some(Failed) => Counters {
                failed_messages: 1,
                ..Counters::default()
            },
            None => Counters::default(),
        };
        let mut d = match after {
            None => Counters::default(),
            Some(_) => weight(after) - weight(before),
        };
        d.failed_attempts = new_attempts.into_iter().filter(|ok| !ok).count() as i64;
        d
    }
}

impl std::ops::Add for Counters {
    type Output = Counters;
    fn add(self, o: Counters) -> Counters {
        Counters {
            delivered: self.delivered + o.delivered,
            failed_attempts: self.failed_attempts + o.failed_attempts,
            failed_messages: self.failed_messages + o.failed_messages,
            in_flight: self.in_flight + o.in_flight,
        }
    }
}

impl std::ops::Sub for Counters {
    type Output = Counters;
    fn sub(self, o: Counters) -> Counters {
        Counters {
            delivered: self.delivered - o.delivered,
            failed_attempts: self.failed_attempts - o.failed_attempts,
            failed_messages: self.failed_messages - o.failed_messages,
            in_flight: self.in_flight - o.in_flight,
        }
    }
}

/// How a run of attempts changes an endpoint's `failing_since` (the start of its current
/// run of failures with no success).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailingChange {
    /// No attempt: leave it.
    Unchanged,
    /// The last attempt succeeded: clear it.
    Clear,
    /// Failures only: start the run at this time unless one is already running.
    StartUnlessRunning(DateTime<Utc>),
    /// A success then failures: the run starts at this time, whatever was stored.
    Restart(DateTime<Utc>),
}

impl FailingChange {
    /// Folds attempts `(succeeded, started_at)`, in the order they were made.
    pub fn fold(attempts: impl IntoIterator<Item = (bool, DateTime<Utc>)>) -> Self {
        attempts
            .into_iter()
            .fold(Self::Unchanged, |state, (ok, at)| match (ok, state) {
                (true, _) => Self::Clear,
                (false, Self::Unchanged) => Self::StartUnlessRunning(at),
                (false, Self::Clear) => Self::Restart(at),
                (false, running) => running,
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counter_changes_follow_every_entry_write() {
        use DeliveryStatus::*;
        let c = |d, fa, fm, i| Counters {
            delivered: d,
            failed_attempts: fa,
            failed_messages: fm,
            in_flight: i,
        };
        // (before, after, attempts recorded by the write) → change
        type Row = (
            Option<DeliveryStatus>,
            Option<DeliveryStatus>,
            &'static [bool],
            Counters,
        );
        let table: &[Row] = &[
            (None, Some(Pending), &[], c(0, 0, 0, 1)),
            (Some(Pending), Some(Pending), &[false], c(0, 1, 0, 0)),
            (Some(Pending), Some(Delivered), &[true], c(1, 0, 0, -1)),
            (
                Some(Pending),
                Some(Delivered),
                &[false, true],
                c(1, 1, 0, -1),
            ),
            (Some(Pending), Some(Failed), &[false], c(0, 1, 1, -1)),
            (Some(Failed), Some(Pending), &[], c(0, 0, -1, 1)),
            (Some(Delivered), None, &[], c(0, 0, 0, 0)),
            (Some(Pending), None, &[], c(0, 0, 0, 0)),
            (Some(Delivered), Some(Delivered), &[], c(0, 0, 0, 0)),
            // First attempts, which create the entry.
            (None, Some(Delivered), &[true], c(1, 0, 0, 0)),
            (None, Some(Pending), &[false], c(0, 1, 0, 1)),
            (None, Some(Failed), &[false], c(0, 1, 1, 0)),
        ];
        for (before, after, attempts, want) in table {
            assert_eq!(
                Counters::change(*before, *after, attempts.iter().copied()),
                *want,
                "{before:?} -> {after:?} with {attempts:?}"
            );
        }
    }

    #[test]
    fn failing_runs_fold_in_attempt_order() {
        let t = |s: i64| DateTime::from_timestamp(s, 0).unwrap();
        use FailingChange::*;
        let table: &[(&[(bool, i64)], FailingChange)] = &[
            (&[], Unchanged),
            (&[(true, 1)], Clear),
            (&[(false, 1)], StartUnlessRunning(t(1))),
            (&[(false, 1), (false, 2)], StartUnlessRunning(t(1))),
            (&[(false, 1), (true, 2)], Clear),
            (&[(true, 1), (false, 2), (false, 3)], Restart(t(2))),
            (&[(false, 1), (true, 2), (false, 3)], Restart(t(3))),
        ];
        for (attempts, want) in table {
            let got = FailingChange::fold(attempts.iter().map(|(ok, s)| (*ok, t(*s))));
            assert_eq!(got, *want, "{attempts:?}");
        }
    }
}
