//! Domain types (endpoints, messages, deliveries, attempts, counters) and the DTOs the
//! admin API exchanges (`EndpointIn`, `EndpointPatch`, `EndpointOut`, pages).

use crate::ids::{EndpointId, MessageId, TenantId};
use bytes::Bytes;
use chrono::{DateTime, DurationRound, TimeDelta, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::time::Duration;

pub use crate::counters::{Counters, FailingChange};

/// Extra HTTP headers an endpoint sends with every request, by lower-case name.
pub type Headers = BTreeMap<String, String>;

/// Now, truncated to the millisecond: every store keeps milliseconds, so values
/// read back compare equal to what was written.
pub fn now() -> DateTime<Utc> {
    let t = Utc::now();
    t.duration_trunc(TimeDelta::milliseconds(1)).unwrap_or(t)
}

/// A receiver registered by an admin of a tenant.
#[derive(Debug, Clone, PartialEq)]
pub struct Endpoint {
    pub id: EndpointId,
    pub tenant: TenantId,
    pub url: String,
    pub description: String,
    pub event_types: Vec<String>,
    pub enabled: bool,
    /// Sent with every request to this endpoint (e.g. a receiver's own API key).
    pub headers: Headers,
    /// A CEL expression over `event_type` and `event_data`: only matching events are sent
    /// ([`crate::filter`]); `None` sends every event of the subscribed types.
    pub filter: Option<String>,
    /// Why the service disabled the endpoint by itself (`None` when an admin did, or when enabled).
    pub disabled_reason: Option<String>,
    /// Optimistic-concurrency version, bumped by every update.
    pub version: u64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Read-only: maintained by the delivery log, ignored on writes.
    pub counters: Counters,
    /// Read-only: start of the current run of failed attempts with no success, maintained
    /// by the delivery log; cleared when an admin re-enables the endpoint.
    pub failing_since: Option<DateTime<Utc>>,
    /// The `failing_since` of the last run of failures announced by
    /// `WEBHOOK_ENDPOINT_FAILING`: at most one announcement per run. Written by delivery.
    pub failing_announced: Option<DateTime<Utc>>,
    /// Which generations of its signing secret the endpoint signs with.
    pub secrets: SecretGenerations,
}

/// The generations of an endpoint's signing secret in use: the current one, and the one a
/// rotation replaced while its grace period lasts. The secrets themselves are in the
/// `SecretStore`; keeping their generations here means every delivery, which reads the
/// endpoint anyway, sees a rotation at once, with no secret read of its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SecretGenerations {
    pub current: u32,
    /// The replaced generation and the end of its grace period.
    pub previous: Option<(u32, DateTime<Utc>)>,
}

impl Default for SecretGenerations {
    fn default() -> Self {
        Self {
            current: 1,
            previous: None,
        }
    }
}

impl SecretGenerations {
    /// After a rotation: a new current generation; the old one signs until `grace_until`.
    pub fn rotated(self, grace_until: DateTime<Utc>) -> Self {
        Self {
            current: self.current + 1,
            previous: Some((self.current, grace_until)),
        }
    }

    /// The generations that sign at `now`: current first, then the previous one if its grace
    /// period is still running.
    pub fn signing(self, now: DateTime<Utc>) -> Vec<u32> {
        let mut g = vec![self.current];
        g.extend(
            self.previous
                .filter(|(_, until)| *until > now)
                .map(|(p, _)| p),
        );
        g
    }
}

impl Endpoint {
    /// A new, never-updated endpoint (version 1, zero counters) with a fresh id.
    pub fn new(
        tenant: TenantId,
        url: String,
        description: String,
        event_types: Vec<String>,
        enabled: bool,
    ) -> Self {
        let at = now();
        Self {
            id: EndpointId::generate(),
            tenant,
            url,
            description,
            event_types,
            enabled,
            headers: Headers::new(),
            filter: None,
            disabled_reason: None,
            version: 1,
            created_at: at,
            updated_at: at,
            counters: Counters::default(),
            failing_since: None,
            failing_announced: None,
            secrets: SecretGenerations::default(),
        }
    }
}

