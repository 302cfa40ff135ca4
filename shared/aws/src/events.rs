//! `EventPublisher` on SQS: the service's own events are sent to the ingest queue as any
//! Peopulse service sends its events, and the ingest function takes them from there.

use crate::error::sdk;
use async_trait::async_trait;
use aws_sdk_sqs::Client;
use webhooks_core::model::InboundEvent;
use webhooks_core::ports::{EventPublisher, StoreResult};
use webhooks_core::validation::ValidEvent;
use webhooks_core::StoreError;

pub struct SqsEventPublisher {
    client: Client,
    url: String,
}

impl SqsEventPublisher {
    pub fn new(client: Client, ingest_queue_url: &str) -> Self {
        Self {
            client,
            url: ingest_queue_url.to_owned(),
        }
    }
}

#[async_trait]
impl EventPublisher for SqsEventPublisher {
    async fn publish(&self, event: ValidEvent) -> StoreResult<()> {
        let body = serde_json::to_string(&InboundEvent {
            tenant_id: event.tenant.to_string(),
            event_type: event.event_type,
            event_id: event.event_id,
            event_data: event.event_data,
        })
        .map_err(StoreError::backend)?;
        (self.client.send_message())
            .queue_url(&self.url)
            .message_body(body)
            .send()
            .await
            .map_err(sdk)?;
        Ok(())
    }
}
