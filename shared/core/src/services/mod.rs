//! Services: the use cases, written against the ports only. The HTTP layer and the
//! Lambda handlers decode input, call one function here, and encode the result.

mod admin;
mod delivery;
mod ingest;

pub use admin::{AdminConfig, AdminService, MessageOut, RecoverReport, MAX_RECOVER};
pub use delivery::{Delivery, DeliveryConfig, DeliveryOutcome, DeliveryService};
pub use ingest::{IngestReceipt, IngestService};

use crate::error::StoreError;
use crate::ids::{EndpointId, MessageId, TenantId};
use crate::model::{DeliveryTask, Message};
use crate::ports::{
    DeliveryLog, DeliveryReader, EndpointStore, MessageStore, SecretStore, TaskQueue,
};
use std::sync::Arc;

/// The adapters a deployment plugs into the services, built once at start-up.
#[derive(Clone)]
pub struct Stores {
    pub endpoints: Arc<dyn EndpointStore>,
    pub secrets: Arc<dyn SecretStore>,
    pub messages: Arc<dyn MessageStore>,
    pub log: Arc<dyn DeliveryLog>,
    pub queue: Arc<dyn TaskQueue>,
    /// Reads a delivery's entry, endpoint and message together.
    pub reader: Arc<dyn DeliveryReader>,
}

fn tasks_for(
    tenant: &TenantId,
    message: &MessageId,
    endpoints: &[EndpointId],
) -> Vec<DeliveryTask> {
    endpoints
        .iter()
        .map(|ep| DeliveryTask {
            tenant: tenant.clone(),
            message_id: message.clone(),
            endpoint_id: ep.clone(),
        })
        .collect()
}

impl Stores {
    /// Creates the log entries of a stored message for `endpoints`, enqueues one task per
    /// endpoint and marks the fan-out complete. Safe to repeat after a partial failure.
    async fn fan_out(&self, message: &Message, endpoints: &[EndpointId]) -> Result<(), StoreError> {
        self.log.create(message, endpoints).await?;
        self.queue
            .enqueue(&tasks_for(&message.tenant, &message.id, endpoints))
            .await?;
        self.messages
            .mark_fanned_out(&message.tenant, &message.id)
            .await
    }
}
