//! SQLite-only behaviour: the durable queue's leases and orphan recovery, and the
//! retention purge.

use webhooks_core::model::DeliveryKey;

use bytes::Bytes;
use chrono::TimeDelta;
use std::time::Duration;
use webhooks_core::model::{now, Attempt, DeliveryStatus, DeliveryTask, Message};
use webhooks_core::ports::{DeliveryLog, MessageStore, TaskQueue};
use webhooks_core::{EndpointId, MessageId, TenantId};
use webhooks_local::retention::purge_before;
use webhooks_local::{sqlite_stores, Db, SqliteDeliveryLog, SqliteMessageStore};

fn message(t: &TenantId, age: TimeDelta) -> Message {
    Message {
        id: MessageId::generate(),
        tenant: t.clone(),
        event_type: "INVOICE_VALIDATED".into(),
        event_id: Some(format!("evt-{}", MessageId::generate())),
        body: Bytes::from_static(b"{}"),
        created_at: now() - age,
        endpoints: Vec::new(),
    }
}

fn attempt(number: u32) -> Attempt {
    Attempt {
        number,
        started_at: now(),
        duration_ms: 1,
        status_code: Some(200),
        error: None,
        response_excerpt: None,
        task: None,
    }
}

/// Attempt `number`, answered 500.
fn failed_attempt(number: u32) -> Attempt {
    Attempt {
        status_code: Some(500),
        error: Some("http_status".into()),
        ..attempt(number)
    }
}

#[tokio::test]
async fn leased_tasks_are_hidden_until_released_and_a_restart_releases_them() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("q.db");
    let task = DeliveryTask::new(
        TenantId::parse("A").unwrap(),
        MessageId::generate(),
        EndpointId::generate(),
    );
    {
        let (_, queue) = sqlite_stores(&Db::open(&path).unwrap());
        queue.enqueue(std::slice::from_ref(&task)).await.unwrap();
        queue.enqueue(std::slice::from_ref(&task)).await.unwrap();
        assert_eq!(queue.depth().await.unwrap(), 1, "one task per delivery");
        assert_eq!(
            queue.lease(10, Duration::from_secs(600)).await.unwrap(),
            vec![task.clone()]
        );
        assert!(queue
            .lease(10, Duration::from_secs(600))
            .await
            .unwrap()
            .is_empty());
        // The process "dies" here with the lease held.
    }
    let (_, queue) = sqlite_stores(&Db::open(&path).unwrap());
    assert_eq!(queue.release_all_leases().await.unwrap(), 1);
    assert_eq!(
        queue.lease(10, Duration::from_secs(600)).await.unwrap(),
        vec![task.clone()]
    );
    queue
        .retry_at(&task, now() + TimeDelta::hours(1))
        .await
        .unwrap();
    assert!(
        queue
            .lease(10, Duration::from_secs(1))
            .await
            .unwrap()
            .is_empty(),
        "not due yet"
    );
    queue.complete(&task).await.unwrap();
    assert_eq!(queue.depth().await.unwrap(), 0);
}

#[tokio::test]
async fn pending_deliveries_without_a_task_are_requeued() {
    let db = Db::in_memory().unwrap();
    let (_, queue) = sqlite_stores(&db);
    let (messages, log) = (
        SqliteMessageStore::new(db.clone()),
        SqliteDeliveryLog::new(db.clone()),
    );
    let t = TenantId::parse("A").unwrap();
    let (pending, done) = (
        message(&t, TimeDelta::zero()),
        message(&t, TimeDelta::zero()),
    );
    let ep = EndpointId::generate();
    let failed = failed_attempt(1);
    for (m, a, status) in [
        // A crash after recording an attempt but before rescheduling its task leaves none.
        (&pending, &failed, DeliveryStatus::Pending),
        (&done, &attempt(1), DeliveryStatus::Delivered),
    ] {
        messages.insert(m).await.unwrap();
        log.record_attempt(
            &DeliveryKey::new(&t, &ep, &m.id),
            &m.into(),
            a,
            status,
            None,
        )
        .await
        .unwrap();
    }
    assert_eq!(queue.requeue_orphans().await.unwrap(), 1);
    assert_eq!(queue.requeue_orphans().await.unwrap(), 0);
    let leased = queue.lease(10, Duration::from_secs(60)).await.unwrap();
    assert_eq!(leased.len(), 1);
    assert_eq!(leased[0].message_id, pending.id);
}

