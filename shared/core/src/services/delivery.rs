//! Delivery: one attempt of one task — load, sign, send, record — and the decision
//! about what comes next, which the queue consumer (local worker or Lambda) carries out.

use super::decide::{self, EARLY_SLACK};
use super::{Announcer, Stores};
use crate::error::{CoreError, StoreError};
use crate::model::{
    now, Attempt, DeliveryStatus, DeliveryTask, Endpoint, MessageMeta, NextAttempt, Payload,
    Progress,
};
use crate::operational::{self, DisabledReason};
use crate::ports::{EventPublisher, OutboundRequest, SendResult, WebhookSender};
use crate::retry::{AttemptOutcome, RetryPolicy};
use crate::signing::signature_headers;
use chrono::{DateTime, Utc};
use rand::Rng;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Successful attempts keep this much of the response: receivers rarely say much on
/// success, and on DynamoDB it stays in the entry, which must stay under 1 KB.
pub const SUCCESS_EXCERPT_BYTES: usize = 256;
/// Failed attempts keep the first KiB of the response as UTF-8 bytes (a lossy decoding of
/// a KiB of bytes can be three times longer).
pub const FAILURE_EXCERPT_BYTES: usize = 1024;
/// When another copy of the task recorded the attempt but left no due time, look again
/// after this long.
const CONFLICT_RECHECK: Duration = Duration::from_secs(30);

/// What the queue consumer should do with the task after [`DeliveryService::deliver`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryOutcome {
    /// 2xx received: remove the task.
    Delivered,
    /// Attempt failed: make the task due again after this delay.
    RetryIn(Duration),
    /// Attempt failed and the next one is further away than
    /// [`DeliveryConfig::park_after`]: remove the task; the sweep sends a new one shortly
    /// before it is due.
    Parked(Duration),
    /// Final failure (attempts exhausted, 410, or endpoint disabled): remove the task;
    /// the log shows the message as failed.
    Failed,
    /// Nothing to do (duplicate task, already final, endpoint deleted): remove the task.
    Skipped(&'static str),
}

/// Settings of the delivery service.
#[derive(Debug, Clone)]
pub struct DeliveryConfig {
    pub retry: RetryPolicy,
    /// An endpoint whose attempts have all failed for this long is announced as failing
    /// (`WEBHOOK_ENDPOINT_FAILING`), once per run of failures.
    pub failing_after: Duration,
    /// An endpoint whose attempts have all failed for this long is disabled automatically.
    pub disable_after: Duration,
    /// Retries further away than this wait with no queue message ([`DeliveryOutcome::Parked`]):
    /// on SQS a message hidden for its retry counts against the queue's in-flight quota,
    /// and a full quota stops every delivery. `None`: the queue holds every retry (SQLite).
    pub park_after: Option<Duration>,
}

impl Default for DeliveryConfig {
    fn default() -> Self {
        Self {
            retry: RetryPolicy::default(),
            failing_after: Duration::from_secs(3600),
            disable_after: Duration::from_secs(5 * 24 * 3600),
            park_after: None,
        }
    }
}

/// The result of [`DeliveryService::deliver`]: what to do with the task, and the attempt
/// made, if any (for metrics and logs).
#[derive(Debug, Clone, PartialEq)]
pub struct Delivery {
    pub outcome: DeliveryOutcome,
    pub attempt: Option<Attempt>,
}

impl From<DeliveryOutcome> for Delivery {
    fn from(outcome: DeliveryOutcome) -> Self {
        Self {
            outcome,
            attempt: None,
        }
    }
}

#[derive(Clone)]
pub struct DeliveryService {
    stores: Stores,
    sender: Arc<dyn WebhookSender>,
    config: DeliveryConfig,
    events: Announcer,
}

impl DeliveryService {
    pub fn new(stores: Stores, sender: Arc<dyn WebhookSender>, config: DeliveryConfig) -> Self {
        Self {
            stores,
            sender,
            config,
            events: Announcer::default(),
        }
    }

    /// Publishes operational events (failing, disabled, message failed) through `events`;
    /// with `None`, none are sent.
    pub fn with_events(mut self, events: Option<Arc<dyn EventPublisher>>) -> Self {
        self.events = Announcer::new(events);
        self
    }

