//! Contract of the delivery log's reads (pages, status filter, hourly stats) and of the
//! `DeliveryReader`, which reads one task's entry, endpoint and message.

use super::{attempt, endpoint, message, meta, now, record, stored_message, tenant, Harness};
use crate::error::StoreError;
use crate::ids::MessageId;
use crate::model::{DeliveryKey, DeliveryStatus, DeliveryTask, Payload};
use chrono::TimeDelta;

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
