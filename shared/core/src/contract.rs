//! Contract test suites for the ports. Every adapter crate runs the same suite against its
//! own adapters with [`crate::contract_suite!`], so SQLite and AWS behave alike.

#![allow(clippy::missing_panics_doc)]

use crate::error::StoreError;
use crate::ids::{EndpointId, MessageId, TenantId};
use crate::model::DeliveryKey;
use crate::model::{
    now, Attempt, Counters, DeliveryStatus, DeliveryTask, Endpoint, Message, MessageMeta, Payload,
};
use crate::notify::{
    Language, Notification, NotificationSettings, NotificationStatus, NotificationStore,
};
use crate::ports::Inserted;
use crate::services::Stores;
use async_trait::async_trait;
use bytes::Bytes;
use chrono::TimeDelta;
use std::collections::HashSet;
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

pub async fn endpoints_crud_and_isolation(h: &Harness) {
    let s = &h.stores.endpoints;
    let (a, b) = (tenant("A"), tenant("B"));
    let ep1 = endpoint(&a, &["INVOICE_VALIDATED"], true);
    let ep2 = endpoint(&b, &["CONTRACT_CREATED"], true);
    s.create(&ep1).await.unwrap();
    s.create(&ep2).await.unwrap();
    assert!(matches!(s.create(&ep1).await, Err(StoreError::Conflict)));

    assert_eq!(s.get(&a, &ep1.id).await.unwrap().as_ref(), Some(&ep1));
    assert_eq!(
        s.get(&b, &ep1.id).await.unwrap(),
        None,
        "tenant B must not see A's endpoint"
    );
    assert_eq!(s.list(&a).await.unwrap(), vec![ep1.clone()]);
    assert_eq!(s.list(&b).await.unwrap(), vec![ep2.clone()]);

    assert!(
        !s.delete(&b, &ep1.id).await.unwrap(),
        "B cannot delete A's endpoint"
    );
    assert!(s.get(&a, &ep1.id).await.unwrap().is_some());
    assert!(s.delete(&a, &ep1.id).await.unwrap());
    assert_eq!(s.get(&a, &ep1.id).await.unwrap(), None);
    assert!(!s.delete(&a, &ep1.id).await.unwrap());
    assert!(s.list(&a).await.unwrap().is_empty());
}

pub async fn endpoint_update_is_optimistic(h: &Harness) {
    let s = &h.stores.endpoints;
    let a = tenant("A");
    let ep = endpoint(&a, &["INVOICE_VALIDATED"], true);
    s.create(&ep).await.unwrap();

    let mut v2 = ep.clone();
    v2.version = 2;
    v2.url = "https://new.example/hook".into();
    v2.event_types = vec!["CONTRACT_CREATED".into(), "INVOICE_PAID".into()];
    v2.enabled = false;
    v2.headers = [
        ("authorization".to_owned(), "Bearer abc".to_owned()),
        ("x-trace".to_owned(), "1".to_owned()),
    ]
    .into();
    v2.disabled_reason = Some("failing for 5 days".into());
    v2.filter = None;
    v2.updated_at = now();
    s.update(&v2).await.unwrap();

    let mut stale = ep.clone();
    stale.version = 2;
    stale.description = "lost update".into();
    assert!(matches!(s.update(&stale).await, Err(StoreError::Conflict)));
    assert_eq!(s.get(&a, &ep.id).await.unwrap(), Some(v2.clone()));

    let mut other_tenant = v2.clone();
    other_tenant.tenant = tenant("B");
    other_tenant.version = 3;
    assert!(matches!(
        s.update(&other_tenant).await,
        Err(StoreError::Conflict)
    ));
    assert_eq!(s.get(&a, &ep.id).await.unwrap(), Some(v2));
}

pub async fn endpoint_disable_touches_only_its_fields(h: &Harness) {
    let s = &h.stores.endpoints;
    let a = tenant("A");
    let ep = endpoint(&a, &["INVOICE_VALIDATED"], true);
    s.create(&ep).await.unwrap();
    let at = now();
    s.disable(&a, &ep.id, 2, "failing for 5 days", at)
        .await
        .unwrap();
    let got = s.get(&a, &ep.id).await.unwrap().unwrap();
    let expected = Endpoint {
        enabled: false,
        disabled_reason: Some("failing for 5 days".into()),
        version: 2,
        updated_at: at,
        ..ep.clone()
    };
    assert_eq!(got, expected, "url, types, headers and counters untouched");
    // A stale version, or another tenant, changes nothing.
    assert!(matches!(
        s.disable(&a, &ep.id, 2, "again", now()).await,
        Err(StoreError::Conflict)
    ));
    assert!(matches!(
        s.disable(&tenant("B"), &ep.id, 3, "foreign", now()).await,
        Err(StoreError::Conflict)
    ));
    assert_eq!(s.get(&a, &ep.id).await.unwrap(), Some(expected));
}