/// Body of `POST /v1/endpoints`.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EndpointIn {
    pub url: String,
    #[serde(default)]
    pub description: String,
    pub event_types: Vec<String>,
    #[serde(default = "yes")]
    pub enabled: bool,
    /// Extra headers sent with every request (at most 10; names are case-insensitive;
    /// signature, `host`, `content-*` and hop-by-hop headers are reserved).
    #[serde(default)]
    pub headers: Headers,
    /// Only events for which this CEL expression is true are sent (at most 1,000
    /// characters; it sees `event_type` and `event_data`).
    #[cfg_attr(feature = "openapi", schema(max_length = 1000, example = json!("event_data.agency_id in [\"AG-75\", \"AG-69\"] && double(event_data.amount_excl_tax) >= 1000.0")))]
    #[serde(default)]
    pub filter: Option<String>,
}

fn yes() -> bool {
    true
}

/// Body of `PATCH /v1/endpoints/{id}`: every field optional, absent means unchanged.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EndpointPatch {
    pub url: Option<String>,
    pub description: Option<String>,
    pub event_types: Option<Vec<String>>,
    pub enabled: Option<bool>,
    /// Replaces the whole set of extra headers (`{}` removes them all).
    pub headers: Option<Headers>,
    /// Replaces the filter; `null` removes it (every event of the types is sent again).
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, max_length = 1000))]
    #[serde(default, deserialize_with = "present")]
    pub filter: Option<Option<String>>,
}

/// A field that is present, even as `null` (`Some(None)`), as opposed to absent (`None`).
fn present<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

/// An endpoint as the admin API returns it. `secret` is set only in the creation response.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct EndpointOut {
    pub id: EndpointId,
    pub url: String,
    pub description: String,
    pub event_types: Vec<String>,
    pub enabled: bool,
    #[serde(default)]
    pub headers: Headers,
    #[serde(default)]
    pub filter: Option<String>,
    /// Set when the service disabled the endpoint itself (e.g. failing for days).
    #[serde(default)]
    pub disabled_reason: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub counters: Counters,
    #[serde(default)]
    pub failing_since: Option<DateTime<Utc>>,
    /// Every attempt has failed for the failing window (default 1 hour) and nothing has
    /// succeeded since: the early warning before automatic disabling.
    #[serde(default)]
    pub failing: bool,
    /// When the endpoint will be disabled automatically if nothing succeeds until then.
    #[serde(default)]
    pub disable_at: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub secret: Option<String>,
}

impl EndpointOut {
    /// The endpoint as admins see it at `now`: failing once its run of failures is
    /// `failing_after` long, disabled automatically `disable_after` after the run began.
    pub fn at(
        e: Endpoint,
        now: DateTime<Utc>,
        failing_after: Duration,
        disable_after: Duration,
    ) -> Self {
        let since = e.failing_since.filter(|_| e.enabled);
        let after = |d: Duration| TimeDelta::from_std(d).unwrap_or(TimeDelta::MAX);
        Self {
            failing: since.is_some_and(|s| now - s >= after(failing_after)),
            disable_at: since.map(|s| s + after(disable_after)),
            ..Self::from(e)
        }
    }
}

impl From<Endpoint> for EndpointOut {
    fn from(e: Endpoint) -> Self {
        Self {
            id: e.id,
            url: e.url,
            description: e.description,
            event_types: e.event_types,
            enabled: e.enabled,
            headers: e.headers,
            filter: e.filter,
            disabled_reason: e.disabled_reason,
            created_at: e.created_at,
            updated_at: e.updated_at,
            counters: e.counters,
            failing_since: e.failing_since,
            failing: false,
            disable_at: None,
            secret: None,
        }
    }
}

/// An event as a Peopulse service publishes it (SQS body, or `POST /v1/events` locally).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct InboundEvent {
    pub tenant_id: String,
    pub event_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_id: Option<String>,
    pub event_data: serde_json::Value,
}

/// One accepted event. `body` is the exact outbound JSON, fixed at creation and sent
/// unchanged on every attempt.
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    pub id: MessageId,
    pub tenant: TenantId,
    pub event_type: String,
    /// The publisher's idempotency key, if it gave one; the id is then
    /// [`MessageId::for_event`] of it.
    pub event_id: Option<String>,
    pub body: Bytes,
    pub created_at: DateTime<Utc>,
    /// The endpoints subscribed to its type when it was accepted: its fan-out, kept for
    /// "where is my event?" (an endpoint with no entry yet has its first attempt queued).
    pub endpoints: Vec<EndpointId>,
}