#[tokio::test]
async fn retention_purges_old_final_entries_and_keeps_the_rest() {
    let db = Db::in_memory().unwrap();
    let (_, queue) = sqlite_stores(&db);
    let (messages, log) = (
        SqliteMessageStore::new(db.clone()),
        SqliteDeliveryLog::new(db.clone()),
    );
    let t = TenantId::parse("A").unwrap();
    let ep = EndpointId::generate();
    let old_done = message(&t, TimeDelta::days(40));
    let old_pending = message(&t, TimeDelta::days(40));
    let recent = message(&t, TimeDelta::days(1));
    let old_queued = message(&t, TimeDelta::days(40));
    let failed = failed_attempt(1);
    for (m, a, status) in [
        (&old_done, &attempt(1), DeliveryStatus::Delivered),
        (&recent, &attempt(1), DeliveryStatus::Delivered),
        (&old_pending, &failed, DeliveryStatus::Pending),
    ] {
        messages.insert(m).await.unwrap();
        log.record_attempt(
            &DeliveryKey::new(&t, &ep, &m.id),
            &m.into(),
            a,
            status,
            None,
        )
        .await
        .unwrap();
    }
    // Not attempted yet: no entry, only its task.
    messages.insert(&old_queued).await.unwrap();
    queue
        .enqueue(&[DeliveryTask::new(
            t.clone(),
            old_queued.id.clone(),
            ep.clone(),
        )])
        .await
        .unwrap();
    let purged = purge_before(&db, now() - TimeDelta::days(30))
        .await
        .unwrap();
    assert_eq!(
        (purged.messages, purged.deliveries, purged.attempts),
        (1, 1, 1)
    );
    assert!(messages.get(&t, &old_done.id).await.unwrap().is_none());
    assert!(log
        .get(&DeliveryKey::new(&t, &ep, &old_done.id))
        .await
        .unwrap()
        .is_none());
    assert!(
        messages.get(&t, &old_pending.id).await.unwrap().is_some(),
        "pending work is kept"
    );
    assert!(
        messages.get(&t, &old_queued.id).await.unwrap().is_some(),
        "queued work is kept"
    );
    assert!(messages.get(&t, &recent.id).await.unwrap().is_some());
    // The idempotency key went with the message: the same event id is new again.
    let mut again = message(&t, TimeDelta::zero());
    again.event_id = old_done.event_id.clone();
    assert!(matches!(
        messages.insert(&again).await.unwrap(),
        webhooks_core::ports::Inserted::Created { .. }
    ));
}

/// In-memory stores holding one enabled endpoint of tenant A, subscribed to INVOICE_VALIDATED.
async fn with_endpoint() -> (
    webhooks_core::services::Stores,
    webhooks_local::SqliteTaskQueue,
    TenantId,
    webhooks_core::model::Endpoint,
) {
    with_endpoint_on(&Db::in_memory().unwrap()).await
}

/// [`with_endpoint`] on `db`.
async fn with_endpoint_on(
    db: &Db,
) -> (
    webhooks_core::services::Stores,
    webhooks_local::SqliteTaskQueue,
    TenantId,
    webhooks_core::model::Endpoint,
) {
    let (stores, queue) = sqlite_stores(db);
    let t = TenantId::parse("A").unwrap();
    let ep = webhooks_core::model::Endpoint::new(
        t.clone(),
        "https://example.com/hook".into(),
        String::new(),
        vec!["INVOICE_VALIDATED".into()],
        true,
    );
    stores.endpoints.create(&ep).await.unwrap();
    (stores, queue, t, ep)
}

