//! Ingest: validate an inbound event, dedupe by `event_id`, store the message and fan it
//! out as one delivery task per subscribed endpoint.

use super::Stores;
use crate::catalog::{Catalog, TEST_EVENT_TYPE};
use crate::error::{CoreError, StoreError};
use crate::filter::{self, Subscriber};
use crate::ids::{EndpointId, MessageId, TenantId};
use crate::model::{now, DeliveryTask, Message};
use crate::notify::NotifyService;
use crate::operational;
use crate::ports::Inserted;
use crate::validation::{decode_event, ValidEvent};
use bytes::Bytes;
use chrono::SecondsFormat;
use futures::future::join_all;
use serde::Serialize;
use std::collections::HashMap;
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
    /// How many rules of its type's documented-only schema (`enforce: false`) the event
    /// breaks: it was accepted anyway.
    #[serde(skip_serializing_if = "is_zero")]
    pub schema_violations: usize,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// An event after its message was stored.
enum Staged {
    /// Nothing more to do: a duplicate of a finished fan-out, or of one too recent to be
    /// anything but finished or under way (see [`RESUME_AFTER`]).
    Done(IngestReceipt),
    /// To fan out; `resume` completes an earlier copy's fan-out.
    FanOut { message: Message, resume: bool },
    /// Stored with its fan-out, in one write (see [`Inserted::Created`]).
    FannedOut(Message),
}

/// An event with its tasks planned.
enum Planned {
    Done(IngestReceipt),
    Send {
        receipt: IngestReceipt,
        message: Message,
        tasks: Vec<DeliveryTask>,
        /// The store already queued the fan-out and marked it.
        marked: bool,
    },
}

/// The exact JSON sent to receivers (docs/RECEIVING.md).
#[derive(Serialize)]
struct OutboundBody<'a> {
    event_id: &'a str,
    event_type: &'a str,
    created_at: String,
    event_data: &'a serde_json::Value,
}

impl IngestReceipt {
    fn duplicate(message_id: MessageId) -> Self {
        Self {
            message_id,
            endpoints: 0,
            duplicate: true,
            schema_violations: 0,
        }
    }
}

/// A duplicate of an event whose fan-out the store does not track resumes that fan-out
/// only if the first copy is older than this. It must stay below the ingest
/// queue's visibility timeout (template.yaml: 180 s), after which a failed first ingest
/// comes back.
pub const RESUME_AFTER: std::time::Duration = std::time::Duration::from_secs(60);

#[derive(Clone)]
pub struct IngestService {
    stores: Stores,
    catalog: Arc<Catalog>,
    console_url: Option<String>,
    notify: Option<NotifyService>,
}

impl IngestService {
    pub fn new(stores: Stores, catalog: Arc<Catalog>) -> Self {
        Self {
            stores,
            catalog,
            console_url: None,
            notify: None,
        }
    }

    /// Operational events get links into the admin UI at `url` (ending in `/`), and their
    /// mails are sent through `notify` once they are fanned out.
    pub fn with_operations(mut self, url: Option<String>, notify: Option<NotifyService>) -> Self {
        self.console_url = url;
        self.notify = notify;
        self
    }

    /// Decodes raw bytes (an HTTP request body) and ingests the event.
    pub async fn ingest_bytes(&self, raw: &[u8]) -> Result<IngestReceipt, CoreError> {
        self.ingest_batch(&[raw]).await.remove(0)
    }

    /// Ingests a validated event. Safe to call again after a failure: with an
    /// `event_id`, a half-finished fan-out is completed rather than repeated.
    pub async fn ingest(&self, event: ValidEvent) -> Result<IngestReceipt, CoreError> {
        self.ingest_valid(vec![Ok(event)]).await.remove(0)
    }

    /// Decodes and ingests a batch of events (an SQS batch), one result per event, in
    /// order. The batch shares its work: one subscriber lookup per (tenant, event type)
    /// and one enqueue for all the tasks, so ten events cost about what one does on the
    /// queue. Safe to call again with the same events after any failure.
    pub async fn ingest_batch(&self, raws: &[&[u8]]) -> Vec<Result<IngestReceipt, CoreError>> {
        let events = raws
            .iter()
            .map(|raw| decode_event(raw, &self.catalog))
            .collect();
        self.ingest_valid(events).await
    }