pub async fn subscribed_filters_type_and_tenant(h: &Harness) {
    let s = &h.stores.endpoints;
    let (a, b) = (tenant("A"), tenant("B"));
    let ep1 = endpoint(&a, &["INVOICE_VALIDATED", "CONTRACT_CREATED"], true);
    let ep2 = endpoint(&a, &["CONTRACT_CREATED"], false);
    let ep3 = endpoint(&a, &["INVOICE_VALIDATED"], true);
    let ep4 = endpoint(&b, &["INVOICE_VALIDATED"], true);
    let ep5 = endpoint(&a, &["INVOICE_VALIDATED_LATE"], true);
    for e in [&ep1, &ep2, &ep3, &ep4, &ep5] {
        s.create(e).await.unwrap();
    }
    let ids = |v: Vec<Endpoint>| v.into_iter().map(|e| e.id).collect::<HashSet<_>>();
    assert_eq!(
        ids(s.subscribed(&a, "INVOICE_VALIDATED").await.unwrap()),
        HashSet::from([ep1.id.clone(), ep3.id.clone()])
    );
    // Disabled endpoints are part of the fan-out (their messages are kept as failed).
    assert_eq!(
        ids(s.subscribed(&a, "CONTRACT_CREATED").await.unwrap()),
        HashSet::from([ep1.id.clone(), ep2.id.clone()])
    );
    assert_eq!(
        ids(s.subscribed(&b, "INVOICE_VALIDATED").await.unwrap()),
        HashSet::from([ep4.id.clone()])
    );
    assert!(s.subscribed(&a, "INVOICE").await.unwrap().is_empty());

    // Changing the subscription changes the fan-out.
    let mut ep3b = ep3.clone();
    ep3b.version = 2;
    ep3b.event_types = vec!["ORDER_CREATED".into()];
    s.update(&ep3b).await.unwrap();
    assert_eq!(
        ids(s.subscribed(&a, "INVOICE_VALIDATED").await.unwrap()),
        HashSet::from([ep1.id.clone()])
    );
    assert_eq!(
        ids(s.subscribed(&a, "ORDER_CREATED").await.unwrap()),
        HashSet::from([ep3.id])
    );
}

pub async fn secrets_by_generation(h: &Harness) {
    let s = &h.stores.secrets;
    let (a, b) = (tenant("A"), tenant("B"));
    let (ep, other) = (EndpointId::generate(), EndpointId::generate());
    let first = s.issue(&a, &ep, 1).await.unwrap();
    assert_eq!(
        s.issue(&a, &ep, 1).await.unwrap(),
        first,
        "issuing a generation again gives the same secret"
    );
    let second = s.issue(&a, &ep, 2).await.unwrap();
    assert_ne!(second, first);
    assert_eq!(
        s.get(&a, &ep, &[2, 1]).await.unwrap(),
        Some(vec![second.clone(), first.clone()])
    );
    assert_ne!(
        s.issue(&a, &other, 1).await.unwrap(),
        first,
        "each endpoint its own"
    );
    // Another tenant naming the same endpoint id never gets its secret.
    let foreign = s.get(&b, &ep, &[1]).await.unwrap();
    assert!(
        foreign.is_none_or(|keys| keys[0] != first),
        "secrets are scoped by tenant"
    );
    s.delete(&a, &ep).await.unwrap();
    s.delete(&a, &ep).await.unwrap();
}

pub async fn messages_and_idempotency(h: &Harness) {
    let s = &h.stores.messages;
    let (a, b) = (tenant("A"), tenant("B"));
    let m1 = message(&a, None);
    assert_eq!(s.insert(&m1).await.unwrap(), Inserted::Created);
    assert_eq!(s.get(&a, &m1.id).await.unwrap().as_ref(), Some(&m1));
    assert_eq!(s.get(&b, &m1.id).await.unwrap(), None);
    // Without an event id, the same content is simply another message.
    assert_eq!(
        s.insert(&message(&a, None)).await.unwrap(),
        Inserted::Created
    );

    let m2 = message(&a, Some("evt-1"));
    assert_eq!(s.insert(&m2).await.unwrap(), Inserted::Created);
    let m3 = message(&a, Some("evt-1"));
    assert!(matches!(
        s.insert(&m3).await.unwrap(),
        Inserted::Duplicate {
            id,
            fanned_out: Some(false) | None
        } if id == m2.id
    ));
    // (Within one millisecond the same event gets the same id: then it reads as the first.)
    assert_eq!(
        s.get(&a, &m3.id).await.unwrap(),
        (m3.id == m2.id).then(|| m2.clone()),
        "a duplicate is not stored"
    );
    s.mark_fanned_out(&a, &m2.id).await.unwrap();
    // A store may not track the fan-out (then the service completes it idempotently).
    assert!(matches!(
        s.insert(&message(&a, Some("evt-1"))).await.unwrap(),
        Inserted::Duplicate { id, .. } if id == m2.id
    ));
    // The same key from another tenant is unrelated.
    assert_eq!(
        s.insert(&message(&b, Some("evt-1"))).await.unwrap(),
        Inserted::Created
    );
}

