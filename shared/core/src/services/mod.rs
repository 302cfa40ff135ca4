//! Services: the use cases, written against the ports only. The HTTP layer and the
//! Lambda handlers decode input, call one function here, and encode the result.

mod admin;
pub mod decide;
mod delivery;
mod ingest;
mod recover;
mod search;
mod sweep;

pub use admin::{AdminConfig, AdminService, MessageOut, MAX_PAGE, MAX_STATS_HOURS};
pub use delivery::{
    Delivery, DeliveryConfig, DeliveryOutcome, DeliveryService, FAILURE_EXCERPT_BYTES,
    SUCCESS_EXCERPT_BYTES,
};
pub use ingest::{IngestReceipt, IngestService};
pub use recover::{RecoverReport, MAX_RECOVER, RECOVER_CHUNK, RECOVER_RESERVE};
pub use search::{DeliveryTrace, EventTrace, FailedDelivery, TraceStatus};
pub use sweep::{SweepConfig, SweepReport, SweepService};

use crate::error::StoreError;
use crate::ids::EndpointId;
use crate::model::DeliveryKey;
use crate::model::{DeliveryTask, Message};
use crate::ports::{
    DeliveryLog, DeliveryReader, EndpointStore, EventPublisher, MessageStore, SecretStore,
    TaskQueue,
};
use crate::validation::ValidEvent;
use std::sync::Arc;

/// Where the services publish operational events ([`crate::operational`]): optional (a
/// deployment without a publisher announces nothing), and never failing the use case that
/// caused the event.
#[derive(Clone, Default)]
pub(crate) struct Announcer(Option<Arc<dyn EventPublisher>>);

impl Announcer {
    pub(crate) fn new(events: Option<Arc<dyn EventPublisher>>) -> Self {
        Self(events)
    }

    /// Publishes `event`; `false` (and logged) if there is no publisher or it failed.
    pub(crate) async fn publish(&self, event: ValidEvent) -> bool {
        let Some(events) = &self.0 else {
            return false;
        };
        let (tenant, ty) = (event.tenant.clone(), event.event_type.clone());
        match events.publish(event).await {
            Ok(()) => true,
            Err(e) => {
                tracing::error!(tenant = %tenant, event_type = %ty, error = %e, "operational event not published");
                false
            }
        }
    }
}

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

/// The fan-out's tasks: each carries the message body, type and time and its first attempt
/// number, so that first delivery need not read them back (a queue adapter may drop the
/// body when it does not fit).
fn tasks_for(message: &Message, endpoints: &[EndpointId]) -> Vec<DeliveryTask> {
    (endpoints.iter())
        .map(|ep| DeliveryTask::first_of(message, ep))
        .collect()
}

impl Stores {
    /// The tasks that fan a stored message out to `endpoints`.
    ///
    /// `resume` completes an earlier fan-out that may have stopped half-way: tasks go only
    /// to the endpoints with no entry yet, that is with no attempt made (their task may
    /// never have been sent; a second task is harmless, since the log's conditional write
    /// records each attempt once).
    async fn tasks_to_send(
        &self,
        message: &Message,
        endpoints: &[EndpointId],
        resume: bool,
    ) -> Result<Vec<DeliveryTask>, StoreError> {
        if !resume {
            return Ok(tasks_for(message, endpoints));
        }
        let mut targets = Vec::new();
        for ep in endpoints {
            if self
                .log
                .get(&DeliveryKey::new(&message.tenant, ep, &message.id))
                .await?
                .is_none()
            {
                targets.push(ep.clone());
            }
        }
        Ok(tasks_for(message, &targets))
    }

    /// Fans a stored message out to `endpoints`: tasks sent, and the fan-out marked
    /// complete.
    async fn fan_out(&self, message: &Message, endpoints: &[EndpointId]) -> Result<(), StoreError> {
        self.queue.enqueue(&tasks_for(message, endpoints)).await?;
        self.messages
            .mark_fanned_out(&message.tenant, &message.id)
            .await
    }
}
