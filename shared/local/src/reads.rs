//! `DeliveryReader` on SQLite: a delivery's entry, endpoint and message read on one
//! read-only connection in one trip, instead of three hops to the reader threads; what a
//! first-attempt task carries (its attempt number, its message) is not read again, nor a
//! healthy endpoint read before ([`crate::endpoint_cache`]): a first attempt to one reads
//! nothing.

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
        let cache = self.db.endpoint_cache();
        let (implied, message) = (task.implied_entry(), task.hinted_payload());
        let cached = cache.get(&task.tenant, &task.endpoint_id);
        if implied.is_some() && message.is_some() && cached.is_some() {
            return Ok(DeliveryInputs {
                entry: implied.flatten(),
                endpoint: cached,
                message,
            });
        }
        let (t, epoch, known) = (task.clone(), cache.epoch(), cached.is_some());
        let mut inputs = self
            .db
            .lookup(move |c| {
                let entry = match implied {
                    Some(implied) => implied,
                    None => get_entry(c, &t.tenant, &t.endpoint_id, &t.message_id)?
                        .as_ref()
                        .map(Progress::from),
                };
                let message = match message {
                    Some(p) => Some(p),
                    None => get_message(c, &t.tenant, &t.message_id)?
                        .as_ref()
                        .map(Payload::from),
                };
                let endpoint = match known {
                    true => None,
                    false => get_endpoint(c, &t.tenant, &t.endpoint_id)?,
                };
                Ok(DeliveryInputs {
                    entry,
                    endpoint,
                    message,
                })
            })
            .await?;
        match (cached, &inputs.endpoint) {
            (Some(copy), _) => inputs.endpoint = Some(copy),
            (None, Some(read)) => cache.keep(epoch, read),
            (None, None) => {}
        }
        Ok(inputs)
    }
}