/// What a log entry shows of its message. The entry is created by the delivery's first
/// attempt, which takes these from the task or the message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageMeta {
    pub id: MessageId,
    pub event_type: String,
    pub created_at: DateTime<Utc>,
}

impl From<&Message> for MessageMeta {
    fn from(m: &Message) -> Self {
        Self {
            id: m.id.clone(),
            event_type: m.event_type.clone(),
            created_at: m.created_at,
        }
    }
}

/// What a delivery sends: the message's outbound body, and what its entry shows of it.
#[derive(Debug, Clone, PartialEq)]
pub struct Payload {
    pub meta: MessageMeta,
    pub body: Bytes,
}

impl From<&Message> for Payload {
    fn from(m: &Message) -> Self {
        Self {
            meta: m.into(),
            body: m.body.clone(),
        }
    }
}

/// Where the delivery of one message to one endpoint stands.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    Pending,
    Delivered,
    Failed,
}

impl DeliveryStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Delivered => "delivered",
            Self::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "pending" => Some(Self::Pending),
            "delivered" => Some(Self::Delivered),
            "failed" => Some(Self::Failed),
            _ => None,
        }
    }
}

/// One row of an endpoint's delivery log.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LogEntry {
    pub message_id: MessageId,
    pub event_type: String,
    pub created_at: DateTime<Utc>,
    pub status: DeliveryStatus,
    /// All attempts made, across replays.
    pub attempt_count: u32,
    /// Attempts made before the current series; non-zero once the message was replayed.
    #[serde(default)]
    pub series_start: u32,
    #[serde(default)]
    pub last_attempt_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub next_attempt_at: Option<DateTime<Utc>>,
    /// The queue message that made the last attempt, where the adapter keeps it.
    #[serde(skip)]
    pub last_task: Option<String>,
    /// The next attempt waits with no queue message (a delay too long to hold one in
    /// flight): the sweep sends its task shortly before it is due.
    #[serde(skip)]
    pub parked: bool,
}

/// When a pending delivery's next attempt is due, and whether it waits without a queue
/// message ([`LogEntry::parked`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NextAttempt {
    pub at: DateTime<Utc>,
    pub parked: bool,
}

impl From<DateTime<Utc>> for NextAttempt {
    fn from(at: DateTime<Utc>) -> Self {
        Self { at, parked: false }
    }
}

/// Why an attempt failed without (or despite) an HTTP status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FailureKind {
    /// The receiver answered with a non-2xx status (including 3xx: redirects are not followed).
    HttpStatus,
    Timeout,
    Connect,
    Tls,
    Dns,
    /// The target address is not allowed (private, loopback, metadata…).
    Blocked,
    /// The endpoint was disabled when the attempt was due; nothing was sent.
    EndpointDisabled,
    /// The connection broke while sending or reading.
    Io,
}

impl FailureKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::HttpStatus => "http_status",
            Self::Timeout => "timeout",
            Self::Connect => "connect",
            Self::Tls => "tls",
            Self::Dns => "dns",
            Self::Blocked => "blocked",
            Self::EndpointDisabled => "endpoint_disabled",
            Self::Io => "io",
        }
    }
}

/// One delivery attempt, as recorded in the log and shown to admins.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Attempt {
    /// 1-based; at most the configured maximum (5).
    pub number: u32,
    pub started_at: DateTime<Utc>,
    pub duration_ms: u64,
    pub status_code: Option<u16>,
    /// `None` on success; a short machine-readable cause otherwise.
    pub error: Option<String>,
    /// First KiB of the response body, lossily decoded as UTF-8.
    pub response_excerpt: Option<String>,
    /// The queue message that made the attempt ([`DeliveryTask::id`]): the log keeps it, so
    /// that a second queue message for the same delivery can tell it is another. Not shown.
    #[serde(skip)]
    pub task: Option<String>,
}

impl Attempt {
    pub fn succeeded(&self) -> bool {
        self.error.is_none() && self.status_code.is_some_and(|s| (200..300).contains(&s))
    }
}

