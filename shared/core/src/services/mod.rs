//! Services: the use cases, written against the ports only. The HTTP layer and the
//! Lambda handlers decode input, call one function here, and encode the result.

mod admin;
mod delivery;
mod ingest;

pub use admin::{AdminService, MessageOut};
pub use delivery::{DeliveryOutcome, DeliveryService};
pub use ingest::{IngestReceipt, IngestService};

use crate::ports::{DeliveryLog, EndpointStore, MessageStore, SecretStore, TaskQueue};
use std::sync::Arc;

/// The adapters a deployment plugs into the services, built once at start-up.
#[derive(Clone)]
pub struct Stores {
    pub endpoints: Arc<dyn EndpointStore>,
    pub secrets: Arc<dyn SecretStore>,
    pub messages: Arc<dyn MessageStore>,
    pub log: Arc<dyn DeliveryLog>,
    pub queue: Arc<dyn TaskQueue>,
}
