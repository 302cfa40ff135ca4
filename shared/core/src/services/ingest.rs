//! Ingest: validate an inbound event, dedupe by `event_id`, store the message and fan it
//! out as one delivery task per subscribed endpoint.

use super::Stores;
use crate::catalog::{Catalog, TEST_EVENT_TYPE};
use crate::error::{CoreError, StoreError};
use crate::ids::{EndpointId, MessageId, TenantId};
use crate::model::{now, Message};
use crate::ports::Inserted;
use crate::validation::{decode_event, ValidEvent};
use bytes::Bytes;
use chrono::SecondsFormat;
use serde::Serialize;
use std::sync::Arc;

/// What ingesting one event did.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IngestReceipt {
    pub message_id: MessageId,
    /// Number of endpoints the message was fanned out to.
    pub endpoints: usize,
    /// True when the `event_id` had been seen before: nothing new was sent.
    pub duplicate: bool,
}

/// The exact JSON sent to receivers (DESIGN.md §2).
#[derive(Serialize)]
struct OutboundBody<'a> {
    event_id: &'a str,
    event_type: &'a str,
    created_at: String,
    event_data: &'a serde_json::Value,
}

#[derive(Clone)]
pub struct IngestService {
    stores: Stores,
    catalog: Arc<Catalog>,
}

impl IngestService {
    pub fn new(stores: Stores, catalog: Arc<Catalog>) -> Self {
        Self { stores, catalog }
    }

    /// Decodes raw bytes (an SQS body or an HTTP request body) and ingests the event.
    pub async fn ingest_bytes(&self, raw: &[u8]) -> Result<IngestReceipt, CoreError> {
        self.ingest(decode_event(raw, &self.catalog)?).await
    }

    /// Ingests a validated event. Safe to call again after a failure: with an
    /// `event_id`, a half-finished fan-out is completed rather than repeated.
    pub async fn ingest(&self, event: ValidEvent) -> Result<IngestReceipt, CoreError> {
        let message = new_message(event)?;
        let duplicate = match self.stores.messages.insert(&message).await? {
            Inserted::Created => None,
            Inserted::Duplicate { id, fanned_out } => Some((id, fanned_out)),
        };
        let is_duplicate = duplicate.is_some();
        let message = match duplicate {
            None => message,
            Some((id, true)) => {
                return Ok(IngestReceipt {
                    message_id: id,
                    endpoints: 0,
                    duplicate: true,
                })
            }
            // The first ingest of this event died before finishing its fan-out (or is still
            // running): complete it. Every step is idempotent, so doing it twice is harmless.
            Some((id, false)) => self
                .stores
                .messages
                .get(&message.tenant, &id)
                .await?
                .ok_or_else(|| {
                    StoreError::backend(format!("idempotency record points to missing {id}"))
                })?,
        };
        let endpoints: Vec<_> = self
            .stores
            .endpoints
            .subscribed(&message.tenant, &message.event_type)
            .await?
            .into_iter()
            .map(|e| e.id)
            .collect();
        self.stores.fan_out(&message, &endpoints).await?;
        tracing::info!(
            tenant = %message.tenant,
            message_id = %message.id,
            event_type = %message.event_type,
            endpoints = endpoints.len(),
            "event accepted"
        );
        Ok(IngestReceipt {
            message_id: message.id,
            endpoints: endpoints.len(),
            duplicate: is_duplicate,
        })
    }

    /// Sends a signed test event (type `WEBHOOK_TEST`) to one endpoint through the
    /// normal delivery path, so it appears in that endpoint's log.
    pub async fn send_test(
        &self,
        tenant: &TenantId,
        endpoint: &str,
    ) -> Result<IngestReceipt, CoreError> {
        let id = EndpointId::parse(endpoint).map_err(|_| CoreError::NotFound("endpoint"))?;
        if self.stores.endpoints.get(tenant, &id).await?.is_none() {
            return Err(CoreError::NotFound("endpoint"));
        }
        let message = new_message(ValidEvent {
            tenant: tenant.clone(),
            event_type: TEST_EVENT_TYPE.to_owned(),
            event_id: None,
            event_data: serde_json::json!({
                "endpoint_id": id,
                "message": "Événement de test envoyé depuis l'interface Webhooks Peopulse.",
            }),
        })?;
        self.stores.messages.insert(&message).await?;
        self.stores
            .fan_out(&message, std::slice::from_ref(&id))
            .await?;
        tracing::info!(tenant = %tenant, endpoint_id = %id, message_id = %message.id, "test event sent");
        Ok(IngestReceipt {
            message_id: message.id,
            endpoints: 1,
            duplicate: false,
        })
    }
}

/// Builds the message of an event, with its outbound body fixed once and for all.
fn new_message(event: ValidEvent) -> Result<Message, CoreError> {
    let created_at = now();
    let id = MessageId::generate();
    let body = serde_json::to_vec(&OutboundBody {
        event_id: id.as_str(),
        event_type: &event.event_type,
        created_at: created_at.to_rfc3339_opts(SecondsFormat::Secs, true),
        event_data: &event.event_data,
    })
    .map_err(StoreError::backend)?;
    Ok(Message {
        id,
        tenant: event.tenant,
        event_type: event.event_type,
        event_id: event.event_id,
        body: Bytes::from(body),
        created_at,
    })
}
