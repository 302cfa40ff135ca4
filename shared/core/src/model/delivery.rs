//! Deliveries: the queue's `DeliveryTask` and its `DeliveryKey`, the log's entries and
//! attempts, where a delivery stands (`Progress`, `NextAttempt`), pages and hourly stats.

use super::{MessageMeta, Payload};
use crate::ids::{EndpointId, MessageId, TenantId};
use bytes::Bytes;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

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

    /// The first-attempt task of `message` for `endpoint`, carrying what that attempt
    /// needs (the attempt number and the message), with an identity of its own.
    pub fn first_of(message: &super::Message, endpoint: &EndpointId) -> Self {
        Self {
            attempt: Some(1),
            ..Self::new(message.tenant.clone(), message.id.clone(), endpoint.clone()).identified()
        }
        .carrying(message)
    }

    /// The same task carrying its `message` (see [`Self::hinted_payload`]).
    pub fn carrying(self, message: &super::Message) -> Self {
        Self {
            body: std::str::from_utf8(&message.body).ok().map(str::to_owned),
            event_type: Some(message.event_type.clone()),
            created_at: Some(message.created_at),
            ..self
        }
    }

    /// The same task without the message body it carried.
    pub fn without_body(self) -> Self {
        Self { body: None, ..self }
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

    /// The entry the task's `attempt` hint implies, for readers that skip reading it:
    /// `Some(None)` before attempt 1 (no entry yet), `Some(progress)` pending with
    /// `attempt − 1` attempts in the first series after that; `None` without a hint.
    pub fn implied_entry(&self) -> Option<Option<Progress>> {
        let attempt = self.attempt.filter(|n| *n >= 1)?;
        Some((attempt > 1).then_some(Progress {
            status: DeliveryStatus::Pending,
            attempt_count: attempt - 1,
            ..Progress::FIRST
        }))
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
    use crate::model::now;

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
        // Before attempt 1 there is no entry; before attempt 3, a pending one with two.
        assert_eq!(t.implied_entry(), Some(None));
        let third = DeliveryTask {
            attempt: Some(3),
            ..t.clone()
        };
        let p = third.implied_entry().flatten().unwrap();
        assert_eq!((p.status, p.attempt_count), (DeliveryStatus::Pending, 2));
        let seen = t.without_attempt();
        assert_eq!((seen.attempt, seen.body.as_deref()), (None, Some("{}")));
        assert!(seen.implied_entry().is_none());
        let bare = DeliveryTask { body: None, ..seen };
        let json = serde_json::to_string(&bare).unwrap();
        assert!(
            !json.contains("attempt") && !json.contains("body"),
            "{json}"
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
}
