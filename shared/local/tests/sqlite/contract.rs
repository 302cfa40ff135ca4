//! The port contract suites, run against the SQLite adapters.

use async_trait::async_trait;
use std::sync::Arc;
use std::time::Duration;
use webhooks_core::contract::{AlreadySettled, Harness, QueueProbe};
use webhooks_core::model::DeliveryTask;
use webhooks_local::{sqlite_stores, Db, SqliteNotificationStore, SqliteTaskQueue};

struct Probe(SqliteTaskQueue);

#[async_trait]
impl QueueProbe for Probe {
    async fn drain(&self) -> Vec<DeliveryTask> {
        let tasks = self.0.lease(1000, Duration::from_secs(60)).await.unwrap();
        for t in &tasks {
            self.0.complete(t).await.unwrap();
        }
        tasks
    }
}

async fn harness() -> Harness {
    let db = Db::in_memory().unwrap();
    let (stores, queue) = sqlite_stores(&db);
    Harness {
        notifications: Arc::new(SqliteNotificationStore::new(db.clone())),
        stores,
        probe: Arc::new(Probe(queue)),
        settle: Arc::new(AlreadySettled),
    }
}

webhooks_core::contract_suite!(harness());

/// The same suite on a database file, where reads go through the read-only connections.
mod file_db {
    use super::*;

    async fn harness() -> Harness {
        // One directory per run of this test binary (statics are not dropped: it stays in the
        // system temp dir, a few small files).
        static DIR: std::sync::OnceLock<tempfile::TempDir> = std::sync::OnceLock::new();
        let dir = DIR.get_or_init(|| tempfile::tempdir().unwrap());
        let db = Db::open(
            &dir.path()
                .join(format!("{}.db", webhooks_core::MessageId::generate())),
        )
        .unwrap();
        let (stores, queue) = sqlite_stores(&db);
        Harness {
            notifications: Arc::new(SqliteNotificationStore::new(db.clone())),
            stores,
            probe: Arc::new(Probe(queue)),
            settle: Arc::new(AlreadySettled),
        }
    }

    webhooks_core::contract_suite!(harness());
}
