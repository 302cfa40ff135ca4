//! Local adapters: every storage port on one embedded SQLite database, plus the durable
//! task queue and the worker that drains it. Used by the all-in-one local binary.

mod db;
mod endpoint_cache;
mod endpoints;
mod log;
mod mail;
mod messages;
mod notifications;
mod publisher;
mod queue;
mod reads;
mod ready;
pub mod retention;
mod secrets;
mod worker;

pub use db::{Db, DbError, Durability};
pub use endpoints::SqliteEndpointStore;
pub use log::SqliteDeliveryLog;
pub use mail::{MailConfigError, SmtpMailer};
pub use messages::SqliteMessageStore;
pub use notifications::SqliteNotificationStore;
pub use publisher::IngestPublisher;
pub use queue::SqliteTaskQueue;
pub use reads::SqliteDeliveryReader;
pub use secrets::SqliteSecretStore;
pub use worker::{Worker, WorkerConfig};

use std::sync::Arc;
use webhooks_core::services::Stores;

/// All SQLite adapters over one database, plus the queue for the worker.
pub fn sqlite_stores(db: &Db) -> (Stores, SqliteTaskQueue) {
    let queue = SqliteTaskQueue::new(db.clone());
    let stores = Stores {
        endpoints: Arc::new(SqliteEndpointStore::new(db.clone())),
        secrets: Arc::new(SqliteSecretStore::new(db.clone())),
        messages: Arc::new(SqliteMessageStore::with_queue(db.clone(), queue.clone())),
        log: Arc::new(SqliteDeliveryLog::new(db.clone())),
        reader: Arc::new(SqliteDeliveryReader::new(db.clone())),
        queue: Arc::new(queue.clone()),
    };
    (stores, queue)
}