pub async fn delivery_log_lifecycle_and_counters(h: &Harness) {
    let st = &h.stores;
    let a = tenant("A");
    let ep = endpoint(&a, &["INVOICE_VALIDATED"], true);
    st.endpoints.create(&ep).await.unwrap();
    let m = message(&a, None);
    st.messages.insert(&m).await.unwrap();

    let counters = || async {
        h.settle.settle().await;
        st.endpoints
            .get(&a, &ep.id)
            .await
            .unwrap()
            .unwrap()
            .counters
    };
    assert_eq!(
        st.log
            .get(&DeliveryKey::new(&a, &ep.id, &m.id))
            .await
            .unwrap(),
        None,
        "no entry before the first attempt"
    );
    let log = &st.log;
    let rec = |a1: Attempt, s: DeliveryStatus| {
        let (a, ep, m) = (a.clone(), ep.id.clone(), meta(&m));
        async move {
            log.record_attempt(&DeliveryKey::new(&a, &ep, &m.id), &m, &a1, s, None)
                .await
        }
    };
    assert!(
        matches!(
            rec(attempt(2, 500), DeliveryStatus::Pending).await,
            Err(StoreError::Conflict)
        ),
        "attempt 2 needs attempt 1"
    );
    let first = attempt(1, 500);
    let next_at = now() + TimeDelta::minutes(1);
    log.record_attempt(
        &DeliveryKey::new(&a, &ep.id, &meta(&m).id),
        &meta(&m),
        &first,
        DeliveryStatus::Pending,
        Some(next_at.into()),
    )
    .await
    .unwrap();
    let entry = log
        .get(&DeliveryKey::new(&a, &ep.id, &m.id))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (entry.status, entry.attempt_count),
        (DeliveryStatus::Pending, 1)
    );
    assert_eq!(
        (&entry.message_id, &entry.event_type, entry.created_at),
        (&m.id, &m.event_type, m.created_at)
    );
    assert_eq!(entry.next_attempt_at, Some(next_at));
    assert_eq!(entry.last_attempt_at, Some(first.started_at));
    assert_eq!(
        counters().await,
        Counters {
            in_flight: 1,
            failed_attempts: 1,
            ..Default::default()
        }
    );
    assert!(
        matches!(
            rec(attempt(1, 500), DeliveryStatus::Pending).await,
            Err(StoreError::Conflict)
        ),
        "a duplicate first attempt"
    );

    let second = attempt(2, 200);
    rec(second.clone(), DeliveryStatus::Delivered)
        .await
        .unwrap();
    assert_eq!(
        counters().await,
        Counters {
            delivered: 1,
            failed_attempts: 1,
            ..Default::default()
        }
    );
    let entry = log
        .get(&DeliveryKey::new(&a, &ep.id, &m.id))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (entry.status, entry.attempt_count, entry.next_attempt_at),
        (DeliveryStatus::Delivered, 2, None)
    );
    assert!(
        matches!(
            rec(attempt(3, 200), DeliveryStatus::Delivered).await,
            Err(StoreError::Conflict)
        ),
        "a final entry takes no more attempts"
    );
    assert_eq!(
        log.attempts(&DeliveryKey::new(&a, &ep.id, &m.id))
            .await
            .unwrap(),
        vec![first, second]
    );

    // Exhaustion counts a failed message.
    let m2 = message(&a, None);
    st.messages.insert(&m2).await.unwrap();
    log.record_attempt(
        &DeliveryKey::new(&a, &ep.id, &meta(&m2).id),
        &meta(&m2),
        &attempt(1, 503),
        DeliveryStatus::Failed,
        None,
    )
    .await
    .unwrap();
    assert_eq!(
        counters().await,
        Counters {
            delivered: 1,
            failed_attempts: 2,
            failed_messages: 1,
            in_flight: 0
        }
    );

    let b = tenant("B");
    assert_eq!(
        log.get(&DeliveryKey::new(&b, &ep.id, &m.id)).await.unwrap(),
        None
    );
    assert!(log
        .attempts(&DeliveryKey::new(&b, &ep.id, &m.id))
        .await
        .unwrap()
        .is_empty());
    assert!(matches!(
        log.record_attempt(
            &DeliveryKey::new(&b, &ep.id, &meta(&m2).id),
            &meta(&m2),
            &attempt(2, 200),
            DeliveryStatus::Delivered,
            None
        )
        .await,
        Err(StoreError::Conflict)
    ));
}

