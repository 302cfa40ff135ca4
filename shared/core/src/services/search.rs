//! "Where is my event?": a publisher's event found by its `event_id`, with where each of its
//! deliveries stands; and the failed deliveries across all of a tenant's endpoints.

use super::admin::{AdminService, MAX_PAGE};
use crate::error::{CoreError, FieldError, StoreError};
use crate::model::DeliveryKey;
use crate::model::{DeliveryStatus, LogEntry, Page};
use crate::TenantId;
use chrono::{DateTime, Utc};
use futures::future::join_all;
use serde::Serialize;

/// Where one delivery of a message stands; `queued` until its first attempt.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TraceStatus {
    Queued,
    Pending,
    Delivered,
    Failed,
}

/// One delivery of a found event.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DeliveryTrace {
    pub endpoint_id: crate::EndpointId,
    /// `None` once the endpoint is deleted.
    pub url: Option<String>,
    pub status: TraceStatus,
    pub attempt_count: u32,
    pub last_status_code: Option<u16>,
    /// The last failed attempt's error kind (`timeout`, `http_status`…).
    pub last_error: Option<String>,
    pub last_attempt_at: Option<DateTime<Utc>>,
    pub next_attempt_at: Option<DateTime<Utc>>,
}

/// A publisher's event and its deliveries.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EventTrace {
    pub message_id: crate::MessageId,
    pub event_id: String,
    pub event_type: String,
    pub created_at: DateTime<Utc>,
    /// Endpoints it was fanned out to: those subscribed to its type when it arrived.
    pub fan_out: usize,
    pub deliveries: Vec<DeliveryTrace>,
    /// When it reached no endpoint: the types an endpoint would have needed (its own).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub needed_types: Vec<String>,
}

/// A failed delivery, with the endpoint it failed at.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FailedDelivery {
    pub endpoint_id: crate::EndpointId,
    pub url: String,
    #[serde(flatten)]
    pub entry: LogEntry,
}

impl AdminService {
    /// The tenant's event that its publisher named `event_id`, with each delivery's status.
    /// `NotFound("event")` when no retained event has that id.
    pub async fn find_event(
        &self,
        tenant: &TenantId,
        event_id: &str,
    ) -> Result<EventTrace, CoreError> {
        crate::validation::check_event_id(event_id)?;
        let m = (self.stores().messages.find_event(tenant, event_id).await?)
            .ok_or(CoreError::NotFound("event"))?;
        let msg = &m.id;
        let deliveries = join_all(m.endpoints.iter().map(|ep| async move {
            let stores = self.stores();
            let endpoint = stores.endpoints.get(tenant, ep).await?;
            let key = DeliveryKey::new(tenant, ep, msg);
            let entry = stores.log.get(&key).await?;
            let last = match &entry {
                Some(_) => stores.log.attempts(&key).await?.pop(),
                None => None,
            };
            Ok::<_, StoreError>(DeliveryTrace {
                endpoint_id: ep.clone(),
                url: endpoint.map(|e| e.url),
                status: match entry.as_ref().map(|e| e.status) {
                    None => TraceStatus::Queued,
                    Some(DeliveryStatus::Pending) => TraceStatus::Pending,
                    Some(DeliveryStatus::Delivered) => TraceStatus::Delivered,
                    Some(DeliveryStatus::Failed) => TraceStatus::Failed,
                },
                attempt_count: entry.as_ref().map_or(0, |e| e.attempt_count),
                last_status_code: last.as_ref().and_then(|a| a.status_code),
                last_error: last.and_then(|a| a.error),
                last_attempt_at: entry.as_ref().and_then(|e| e.last_attempt_at),
                next_attempt_at: entry.and_then(|e| e.next_attempt_at),
            })
        }))
        .await
        .into_iter()
        .collect::<Result<Vec<_>, _>>()?;
        Ok(EventTrace {
            message_id: m.id.clone(),
            needed_types: if m.endpoints.is_empty() {
                vec![m.event_type.clone()]
            } else {
                Vec::new()
            },
            event_id: event_id.to_owned(),
            event_type: m.event_type,
            created_at: m.created_at,
            fan_out: m.endpoints.len(),
            deliveries,
        })
    }

    /// Failed deliveries of every endpoint of the tenant, of messages created at or after
    /// `since`, newest first, one page at a time (the cursor is the last message listed).
    pub async fn failed_deliveries(
        &self,
        tenant: &TenantId,
        since: DateTime<Utc>,
        cursor: Option<&str>,
        limit: Option<usize>,
    ) -> Result<Page<FailedDelivery>, CoreError> {
        let limit = limit.unwrap_or(20);
        if !(1..=MAX_PAGE).contains(&limit) {
            return Err(FieldError::range("limit", 1, MAX_PAGE as u64).into());
        }
        if let Some(c) = cursor {
            Page::decode_cursor(c).map_err(|_| {
                CoreError::field(
                    "cursor",
                    "cursor.invalid",
                    "is not a cursor returned by this listing",
                )
            })?;
        }
        let stores = self.stores();
        let endpoints = stores.endpoints.list(tenant).await?;
        // The next `limit` of each endpoint after the cursor, merged: the page is the newest
        // `limit` of them all.
        let pages = join_all(endpoints.iter().map(|ep| {
            (stores.log).list(tenant, &ep.id, Some(DeliveryStatus::Failed), cursor, limit)
        }))
        .await;
        let mut all = Vec::new();
        let mut more = false;
        for (ep, page) in endpoints.iter().zip(pages) {
            let page = page?;
            more |= page.next_cursor.is_some();
            all.extend(page.data.into_iter().map(|entry| FailedDelivery {
                endpoint_id: ep.id.clone(),
                url: ep.url.clone(),
                entry,
            }));
        }
        all.sort_by(|a, b| b.entry.message_id.cmp(&a.entry.message_id));
        let before = all.len();
        all.retain(|f| f.entry.created_at >= since);
        let reached_since = all.len() < before;
        more |= all.len() > limit;
        all.truncate(limit);
        let next_cursor = (more && !reached_since)
            .then(|| all.last().map(|f| Page::cursor_after(&f.entry.message_id)))
            .flatten();
        Ok(Page {
            data: all,
            next_cursor,
        })
    }
}
