//! Operational events: what the service publishes about a tenant's own endpoints (failing,
//! disabled, a message that exhausted its attempts). They go through the same pipeline as
//! business events (signed, logged, retried), and the decisions about when to send one and
//! to whom are pure functions here, with table tests.

use crate::ids::EndpointId;
use crate::model::{Attempt, Endpoint, MessageMeta};
use crate::validation::ValidEvent;
use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// An endpoint's deliveries have all failed for the failing window: sent once per run of
/// failures.
pub const ENDPOINT_FAILING: &str = "WEBHOOK_ENDPOINT_FAILING";
/// An endpoint was disabled, automatically or by an admin.
pub const ENDPOINT_DISABLED: &str = "WEBHOOK_ENDPOINT_DISABLED";
/// A message exhausted its attempts at an endpoint.
pub const MESSAGE_FAILED: &str = "WEBHOOK_MESSAGE_FAILED";
/// The three operational types, in the order the UI lists them.
pub const OPERATIONAL_TYPES: [&str; 3] = [ENDPOINT_FAILING, ENDPOINT_DISABLED, MESSAGE_FAILED];

/// Event types starting with this are the service's own (operational and test events):
/// a deployment's catalog file may not define them.
pub const RESERVED_PREFIX: &str = "WEBHOOK_";

/// Whether `event_type` is one the service itself publishes.
pub fn is_service_type(event_type: &str) -> bool {
    event_type.starts_with(RESERVED_PREFIX)
}

/// Why an endpoint was disabled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DisabledReason {
    /// Every attempt failed for the auto-disable window (5 days by default).
    Failing,
    /// An admin disabled it.
    Manual,
}

impl DisabledReason {
    /// The code stored as the endpoint's `disabled_reason` (the UI puts it in words, with
    /// the endpoint's `failing_since`).
    pub fn code(self) -> &'static str {
        match self {
            Self::Failing => "failing",
            Self::Manual => "manual",
        }
    }
}

/// The last failed attempt, as codes (the UI and the mails put them in words).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LastError {
    /// A failure kind: `http_status`, `timeout`, `connect`, `tls`, `dns`, `blocked`, `io`…
    pub code: String,
    pub status_code: Option<u16>,
    pub at: DateTime<Utc>,
}

impl LastError {
    fn of(attempt: &Attempt) -> Option<Self> {
        Some(Self {
            code: attempt.error.clone()?,
            status_code: attempt.status_code,
            at: attempt.started_at,
        })
    }
}

/// Links into the admin UI, added at ingest, which knows the UI's address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Links {
    pub endpoint: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// The `event_data` of an operational event (docs/RECEIVING.md). Fields that do not apply
/// to a type are absent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OperationalData {
    pub endpoint_id: EndpointId,
    pub endpoint_url: String,
    #[serde(default)]
    pub endpoint_description: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failing_since: Option<DateTime<Utc>>,
    /// FAILING: when the endpoint will be disabled if nothing succeeds until then.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disable_at: Option<DateTime<Utc>>,
    /// DISABLED only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<DisabledReason>,
    /// MESSAGE_FAILED only: the message, its type, and the attempts made.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_event_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attempts: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<LastError>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub links: Option<Links>,
}

impl OperationalData {
    fn about(endpoint: &Endpoint) -> Self {
        Self {
            endpoint_id: endpoint.id.clone(),
            endpoint_url: endpoint.url.clone(),
            endpoint_description: endpoint.description.clone(),
            failing_since: endpoint.failing_since,
            disable_at: None,
            reason: None,
            message_id: None,
            message_event_type: None,
            attempts: None,
            last_error: None,
            links: None,
        }
    }

    fn event(self, tenant: &Endpoint, event_type: &str, event_id: String) -> ValidEvent {
        ValidEvent {
            tenant: tenant.tenant.clone(),
            event_type: event_type.to_owned(),
            event_id: Some(event_id),
            // Serialising a struct of strings, numbers and dates cannot fail.
            event_data: serde_json::to_value(self).unwrap_or_default(),
            violations: Vec::new(),
        }
    }
}

