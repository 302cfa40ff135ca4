//! Ports: the traits the services need from the outside world, named by role. Adapters
//! (SQLite locally, DynamoDB/SQS/Secrets Manager on AWS, hyper for HTTP) implement them.
//! Every storage call is scoped by tenant: an id from another tenant reads as absent.

use crate::error::StoreError;
use crate::ids::{EndpointId, MessageId, TenantId};
use crate::model::{
    Attempt, Counters, DeliveryKey, DeliveryStatus, DeliveryTask, Endpoint, HourBucket, LogEntry,
    Message, MessageMeta, NextAttempt, Page, Payload, Progress,
};
use crate::signing::Secret;
use crate::validation::ValidEvent;
use async_trait::async_trait;
use bytes::Bytes;
use chrono::{DateTime, Utc};
use std::time::Duration;

pub type StoreResult<T> = Result<T, StoreError>;

/// The longest delay [`TaskQueue::enqueue_at`] must honour.
pub const MAX_ENQUEUE_DELAY: Duration = Duration::from_secs(15 * 60);

/// Endpoints of each tenant, with their counters.
#[async_trait]
pub trait EndpointStore: Send + Sync {
    /// Inserts a new endpoint (version 1). `Conflict` if the id exists.
    async fn create(&self, endpoint: &Endpoint) -> StoreResult<()>;
    /// The endpoint with its counters, or `None` (also for another tenant's id).
    async fn get(&self, tenant: &TenantId, id: &EndpointId) -> StoreResult<Option<Endpoint>>;
    /// All endpoints of the tenant, oldest first, with counters.
    async fn list(&self, tenant: &TenantId) -> StoreResult<Vec<Endpoint>>;
    /// Replaces the mutable fields (url, description, event types, headers, enabled,
    /// disabled reason, secret generations, updated_at, version) if the stored version is
    /// `endpoint.version - 1`;
    /// `Conflict` otherwise (including when it was deleted). Re-enabling a disabled
    /// endpoint clears `failing_since`.
    async fn update(&self, endpoint: &Endpoint) -> StoreResult<()>;
    /// Disables the endpoint with `reason`, writing only `enabled`, `disabled_reason`,
    /// `version` and `updated_at` (the delivery function may change nothing else), if the
    /// stored version is `version - 1`; `Conflict` otherwise.
    async fn disable(
        &self,
        tenant: &TenantId,
        id: &EndpointId,
        version: u64,
        reason: &str,
        at: DateTime<Utc>,
    ) -> StoreResult<()>;
    /// Records that the endpoint's run of failures starting at `since` was announced
    /// (`WEBHOOK_ENDPOINT_FAILING`), writing `failing_announced` only, and only if it is
    /// older; `false` if that run was announced already.
    async fn announce_failing(
        &self,
        tenant: &TenantId,
        id: &EndpointId,
        since: DateTime<Utc>,
    ) -> StoreResult<bool>;
    /// Deletes the endpoint; `false` if it did not exist.
    async fn delete(&self, tenant: &TenantId, id: &EndpointId) -> StoreResult<bool>;
    /// Endpoints of the tenant subscribed to `event_type`, enabled or not (the fan-out
    /// query: a disabled endpoint's messages are kept, as failed, for later recovery).
    async fn subscribed(&self, tenant: &TenantId, event_type: &str) -> StoreResult<Vec<Endpoint>>;
}

/// The signing secrets of endpoints, by generation ([`crate::model::SecretGenerations`]).
/// Implementations never log secret values, and no read of the admin API returns them.
#[async_trait]
pub trait SecretStore: Send + Sync {
    /// Mints generation `generation` of the endpoint's secret and returns it, to be shown
    /// once. Issuing a generation again gives the same secret.
    async fn issue(
        &self,
        tenant: &TenantId,
        endpoint: &EndpointId,
        generation: u32,
    ) -> StoreResult<Secret>;
    /// The secrets of `generations`, in that order; `None` if one was never issued (or the
    /// endpoint's secrets were deleted).
    async fn get(
        &self,
        tenant: &TenantId,
        endpoint: &EndpointId,
        generations: &[u32],
    ) -> StoreResult<Option<Vec<Secret>>>;
    /// Forgets the endpoint's secrets (the endpoint is deleted).
    async fn delete(&self, tenant: &TenantId, endpoint: &EndpointId) -> StoreResult<()>;
}

