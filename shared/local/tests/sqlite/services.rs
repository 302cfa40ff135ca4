//! The use cases (ingest, delivery, admin) against the in-memory SQLite adapters with a
//! scripted sender: the core behaviours in milliseconds, without a server or polling.

use async_trait::async_trait;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use webhooks_core::catalog::Catalog;
use webhooks_core::model::{
    DeliveryStatus, DeliveryTask, Endpoint, EndpointIn, EndpointPatch, FailureKind,
};
use webhooks_core::ports::{
    EventPublisher, OutboundRequest, SendResult, StoreResult, WebhookSender,
};
use webhooks_core::retry::RetryPolicy;
use webhooks_core::services::{
    AdminConfig, AdminService, DeliveryConfig, DeliveryOutcome, DeliveryService, IngestService,
    Stores,
};
use webhooks_core::validation::{UrlPolicy, ValidEvent};
use webhooks_core::TenantId;
use webhooks_local::{sqlite_stores, Db, SqliteTaskQueue};

/// Answers each request with the next scripted status (a transport error for `None`),
/// and keeps what it was sent.
#[derive(Default)]
struct Scripted {
    answers: Mutex<VecDeque<Option<u16>>>,
    sent: Mutex<Vec<OutboundRequest>>,
}

#[async_trait]
impl WebhookSender for Scripted {
    async fn send(&self, request: OutboundRequest) -> SendResult {
        self.sent.lock().unwrap().push(request);
        let answer = self
            .answers
            .lock()
            .unwrap()
            .pop_front()
            .expect("a scripted answer");
        SendResult {
            status: answer,
            error: answer.is_none().then_some(FailureKind::Connect),
            retry_after: None,
            excerpt: None,
            duration: Duration::from_millis(1),
        }
    }
}

/// Keeps the operational events the services publish.
#[derive(Default)]
struct Published(Mutex<Vec<ValidEvent>>);

#[async_trait]
impl EventPublisher for Published {
    async fn publish(&self, event: ValidEvent) -> StoreResult<()> {
        self.0.lock().unwrap().push(event);
        Ok(())
    }
}

struct World {
    db: Db,
    stores: Stores,
    queue: SqliteTaskQueue,
    ingest: IngestService,
    delivery: DeliveryService,
    admin: AdminService,
    sender: Arc<Scripted>,
    events: Arc<Published>,
    tenant: TenantId,
}

impl World {
    /// Retries are due at once (base 0), and an endpoint failing for `disable_after` is
    /// disabled.
    fn new(disable_after: Duration) -> Self {
        let db = Db::in_memory().unwrap();
        let (stores, queue) = sqlite_stores(&db);
        let catalog = Arc::new(Catalog::built_in());
        let (sender, events) = (
            Arc::new(Scripted::default()),
            Arc::new(Published::default()),
        );
        let publisher: Arc<dyn EventPublisher> = events.clone();
        let config = DeliveryConfig {
            retry: RetryPolicy {
                base: Duration::ZERO,
                ..RetryPolicy::default()
            },
            disable_after,
            ..DeliveryConfig::default()
        };
        let delivery = DeliveryService::new(stores.clone(), sender.clone(), config)
            .with_events(Some(publisher.clone()));
        let policy = UrlPolicy {
            require_https: false,
            allow_private: true,
        };
        let admin = AdminService::new(
            stores.clone(),
            catalog.clone(),
            AdminConfig {
                url_policy: policy,
                ..AdminConfig::default()
            },
        )
        .with_events(Some(publisher));
        Self {
            db,
            ingest: IngestService::new(stores.clone(), catalog),
            stores,
            queue,
            delivery,
            admin,
            sender,
            events,
            tenant: TenantId::parse("ENS_A").unwrap(),
        }
    }

    async fn endpoint(&self) -> Endpoint {
        let input = EndpointIn {
            url: "http://receiver.test/hook".into(),
            description: String::new(),
            event_types: vec!["INVOICE_VALIDATED".into()],
            enabled: true,
            headers: Default::default(),
            filter: None,
        };
        let out = self
            .admin
            .create_endpoint(&self.tenant, input)
            .await
            .unwrap();
        self.stores
            .endpoints
            .get(&self.tenant, &out.id)
            .await
            .unwrap()
            .unwrap()
    }

    async fn publish(&self) {
        let raw = br#"{"tenant_id":"ENS_A","event_type":"INVOICE_VALIDATED","event_data":{"invoice_id":"FA-1"}}"#;
        assert_eq!(self.ingest.ingest_bytes(raw).await.unwrap().endpoints, 1);
    }

    fn script(&self, answers: &[Option<u16>]) {
        self.sender.answers.lock().unwrap().extend(answers);
    }