#[tokio::test]
async fn an_interrupted_fan_out_is_completed_by_the_retried_event() {
    use std::sync::Arc;
    use webhooks_core::catalog::Catalog;
    use webhooks_core::services::IngestService;

    let db = Db::in_memory().unwrap();
    let (stores, queue, t, ep) = with_endpoint_on(&db).await;
    // The first ingest stored the message, then died before fanning it out: a store
    // without the queue (as on DynamoDB) leaves that window open.
    let mut first = message(&t, TimeDelta::zero());
    first.event_id = Some("evt-crash".into());
    SqliteMessageStore::new(db).insert(&first).await.unwrap();

    let ingest = IngestService::new(stores.clone(), Arc::new(Catalog::built_in()));
    let raw = br#"{"tenant_id":"A","event_type":"INVOICE_VALIDATED","event_id":"evt-crash","event_data":{"invoice_id":"FA-1"}}"#;
    let receipt = ingest.ingest_bytes(raw).await.unwrap();
    assert_eq!(
        (
            receipt.message_id.clone(),
            receipt.duplicate,
            receipt.endpoints
        ),
        (first.id.clone(), true, 1)
    );
    let leased = queue.lease(10, Duration::from_secs(60)).await.unwrap();
    assert_eq!(leased.len(), 1);
    assert_eq!(
        (leased[0].message_id.clone(), leased[0].endpoint_id.clone()),
        (first.id.clone(), ep.id.clone())
    );
    // Now complete: a further duplicate changes nothing.
    let again = ingest.ingest_bytes(raw).await.unwrap();
    assert_eq!((again.duplicate, again.endpoints), (true, 0));
    assert_eq!(queue.depth().await.unwrap(), 1);
}

#[tokio::test]
async fn a_task_arriving_before_its_retry_time_is_put_back_without_sending() {
    use async_trait::async_trait;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    use webhooks_core::ports::{OutboundRequest, SendResult, WebhookSender};
    use webhooks_core::services::{DeliveryConfig, DeliveryOutcome, DeliveryService};

    struct Counting(AtomicUsize);
    #[async_trait]
    impl WebhookSender for Counting {
        async fn send(&self, _: OutboundRequest) -> SendResult {
            self.0.fetch_add(1, Ordering::SeqCst);
            SendResult {
                status: Some(200),
                error: None,
                retry_after: None,
                excerpt: None,
                duration: Duration::from_millis(1),
            }
        }
    }

    let (stores, _, t, ep) = with_endpoint().await;
    stores.secrets.issue(&t, &ep.id, 1).await.unwrap();
    let m = message(&t, TimeDelta::zero());
    stores.messages.insert(&m).await.unwrap();
    let failed = failed_attempt(1);
    let due = now() + TimeDelta::hours(1);
    stores
        .log
        .record_attempt(
            &DeliveryKey::new(&t, &ep.id, &m.id),
            &(&m).into(),
            &failed,
            DeliveryStatus::Pending,
            Some(due.into()),
        )
        .await
        .unwrap();

    let sender = Arc::new(Counting(AtomicUsize::new(0)));
    let delivery = DeliveryService::new(stores.clone(), sender.clone(), DeliveryConfig::default());
    let task = DeliveryTask::new(t.clone(), m.id.clone(), ep.id.clone());
    match delivery.deliver(&task).await.unwrap().outcome {
        DeliveryOutcome::RetryIn(d) => assert!(
            d > Duration::from_secs(3500) && d <= Duration::from_secs(3600),
            "{d:?}"
        ),
        other => panic!("expected RetryIn, got {other:?}"),
    }
    assert_eq!(sender.0.load(Ordering::SeqCst), 0, "nothing sent early");
    assert_eq!(
        stores
            .log
            .get(&DeliveryKey::new(&t, &ep.id, &m.id))
            .await
            .unwrap()
            .unwrap()
            .attempt_count,
        1
    );
}