/// What happened when a message was inserted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Inserted {
    /// Stored. `fanned_out`: the store also queued a first-attempt task for each of the
    /// message's `endpoints` and marked it fanned out, in the same write — a store whose
    /// transactions span the task queue (SQLite) — so the caller has no fan-out left to do.
    Created { fanned_out: bool },
    /// The tenant already sent this `event_id`: here is the message it produced, and
    /// whether its fan-out completed: `Some` from a store that tracks it, `None` from one
    /// that does not (DynamoDB: it would cost a write per event), for which the caller
    /// decides by the message's age and completes the fan-out idempotently.
    Duplicate {
        id: MessageId,
        fanned_out: Option<bool>,
    },
}

/// Accepted events (payloads) and their idempotency keys.
#[async_trait]
pub trait MessageStore: Send + Sync {
    /// Stores the message; with an `event_id`, atomically checks it was not seen before.
    async fn insert(&self, message: &Message) -> StoreResult<Inserted>;
    /// Records that every delivery task of the message was enqueued (a no-op for stores
    /// that do not track it, see [`Inserted::Duplicate`]).
    async fn mark_fanned_out(&self, tenant: &TenantId, id: &MessageId) -> StoreResult<()>;
    async fn get(&self, tenant: &TenantId, id: &MessageId) -> StoreResult<Option<Message>>;
    /// The tenant's retained message of the publisher's `event_id`, if any.
    async fn find_event(&self, tenant: &TenantId, event_id: &str) -> StoreResult<Option<Message>>;
}

/// What one delivery attempt reads before sending; each part is `None` when absent (or
/// owned by another tenant).
#[derive(Debug, Clone, Default)]
pub struct DeliveryInputs {
    pub entry: Option<Progress>,
    pub endpoint: Option<Endpoint>,
    /// The outbound body and message details; `None` when the message is gone.
    pub message: Option<Payload>,
}

/// Reads a task's [`DeliveryInputs`] in one round trip (on AWS every request is billed).
/// What the task carries need not be read: with an `attempt` hint an adapter may answer
/// [`DeliveryTask::implied_entry`] instead of reading the entry, and with the message
/// hints it may answer [`DeliveryTask::hinted_payload`] instead of reading the message.
#[async_trait]
pub trait DeliveryReader: Send + Sync {
    async fn read(&self, task: &DeliveryTask) -> StoreResult<DeliveryInputs>;
}

/// A pending delivery as the sweep sees it: its task (no hints), when its next attempt is
/// due, and whether it waits with no queue message.
#[derive(Debug, Clone, PartialEq)]
pub struct Due {
    pub task: DeliveryTask,
    pub at: Option<DateTime<Utc>>,
    pub parked: bool,
}