    /// Delivers the one queued task. The queue is not touched afterwards: recording the
    /// attempt removes the task, or makes it due again (retries here are due at once).
    async fn step(&self) -> DeliveryOutcome {
        let tasks = self.queue.lease(10, Duration::from_secs(60)).await.unwrap();
        let [task]: [DeliveryTask; 1] = tasks.try_into().expect("one task");
        self.delivery.deliver(&task).await.unwrap().outcome
    }

    async fn entry(&self, ep: &Endpoint) -> webhooks_core::model::LogEntry {
        let page = (self.stores.log)
            .list(&self.tenant, &ep.id, None, None, 10)
            .await
            .unwrap();
        page.data.into_iter().next().expect("one entry")
    }
}

#[tokio::test]
async fn a_published_event_is_delivered_signed_and_counted() {
    let w = World::new(Duration::from_secs(3600));
    let ep = w.endpoint().await;
    w.publish().await;
    w.script(&[Some(204)]);
    assert_eq!(w.step().await, DeliveryOutcome::Delivered);
    let sent = w.sender.sent.lock().unwrap().clone();
    assert_eq!(sent[0].url, ep.url);
    for name in ["webhook-id", "webhook-timestamp", "webhook-signature"] {
        assert!(sent[0].headers.iter().any(|(n, _)| n == name), "{name}");
    }
    assert_eq!(w.entry(&ep).await.status, DeliveryStatus::Delivered);
    let counters = w
        .admin
        .get_endpoint(&w.tenant, ep.id.as_str())
        .await
        .unwrap()
        .counters;
    assert_eq!((counters.delivered, counters.in_flight), (1, 0));
}

/// Each failure is a retry until the fifth, which fails the message; the log has every
/// attempt and the counters say so.
#[tokio::test]
async fn five_failures_fail_the_message_and_a_replay_starts_a_new_series() {
    let w = World::new(Duration::from_secs(3600));
    let ep = w.endpoint().await;
    w.publish().await;
    w.script(&[Some(500), None, Some(503), Some(500), Some(502)]);
    for _ in 0..4 {
        assert!(matches!(w.step().await, DeliveryOutcome::RetryIn(_)));
    }
    assert_eq!(w.step().await, DeliveryOutcome::Failed);
    let entry = w.entry(&ep).await;
    assert_eq!(
        (entry.status, entry.attempt_count),
        (DeliveryStatus::Failed, 5)
    );
    let c = w
        .admin
        .get_endpoint(&w.tenant, ep.id.as_str())
        .await
        .unwrap()
        .counters;
    assert_eq!(
        (c.failed_attempts, c.failed_messages, c.in_flight),
        (5, 1, 0)
    );
    let failed = w
        .events
        .0
        .lock()
        .unwrap()
        .iter()
        .any(|e| e.event_type == "WEBHOOK_MESSAGE_FAILED");
    assert!(failed, "the failure is announced");

    let msg = entry.message_id.to_string();
    w.admin
        .replay(&w.tenant, ep.id.as_str(), &msg)
        .await
        .unwrap();
    w.script(&[Some(200)]);
    assert_eq!(w.step().await, DeliveryOutcome::Delivered);
    let entry = w.entry(&ep).await;
    assert_eq!(
        (entry.status, entry.attempt_count, entry.series_start),
        (DeliveryStatus::Delivered, 6, 5)
    );
}

#[tokio::test]
async fn gone_stops_at_once() {
    let w = World::new(Duration::from_secs(3600));
    let ep = w.endpoint().await;
    w.publish().await;
    w.script(&[Some(410)]);
    assert_eq!(w.step().await, DeliveryOutcome::Failed);
    assert_eq!(w.entry(&ep).await.attempt_count, 1);
    assert_eq!(
        w.queue.depth().await.unwrap(),
        0,
        "the final attempt took its task"
    );
}

/// An endpoint failing for the whole window is disabled with a code, announced, and the
/// next attempt is not sent. (The window runs from the first failure, so the attempt after
/// it is the one that finds it elapsed.)
#[tokio::test]
async fn an_endpoint_failing_for_the_window_is_disabled_and_sent_nothing_more() {
    let w = World::new(Duration::ZERO);
    let ep = w.endpoint().await;
    w.publish().await;
    w.script(&[Some(500), Some(500)]);
    w.step().await;
    w.step().await;
    let ep = w
        .stores
        .endpoints
        .get(&w.tenant, &ep.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (ep.enabled, ep.disabled_reason.as_deref()),
        (false, Some("failing"))
    );
    let types: Vec<String> = w
        .events
        .0
        .lock()
        .unwrap()
        .iter()
        .map(|e| e.event_type.clone())
        .collect();
    assert!(
        types.contains(&"WEBHOOK_ENDPOINT_DISABLED".to_owned()),
        "{types:?}"
    );

    // The retry goes nowhere: a disabled endpoint gets no request.
    let before = w.sender.sent.lock().unwrap().len();
    assert_eq!(w.step().await, DeliveryOutcome::Failed);
    assert_eq!(w.sender.sent.lock().unwrap().len(), before);
}

