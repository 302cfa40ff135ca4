//! `DeliveryReader` on SQLite: a delivery's entry, endpoint and message read on one
//! read-only connection in one trip, instead of three hops to the reader threads; what a
//! first-attempt task carries (its attempt number, its message) is not read again.

use crate::db::Db;
use crate::endpoints::get_endpoint;
use crate::log::get_entry;
use crate::messages::get_message;
use async_trait::async_trait;
use webhooks_core::model::{DeliveryTask, Payload, Progress};
use webhooks_core::ports::{DeliveryInputs, DeliveryReader, StoreResult};

#[derive(Clone)]
pub struct SqliteDeliveryReader {
    db: Db,
}

impl SqliteDeliveryReader {
    pub fn new(db: Db) -> Self {
        Self { db }
    }
}

#[async_trait]
impl DeliveryReader for SqliteDeliveryReader {
    async fn read(&self, task: &DeliveryTask) -> StoreResult<DeliveryInputs> {
        let t = task.clone();
        self.db
            .lookup(move |c| {
                let entry = match t.implied_entry() {
                    Some(implied) => implied,
                    None => get_entry(c, &t.tenant, &t.endpoint_id, &t.message_id)?
                        .as_ref()
                        .map(Progress::from),
                };
                let message = match t.hinted_payload() {
                    Some(p) => Some(p),
                    None => get_message(c, &t.tenant, &t.message_id)?
                        .as_ref()
                        .map(Payload::from),
                };
                Ok(DeliveryInputs {
                    entry,
                    endpoint: get_endpoint(c, &t.tenant, &t.endpoint_id)?,
                    message,
                })
            })
            .await
    }
}
