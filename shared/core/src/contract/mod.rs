//! Contract test suites for the ports. Every adapter crate runs the same suite against its
//! own adapters with [`crate::contract_suite!`], so SQLite and AWS behave alike.

#![allow(clippy::missing_panics_doc)]

mod counters;
mod endpoints;
mod log;
mod messages;
mod notifications;
mod queue;
mod reads;

pub use counters::{
    concurrent_deliveries_count_exactly, failing_since_tracks_runs_of_failures,
    recount_rebuilds_counters_from_the_log,
};
pub use endpoints::{
    endpoint_disable_touches_only_its_fields, endpoint_update_is_optimistic,
    endpoints_crud_and_isolation, failing_runs_are_announced_once, secrets_by_generation,
    subscribed_filters_type_and_tenant,
};
pub use log::{delivery_log_lifecycle_and_counters, replay_restarts_only_failed_entries};
pub use messages::{messages_and_idempotency, messages_are_found_by_event_id};
pub use notifications::notification_settings_and_history;
pub use queue::{due_deliveries_are_woken_or_swept, queue_round_trip};
pub use reads::{
    delivery_reader_reads_one_task, hourly_stats_count_attempts,
    log_pagination_filter_and_isolation,
};

use crate::ids::{MessageId, TenantId};
use crate::model::DeliveryKey;
use crate::model::{now, Attempt, DeliveryStatus, DeliveryTask, Endpoint, Message, MessageMeta};
use crate::notify::NotificationStore;
use crate::services::Stores;
use async_trait::async_trait;
use bytes::Bytes;
use std::sync::Arc;

/// Lets the suite see what a [`crate::ports::TaskQueue`] holds.
#[async_trait]
pub trait QueueProbe: Send + Sync {
    /// Removes and returns every task currently due.
    async fn drain(&self) -> Vec<DeliveryTask>;
}

/// Lets the suite wait for what an adapter derives after the fact: on DynamoDB the
/// counters, `failing_since` and hourly stats follow the log through the table's stream.
#[async_trait]
pub trait Settle: Send + Sync {
    /// Returns once everything written so far is reflected in the derived values.
    async fn settle(&self);
}

/// For adapters whose derived values change in the same write (SQLite).
pub struct AlreadySettled;

#[async_trait]
impl Settle for AlreadySettled {
    async fn settle(&self) {}
}

/// Fresh, empty adapters for one test.
pub struct Harness {
    pub stores: Stores,
    pub notifications: Arc<dyn NotificationStore>,
    pub probe: Arc<dyn QueueProbe>,
    pub settle: Arc<dyn Settle>,
}

/// Generates one `#[tokio::test]` per contract test, each on a harness from `$make`
/// (an expression evaluating to a `Future<Output = Harness>`).
#[macro_export]
macro_rules! contract_suite {
    ($make:expr) => {
        $crate::contract_suite!(@each $make;
            endpoints_crud_and_isolation,
            endpoint_update_is_optimistic,
            endpoint_disable_touches_only_its_fields,
            subscribed_filters_type_and_tenant,
            secrets_by_generation,
            messages_and_idempotency,
            delivery_log_lifecycle_and_counters,
            log_pagination_filter_and_isolation,
            replay_restarts_only_failed_entries,
            failing_since_tracks_runs_of_failures,
            hourly_stats_count_attempts,
            delivery_reader_reads_one_task,
            queue_round_trip,
            recount_rebuilds_counters_from_the_log,
            concurrent_deliveries_count_exactly,
            due_deliveries_are_woken_or_swept,
            messages_are_found_by_event_id,
            failing_runs_are_announced_once,
            notification_settings_and_history
        );
    };
    (@each $make:expr; $($name:ident),*) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                let h = $make.await;
                $crate::contract::$name(&h).await;
            }
        )*
    };
}

fn tenant(s: &str) -> TenantId {
    TenantId::parse(s).unwrap()
}

fn endpoint(t: &TenantId, types: &[&str], enabled: bool) -> Endpoint {
    Endpoint {
        headers: [("x-api-key".to_owned(), "clé d'essai".to_owned())].into(),
        filter: Some(r#"event_data.agency_id in ["AG-75"]"#.to_owned()),
        ..Endpoint::new(
            t.clone(),
            "https://receiver.example/hook".into(),
            "contract test".into(),
            types.iter().map(|s| s.to_string()).collect(),
            enabled,
        )
    }
}

fn message(t: &TenantId, event_id: Option<&str>) -> Message {
    let id = event_id.map_or_else(MessageId::generate, |e| MessageId::for_event(t, e));
    Message {
        body: Bytes::from(format!(r#"{{"event_id":"{id}","event_data":{{"é":1}}}}"#)),
        id,
        tenant: t.clone(),
        event_type: "INVOICE_VALIDATED".into(),
        event_id: event_id.map(str::to_owned),
        created_at: now(),
        endpoints: Vec::new(),
    }
}

/// A stored message (its entries come with their first attempts).
async fn stored_message(st: &Stores, t: &TenantId) -> Message {
    let m = message(t, None);
    st.messages.insert(&m).await.unwrap();
    m
}

/// Records attempt `n` of `m` to `ep` answered `code`, leaving the delivery `status`.
async fn record(
    st: &Stores,
    ep: &Endpoint,
    m: &Message,
    n: u32,
    code: u16,
    status: DeliveryStatus,
) {
    (st.log)
        .record_attempt(
            &DeliveryKey::new(&ep.tenant, &ep.id, &meta(m).id),
            &meta(m),
            &attempt(n, code),
            status,
            None,
        )
        .await
        .unwrap();
}

fn sorted<T: Ord>(mut v: Vec<T>) -> Vec<T> {
    v.sort();
    v
}

fn meta(m: &Message) -> MessageMeta {
    m.into()
}

fn attempt(number: u32, status: u16) -> Attempt {
    Attempt {
        number,
        started_at: now(),
        duration_ms: 12,
        status_code: Some(status),
        error: (!(200..300).contains(&status)).then(|| "http_status".to_owned()),
        response_excerpt: Some(format!("réponse {number}")),
        task: None,
    }
}