pub async fn log_pagination_filter_and_isolation(h: &Harness) {
    let st = &h.stores;
    let a = tenant("A");
    let ep = endpoint(&a, &["INVOICE_VALIDATED"], true);
    let other = endpoint(&a, &["INVOICE_VALIDATED"], true);
    st.endpoints.create(&ep).await.unwrap();
    st.endpoints.create(&other).await.unwrap();
    let mut ids = Vec::new();
    for i in 0..25 {
        let m = message(&a, None);
        st.messages.insert(&m).await.unwrap();
        st.log
            .record_attempt(
                &DeliveryKey::new(&a, &other.id, &meta(&m).id),
                &meta(&m),
                &attempt(1, 500),
                DeliveryStatus::Pending,
                None,
            )
            .await
            .unwrap();
        let (code, status) = match i % 3 {
            0 => (200, DeliveryStatus::Delivered),
            _ => (500, DeliveryStatus::Pending),
        };
        record(st, &ep, &m, 1, code, status).await;
        ids.push(m.id);
    }
    ids.reverse();

    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let page = st
            .log
            .list(&a, &ep.id, None, cursor.as_deref(), 10)
            .await
            .unwrap();
        assert!(page.data.len() <= 10);
        seen.extend(page.data.into_iter().map(|e| e.message_id));
        pages += 1;
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => break,
        }
        assert!(pages < 10, "pagination does not end");
    }
    assert_eq!(seen, ids, "every entry once, newest first");

    let delivered = st
        .log
        .list(&a, &ep.id, Some(DeliveryStatus::Delivered), None, 100)
        .await
        .unwrap();
    assert_eq!(delivered.data.len(), 9);
    assert!(delivered
        .data
        .iter()
        .all(|e| e.status == DeliveryStatus::Delivered));
    let pending = st
        .log
        .list(&a, &ep.id, Some(DeliveryStatus::Pending), None, 5)
        .await
        .unwrap();
    assert_eq!(pending.data.len(), 5);
    assert!(pending
        .data
        .iter()
        .all(|e| e.status == DeliveryStatus::Pending));
    let rest = st
        .log
        .list(
            &a,
            &ep.id,
            Some(DeliveryStatus::Pending),
            pending.next_cursor.as_deref(),
            100,
        )
        .await
        .unwrap();
    assert_eq!(pending.data.len() + rest.data.len(), 16);

    // Another tenant sees nothing, even with a valid cursor of ours.
    let b = tenant("B");
    let first = st.log.list(&a, &ep.id, None, None, 10).await.unwrap();
    assert!(st
        .log
        .list(&b, &ep.id, None, None, 10)
        .await
        .unwrap()
        .data
        .is_empty());
    match st
        .log
        .list(&b, &ep.id, None, first.next_cursor.as_deref(), 10)
        .await
    {
        Ok(p) => assert!(p.data.is_empty()),
        Err(e) => assert!(matches!(e, StoreError::InvalidCursor)),
    }
    assert!(matches!(
        st.log.list(&a, &ep.id, None, Some("garbage!"), 10).await,
        Err(StoreError::InvalidCursor)
    ));
}

pub async fn hourly_stats_count_attempts(h: &Harness) {
    let st = &h.stores;
    let a = tenant("A");
    let ep = endpoint(&a, &["INVOICE_VALIDATED"], true);
    st.endpoints.create(&ep).await.unwrap();
    for ok in [true, false] {
        let m = stored_message(st, &a).await;
        record(st, &ep, &m, 1, 500, DeliveryStatus::Pending).await;
        if ok {
            record(st, &ep, &m, 2, 200, DeliveryStatus::Delivered).await;
        }
    }
    let since = now() - TimeDelta::hours(2);
    h.settle.settle().await;
    let buckets = st.log.hourly_stats(&a, &ep.id, since).await.unwrap();
    let delivered: u64 = buckets.iter().map(|b| b.delivered).sum();
    let failed: u64 = buckets.iter().map(|b| b.failed).sum();
    assert_eq!((delivered, failed), (1, 2));
    assert!(buckets.iter().all(|b| b.hour.timestamp() % 3600 == 0));
    assert!(st
        .log
        .hourly_stats(&tenant("B"), &ep.id, since)
        .await
        .unwrap()
        .is_empty());
}