    /// Makes the next attempt of `task`. An `Err` means no attempt was recorded (storage
    /// trouble): the consumer should leave the task to come back later.
    pub async fn deliver(&self, task: &DeliveryTask) -> Result<Delivery, CoreError> {
        let inputs = self.stores.reader.read(task).await?;
        let entry = match decide::before_attempt(inputs.entry, inputs.message.is_some(), now()) {
            Ok(entry) => entry,
            Err(outcome) => return Ok(outcome.into()),
        };
        let Some(endpoint) = inputs.endpoint else {
            return Ok(DeliveryOutcome::Skipped("endpoint deleted").into());
        };
        let Some(payload) = inputs.message else {
            let missing = format!("log entry for missing message {}", task.message_id);
            return Err(StoreError::backend(missing).into());
        };
        let (number, started_at) = (entry.attempt_count + 1, now());
        // A disabled endpoint gets nothing: the attempt records why.
        let result = match endpoint.enabled {
            true => Some(self.send(&endpoint, &payload, started_at).await?),
            false => None,
        };
        let (attempt, outcome) = decide::attempt_of(number, started_at, task.id.clone(), result);
        let (status_after, result, next_at) = self.schedule(&entry, number, outcome);
        let (log, key) = (&self.stores.log, task.key());
        match (log.record_attempt(&key, &payload.meta, &attempt, status_after, next_at)).await {
            Ok(()) => {}
            // Another copy of the task recorded this attempt first (a queue may hand one
            // message out twice). If the delivery is still pending, that copy scheduled the
            // next attempt: keep this one hidden until then rather than let it be deleted,
            // since deleting it could delete the retry (both copies are one queue message).
            Err(StoreError::Conflict) => return self.after_conflict(task).await,
            Err(e) => return Err(e.into()),
        }
        if !attempt.succeeded() {
            (self.after_failure(&endpoint, &payload.meta, &attempt, status_after)).await?;
        }
        log_attempt(task, &attempt, result);
        Ok(Delivery {
            outcome: result,
            attempt: Some(attempt),
        })
    }

    /// Where attempt `number`'s `outcome` leaves the entry: its status, the consumer's
    /// outcome and the next attempt's time. Retries are counted within the current series
    /// (a replay starts a new one).
    fn schedule(
        &self,
        entry: &Progress,
        number: u32,
        outcome: AttemptOutcome,
    ) -> (DeliveryStatus, DeliveryOutcome, Option<NextAttempt>) {
        let in_series = number.saturating_sub(entry.series_start);
        let jitter = rand::thread_rng().gen_range(-1.0..=1.0);
        let next = self.config.retry.next_delay(in_series, outcome, jitter);
        decide::settle(outcome, next, self.config.park_after, now())
    }

    /// Signs the payload with the endpoint's current secrets and sends it.
    async fn send(
        &self,
        endpoint: &Endpoint,
        payload: &Payload,
        at: DateTime<Utc>,
    ) -> Result<SendResult, CoreError> {
        let (tenant, id) = (&endpoint.tenant, &endpoint.id);
        let keys = (self.stores.secrets)
            .get(tenant, id, &endpoint.secrets.signing(at))
            .await?
            .ok_or_else(|| StoreError::backend(format!("endpoint {id} has no secret")))?;
        let signatures = signature_headers(
            &keys,
            payload.meta.id.as_str(),
            at.timestamp(),
            &payload.body,
        );
        let headers = (endpoint.headers.iter())
            .map(|(k, v)| (k.clone().into(), v.clone()))
            .chain(signatures.into_iter().map(|(k, v)| (k.into(), v)))
            .collect();
        let clock = Instant::now();
        let request = OutboundRequest {
            url: endpoint.url.clone(),
            headers,
            body: payload.body.clone(),
        };
        let mut result = self.sender.send(request).await;
        result.duration = result.duration.max(clock.elapsed());
        Ok(result)
    }