/// Work item on the task queue: attempt to deliver `message` to `endpoint`.
///
/// The delivery log is the authority on the attempt number: recording attempt *n* is a
/// conditional write that requires *n − 1* recorded attempts, so a redelivered or stale
/// task can never skip or repeat a number. A task may also carry what its first delivery
/// needs (`attempt`, `body`), so that delivery reads only the endpoint (docs/DYNAMODB.md);
/// a consumer that sees the task for the second time drops the attempt number, which may
/// be stale by then ([`Self::without_attempt`]); the body never is.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct DeliveryTask {
    pub tenant: TenantId,
    pub message_id: MessageId,
    pub endpoint_id: EndpointId,
    /// This queue message's identity: copies of one message (a queue may hand it out
    /// twice) share it, two messages for one delivery (a resumed fan-out) do not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The attempt this task was enqueued for, when the enqueuer knew it (fan-out: 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attempt: Option<u32>,
    /// The exact outbound body, when it fits in the queue message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    /// The message's type and creation time, which a first attempt writes into the new
    /// log entry; with `body`, they spare the delivery a read of the message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<DateTime<Utc>>,
}

/// Which delivery: the (tenant, endpoint, message) that keys a log entry, its attempts and
/// its task, in every store.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DeliveryKey {
    pub tenant: TenantId,
    pub endpoint: EndpointId,
    pub message: MessageId,
}

impl DeliveryKey {
    pub fn new(tenant: &TenantId, endpoint: &EndpointId, message: &MessageId) -> Self {
        Self {
            tenant: tenant.clone(),
            endpoint: endpoint.clone(),
            message: message.clone(),
        }
    }
}

impl DeliveryTask {
    /// The delivery this task is for.
    pub fn key(&self) -> DeliveryKey {
        DeliveryKey::new(&self.tenant, &self.endpoint_id, &self.message_id)
    }

    /// A task with no hints: the delivery reads everything it needs.
    pub fn new(tenant: TenantId, message_id: MessageId, endpoint_id: EndpointId) -> Self {
        Self {
            tenant,
            message_id,
            endpoint_id,
            id: None,
            attempt: None,
            body: None,
            event_type: None,
            created_at: None,
        }
    }

    /// The same task with an identity of its own (see [`Self::id`]).
    pub fn identified(self) -> Self {
        Self {
            id: Some(ulid::Ulid::new().to_string()),
            ..self
        }
    }

    /// The same task without its attempt number, which may be stale once the task has
    /// been seen (a retry hidden by visibility comes back with the same body).
    pub fn without_attempt(self) -> Self {
        Self {
            attempt: None,
            ..self
        }
    }

    /// The message as the task's hints give it, when they give all of it.
    pub fn hinted_payload(&self) -> Option<Payload> {
        Some(Payload {
            meta: MessageMeta {
                id: self.message_id.clone(),
                event_type: self.event_type.clone()?,
                created_at: self.created_at?,
            },
            body: Bytes::from(self.body.clone()?),
        })
    }

    /// The progress the task's `attempt` hint implies (pending, `attempt − 1` attempts, in
    /// the first series), for readers that skip reading the entry.
    pub fn implied_progress(&self) -> Option<Progress> {
        let attempt = self.attempt.filter(|n| *n >= 1)?;
        Some(Progress {
            status: DeliveryStatus::Pending,
            attempt_count: attempt - 1,
            ..Progress::FIRST
        })
    }
}

/// Where one delivery stands, as the delivery service needs it: the part of a
/// [`LogEntry`] that decides the next attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    pub status: DeliveryStatus,
    pub attempt_count: u32,
    pub series_start: u32,
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub parked: bool,
}

impl Progress {
    /// A delivery no attempt was made of yet: its entry does not exist.
    pub const FIRST: Self = Self {
        status: DeliveryStatus::Pending,
        attempt_count: 0,
        series_start: 0,
        next_attempt_at: None,
        parked: false,
    };
}

impl From<&LogEntry> for Progress {
    fn from(e: &LogEntry) -> Self {
        Self {
            status: e.status,
            attempt_count: e.attempt_count,
            series_start: e.series_start,
            next_attempt_at: e.next_attempt_at,
            parked: e.parked,
        }
    }
}

/// A page of a listing; `next_cursor` is absent on the last page.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Page<T> {
    pub data: Vec<T>,
    pub next_cursor: Option<String>,
}

