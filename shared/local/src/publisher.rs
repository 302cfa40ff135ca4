//! `EventPublisher` of the local stack: operational events go straight to the ingest
//! service, in a task of their own, so that a delivery never waits on the fan-out or the
//! mail they lead to.

use async_trait::async_trait;
use webhooks_core::ports::{EventPublisher, StoreResult};
use webhooks_core::services::IngestService;
use webhooks_core::validation::ValidEvent;

pub struct IngestPublisher {
    ingest: IngestService,
}

impl IngestPublisher {
    pub fn new(ingest: IngestService) -> Self {
        Self { ingest }
    }
}

#[async_trait]
impl EventPublisher for IngestPublisher {
    async fn publish(&self, event: ValidEvent) -> StoreResult<()> {
        let ingest = self.ingest.clone();
        tokio::spawn(async move {
            let (tenant, ty) = (event.tenant.clone(), event.event_type.clone());
            if let Err(e) = ingest.ingest(event).await {
                tracing::error!(tenant = %tenant, event_type = %ty, error = %e, "operational event not ingested");
            }
        });
        Ok(())
    }
}