/// A recovery works within its time budget, enqueueing as it restarts, and says when it is
/// not complete; calling again goes on from there until every failed message is back. With
/// the cursor it answered, the next call goes on from where it stopped: a message that
/// failed in between, newer than that, waits for the next recovery.
#[tokio::test]
async fn a_recovery_stops_on_its_budget_and_the_next_call_goes_on() {
    use std::sync::Arc;
    use webhooks_core::catalog::Catalog;
    use webhooks_core::model::DeliveryStatus;
    use webhooks_core::services::{AdminConfig, AdminService};

    async fn fail(stores: &webhooks_core::services::Stores, t: &TenantId, ep: &EndpointId) {
        let m = message(t, TimeDelta::zero());
        stores.messages.insert(&m).await.unwrap();
        stores
            .log
            .record_attempt(
                &DeliveryKey::new(t, ep, &m.id),
                &(&m).into(),
                &failed_attempt(1),
                DeliveryStatus::Failed,
                None,
            )
            .await
            .unwrap();
    }

    // No time at all, by the configured budget or by the caller's deadline (within the
    // reserve): each call does one chunk.
    let near = std::time::Instant::now() + webhooks_core::services::RECOVER_RESERVE / 2;
    // (budget, deadline, follow the cursor, reports, then a call from the newest)
    let table = [
        (
            Duration::ZERO,
            None,
            false,
            [(10, false), (10, false), (6, true)],
            0,
        ),
        (
            Duration::ZERO,
            None,
            true,
            [(10, false), (10, false), (5, true)],
            1,
        ),
        (
            AdminConfig::default().recover_budget,
            Some(near),
            false,
            [(10, false), (10, false), (6, true)],
            0,
        ),
        (
            AdminConfig::default().recover_budget,
            Some(near),
            true,
            [(10, false), (10, false), (5, true)],
            1,
        ),
    ];
    for (recover_budget, until, follow, expected, left) in table {
        let (stores, queue, t, ep) = with_endpoint().await;
        for _ in 0..25 {
            fail(&stores, &t, &ep.id).await;
        }
        let admin = AdminService::new(
            stores.clone(),
            Arc::new(Catalog::built_in()),
            AdminConfig {
                recover_budget,
                ..AdminConfig::default()
            },
        );
        let since = webhooks_core::model::now() - TimeDelta::hours(1);
        let (mut reports, mut cursor) = (Vec::new(), None);
        loop {
            let r = admin
                .recover(&t, ep.id.as_str(), since, cursor.take(), until)
                .await
                .unwrap();
            reports.push((r.recovered, r.complete));
            assert_eq!(r.next_cursor.is_some(), !r.complete);
            if reports.len() == 1 {
                fail(&stores, &t, &ep.id).await;
            }
            if r.complete {
                break;
            }
            cursor = r.next_cursor.filter(|_| follow);
        }
        assert_eq!(reports, expected, "follow the cursor: {follow}");
        let again = admin
            .recover(&t, ep.id.as_str(), since, None, until)
            .await
            .unwrap();
        assert_eq!((again.recovered, again.complete), (left, true));
        assert_eq!(
            queue.depth().await.unwrap(),
            26,
            "every restarted entry has its task"
        );
    }
    let (stores, _, t, ep) = with_endpoint().await;
    let admin = AdminService::new(
        stores,
        Arc::new(Catalog::built_in()),
        AdminConfig::default(),
    );
    let since = webhooks_core::model::now();
    let refused = admin.recover(&t, ep.id.as_str(), since, Some("nope".into()), None);
    match refused.await {
        Err(webhooks_core::CoreError::Validation(errors)) => {
            assert_eq!(
                (errors[0].field.as_str(), errors[0].code.as_str()),
                ("cursor", "cursor.invalid")
            );
        }
        other => panic!("{other:?}"),
    }
}

/// A new message's fan-out is queued in the message's own write and the message marked
/// fanned out, so a later copy of the event is known to be done.
#[tokio::test]
async fn a_message_is_stored_with_its_fan_out() {
    let (stores, queue) = sqlite_stores(&Db::in_memory().unwrap());
    let t = TenantId::parse("A").unwrap();
    let m = Message {
        endpoints: vec![EndpointId::generate(), EndpointId::generate()],
        ..message(&t, TimeDelta::zero())
    };
    assert_eq!(
        stores.messages.insert(&m).await.unwrap(),
        webhooks_core::ports::Inserted::Created { fanned_out: true }
    );
    assert_eq!(queue.depth().await.unwrap(), 2);
    let again = Message {
        id: MessageId::generate(),
        ..m.clone()
    };
    assert_eq!(
        stores.messages.insert(&again).await.unwrap(),
        webhooks_core::ports::Inserted::Duplicate {
            id: m.id.clone(),
            fanned_out: Some(true)
        }
    );
}