pub async fn delivery_reader_reads_one_task(h: &Harness) {
    let st = &h.stores;
    let (a, b) = (tenant("A"), tenant("B"));
    let ep = endpoint(&a, &["INVOICE_VALIDATED"], true);
    st.endpoints.create(&ep).await.unwrap();
    let m = stored_message(st, &a).await;
    let task = DeliveryTask::new(a.clone(), m.id.clone(), ep.id.clone());

    // Before the first attempt: no entry, the endpoint and the message.
    let got = st.reader.read(&task).await.unwrap();
    assert_eq!(got.entry, None);
    let endpoint = got.endpoint.expect("endpoint read");
    assert_eq!((endpoint.id, endpoint.url), (ep.id.clone(), ep.url.clone()));
    assert_eq!(got.message, Some(Payload::from(&m)));

    // With the task's hints, the answer is the same whether or not the adapter reads.
    let hinted = DeliveryTask {
        attempt: Some(1),
        body: Some(std::str::from_utf8(&m.body).unwrap().to_owned()),
        event_type: Some(m.event_type.clone()),
        created_at: Some(m.created_at),
        ..task.clone()
    };
    let got = st.reader.read(&hinted).await.unwrap();
    assert_eq!(got.entry, None);
    assert_eq!(got.message, Some(Payload::from(&m)));
    assert_eq!(got.endpoint.map(|e| e.id), Some(ep.id.clone()));

    // After it: the entry.
    record(st, &ep, &m, 1, 500, DeliveryStatus::Pending).await;
    let entry = st
        .reader
        .read(&task)
        .await
        .unwrap()
        .entry
        .expect("entry read");
    assert_eq!(
        (entry.status, entry.attempt_count),
        (DeliveryStatus::Pending, 1)
    );

    // Each part is read on its own: a task for an unknown message still finds its endpoint.
    let unknown = DeliveryTask {
        message_id: MessageId::generate(),
        ..task.clone()
    };
    let got = st.reader.read(&unknown).await.unwrap();
    assert!(got.entry.is_none() && got.message.is_none() && got.endpoint.is_some());

    // Another tenant naming the same ids reads nothing.
    let foreign = DeliveryTask { tenant: b, ..task };
    let got = st.reader.read(&foreign).await.unwrap();
    assert!(got.entry.is_none() && got.endpoint.is_none() && got.message.is_none());
}

pub async fn queue_round_trip(h: &Harness) {
    h.stores.queue.enqueue(&[]).await.unwrap();
    let a = tenant("A");
    let tasks: Vec<DeliveryTask> = (0..25)
        .map(|_| DeliveryTask::new(a.clone(), MessageId::generate(), EndpointId::generate()))
        .collect();
    h.stores.queue.enqueue(&tasks).await.unwrap();
    let got: HashSet<_> = h.probe.drain().await.into_iter().collect();
    assert_eq!(got, tasks.into_iter().collect::<HashSet<_>>());
    assert!(h.probe.drain().await.is_empty());
}

pub async fn replay_restarts_only_failed_entries(h: &Harness) {
    let st = &h.stores;
    let a = tenant("A");
    let ep = endpoint(&a, &["INVOICE_VALIDATED"], true);
    st.endpoints.create(&ep).await.unwrap();
    let m = stored_message(st, &a).await;
    assert!(
        !st.log
            .restart(&DeliveryKey::new(&a, &ep.id, &m.id))
            .await
            .unwrap(),
        "an entry not yet attempted is not restartable"
    );
    for n in 1..=2 {
        let status = if n == 2 {
            DeliveryStatus::Failed
        } else {
            DeliveryStatus::Pending
        };
        record(st, &ep, &m, n, 500, status).await;
    }
    assert!(
        !st.log
            .restart(&DeliveryKey::new(&tenant("B"), &ep.id, &m.id))
            .await
            .unwrap(),
        "other tenant"
    );
    assert!(st
        .log
        .restart(&DeliveryKey::new(&a, &ep.id, &m.id))
        .await
        .unwrap());
    let e = st
        .log
        .get(&DeliveryKey::new(&a, &ep.id, &m.id))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (e.status, e.attempt_count, e.series_start),
        (DeliveryStatus::Pending, 2, 2)
    );
    h.settle.settle().await;
    assert_eq!(
        st.endpoints
            .get(&a, &ep.id)
            .await
            .unwrap()
            .unwrap()
            .counters,
        Counters {
            failed_attempts: 2,
            failed_messages: 0,
            in_flight: 1,
            delivered: 0
        }
    );
    assert!(
        !st.log
            .restart(&DeliveryKey::new(&a, &ep.id, &m.id))
            .await
            .unwrap(),
        "already restarted"
    );
    // The new series continues the numbering.
    record(st, &ep, &m, 3, 200, DeliveryStatus::Delivered).await;
    let numbers: Vec<u32> = st
        .log
        .attempts(&DeliveryKey::new(&a, &ep.id, &m.id))
        .await
        .unwrap()
        .iter()
        .map(|a| a.number)
        .collect();
    assert_eq!(numbers, [1, 2, 3]);
    assert!(
        !st.log
            .restart(&DeliveryKey::new(&a, &ep.id, &m.id))
            .await
            .unwrap(),
        "delivered is not restartable"
    );
}