    /// What to do with a task whose attempt another copy recorded first.
    async fn after_conflict(&self, task: &DeliveryTask) -> Result<Delivery, CoreError> {
        let entry = self.stores.log.get(&task.key()).await?;
        Ok(match entry {
            // Another queue message for the same delivery (a resumed fan-out) made the
            // attempt: it carries the delivery on, this one goes.
            Some(e) if e.last_task.is_some() && task.id.is_some() && e.last_task != task.id => {
                DeliveryOutcome::Skipped("another queue message carries this delivery").into()
            }
            // The winner parked the retry and has the message deleted.
            Some(e) if e.parked => DeliveryOutcome::Skipped("parked until due").into(),
            Some(e) if e.status == DeliveryStatus::Pending => {
                let wait = match e.next_attempt_at {
                    // Already due: come back at once (no sooner than the slack).
                    Some(due) => (due - now()).to_std().unwrap_or_default(),
                    None => CONFLICT_RECHECK,
                };
                DeliveryOutcome::RetryIn(wait.max(EARLY_SLACK)).into()
            }
            _ => DeliveryOutcome::Skipped("attempt recorded concurrently").into(),
        })
    }

    /// What a failed `attempt` leads to beyond its entry: a message that failed for good is
    /// announced, and an endpoint failing for long enough is announced, then disabled.
    async fn after_failure(
        &self,
        endpoint: &Endpoint,
        message: &MessageMeta,
        attempt: &Attempt,
        status_after: DeliveryStatus,
    ) -> Result<(), CoreError> {
        if status_after == DeliveryStatus::Failed {
            if let Some(event) = operational::message_failed(endpoint, message, attempt) {
                self.events.publish(event).await;
            }
        }
        let (failing_after, disable_after) = (self.config.failing_after, self.config.disable_after);
        match decide::escalation(endpoint, attempt.started_at, failing_after, disable_after) {
            decide::Escalation::None => {}
            decide::Escalation::Disable(since) => self.disable(endpoint, since, attempt).await?,
            decide::Escalation::AnnounceFailing(since) => {
                // Published first: if the mark is then lost, the next failure publishes the
                // same event id again, which ingest drops as a duplicate.
                let event = operational::endpoint_failing(endpoint, since, attempt, disable_after);
                let (tenant, id) = (&endpoint.tenant, &endpoint.id);
                if self.events.publish(event).await {
                    let marked = self.stores.endpoints.announce_failing(tenant, id, since);
                    if let Err(e) = marked.await {
                        tracing::warn!(tenant = %tenant, endpoint_id = %id, error = %e, "failing announcement not marked");
                    }
                }
            }
        }
        Ok(())
    }

    /// Disables `endpoint`, failing since `since`, recording why, and announces it.
    async fn disable(
        &self,
        endpoint: &Endpoint,
        since: DateTime<Utc>,
        last: &Attempt,
    ) -> Result<(), CoreError> {
        let (tenant, id) = (&endpoint.tenant, &endpoint.id);
        // The endpoint read for this attempt is usually current: read again only on a conflict.
        let mut version = endpoint.version;
        for _ in 0..3 {
            let endpoints = &self.stores.endpoints;
            match endpoints
                .disable(
                    tenant,
                    id,
                    version + 1,
                    DisabledReason::Failing.code(),
                    now(),
                )
                .await
            {
                Ok(()) => {
                    tracing::warn!(tenant = %tenant, endpoint_id = %id, failing_since = %since, "endpoint disabled automatically");
                    let event = operational::endpoint_disabled(
                        endpoint,
                        version + 1,
                        DisabledReason::Failing,
                        Some(last),
                    );
                    self.events.publish(event).await;
                    return Ok(());
                }
                Err(StoreError::Conflict) => match endpoints.get(tenant, id).await? {
                    Some(ep) if ep.enabled => version = ep.version,
                    _ => return Ok(()),
                },
                Err(e) => return Err(e.into()),
            }
        }
        Ok(())
    }
}

/// One log line per attempt, with what the log entry shows.
fn log_attempt(task: &DeliveryTask, attempt: &Attempt, outcome: DeliveryOutcome) {
    tracing::info!(
        tenant = %task.tenant,
        message_id = %task.message_id,
        endpoint_id = %task.endpoint_id,
        attempt = attempt.number,
        status_code = attempt.status_code,
        error = attempt.error.as_deref(),
        duration_ms = attempt.duration_ms,
        outcome = ?outcome,
        "delivery attempt"
    );
}
