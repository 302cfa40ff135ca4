//! The delivery use case's decisions as pure functions: whether a task is due, what an
//! attempt's result records, how its outcome settles the entry, and what a failure leads to.
//! `DeliveryService::deliver` is the shell that reads, sends and writes around them.

use super::delivery::{DeliveryOutcome, FAILURE_EXCERPT_BYTES, SUCCESS_EXCERPT_BYTES};
use crate::model::{Attempt, DeliveryStatus, Endpoint, FailureKind, NextAttempt, Progress};
use crate::ports::SendResult;
use crate::retry::AttemptOutcome;
use chrono::{DateTime, TimeDelta, Utc};
use std::time::Duration;

/// A task arriving this close to its due time is run rather than put back.
pub(super) const EARLY_SLACK: Duration = Duration::from_secs(1);

/// Where a task's delivery stands, from the entry read (`None`: no entry yet) and whether
/// its message is still there: the progress to attempt from, or what to do with the task.
pub fn before_attempt(
    entry: Option<Progress>,
    has_message: bool,
    now: DateTime<Utc>,
) -> Result<Progress, DeliveryOutcome> {
    let entry = match (entry, has_message) {
        (Some(entry), _) => entry,
        // No entry yet: this is the first attempt, which creates it.
        (None, true) => Progress::FIRST,
        (None, false) => return Err(DeliveryOutcome::Skipped("message gone")),
    };
    if entry.status != DeliveryStatus::Pending {
        return Err(DeliveryOutcome::Skipped("already final"));
    }
    // A task can come back before its time (a queue's delay cap, a duplicate): wait on.
    if let Some(due) = entry.next_attempt_at {
        let early = (due - now).to_std().unwrap_or_default();
        if early > EARLY_SLACK {
            // A parked wait has no queue message of its own: this is a stray copy, and the
            // sweep sends the task that makes the attempt.
            return Err(if entry.parked {
                DeliveryOutcome::Skipped("parked until due")
            } else {
                DeliveryOutcome::RetryIn(early)
            });
        }
    }
    Ok(entry)
}

/// The attempt to record, and what it means for retrying: from the receiver's answer, or
/// with `result` `None` when the endpoint was disabled and nothing was sent.
pub fn attempt_of(
    number: u32,
    started_at: DateTime<Utc>,
    task: Option<String>,
    result: Option<SendResult>,
) -> (Attempt, AttemptOutcome) {
    let Some(result) = result else {
        let attempt = Attempt {
            number,
            started_at,
            duration_ms: 0,
            status_code: None,
            error: Some(FailureKind::EndpointDisabled.as_str().to_owned()),
            response_excerpt: None,
            task,
        };
        return (attempt, AttemptOutcome::Gone);
    };
    let outcome = match result.error {
        Some(_) => AttemptOutcome::Failed { retry_after: None },
        None => AttemptOutcome::classify(result.status, result.retry_after),
    };
    let keep = if outcome == AttemptOutcome::Success {
        SUCCESS_EXCERPT_BYTES
    } else {
        FAILURE_EXCERPT_BYTES
    };
    let attempt = Attempt {
        number,
        started_at,
        duration_ms: u64::try_from(result.duration.as_millis()).unwrap_or(u64::MAX),
        status_code: result.status,
        error: (result.error)
            .or((outcome != AttemptOutcome::Success).then_some(FailureKind::HttpStatus))
            .map(|k| k.as_str().to_owned()),
        response_excerpt: result.excerpt.map(|x| truncate_utf8(x, keep)),
        task,
    };
    (attempt, outcome)
}

/// How an attempt's `outcome`, with the retry policy's `next` delay, settles the entry: its
/// status after, what the queue consumer does, and when the next attempt is due (parked
/// when further away than `park_after`).
pub fn settle(
    outcome: AttemptOutcome,
    next: Option<Duration>,
    park_after: Option<Duration>,
    now: DateTime<Utc>,
) -> (DeliveryStatus, DeliveryOutcome, Option<NextAttempt>) {
    let parked = next.is_some_and(|d| park_after.is_some_and(|p| d > p));
    let (status, result) = match (outcome, next) {
        (AttemptOutcome::Success, _) => (DeliveryStatus::Delivered, DeliveryOutcome::Delivered),
        (_, Some(delay)) if parked => (DeliveryStatus::Pending, DeliveryOutcome::Parked(delay)),
        (_, Some(delay)) => (DeliveryStatus::Pending, DeliveryOutcome::RetryIn(delay)),
        (_, None) => (DeliveryStatus::Failed, DeliveryOutcome::Failed),
    };
    let next_at = (next.filter(|_| status == DeliveryStatus::Pending))
        .and_then(|d| TimeDelta::from_std(d).ok())
        .map(|d| NextAttempt {
            at: now + d,
            parked,
        });
    (status, result, next_at)
}

/// What a failed attempt means for its endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Escalation {
    None,
    /// Failing for the failing window and not yet announced for this run (its start).
    AnnounceFailing(DateTime<Utc>),
    /// Failing for the auto-disable window since this time.
    Disable(DateTime<Utc>),
}

/// The escalation a failed attempt at `at` brings for `endpoint`, as it was read before it.
/// Runs of failures are told apart by their start (`failing_since`): a run is announced
/// once, when `failing_announced` is older than its start.
pub fn escalation(
    endpoint: &Endpoint,
    at: DateTime<Utc>,
    failing_after: Duration,
    disable_after: Duration,
) -> Escalation {
    let Some(since) = endpoint.failing_since.filter(|_| endpoint.enabled) else {
        return Escalation::None;
    };
    let failing_for = (at - since).to_std().unwrap_or_default();
    if failing_for >= disable_after {
        Escalation::Disable(since)
    } else if failing_for >= failing_after && endpoint.failing_announced < Some(since) {
        Escalation::AnnounceFailing(since)
    } else {
        Escalation::None
    }
}

/// `s` cut to at most `max` bytes, at a character boundary.
fn truncate_utf8(mut s: String, max: usize) -> String {
    if s.len() > max {
        let mut end = max;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        s.truncate(end);
    }
    s
}

#[cfg(test)]
mod tests;
