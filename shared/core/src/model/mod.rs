//! Domain types (endpoints, messages, deliveries, attempts, counters) and the DTOs the
//! admin API exchanges (`EndpointIn`, `EndpointPatch`, `EndpointOut`, pages), one file per
//! part, all named from here.

mod delivery;
mod endpoint;
mod message;

pub use crate::counters::{Counters, FailingChange};
pub use delivery::{
    Attempt, DeliveryKey, DeliveryStatus, DeliveryTask, FailureKind, HourBucket, LogEntry,
    NextAttempt, Page, Progress,
};
pub use endpoint::{Endpoint, EndpointIn, EndpointOut, EndpointPatch, Headers, SecretGenerations};
pub use message::{InboundEvent, Message, MessageMeta, Payload};

use chrono::{DateTime, DurationRound, TimeDelta, Utc};

/// Now, truncated to the millisecond: every store keeps milliseconds, so values
/// read back compare equal to what was written.
pub fn now() -> DateTime<Utc> {
    let t = Utc::now();
    t.duration_trunc(TimeDelta::milliseconds(1)).unwrap_or(t)
}