/// The delivery reader keeps a copy of a healthy endpoint, and every change made through the
/// adapters reaches the next delivery at once: a new URL, the start of a failure streak, a
/// disabling, a deletion. A change made behind the adapters' back shows which read was
/// served from the copy.
#[tokio::test]
async fn deliveries_follow_every_endpoint_change_at_once() {
    let w = &World::new(Duration::from_secs(3600));
    let ep = w.endpoint().await;
    let behind_the_back = move |url: &'static str| {
        w.db.call(move |c| Ok(c.execute("UPDATE endpoints SET url = ?1", [url])?))
    };
    let last_url = || w.sender.sent.lock().unwrap().last().map(|r| r.url.clone());
    let deliver = |answer: u16| async move {
        w.publish().await;
        w.script(&[Some(answer)]);
        w.step().await
    };
    // Read once, then served from the copy.
    deliver(204).await;
    behind_the_back("http://behind.test/1").await.unwrap();
    deliver(204).await;
    assert_eq!(
        last_url().as_deref(),
        Some("http://receiver.test/hook"),
        "the copy"
    );

    let patch = |p: EndpointPatch| w.admin.update_endpoint(&w.tenant, ep.id.as_str(), p);
    patch(EndpointPatch {
        url: Some("http://receiver.test/new".into()),
        ..Default::default()
    })
    .await
    .unwrap();
    deliver(204).await;
    assert_eq!(
        last_url().as_deref(),
        Some("http://receiver.test/new"),
        "an update"
    );

    // A failure starts a streak: the next delivery reads the endpoint again.
    assert!(matches!(deliver(500).await, DeliveryOutcome::RetryIn(_)));
    behind_the_back("http://behind.test/2").await.unwrap();
    w.script(&[Some(204)]);
    assert_eq!(w.step().await, DeliveryOutcome::Delivered);
    assert_eq!(
        last_url().as_deref(),
        Some("http://behind.test/2"),
        "a streak"
    );

    patch(EndpointPatch {
        enabled: Some(false),
        ..Default::default()
    })
    .await
    .unwrap();
    let sent = w.sender.sent.lock().unwrap().len();
    w.publish().await;
    assert_eq!(w.step().await, DeliveryOutcome::Failed, "disabled");
    assert_eq!(w.sender.sent.lock().unwrap().len(), sent);

    patch(EndpointPatch {
        enabled: Some(true),
        ..Default::default()
    })
    .await
    .unwrap();
    w.publish().await;
    w.admin
        .delete_endpoint(&w.tenant, ep.id.as_str())
        .await
        .unwrap();
    assert!(
        matches!(w.step().await, DeliveryOutcome::Skipped(_)),
        "deleted"
    );
}

/// The ingest keeps the subscribers of an event type, and every change made through the
/// adapters reaches the next event at once: a new endpoint, other event types, a deletion.
#[tokio::test]
async fn the_ingest_follows_every_subscription_change_at_once() {
    let w = World::new(Duration::from_secs(3600));
    let fan_out = || async {
        let raw = br#"{"tenant_id":"ENS_A","event_type":"INVOICE_VALIDATED","event_data":{"invoice_id":"FA-1"}}"#;
        w.ingest.ingest_bytes(raw).await.unwrap().endpoints
    };
    let first = w.endpoint().await;
    assert_eq!(fan_out().await, 1);
    let second = w.endpoint().await;
    assert_eq!(fan_out().await, 2, "a new endpoint");
    // Behind the adapters' back: the copy still answers.
    (w.db
        .call(|c| Ok(c.execute("DELETE FROM subscriptions", [])?))
        .await)
        .unwrap();
    assert_eq!(fan_out().await, 2, "the copy");
    let other_types = EndpointPatch {
        event_types: Some(vec!["CONTRACT_CREATED".into()]),
        ..Default::default()
    };
    let patched = w
        .admin
        .update_endpoint(&w.tenant, second.id.as_str(), other_types);
    patched.await.unwrap();
    assert_eq!(fan_out().await, 0, "read again after an update");
    let back = EndpointPatch {
        event_types: Some(vec!["INVOICE_VALIDATED".into()]),
        ..Default::default()
    };
    let patched = w.admin.update_endpoint(&w.tenant, first.id.as_str(), back);
    patched.await.unwrap();
    assert_eq!(fan_out().await, 1, "subscribed again");
    w.admin
        .delete_endpoint(&w.tenant, first.id.as_str())
        .await
        .unwrap();
    assert_eq!(fan_out().await, 0, "a deletion");
}
