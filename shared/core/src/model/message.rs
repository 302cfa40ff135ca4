//! Messages: the inbound event as published, the stored `Message`, and the parts of it a
//! log entry shows (`MessageMeta`) and a delivery sends (`Payload`).

use crate::ids::{EndpointId, MessageId, TenantId};
use bytes::Bytes;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

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