pub async fn failing_since_tracks_runs_of_failures(h: &Harness) {
    let st = &h.stores;
    let a = tenant("A");
    let ep = endpoint(&a, &["INVOICE_VALIDATED"], true);
    st.endpoints.create(&ep).await.unwrap();
    let failing_since = || async {
        h.settle.settle().await;
        st.endpoints
            .get(&a, &ep.id)
            .await
            .unwrap()
            .unwrap()
            .failing_since
    };
    let mut first_failure = None;
    for (i, ok) in [false, false, true, false].into_iter().enumerate() {
        let m = stored_message(st, &a).await;
        let at = attempt(1, if ok { 200 } else { 500 });
        let status = if ok {
            DeliveryStatus::Delivered
        } else {
            DeliveryStatus::Pending
        };
        st.log
            .record_attempt(
                &DeliveryKey::new(&a, &ep.id, &meta(&m).id),
                &meta(&m),
                &at,
                status,
                None,
            )
            .await
            .unwrap();
        match (i, ok) {
            (0, _) => {
                first_failure = Some(at.started_at);
                assert_eq!(failing_since().await, first_failure);
            }
            (1, _) => assert_eq!(
                failing_since().await,
                first_failure,
                "the run's start is kept"
            ),
            (_, true) => assert_eq!(failing_since().await, None, "a success ends the run"),
            _ => assert_eq!(failing_since().await, Some(at.started_at)),
        }
    }
    // An admin re-enabling a disabled endpoint starts afresh.
    let mut e = st.endpoints.get(&a, &ep.id).await.unwrap().unwrap();
    e.enabled = false;
    e.version += 1;
    st.endpoints.update(&e).await.unwrap();
    assert!(
        failing_since().await.is_some(),
        "disabling keeps the record"
    );
    e.enabled = true;
    e.version += 1;
    st.endpoints.update(&e).await.unwrap();
    assert_eq!(failing_since().await, None);
}

pub async fn recount_rebuilds_counters_from_the_log(h: &Harness) {
    let st = &h.stores;
    let a = tenant("A");
    let ep = endpoint(&a, &["INVOICE_VALIDATED"], true);
    st.endpoints.create(&ep).await.unwrap();
    // One delivered after a failure, one failed, one pending.
    let outcomes: [&[(u16, DeliveryStatus)]; 3] = [
        &[
            (500, DeliveryStatus::Pending),
            (200, DeliveryStatus::Delivered),
        ],
        &[(503, DeliveryStatus::Failed)],
        &[(500, DeliveryStatus::Pending)],
    ];
    for attempts in outcomes {
        let m = stored_message(st, &a).await;
        for (i, (code, status)) in attempts.iter().enumerate() {
            let n = u32::try_from(i).unwrap() + 1;
            record(st, &ep, &m, n, *code, *status).await;
        }
    }
    let want = Counters {
        delivered: 1,
        failed_attempts: 3,
        failed_messages: 1,
        in_flight: 1,
    };
    h.settle.settle().await;
    assert_eq!(st.log.recount(&a, &ep.id).await.unwrap(), Some(want));
    h.settle.settle().await;
    let got = st.endpoints.get(&a, &ep.id).await.unwrap().unwrap();
    assert_eq!(got.counters, want, "the rebuilt counters are stored");
    assert_eq!(
        st.log.recount(&tenant("B"), &ep.id).await.unwrap(),
        None,
        "another tenant's endpoint is not found"
    );
}

/// 200 deliveries to one endpoint, 32 at a time, each task handed out twice (as a queue may):
/// every attempt is recorded once and the counters and stats converge to exact totals.
pub async fn concurrent_deliveries_count_exactly(h: &Harness) {
    const N: usize = 200;
    let st = &h.stores;
    let a = tenant("A");
    let ep = endpoint(&a, &["INVOICE_VALIDATED"], true);
    st.endpoints.create(&ep).await.unwrap();
    let gate = Arc::new(tokio::sync::Semaphore::new(32));
    let mut jobs = tokio::task::JoinSet::new();
    for _ in 0..N {
        let (st, a, ep, gate) = (st.clone(), a.clone(), ep.id.clone(), gate.clone());
        jobs.spawn(async move {
            let _permit = gate.acquire_owned().await.unwrap();
            let m = message(&a, None);
            st.messages.insert(&m).await.unwrap();
            let mut recorded = 0;
            // Attempt 1 fails, attempt 2 succeeds; each task is handed out twice. The copies
            // of one task run one after the other: moto does not serialise conditional
            // writes to one item (DynamoDB does), and what this test is about is the many
            // deliveries running at once, to one endpoint.
            for (n, code, status) in [
                (1, 500, DeliveryStatus::Pending),
                (2, 200, DeliveryStatus::Delivered),
            ] {
                for _copy in 0..2 {
                    match st
                        .log
                        .record_attempt(
                            &DeliveryKey::new(&a, &ep, &meta(&m).id),
                            &meta(&m),
                            &attempt(n, code),
                            status,
                            None,
                        )
                        .await
                    {
                        Ok(()) => recorded += 1,
                        Err(StoreError::Conflict) => {}
                        Err(e) => panic!("{e}"),
                    }
                }
            }
            (m.id, recorded)
        });
    }
    let mut ids = Vec::new();
    while let Some(done) = jobs.join_next().await {
        let (id, recorded) = done.unwrap();
        assert_eq!(recorded, 2, "each attempt recorded exactly once");
        ids.push(id);
    }
    for id in ids.iter().take(20) {
        let numbers: Vec<u32> = st
            .log
            .attempts(&DeliveryKey::new(&a, &ep.id, id))
            .await
            .unwrap()
            .iter()
            .map(|x| x.number)
            .collect();
        assert_eq!(numbers, vec![1, 2]);
    }
    let want = Counters {
        delivered: N as i64,
        failed_attempts: N as i64,
        failed_messages: 0,
        in_flight: 0,
    };
    h.settle.settle().await;
    let got = st.endpoints.get(&a, &ep.id).await.unwrap().unwrap();
    assert_eq!(got.counters, want);
    assert_eq!(got.failing_since, None, "the last attempts succeeded");
    let stats = st
        .log
        .hourly_stats(&a, &ep.id, now() - TimeDelta::hours(2))
        .await
        .unwrap();
    let sum = |f: fn(&crate::model::HourBucket) -> u64| stats.iter().map(f).sum::<u64>();
    assert_eq!(
        (sum(|b| b.delivered), sum(|b| b.failed)),
        (N as u64, N as u64)
    );
    assert_eq!(st.log.recount(&a, &ep.id).await.unwrap(), Some(want));
}