/// The delivery log: one entry per (message, endpoint) and its attempts.
///
/// An entry is created by the delivery's first attempt, not by the fan-out: that saves a
/// write per delivery on AWS, where each is billed. Until then the message alone shows
/// that the delivery is queued. Each entry's transitions are exact: a conditional write
/// per transition, so a duplicate task can never record an attempt twice. The endpoint counters, its `failing_since` and
/// the hourly stats follow the entries ([`Counters::change`], [`crate::model::FailingChange`]):
/// the SQLite adapter changes them in the same transaction (strictly consistent); the
/// DynamoDB adapter derives them from the table's stream, so they trail the entries by a
/// few seconds, never count one write twice, and [`DeliveryLog::recount`] rebuilds them.
#[async_trait]
pub trait DeliveryLog: Send + Sync {
    async fn get(&self, key: &DeliveryKey) -> StoreResult<Option<LogEntry>>;
    /// Appends `attempt` to the entry of `key` and moves it to
    /// `status_after`, due again at `next` if pending; attempt 1 creates the entry, showing
    /// `message`'s type and creation time (`message` is the meta of `key.message`). Counters follow with [`Counters::change`] and the endpoint's `failing_since`
    /// (set by a failure when unset, cleared by a success). `Conflict` unless the entry is
    /// absent for attempt 1, or pending with exactly `attempt.number − 1` attempts for a
    /// later one, so a duplicate task can never record the same attempt twice.
    async fn record_attempt(
        &self,
        key: &DeliveryKey,
        message: &MessageMeta,
        attempt: &Attempt,
        status_after: DeliveryStatus,
        next: Option<NextAttempt>,
    ) -> StoreResult<()>;
    /// Ends the parking of a pending delivery due at `at` (its task is about to be sent):
    /// `false` if it is no longer parked for that time (another sweep took it, or it moved
    /// on), so that one task is sent per parked wait.
    async fn unpark(&self, key: &DeliveryKey, at: DateTime<Utc>) -> StoreResult<bool>;
    /// Starts a new series of attempts for a `failed` entry: back to pending, due now, with
    /// `series_start` = attempts so far; counters move from failed to in flight; the entry
    /// and its message get a full retention period again, so neither expires mid-series.
    /// Returns `false` (and changes nothing of the entry) unless the entry exists and is
    /// failed and its message is still retained.
    async fn restart(&self, key: &DeliveryKey) -> StoreResult<bool>;
    /// Every tenant's pending deliveries due before `horizon`, one page at a time (`cursor`
    /// from the previous page; a page may be short, even empty, with a cursor). An
    /// operator's sweep, not a tenant's query: it wakes parked deliveries, and finds those
    /// whose task was lost (a function killed between a restart and its enqueue, a queue
    /// message out of receives).
    async fn due(
        &self,
        horizon: DateTime<Utc>,
        cursor: Option<&str>,
        limit: usize,
    ) -> StoreResult<Page<Due>>;
    /// Rebuilds the endpoint's counters from the entries still retained and returns them
    /// (an operator's repair; exact when no delivery to the endpoint is under way).
    /// `Ok(None)` if the endpoint does not exist.
    async fn recount(
        &self,
        tenant: &TenantId,
        endpoint: &EndpointId,
    ) -> StoreResult<Option<Counters>>;
    /// Entries of an endpoint, newest message first, optionally of one status.
    async fn list(
        &self,
        tenant: &TenantId,
        endpoint: &EndpointId,
        status: Option<DeliveryStatus>,
        cursor: Option<&str>,
        limit: usize,
    ) -> StoreResult<Page<LogEntry>>;
    /// Attempts of one entry, in order.
    async fn attempts(&self, key: &DeliveryKey) -> StoreResult<Vec<Attempt>>;
    /// Successful and failed attempts per hour since `since` (hours with none omitted).
    async fn hourly_stats(
        &self,
        tenant: &TenantId,
        endpoint: &EndpointId,
        since: DateTime<Utc>,
    ) -> StoreResult<Vec<HourBucket>>;
}

/// Where delivery tasks wait for a worker. Retries are scheduled by the consumer
/// (local worker or delivery Lambda) from the delivery service's outcome.
#[async_trait]
pub trait TaskQueue: Send + Sync {
    /// Enqueues tasks due now. All or error: on error the caller may retry the whole call.
    async fn enqueue(&self, tasks: &[DeliveryTask]) -> StoreResult<()>;
    /// Enqueues tasks each due at its time, which is at most [`MAX_ENQUEUE_DELAY`] away
    /// (SQS delays a message 15 minutes at most); all or error, like [`Self::enqueue`].
    async fn enqueue_at(&self, tasks: &[(DeliveryTask, DateTime<Utc>)]) -> StoreResult<()>;
}

/// Publishes the service's own events ([`crate::operational`]) into the ingest pipeline,
/// as a Peopulse service would: they are fanned out, signed, logged and retried like any
/// other. Each carries an `event_id`, so publishing one twice is harmless.
#[async_trait]
pub trait EventPublisher: Send + Sync {
    async fn publish(&self, event: ValidEvent) -> StoreResult<()>;
}

/// One outbound webhook request.
#[derive(Debug, Clone)]
pub struct OutboundRequest {
    pub url: String,
    /// The endpoint's own headers first, then the signature headers.
    pub headers: Vec<(std::borrow::Cow<'static, str>, String)>,
    pub body: Bytes,
}

/// What the receiver did. Transport failures carry `error` and no status.
#[derive(Debug, Clone, PartialEq)]
pub struct SendResult {
    pub status: Option<u16>,
    pub error: Option<crate::model::FailureKind>,
    /// Parsed `Retry-After`, only present on 429 and 503.
    pub retry_after: Option<Duration>,
    /// At most the first KiB of the response body.
    pub excerpt: Option<String>,
    pub duration: Duration,
}

/// Sends signed webhook requests. Never follows redirects; bounded by a timeout.
#[async_trait]
pub trait WebhookSender: Send + Sync {
    async fn send(&self, request: OutboundRequest) -> SendResult;
}