    async fn ingest_valid(
        &self,
        events: Vec<Result<ValidEvent, CoreError>>,
    ) -> Vec<Result<IngestReceipt, CoreError>> {
        // 1. Who takes each type, once per (tenant, type).
        let mut wanted: Vec<(TenantId, String)> = events
            .iter()
            .filter_map(|e| e.as_ref().ok())
            .map(|e| (e.tenant.clone(), e.event_type.clone()))
            .collect();
        wanted.sort();
        wanted.dedup();
        let found = join_all(
            wanted
                .iter()
                .map(|(t, ty)| self.stores.endpoints.subscribed(t, ty)),
        )
        .await;
        let subscribers: HashMap<_, Result<Vec<Subscriber>, String>> = wanted
            .into_iter()
            .zip(found)
            .map(|(k, eps)| {
                let subs = eps.map(|eps| eps.iter().map(Subscriber::of).collect());
                (k, subs.map_err(|e| format!("subscribers: {e}")))
            })
            .collect();
        let subscribers = &subscribers;
        let of = move |tenant: &TenantId, event_type: &str| {
            subscribers[&(tenant.clone(), event_type.to_owned())]
                .clone()
                .map_err(|e| CoreError::from(StoreError::Backend(e)))
        };
        // 2. Store each message with its fan-out (its duplicates are found here), and plan
        // its tasks.
        let planned = join_all(events.into_iter().map(|e| async move {
            let mut event = e?;
            if let Some(url) = &self.console_url {
                operational::add_links(&event.event_type, &mut event.event_data, url);
            }
            let subscribers = of(&event.tenant, &event.event_type)?;
            let matched = filter::matching(&event.event_type, &event.event_data, &subscribers);
            let endpoints = operational::recipients(&event.event_type, &event.event_data, &matched);
            let schema_violations = event.violations.len();
            if schema_violations > 0 {
                let rules: Vec<_> = (event.violations.iter())
                    .map(|v| format!("{}: {}", v.field, v.message))
                    .collect();
                tracing::warn!(tenant = %event.tenant, event_type = %event.event_type, violations = ?rules, "event breaks its type's documented-only schema: accepted");
            }
            let (message, resume, marked) = match self.store(event, endpoints.clone()).await? {
                Staged::Done(receipt) => return Ok(Planned::Done(receipt)),
                Staged::FanOut { message, resume } => (message, resume, false),
                Staged::FannedOut(message) => (message, false, true),
            };
            let tasks = match marked {
                true => Vec::new(),
                false => (self.stores)
                    .tasks_to_send(&message, &endpoints, resume)
                    .await?,
            };
            Ok::<_, CoreError>(Planned::Send {
                receipt: IngestReceipt {
                    message_id: message.id.clone(),
                    endpoints: endpoints.len(),
                    duplicate: resume,
                    schema_violations,
                },
                message,
                tasks,
                marked,
            })
        }))
        .await;
        // 3. One enqueue for the batch; a failure fails every event that had tasks in it
        // (each is retried whole, idempotently).
        let tasks: Vec<DeliveryTask> = planned
            .iter()
            .filter_map(|p| match p {
                Ok(Planned::Send { tasks, .. }) => Some(tasks.iter().cloned()),
                _ => None,
            })
            .flatten()
            .collect();
        let sent = self
            .stores
            .queue
            .enqueue(&tasks)
            .await
            .map_err(|e| e.to_string());
        join_all(planned.into_iter().map(|p| {
            let sent = &sent;
            async move {
                match p? {
                    Planned::Done(receipt) => Ok(receipt),
                    Planned::Send {
                        receipt,
                        message,
                        tasks,
                        marked,
                    } => {
                        // An event with no subscriber had nothing in the failed enqueue.
                        if !tasks.is_empty() {
                            sent.clone().map_err(StoreError::Backend)?;
                        }
                        if !marked {
                            (self.stores.messages)
                                .mark_fanned_out(&message.tenant, &message.id)
                                .await?;
                        }
                        if let (Some(notify), false) = (&self.notify, receipt.duplicate) {
                            notify.notify(&message).await;
                        }
                        tracing::info!(
                            tenant = %message.tenant,
                            message_id = %message.id,
                            event_type = %message.event_type,
                            endpoints = receipt.endpoints,
                            "event accepted"
                        );
                        Ok(receipt)
                    }
                }
            }
        }))
        .await
    }

    /// Stores the message of `event`, fanned out to `endpoints`, or finds the one an earlier
    /// copy stored.
    async fn store(
        &self,
        event: ValidEvent,
        endpoints: Vec<EndpointId>,
    ) -> Result<Staged, CoreError> {
        let message = new_message(event, endpoints)?;
        match self.stores.messages.insert(&message).await? {
            Inserted::Created { fanned_out: true } => Ok(Staged::FannedOut(message)),
            Inserted::Created { fanned_out: false } => Ok(Staged::FanOut {
                message,
                resume: false,
            }),
            Inserted::Duplicate {
                id,
                fanned_out: Some(true),
            } => Ok(Staged::Done(IngestReceipt::duplicate(id))),
            Inserted::Duplicate { id, fanned_out } => {
                let first = self
                    .stores
                    .messages
                    .get(&message.tenant, &id)
                    .await?
                    .ok_or_else(|| {
                        StoreError::backend(format!("idempotency record points to missing {id}"))
                    })?;
                // Untracked: a first ingest that died half-way is retried by its queue only
                // after the visibility timeout; a duplicate sooner than that is a
                // publisher's retry of a fan-out that is done or under way.
                let young = (now() - first.created_at).to_std().unwrap_or_default() < RESUME_AFTER;
                if fanned_out.is_none() && young {
                    return Ok(Staged::Done(IngestReceipt::duplicate(id)));
                }
                // Complete it: every step is idempotent.
                Ok(Staged::FanOut {
                    message: first,
                    resume: true,
                })
            }
        }
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
        let message = new_message(
            ValidEvent {
                tenant: tenant.clone(),
                event_type: TEST_EVENT_TYPE.to_owned(),
                event_id: None,
                event_data: serde_json::json!({
                    "endpoint_id": id,
                    "reason": "test",
                }),
                violations: Vec::new(),
            },
            vec![id.clone()],
        )?;
        if let Inserted::Created { fanned_out: false } =
            self.stores.messages.insert(&message).await?
        {
            (self.stores)
                .fan_out(&message, std::slice::from_ref(&id))
                .await?;
        }
        tracing::info!(tenant = %tenant, endpoint_id = %id, message_id = %message.id, "test event sent");
        Ok(IngestReceipt {
            message_id: message.id,
            endpoints: 1,
            duplicate: false,
            schema_violations: 0,
        })
    }
}

/// Builds the message of an event fanned out to `endpoints`, with its outbound body fixed
/// once and for all.
fn new_message(event: ValidEvent, endpoints: Vec<EndpointId>) -> Result<Message, CoreError> {
    let created_at = now();
    let id = match &event.event_id {
        Some(event_id) => MessageId::for_event(&event.tenant, event_id),
        None => MessageId::generate(),
    };
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
        endpoints,
    })
}