/// Pending deliveries due within a horizon are listed across tenants, page by page; the
/// sweep wakes the parked ones (one task per wait) and sends a task again to those long
/// overdue; deliveries not due, delivered or failed are left alone.
pub async fn due_deliveries_are_woken_or_swept(h: &Harness) {
    use crate::model::NextAttempt;
    use crate::services::{SweepConfig, SweepService};
    let st = &h.stores;
    let (a, b) = (tenant("A"), tenant("B"));
    let (ep_a, ep_b) = (
        endpoint(&a, &["INVOICE_VALIDATED"], true),
        endpoint(&b, &["INVOICE_VALIDATED"], true),
    );
    st.endpoints.create(&ep_a).await.unwrap();
    st.endpoints.create(&ep_b).await.unwrap();
    let at = |minutes: i64, parked| {
        Some(NextAttempt {
            at: now() + TimeDelta::minutes(minutes),
            parked,
        })
    };
    use DeliveryStatus::*;
    // (endpoint, attempt 1's status code, status after, next attempt)
    let cases = [
        (&ep_a, 500, Pending, at(-60, false)),  // 0: its task lost
        (&ep_a, 500, Pending, at(60, false)),   // 1: waiting, its task hidden
        (&ep_a, 200, Delivered, None),          // 2
        (&ep_a, 500, Failed, None),             // 3
        (&ep_b, 500, Pending, at(-120, false)), // 4: lost, another tenant
        (&ep_a, 500, Pending, at(5, true)),     // 5: parked, due soon
        (&ep_b, 500, Pending, at(600, true)),   // 6: parked, due later
    ];
    let mut ids = Vec::new();
    for (ep, code, status, next) in cases {
        let m = stored_message(st, &ep.tenant).await;
        st.log
            .record_attempt(
                &DeliveryKey::new(&ep.tenant, &ep.id, &meta(&m).id),
                &meta(&m),
                &attempt(1, code),
                status,
                next,
            )
            .await
            .unwrap();
        ids.push(m.id);
    }
    let key = |i: usize| {
        let ep = cases[i].0;
        (ep.tenant.clone(), ep.id.clone(), ids[i].clone())
    };
    let found = |horizon, limit| async move {
        let (mut all, mut cursor) = (Vec::new(), None::<String>);
        for _ in 0..50 {
            let page = st.log.due(horizon, cursor.as_deref(), limit).await.unwrap();
            all.extend(page.data.into_iter().map(|d| {
                let t = d.task;
                ((t.tenant, t.endpoint_id, t.message_id), d.parked)
            }));
            match page.next_cursor {
                Some(c) => cursor = Some(c),
                None => break,
            }
        }
        all.sort();
        all
    };
    let horizon = now() + TimeDelta::minutes(14);
    let want = sorted(vec![(key(0), false), (key(4), false), (key(5), true)]);
    assert_eq!(found(horizon, 100).await, want);
    assert_eq!(found(horizon, 1).await, want, "page by page");
    // A replayed delivery is due at once.
    assert!(st
        .log
        .restart(&DeliveryKey::new(&a, &ep_a.id, &ids[3]))
        .await
        .unwrap());
    let mut with_replay = want.clone();
    with_replay.push((key(3), false));
    assert_eq!(found(horizon, 100).await, sorted(with_replay));
    assert!(matches!(
        st.log.due(horizon, Some("garbage!"), 10).await,
        Err(StoreError::InvalidCursor)
    ));

    h.probe.drain().await;
    let sweep = SweepService::new(st.clone(), SweepConfig::default());
    let report = sweep.sweep().await.unwrap();
    assert_eq!(
        (report.woken, report.requeued, report.complete),
        (1, 2, true),
        "the parked one due within 14 min is woken; the two 30 min overdue are sent again"
    );
    let sent: Vec<_> = (h.probe.drain().await.into_iter())
        .map(|t| (t.tenant, t.endpoint_id, t.message_id))
        .collect();
    assert_eq!(
        sorted(sent),
        sorted(vec![key(0), key(4)]),
        "the woken task waits until due"
    );
    let again = sweep.sweep().await.unwrap();
    assert_eq!(again.woken, 0, "one task per parked wait");
    let entry = st
        .log
        .get(&DeliveryKey::new(&a, &ep_a.id, &ids[5]))
        .await
        .unwrap()
        .unwrap();
    assert!(!entry.parked && entry.status == Pending);
    assert!(!st
        .log
        .unpark(
            &DeliveryKey::new(&a, &ep_a.id, &ids[5]),
            entry.next_attempt_at.unwrap()
        )
        .await
        .unwrap());
    let later = st
        .log
        .get(&DeliveryKey::new(&b, &ep_b.id, &ids[6]))
        .await
        .unwrap()
        .unwrap();
    assert!(later.parked, "not due within the horizon: still parked");
}

