//! Local adapters: every storage port on one embedded SQLite database, plus the durable
//! task queue and the worker that drains it. Used by the all-in-one local binary.

mod db;
mod endpoints;
mod log;
mod messages;
mod queue;
pub mod retention;
mod secrets;
mod worker;

pub use db::{Db, DbError};
pub use endpoints::SqliteEndpointStore;
pub use log::SqliteDeliveryLog;
pub use messages::SqliteMessageStore;
pub use queue::SqliteTaskQueue;
pub use secrets::SqliteSecretStore;
pub use worker::{Worker, WorkerConfig};

use std::sync::Arc;
use webhooks_core::ports::SeparateReads;
use webhooks_core::services::Stores;

/// All SQLite adapters over one database, plus the queue for the worker.
pub fn sqlite_stores(db: &Db) -> (Stores, SqliteTaskQueue) {
    let queue = SqliteTaskQueue::new(db.clone());
    let endpoints: Arc<SqliteEndpointStore> = Arc::new(SqliteEndpointStore::new(db.clone()));
    let messages: Arc<SqliteMessageStore> = Arc::new(SqliteMessageStore::new(db.clone()));
    let log: Arc<SqliteDeliveryLog> = Arc::new(SqliteDeliveryLog::new(db.clone()));
    let stores = Stores {
        reader: Arc::new(SeparateReads {
            endpoints: endpoints.clone(),
            messages: messages.clone(),
            log: log.clone(),
        }),
        endpoints,
        secrets: Arc::new(SqliteSecretStore::new(db.clone())),
        messages,
        log,
        queue: Arc::new(queue.clone()),
    };
    (stores, queue)
}