fn after(d: Duration) -> TimeDelta {
    TimeDelta::from_std(d).unwrap_or(TimeDelta::MAX)
}

/// `WEBHOOK_ENDPOINT_FAILING` about `endpoint`, failing since `since`, after the failed
/// `attempt`. Its `event_id` names the run of failures, so a second announcement of one
/// run is a duplicate.
pub fn endpoint_failing(
    endpoint: &Endpoint,
    since: DateTime<Utc>,
    attempt: &Attempt,
    disable_after: Duration,
) -> ValidEvent {
    let data = OperationalData {
        failing_since: Some(since),
        disable_at: Some(since + after(disable_after)),
        last_error: LastError::of(attempt),
        ..OperationalData::about(endpoint)
    };
    let id = format!("failing:{}:{}", endpoint.id, since.timestamp_millis());
    data.event(endpoint, ENDPOINT_FAILING, id)
}

/// `WEBHOOK_ENDPOINT_DISABLED` about `endpoint`, disabled at its version `version`.
pub fn endpoint_disabled(
    endpoint: &Endpoint,
    version: u64,
    reason: DisabledReason,
    last: Option<&Attempt>,
) -> ValidEvent {
    let data = OperationalData {
        reason: Some(reason),
        last_error: last.and_then(LastError::of),
        ..OperationalData::about(endpoint)
    };
    let id = format!("disabled:{}:{version}", endpoint.id);
    data.event(endpoint, ENDPOINT_DISABLED, id)
}

/// `WEBHOOK_MESSAGE_FAILED` when `message` failed for good at `endpoint` with `attempt`;
/// `None` when no event is due: the message is itself the service's own (so that failures
/// cannot beget events about themselves without end), or the endpoint is disabled (its
/// `WEBHOOK_ENDPOINT_DISABLED` said so once, rather than once per message).
pub fn message_failed(
    endpoint: &Endpoint,
    message: &MessageMeta,
    attempt: &Attempt,
) -> Option<ValidEvent> {
    if is_service_type(&message.event_type) || !endpoint.enabled {
        return None;
    }
    let data = OperationalData {
        message_id: Some(message.id.to_string()),
        message_event_type: Some(message.event_type.clone()),
        attempts: Some(attempt.number),
        last_error: LastError::of(attempt),
        ..OperationalData::about(endpoint)
    };
    let id = format!("failed:{}:{}:{}", message.id, endpoint.id, attempt.number);
    Some(data.event(endpoint, MESSAGE_FAILED, id))
}

/// The fan-out of an event: its subscribers, less the endpoint an operational event is
/// about (a failing endpoint must not receive events about itself: each would fail and,
/// through `WEBHOOK_MESSAGE_FAILED`, could beget another).
pub fn recipients(
    event_type: &str,
    event_data: &serde_json::Value,
    subscribers: &[EndpointId],
) -> Vec<EndpointId> {
    let about = is_service_type(event_type)
        .then(|| event_data.get("endpoint_id")?.as_str())
        .flatten();
    (subscribers.iter())
        .filter(|id| Some(id.as_str()) != about)
        .cloned()
        .collect()
}

/// Adds links into the UI at `console_url` (ending in `/`) to an operational event's data.
pub fn add_links(event_type: &str, event_data: &mut serde_json::Value, console_url: &str) {
    if !OPERATIONAL_TYPES.contains(&event_type) {
        return;
    }
    let Some(obj) = event_data.as_object_mut() else {
        return;
    };
    let Some(ep) = obj.get("endpoint_id").and_then(|v| v.as_str()) else {
        return;
    };
    let endpoint = format!("{console_url}#/endpoints/{ep}");
    let message =
        (obj.get("message_id").and_then(|v| v.as_str())).map(|m| format!("{endpoint}?msg={m}"));
    let links = Links { endpoint, message };
    obj.insert(
        "links".into(),
        serde_json::to_value(links).unwrap_or_default(),
    );
}

#[cfg(test)]
mod tests;