/// A message is found by its publisher's `event_id`, with the endpoints it was fanned out
/// to; only by its own tenant.
pub async fn messages_are_found_by_event_id(h: &Harness) {
    let s = &h.stores.messages;
    let (a, b) = (tenant("A"), tenant("B"));
    let m = Message {
        endpoints: vec![EndpointId::generate(), EndpointId::generate()],
        ..message(&a, Some("FA-2026-001234"))
    };
    s.insert(&m).await.unwrap();
    let plain = message(&a, None);
    s.insert(&plain).await.unwrap();
    assert_eq!(
        s.find_event(&a, "FA-2026-001234").await.unwrap(),
        Some(m.clone())
    );
    assert_eq!(s.get(&a, &m.id).await.unwrap(), Some(m));
    assert_eq!(s.find_event(&a, "FA-2026-001235").await.unwrap(), None);
    assert_eq!(
        s.find_event(&b, "FA-2026-001234").await.unwrap(),
        None,
        "another tenant"
    );
}

pub async fn failing_runs_are_announced_once(h: &Harness) {
    let st = &h.stores;
    let (a, b) = (tenant("A"), tenant("B"));
    let ep = endpoint(&a, &["INVOICE_VALIDATED"], true);
    st.endpoints.create(&ep).await.unwrap();
    let t0 = now();
    let hour = TimeDelta::hours(1);
    // (tenant, run start) → newly announced
    let table = [
        (&a, t0, true),
        (&a, t0, false),
        (&a, t0 - hour, false),
        (&b, t0 + hour, false),
        (&a, t0 + hour, true),
    ];
    for (t, since, want) in table {
        let got = st
            .endpoints
            .announce_failing(t, &ep.id, since)
            .await
            .unwrap();
        assert_eq!(got, want, "{t} {since}");
    }
    // An admin's update keeps it: it is the delivery path's.
    let mut e = st.endpoints.get(&a, &ep.id).await.unwrap().unwrap();
    assert_eq!(e.failing_announced, Some(t0 + hour));
    e.description = "changed".into();
    e.version += 1;
    st.endpoints.update(&e).await.unwrap();
    let e = st.endpoints.get(&a, &ep.id).await.unwrap().unwrap();
    assert_eq!((e.failing_announced, e.version), (Some(t0 + hour), 2));
}

pub async fn notification_settings_and_history(h: &Harness) {
    let n = &h.notifications;
    let (a, b) = (tenant("A"), tenant("B"));
    assert_eq!(n.settings(&a).await.unwrap(), None);
    let settings = NotificationSettings {
        recipients: vec!["ops@agence.example".into(), "dsi@agence.example".into()],
        events: vec!["WEBHOOK_ENDPOINT_DISABLED".into()],
        language: Language::En,
    };
    n.put_settings(&a, &settings).await.unwrap();
    assert_eq!(n.settings(&a).await.unwrap(), Some(settings.clone()));
    assert_eq!(n.settings(&b).await.unwrap(), None, "tenant isolation");
    let t0 = now();
    for i in 0..3 {
        let mail = Notification {
            message_id: MessageId::generate(),
            event_type: "WEBHOOK_ENDPOINT_DISABLED".into(),
            endpoint_id: EndpointId::generate().to_string(),
            recipients: settings.recipients.clone(),
            subject: format!("mail {i} é"),
            status: if i == 1 {
                NotificationStatus::Failed
            } else {
                NotificationStatus::Sent
            },
            error: (i == 1).then(|| "554 refused".to_owned()),
            created_at: t0 + TimeDelta::seconds(i),
        };
        n.record(&a, &mail).await.unwrap();
    }
    let history = n.history(&a, 2).await.unwrap();
    let subjects: Vec<_> = history.iter().map(|m| m.subject.as_str()).collect();
    assert_eq!(subjects, ["mail 2 é", "mail 1 é"], "newest first, limited");
    assert_eq!(history[1].error.as_deref(), Some("554 refused"));
    assert!(
        n.history(&b, 10).await.unwrap().is_empty(),
        "tenant isolation"
    );
}