impl Page<LogEntry> {
    /// The position after `last`: its message id. A page starts after any message id, so
    /// every well-formed cursor is valid (the API document can say exactly what is), and
    /// adapters rebuild the storage key from the caller's own tenant and endpoint, so a
    /// cursor can never reach into another tenant's data.
    pub fn cursor_after(last: &MessageId) -> String {
        last.to_string()
    }

    /// The message a cursor made by [`Page::cursor_after`] names; `InvalidCursor` for
    /// anything that is not a message id.
    pub fn decode_cursor(cursor: &str) -> Result<MessageId, crate::StoreError> {
        MessageId::parse(cursor).map_err(|_| crate::StoreError::InvalidCursor)
    }
}

/// Delivered and failed attempts in one hour, for the detail screen's chart.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct HourBucket {
    pub hour: DateTime<Utc>,
    pub delivered: u64,
    pub failed: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn task_hints_imply_the_progress_and_the_attempt_is_dropped_when_stale() {
        let t = DeliveryTask {
            attempt: Some(1),
            body: Some("{}".into()),
            ..DeliveryTask::new(
                TenantId::parse("A").unwrap(),
                MessageId::generate(),
                EndpointId::generate(),
            )
        };
        let p = t.implied_progress().unwrap();
        assert_eq!((p.status, p.attempt_count), (DeliveryStatus::Pending, 0));
        let seen = t.without_attempt();
        assert_eq!((seen.attempt, seen.body.as_deref()), (None, Some("{}")));
        assert!(seen.implied_progress().is_none());
        let bare = DeliveryTask { body: None, ..seen };
        let json = serde_json::to_string(&bare).unwrap();
        assert!(
            !json.contains("attempt") && !json.contains("body"),
            "{json}"
        );
    }

    #[test]
    fn rotations_move_the_generations_and_the_grace_ends() {
        let t = |s: i64| DateTime::from_timestamp(s, 0).unwrap();
        let g = SecretGenerations::default();
        assert_eq!(g.signing(t(0)), vec![1]);
        let r = g.rotated(t(100));
        assert_eq!(r.signing(t(99)), vec![2, 1]);
        assert_eq!(r.signing(t(100)), vec![2], "the grace ends at its instant");
        let again = r.rotated(t(200));
        assert_eq!(
            again.signing(t(150)),
            vec![3, 2],
            "only one previous generation signs"
        );
    }

    #[test]
    fn attempt_success_needs_2xx_and_no_error() {
        let mut a = Attempt {
            number: 1,
            started_at: now(),
            duration_ms: 3,
            status_code: Some(204),
            error: None,
            response_excerpt: None,
            task: None,
        };
        assert!(a.succeeded());
        a.status_code = Some(301);
        assert!(!a.succeeded());
        a.status_code = None;
        a.error = Some("timeout".into());
        assert!(!a.succeeded());
    }

    #[test]
    fn an_endpoint_is_failing_after_the_window_and_says_when_it_will_be_disabled() {
        let t = |h: i64| DateTime::from_timestamp(h * 3600, 0).unwrap();
        let (hour, days5) = (Duration::from_secs(3600), Duration::from_secs(5 * 86_400));
        // (failing since, enabled, now) → (failing, disable at)
        let table = [
            (None, true, t(10), (false, None)),
            (Some(t(10)), true, t(10), (false, Some(t(130)))),
            (Some(t(10)), true, t(11), (true, Some(t(130)))),
            (Some(t(10)), true, t(100), (true, Some(t(130)))),
            (Some(t(10)), false, t(100), (false, None)),
        ];
        for (since, enabled, now, want) in table {
            let e = Endpoint {
                failing_since: since,
                ..Endpoint::new(
                    TenantId::parse("A").unwrap(),
                    "https://x".into(),
                    String::new(),
                    vec![],
                    enabled,
                )
            };
            let out = EndpointOut::at(e, now, hour, days5);
            assert_eq!(
                (out.failing, out.disable_at),
                want,
                "{since:?} {enabled} {now}"
            );
        }
    }

    #[test]
    fn endpoint_in_rejects_unknown_fields() {
        let e = serde_json::from_str::<EndpointIn>(
            r#"{"url":"https://x","event_types":[],"event_type":"A"}"#,
        );
        assert!(e.is_err());
    }
}
